"""Webhook secrets at rest: encrypted with Fernet, under keys from settings, so a database dump does not sign.

An HMAC needs the key itself (a hash, as for API tokens, would not do), so each endpoint's secret is kept
encrypted: `WEBHOOK_SECRET_KEYS` lists Fernet keys, the first encrypts and every one decrypts (MultiFernet),
so a new key goes first, `manage.py webhook_secrets_rotate` re-encrypts every row under it, and the old
key can then be dropped. Unset, one key is derived from SECRET_KEY (HKDF-SHA256), and keys derived from
SECRET_KEY_FALLBACKS still decrypt, so rotating SECRET_KEY the Django way keeps the secrets readable
(run the rotate command before dropping the fallback). `make run` needs nothing.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte 0x80, then a 64-bit timestamp)


class SecretUndecryptable(Exception):
    """No key of WEBHOOK_SECRET_KEYS (or derived from SECRET_KEY) opens a stored secret."""


def derived_key(secret_key: str) -> bytes:
    """The Fernet key a SECRET_KEY stands for when WEBHOOK_SECRET_KEYS is unset."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"leadsgroups webhook secrets")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


def configured_keys() -> tuple[bytes, ...]:
    """The keys in order of use: the first encrypts, all decrypt."""
    keys = [k.strip() for k in getattr(settings, "WEBHOOK_SECRET_KEYS", None) or [] if k.strip()]
    if keys:
        return tuple(k.encode() for k in keys)
    return tuple(derived_key(k) for k in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])])


@lru_cache(maxsize=8)
def _box(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def box() -> MultiFernet:
    return _box(configured_keys())


def encrypt(plain: str) -> str:
    return box().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return box().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUndecryptable(
            "A webhook secret cannot be decrypted with WEBHOOK_SECRET_KEYS (or the key derived from SECRET_KEY): "
            "put the key it was encrypted with back in the list, or make the endpoint a new secret."
        ) from exc


def rotate(token: str) -> str:
    """The same secret encrypted under the first key (MultiFernet.rotate)."""
    return box().rotate(token.encode()).decode()


def keys_check(app_configs=None, **kwargs) -> list:
    """System check: every key of WEBHOOK_SECRET_KEYS is a Fernet key (32 url-safe base64 bytes)."""
    from django.core.checks import Error

    errors = []
    for position, key in enumerate(getattr(settings, "WEBHOOK_SECRET_KEYS", None) or [], start=1):
        try:
            Fernet(key.strip().encode())
        except (ValueError, TypeError):
            errors.append(Error(
                f"WEBHOOK_SECRET_KEYS: key {position} is not a Fernet key.",
                hint="Make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
                id="webhooks.E001",
            ))
    return errors


class EncryptedSecretField(models.TextField):
    """A text column holding a Fernet token; Python code reads and writes the plain secret.

    Lookups cannot match it (each encryption differs), and pages load endpoints with the column deferred,
    so a secret is decrypted only to sign a delivery.
    """

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value is None else encrypt(value)
