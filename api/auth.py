"""`Authorization: Bearer <token>` for every API operation: the token's person becomes the request's user."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext
from ninja.security import HttpBearer

from api.errors import FormInvalid
from api.services import api_token_authenticate
from leadsgroups.i18n import LANGUAGE_CODES


class TokenAuth(HttpBearer):
    """A personal access token; no session: a browser's sign-in cookie opens nothing here (and needs no CSRF)."""

    def authenticate(self, request, token: str):
        found = api_token_authenticate(token)
        if found is None:
            return None  # ninja answers 401
        request.user = found.user  # the access helpers ask about request.user, as for a page
        # Messages meant for the person come in their language, as their pages and emails do.
        if found.user.language in LANGUAGE_CODES:
            translation.activate(found.user.language)
            request.LANGUAGE_CODE = found.user.language
        _refuse_null_characters(request)
        return found


def _refuse_null_characters(request) -> None:
    """A NUL character in a query value or the body: 422, as the browser's forms refuse it (PostgreSQL cannot
    store or compare one, and would answer with an error the person cannot act on)."""
    where = [key for key, values in request.GET.lists() if any("\x00" in v for v in values)]
    body = request.body or b""
    if b"\x00" in body or b"\\u0000" in body:
        where.append("body")
    if where:
        raise FormInvalid([{"loc": ["query" if w != "body" else "body", w], "msg": gettext("Null characters are not allowed."),
                            "type": "null_characters"} for w in where])
