import io
import json
import logging

import pytest


class Console:
    """What the processes' console handler (settings.LOGGING) wrote during a test, line by line."""

    def __init__(self, stream: io.StringIO):
        self.stream = stream

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def records(self) -> list[dict]:
        """Each line as the JSON object it must be (a traceback inside one line, as `exc`)."""
        return [json.loads(line) for line in self.lines()]

    def clear(self) -> None:
        self.stream.seek(0)
        self.stream.truncate()


@pytest.fixture
def console():
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield Console(stream)
    finally:
        handler.setStream(previous)
