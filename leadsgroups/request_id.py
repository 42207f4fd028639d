"""A request id for every request and task: in each log record, on the response, and on the error pages.

The id comes from the proxy's `X-Request-ID` when it looks like one (letters, digits and a few
separators, 8 to 128 characters: a UUID, nginx's $request_id, Caddy's {http.request.uuid}), else a
new UUID. It lives in a context variable for the length of the request, so every record logged
while it runs carries it (leadsgroups/log_format.py) without passing it around; a task queued
during the request carries it too (leadsgroups/celery.py), so a user quoting the id from an error
page leads the operator to every line the request and its tasks wrote.

The same middleware logs the request itself, once, when the response leaves: method, path (never
the query string, which can hold an email address), status, duration and user id.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.utils.functional import empty

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{7,127}")
_current: ContextVar[str | None] = ContextVar("request_id", default=None)

log = logging.getLogger("leadsgroups.request")


def request_id_get() -> str | None:
    """The id of the request (or task) running in this context, if any."""
    return _current.get()


def request_id_set(value: str | None):
    """Make `value` the current id; returns the token to restore the previous one with `request_id_reset`."""
    return _current.set(value)


def request_id_reset(token) -> None:
    _current.reset(token)


def request_id_from_header(value: str | None) -> str:
    """The proxy's id if it is a sane one, else a new one: never free text in our logs or pages."""
    if value and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


def _user_id(request) -> int | None:
    """The signed-in user's id, if the request already loaded the user: logging costs no query."""
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", empty)  # a SimpleLazyObject not yet evaluated holds `empty`
    if wrapped is empty or wrapped is None:
        return None
    return wrapped.pk if wrapped.is_authenticated else None


def client_address(request) -> str:
    """The client's address: behind ALLAUTH_TRUSTED_PROXY_COUNT proxies, that many entries from the end
    of X-Forwarded-For (the proxies replace what a client sends), else the peer's address."""
    trusted = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if trusted and len(forwarded) >= trusted:
        return forwarded[-trusted]
    return request.META.get("REMOTE_ADDR", "")


def _quiet(path: str) -> bool:
    """Static files and health probes: logged only at DEBUG when they succeed (one page loads five)."""
    return path.startswith("/" + settings.STATIC_URL.lstrip("/")) or path == "/healthz"


class RequestIdMiddleware:
    """First in MIDDLEWARE: sets the request's id for everything after it, and logs the request once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from_header(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # the 400, 403 and 404 pages show it
        token = request_id_set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            self._log(request, response.status_code, started)
            return response
        finally:
            request_id_reset(token)

    @staticmethod
    def _log(request, status: int, started: float) -> None:
        if status >= 500:
            level = logging.ERROR
        elif status >= 400:
            level = logging.WARNING
        else:
            level = logging.DEBUG if _quiet(request.path) else logging.INFO
        if not log.isEnabledFor(level):
            return
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        log.log(
            level, "%s %s %s %sms", request.method, request.path, status, duration_ms,
            extra={"method": request.method, "path": request.path, "status": status,
                   "duration_ms": duration_ms, "user_id": _user_id(request), "client": client_address(request)},
        )
