"""A real HTTP receiver on 127.0.0.1 (allowed with DEBUG on, as in development) that records what it gets."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhooks.models import WebhookEndpoint


@dataclass
class Receiver:
    url: str
    requests: list[dict] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # status codes to answer, in turn; then 204

    def next_status(self) -> int:
        return self.answers.pop(0) if self.answers else 204


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Messages made outside a request (services, checks) are in the site's language, whatever a German page
    test left active in this thread before; and this test leaves none active after it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def receiver(settings):
    settings.DEBUG = True  # http://127.0.0.1 is a development receiver; production refuses it
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(state.next_status())
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/leadsgroups"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(personas, receiver):
    """An endpoint of the personas' chapter on the receiver, for every event."""
    from webhooks.models import Event

    return WebhookEndpoint.objects.create(chapter=personas.chapter, url=receiver.url, events=list(Event.values),
                                          secret="whsec_test-secret")
