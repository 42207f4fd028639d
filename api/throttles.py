"""The API's rate limit: so many requests per token per period (settings.API_RATE_LIMIT), counted in the cache.

A fixed window per token: one atomic increment per request in the shared cache (Redis in production),
so every web process counts the same requests, and a refused request learns from Retry-After when
the window ends.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja.throttling import BaseThrottle

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """"120/m" → (120, 60): requests allowed, and the window in seconds."""
    count, _slash, unit = rate.partition("/")
    if not count.isdigit() or int(count) < 1 or unit not in PERIODS:
        raise ImproperlyConfigured(f"API_RATE_LIMIT must look like 120/m (per s, m, h or d), not {rate!r}")
    return int(count), PERIODS[unit]


def rate_limit_words() -> str:
    """The limit as the token page and the docs say it: "120 requests a minute"."""
    count, seconds = parse_rate(settings.API_RATE_LIMIT)
    per = {1: _("a second"), 60: _("a minute"), 3600: _("an hour"), 86400: _("a day")}[seconds]
    return ngettext("%(count)d request %(per)s", "%(count)d requests %(per)s", count) % {"count": count, "per": per}


class TokenRateThrottle(BaseThrottle):
    """Counts each token's requests in fixed windows aligned to the clock; over the limit, 429 until the next one."""

    def allow_request(self, request) -> bool:
        token = getattr(request, "auth", None)
        if token is None:
            return True  # only authenticated requests reach a throttle; nothing to count otherwise
        limit, seconds = parse_rate(settings.API_RATE_LIMIT)
        key = f"api-rate:{token.pk}:{int(time.time() // seconds)}"
        cache.add(key, 0, timeout=seconds + 5)
        try:
            used = cache.incr(key)
        except ValueError:  # the window's key expired between add and incr: a new window, this its first request
            cache.set(key, 1, timeout=seconds + 5)
            used = 1
        return used <= limit

    def wait(self) -> float:
        """Seconds until the current window ends (stateless: the windows are aligned to the clock)."""
        _limit, seconds = parse_rate(settings.API_RATE_LIMIT)
        return seconds - (time.time() % seconds)
