"""GET /healthz: is the database reachable, and the Celery broker? 200 if both, else 503.

`HealthCheckMiddleware`, first in MIDDLEWARE, answers it before anything reads the Host header or
redirects to HTTPS. A prober does not know the public host name: Docker's HEALTHCHECK asks
127.0.0.1 inside the container, a load balancer or an orchestrator asks the container's own address,
and none of them speaks TLS. Sending the configured host instead would tie the check to one of the
names in ALLOWED_HOSTS (a pattern like `.example.org` names no host at all) and to the image's own
probe only. The answer holds two booleans, nothing about the site; every other path keeps Django's
host validation and the HTTPS redirect.
"""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

PATH = "/healthz"


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001
        return False


def _broker_ok() -> bool:
    from django.conf import settings

    from leadsgroups.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            # One try, no retry: a retry waits 2 s first, and the orchestrator probes again anyway
            # (the image's HEALTHCHECK gives each probe 4 s and three tries).
            conn.ensure_connection(max_retries=0, timeout=2)
        return True
    except Exception:  # noqa: BLE001
        return False


@never_cache
def healthz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    ok = all(checks.values())
    return JsonResponse({"status": "ok" if ok else "degraded", **checks}, status=200 if ok else 503)


class HealthCheckMiddleware:
    """Answer GET/HEAD /healthz for any Host, over plain HTTP (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == PATH and request.method in ("GET", "HEAD"):
            from leadsgroups.security_headers import headers_without_middleware

            return headers_without_middleware(healthz(request))
        return self.get_response(request)
