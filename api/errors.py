"""How the API answers a refusal: JSON with a `detail` people can read, and the right status.

* 401: no token, or one that is unknown, revoked or expired (with `WWW-Authenticate: Bearer`).
* 403: a role or a token scope that does not allow the act; 404: anything outside the caller's
  chapters, or of another chapter: never a 403 that would confirm it exists.
* 422: the same validation the browser's forms and the services apply, as
  `{"detail": [{"loc": ["body", "field"], "msg": "…", "type": "…"}]}`, the shape of the API's own
  schema errors.
* 429: over the token's rate limit, with `Retry-After`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, Throttled
from ninja.errors import ValidationError as NinjaValidationError


class FormInvalid(Exception):
    """A form (the browser's own) refused the request's data: `errors` as the 422 body lists them."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__(errors)


def form_errors(form, *, fields: dict[str, str] | None = None) -> FormInvalid:
    """The form's errors as the API's 422 items; `fields` renames a form field to the API's name for it."""
    fields = fields or {}
    items = []
    for name, errors in form.errors.get_json_data().items():
        loc = ["body"] if name == "__all__" else ["body", fields.get(name, name)]
        items += [{"loc": loc, "msg": e["message"], "type": e["code"] or "invalid"} for e in errors]
    return FormInvalid(items)


def service_errors(exc: DjangoValidationError, *, fields: dict[str, str] | None = None) -> FormInvalid:
    """A service's ValidationError (per field, or about the whole request) as the API's 422 items."""
    fields = fields or {}
    if hasattr(exc, "error_dict"):
        items = [
            {"loc": ["body"] if name == "__all__" else ["body", fields.get(name, name)], "msg": message,
             "type": "invalid"}
            for name, messages in exc.message_dict.items() for message in messages
        ]
    else:
        items = [{"loc": ["body"], "msg": message, "type": "invalid"} for message in exc.messages]
    return FormInvalid(items)


def install(api) -> None:
    """Register the handlers on the NinjaAPI."""

    def respond(request, status: int, body) -> object:
        return api.create_response(request, body, status=status)

    def unauthenticated(request, exc):
        response = respond(request, 401, {"detail": _(
            "A valid personal access token is needed: send “Authorization: Bearer <token>”. "
            "Create one on your profile's “API tokens” page."
        )})
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    def throttled(request, exc):
        return respond(request, 429, {"detail": _("Too many requests for this token: wait and try again.")})

    def forbidden(request, exc):
        return respond(request, 403, {"detail": str(exc) or _("Your role does not allow this.")})

    def not_found(request, exc):
        return respond(request, 404, {"detail": _("Not found.")})

    def invalid_form(request, exc):
        return respond(request, 422, {"detail": exc.errors})

    def invalid_service(request, exc):
        return respond(request, 422, {"detail": service_errors(exc).errors})

    def invalid_schema(request, exc):
        items = [
            {"loc": [str(part) if not isinstance(part, int) else part for part in e.get("loc", ())],
             "msg": str(e.get("msg", "")), "type": str(e.get("type", "invalid"))}
            for e in exc.errors
        ]
        return respond(request, 422, {"detail": items})

    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(Throttled, throttled)
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(FormInvalid, invalid_form)
    api.add_exception_handler(DjangoValidationError, invalid_service)
    api.add_exception_handler(NinjaValidationError, invalid_schema)
