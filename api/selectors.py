"""Reads of the token page."""

from __future__ import annotations

from api.models import ApiToken


def api_tokens_of(*, user):
    """A person's tokens, newest first: active ones and those revoked or expired (for their last use)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
