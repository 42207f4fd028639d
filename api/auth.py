"""`Authorization: Bearer <token>` for every API operation: the token's person becomes the request's user."""

from __future__ import annotations

from django.utils import translation
from ninja.security import HttpBearer

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
        return found
