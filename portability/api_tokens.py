"""The API's personal access tokens, seen from here: the `api` app may not be installed, and its model is found, not imported.

Retention prunes expired and revoked tokens, a person's data export lists their tokens' metadata, and an
account's erasure deletes them, all only when `api` is installed. Its token model is the one with a
`user` and an `expires_at` field; a field holding the token's hash or secret is never exported.
"""

from __future__ import annotations

from django.apps import apps

HIDDEN_WORDS = ("hash", "secret", "digest")
HIDDEN_NAMES = {"token", "key"}


def token_model():
    """The installed token model, or None."""
    if not apps.is_installed("api"):
        return None
    for model in apps.get_app_config("api").get_models():
        names = {f.name for f in model._meta.concrete_fields}
        if {"user", "expires_at"} <= names:
            return model
    return None


def shown_fields(model) -> list[str]:
    """The fields a person's export shows of a token: everything but what would let it be used."""
    return [
        f.attname for f in model._meta.concrete_fields
        if f.name != "user" and f.name not in HIDDEN_NAMES and not any(w in f.name for w in HIDDEN_WORDS)
    ]


def tokens_of(user) -> list[dict]:
    model = token_model()
    if model is None:
        return []
    return list(model.objects.filter(user=user).order_by("pk").values(*shown_fields(model)))
