"""The permission matrix: every URL of the project, who may use it, and how to call it.

Each app lists its routes in `tests/<app>/access.py` as `ROUTES = {url_name: Route(...)}`, and the
REST API's operations as `API_ROUTES = {url_name: ApiRoute(...)}` (tests/api/access.py).
`tests/test_access_walk.py` walks every URL pattern of the project and fails for one that is in
neither a ROUTES / API_ROUTES table nor PUBLIC / API_PUBLIC / THIRD_PARTY below, so new pages and
new API operations are covered automatically.
"""

from __future__ import annotations

import importlib
import json
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


@dataclass(frozen=True)
class ApiRoute:
    """An operation of the REST API: who may call it with a token (read and write), and how.

    `body` is the JSON sent to a write (any method but GET), valid for every allowed persona.
    """

    allowed: frozenset[str]
    kwargs: Callable = field(default=lambda p: {})
    method: str = "get"
    body: Callable = field(default=lambda p: None)
    chapter_scoped: bool = True

    @property
    def writes(self) -> bool:
        return self.method != "get"


# URLs anyone may open, signed in or not.
PUBLIC = {
    "healthz",
    "invitation-accept",
    "calendar-feed",  # token-authenticated iCalendar feed (meetings)
    "referral-consent",  # the prospect's consent link: the token is the only key
    "switch-language",  # the language switcher: anyone (a signed-in person's choice is saved on the account)
    "javascript-catalog",  # the JavaScript translations: the same words for everyone
    "notification-unsubscribe",  # an email's List-Unsubscribe link: the signed token is the only key
}
# The API's schema and its documentation page are public (they describe, and hold no data); its root
# answers 404 (it only anchors the operations' addresses).
API_PUBLIC = {"api-v1:openapi-json", "api-v1:openapi-view", "api-v1:api-root"}
# URLs that exist only with DEBUG on (development tools): 404 for everyone otherwise, which
# tests/ops/test_dev_outbox.py checks along with who may use them in development.
DEBUG_ONLY = {"ops:dev-outbox", "ops:dev-outbox-detail", "ops:dev-outbox-html"}
# Third-party URL names with their own access control (Django admin: is_staff; allauth's
# account pages: sign-in, sign-out, password reset and email confirmation).
THIRD_PARTY_PREFIXES = ("admin:", "account_")


def _collect(table: str) -> dict:
    import tests

    routes: dict = {}
    for info in pkgutil.iter_modules(tests.__path__):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"tests.{info.name}.access")
        except ModuleNotFoundError:
            continue
        found = getattr(module, table, {})
        clash = routes.keys() & found.keys()
        assert not clash, f"routes listed twice: {clash}"
        routes.update(found)
    return routes


def all_routes() -> dict[str, Route]:
    return _collect("ROUTES")


def all_api_routes() -> dict[str, ApiRoute]:
    return _collect("API_ROUTES")


def api_request(client, personas, name: str, who: str, *, scope: str = "write", chapter=None, kwargs=None):
    """Call an API operation of the matrix as `who`, with a fresh token of `scope` (none for "anon")."""
    from django.urls import reverse

    from api.services import api_token_create

    rule = all_api_routes()[name]
    kwargs = rule.kwargs(personas) if kwargs is None else kwargs
    if rule.chapter_scoped:
        kwargs = {"chapter_slug": (chapter or personas.chapter).slug, **kwargs}
    headers = {}
    user = personas.user(who)
    if user is not None:
        _, secret = api_token_create(user=user, name="matrix", scope=scope, days=7)
        headers["Authorization"] = f"Bearer {secret}"
    body = json.dumps(rule.body(personas)) if rule.writes else ""
    return client.generic(rule.method.upper(), reverse(name, kwargs=kwargs), data=body,
                          content_type="application/json", headers=headers)
