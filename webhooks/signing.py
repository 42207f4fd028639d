"""How a delivery is signed, and how a receiver checks it (README "Webhooks" shows the same in a few lines).

The signature is HMAC-SHA256, keyed with the endpoint's secret, of the timestamp, a dot and the exact
body bytes: `X-Leadsgroups-Signature: sha256=<hex>`. The timestamp (Unix seconds, sent as
`X-Leadsgroups-Timestamp`) is part of what is signed, so a receiver that refuses old timestamps also
refuses a captured request replayed later; each try is signed afresh with its own time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

SIGNATURE_HEADER = "X-Leadsgroups-Signature"
TIMESTAMP_HEADER = "X-Leadsgroups-Timestamp"
EVENT_HEADER = "X-Leadsgroups-Event"
DELIVERY_HEADER = "X-Leadsgroups-Delivery"
SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


def secret_make() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body_bytes(envelope: dict) -> bytes:
    """The JSON body, the same bytes for the same delivery on every try (sorted keys, no spaces)."""
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(*, secret: str, event: str, delivery_id: str, body: bytes, now: float | None = None) -> dict:
    timestamp = int(now if now is not None else time.time())
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Leadsgroups-Webhooks/1",
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret=secret, timestamp=timestamp, body=body),
    }


def signature_verify(*, secret: str, headers: dict, body: bytes, now: float | None = None,
                     tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: the signature matches the body and the timestamp is recent."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        timestamp = int(lowered.get(TIMESTAMP_HEADER.lower(), ""))
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, lowered.get(SIGNATURE_HEADER.lower(), ""))
