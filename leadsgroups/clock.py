"""A clock the system test can set: processes started with LEADSGROUPS_CLOCK_FILE live at the time in that file.

The week-in-the-life test runs web, worker and beat as real processes and moves their "now" from
Monday to the next Monday in seconds, by writing an ISO timestamp to the file. Each request (web)
and each task (worker) reads the file when it starts and runs on that time, ticking from there, so
one request or task never sees the clock jump under it. Beat keeps real time: it only decides when
to send (every BEAT_EVERY_SECONDS in the test), and the tasks it sends judge "today" by the file.

Only for DEBUG or TESTING settings: production refuses to start with it (see `clock_file`).
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

ENV = "LEADSGROUPS_CLOCK_FILE"


def clock_file() -> Path | None:
    """The file holding the time this process lives at, or None for the real clock."""
    path = os.environ.get(ENV)
    if not path:
        return None
    from django.conf import settings

    if not (settings.DEBUG or getattr(settings, "TESTING", False)):
        raise ImproperlyConfigured(f"{ENV} is for tests and development only (DEBUG or TESTING); unset it.")
    return Path(path)


def clock_read(path: Path) -> datetime:
    """The time the file sets, ticking since it was written.

    The file's first line is an ISO timestamp with its offset (e.g. 2027-03-03T17:30:00+00:00); the
    second, written by `clock_write`, the machine's monotonic clock at the time of writing, so the
    seconds since are added. Ticking from the write, not from each reader's start, keeps every
    process on one clock that only moves forward: a task started later never runs "before" a row an
    earlier task wrote. (The monotonic clock is one per machine and no time travel touches it.)
    """
    first, _, written = path.read_text().strip().partition("\n")
    moment = datetime.fromisoformat(first.strip())
    if moment.tzinfo is None:
        raise ImproperlyConfigured(f"{path}: the time needs an offset, e.g. 2027-03-03T17:30:00+00:00")
    elapsed = time.monotonic() - float(written) if written.strip() else 0.0
    return moment + timedelta(seconds=max(0.0, elapsed))


def clock_write(path: Path, moment: datetime) -> None:
    """Set the time the processes live at (atomically: a reader never sees half a timestamp)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{moment.isoformat()}\n{time.monotonic()}")
    tmp.replace(path)


@contextmanager
def clock_travel(path: Path):
    """Run the block at the file's time (time-machine, a development dependency, is imported only here)."""
    import time_machine

    with time_machine.travel(clock_read(path), tick=True):
        yield


class ClockMiddleware:
    """Serve each request at the file's time. Installed only when LEADSGROUPS_CLOCK_FILE is set;
    the server must handle one request at a time (time-machine patches the whole process)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.path = clock_file()

    def __call__(self, request):
        with clock_travel(self.path):
            return self.get_response(request)
