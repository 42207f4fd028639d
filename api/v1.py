"""The REST API, version 1: /api/v1/, its OpenAPI 3 schema at /api/v1/openapi.json and its docs at /api/v1/docs.

django-ninja: the schema is generated from the typed operations below (so it cannot drift from the
code), the Swagger UI page is served from the package's own static files (no CDN; it passes the
site's Content-Security-Policy), and throttling is built in.
"""

from __future__ import annotations

from django.conf import settings
from ninja import NinjaAPI, Swagger

from api import errors
from api.auth import TokenAuth
from api.endpoints import chapters, enforcement, meetings, notifications, referrals
from api.throttles import TokenRateThrottle, parse_rate


class LeadsgroupsAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        """The operation's function name, which is also its URL name (api-v1:referral_list)."""
        return operation.view_func.__name__

    def create_response(self, request, data, *, status=None, temporal_response=None):
        """Every answer carries personal data (members, prospects, fines): no cache may keep it."""
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        response["Cache-Control"] = "private, no-store"
        return response


parse_rate(settings.API_RATE_LIMIT)  # a malformed API_RATE_LIMIT stops the start, not every request

api = LeadsgroupsAPI(
    title="Leadsgroups API",
    version="1",
    description=(
        "Your chapters' members, meetings, attendance, referrals, TYFCB, one-to-ones, fines, cases and your "
        "notifications: what you may see in the app, nothing more. Send a personal access token (create one "
        "on your profile's “API tokens” page) as `Authorization: Bearer <token>`. Writes need a token with "
        f"read and write access. Each token may make {settings.API_RATE_LIMIT} requests (per second, minute, "
        "hour or day); beyond that the answer is 429 with Retry-After. Lists come a page at a time "
        "(`page`, `page_size` up to 100). Refusals: 401 without a valid token, 403 for a role or a read-only "
        "token, 404 for anything outside your chapters, 422 with the field and the message for invalid input."
    ),
    urls_namespace="api-v1",
    auth=TokenAuth(),
    throttle=[TokenRateThrottle()],
    # No validator badge: it would load an image from validator.swagger.io, which the CSP refuses.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)
errors.install(api)

# Every operation's module (the URL walk reads their operations: tests/test_access_walk.py).
ROUTERS = (chapters.router, meetings.router, referrals.router, enforcement.router, notifications.router)
for router in ROUTERS:
    api.add_router("", router)
