"""The permission matrix: every URL of the project, who may use it, and how to call it.

Each app lists its routes in `tests/<app>/access.py` as `ROUTES = {url_name: Route(...)}`.
`tests/test_access_walk.py` walks every URL pattern of the project and fails for one that is in
neither a ROUTES table nor PUBLIC / THIRD_PARTY below, so new pages are covered automatically.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

# Personas inside the chapter (see tests/conftest.py) and what they may reach.
IN_CHAPTER = ("member", "vice_president", "treasurer", "president", "region_staff", "org_admin")
MEMBERS = frozenset(IN_CHAPTER)
LEADERSHIP = frozenset({"vice_president", "treasurer", "president", "region_staff", "org_admin"})
OVERSIGHT = frozenset({"region_staff", "org_admin"})
# People who must get 404 for everything of the chapter.
OUTSIDERS = ("outsider", "other_region_staff")
SIGNED_IN = frozenset({*IN_CHAPTER, *OUTSIDERS})


@dataclass(frozen=True)
class Route:
    allowed: frozenset[str]
    kwargs: Callable = field(default=lambda p: {})  # extra URL kwargs, built from the personas
    method: str = "get"
    data: Callable = field(default=lambda p: {})  # POST body for an allowed persona
    chapter_scoped: bool = True


# URLs anyone may open, signed in or not.
PUBLIC = {
    "healthz",
    "invitation-accept",
    "calendar-feed",  # token-authenticated iCalendar feed (meetings)
    "referral-consent",  # the prospect's consent link: the token is the only key
    "switch-language",  # the language switcher: anyone (a signed-in person's choice is saved on the account)
    "javascript-catalog",  # the JavaScript translations: the same words for everyone
}
# URLs that exist only with DEBUG on (development tools): 404 for everyone otherwise, which
# tests/ops/test_dev_outbox.py checks along with who may use them in development.
DEBUG_ONLY = {"ops:dev-outbox", "ops:dev-outbox-detail", "ops:dev-outbox-html"}
# Third-party URL names with their own access control (Django admin: is_staff; allauth's
# account pages: sign-in, sign-out, password reset and email confirmation).
THIRD_PARTY_PREFIXES = ("admin:", "account_")


def all_routes() -> dict[str, Route]:
    import tests

    routes: dict[str, Route] = {}
    for info in pkgutil.iter_modules(tests.__path__):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"tests.{info.name}.access")
        except ModuleNotFoundError:
            continue
        clash = routes.keys() & module.ROUTES.keys()
        assert not clash, f"routes listed twice: {clash}"
        routes.update(module.ROUTES)
    return routes
