"""Personal access tokens: created and revoked by their owner (both audited), and checked on each API request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from api.models import ApiToken
from members.audit import AuditText, audit_record

# Every token starts with this, so a leaked one is recognisable (secret scanners, logs) as ours.
TOKEN_PREFIX = "lgp_"
# The prefix and this many characters of the secret are kept in clear, to tell a person's tokens apart.
SHOWN_CHARACTERS = len(TOKEN_PREFIX) + 8
# How long a token may live: the person chooses, at most a year; a token for ever is a key nobody remembers.
EXPIRY_DAYS = (7, 30, 90, 365)
MAX_EXPIRY_DAYS = 365
# Tokens a person may hold at once (revoked and expired ones aside).
MAX_ACTIVE_TOKENS = 20
# last_used_at is written at most this often: a token used in a loop must not write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_tokens(user):
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now())


@transaction.atomic
def api_token_create(*, user, name: str, scope: str, days: int) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the token itself, which is never stored nor shown again."""
    name = name.strip()
    errors = {}
    if not name:
        errors["name"] = _("Say what the token is for.")
    if scope not in ApiToken.Scope.values:
        errors["scope"] = _("Choose read only, or read and write.")
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        errors["days"] = _("A token expires within a year.")
    if errors:
        raise ValidationError(errors)
    # The person's row, locked: two creations at once cannot both pass the limit.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if active_tokens(user).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            _("You already have %(count)d active tokens: revoke one you no longer use first.")
            % {"count": MAX_ACTIVE_TOKENS}
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=secret[:SHOWN_CHARACTERS], token_hash=token_hash(secret),
        scope=scope, created_at=now, expires_at=now + timedelta(days=days),
    )
    audit_record(
        actor=user, action="api_token.created", target=token,
        summary=AuditText(gettext_noop("Personal access token “%(name)s” (%(prefix)s…) created"), name=token.name,
                          prefix=token.prefix),
        after={"name": token.name, "prefix": token.prefix, "scope": token.scope, "expires_at": token.expires_at},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by) -> ApiToken:
    """The owner revokes a token: from now on it is refused. Revoking twice changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.user_id != by.pk:
        raise PermissionDenied("Only the token's owner may revoke it.")
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=by, action="api_token.revoked", target=token,
        summary=AuditText(gettext_noop("Personal access token “%(name)s” (%(prefix)s…) revoked"), name=token.name,
                          prefix=token.prefix),
        before={"revoked_at": None}, after={"revoked_at": token.revoked_at},
    )
    return token


def api_token_authenticate(secret: str) -> ApiToken | None:
    """The usable token behind `secret`, with its user, or None (unknown, revoked, expired, inactive account).

    Only the hash is looked up, so no comparison of secrets can leak through timing. Its use is
    recorded to the minute.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=token_hash(secret)).first()
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
