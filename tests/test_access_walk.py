"""Walk every URL of the project: outsiders get 404, anonymous users sign in, roles per the matrix.

The REST API's operations are walked the same way with tokens: outsiders 404, no token 401, a
read-only token 403 on every write, roles per tests/api/access.py.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access_matrix import (
    API_PUBLIC,
    DEBUG_ONLY,
    IN_CHAPTER,
    OUTSIDERS,
    PUBLIC,
    THIRD_PARTY_PREFIXES,
    all_api_routes,
    all_routes,
    api_request,
)

ROUTES = all_routes()
API_ROUTES = all_api_routes()


def _walk(patterns, namespace="", route=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, ns, route + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}", route + str(p.pattern), p.callback


PATTERNS = {name: (route, callback) for name, route, callback in _walk(get_resolver().url_patterns)}


def test_every_url_is_in_the_matrix_or_declared_public():
    missing = sorted(
        name for name in PATTERNS
        if name not in ROUTES and name not in API_ROUTES and name not in PUBLIC | API_PUBLIC | DEBUG_ONLY
        and not name.startswith(THIRD_PARTY_PREFIXES)
    )
    assert not missing, f"URLs with no access rule in tests/<app>/access.py: {missing}"


def test_matrix_lists_no_url_that_does_not_exist():
    assert not sorted((set(ROUTES) | set(API_ROUTES) | API_PUBLIC) - set(PATTERNS))


def test_chapter_urls_go_through_the_permissions_module():
    """Every /c/<chapter_slug>/ view is wrapped by chapters.access.chapter_view."""
    for name, (route, callback) in PATTERNS.items():
        if "<slug:chapter_slug>" in route:
            assert hasattr(callback, "chapter_need"), f"{name} is not wrapped by chapter_view"
            assert ROUTES[name].chapter_scoped, f"{name} is chapter-scoped but the matrix says global"


def _request(client, personas, name, who, chapter=None, kwargs=None):
    rule = ROUTES[name]
    personas.login(client, who)
    kwargs = rule.kwargs(personas) if kwargs is None else kwargs
    if rule.chapter_scoped:
        kwargs = {"chapter_slug": (chapter or personas.chapter).slug, **kwargs}
    url = reverse(name, kwargs=kwargs)
    if rule.method == "post":
        return client.post(url, rule.data(personas))
    return client.get(url)


CHAPTER_NAMES = sorted(n for n, r in ROUTES.items() if r.chapter_scoped)


@pytest.mark.parametrize("name", CHAPTER_NAMES)
@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404(client, personas, name, who):
    assert _request(client, personas, name, who).status_code == 404


# Chapter URLs that carry object ids besides the chapter's slug.
OBJECT_NAMES = [n for n in CHAPTER_NAMES if PATTERNS[n][0].count("<") > 1]


@pytest.mark.parametrize("name", OBJECT_NAMES)
def test_objects_of_a_chapter_are_not_reachable_through_another(client, personas, name):
    """A leader of the other chapter puts this chapter's object ids under their own slug."""
    kwargs = ROUTES[name].kwargs(personas)
    response = _request(client, personas, name, "outsider", chapter=personas.other_chapter, kwargs=kwargs)
    assert response.status_code == 404


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous_is_sent_to_sign_in(client, personas, name):
    response = _request(client, personas, name, "anon")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("name", sorted(ROUTES))
@pytest.mark.parametrize("who", [*IN_CHAPTER, *OUTSIDERS])
def test_permission_matrix(client, personas, name, who):
    rule = ROUTES[name]
    if rule.chapter_scoped and who in OUTSIDERS:
        return  # covered by test_outsiders_get_404
    status = _request(client, personas, name, who).status_code
    if who in rule.allowed:
        assert status not in (403, 404), f"{who} should reach {name}, got {status}"
        assert status < 500
    else:
        assert status in (403, 404), f"{who} must not reach {name}, got {status}"


# The REST API -------------------------------------------------------------------------------------


def _api_operations():
    """(URL name, path, method, view function) of every operation of /api/v1/."""
    from api.v1 import ROUTERS

    for router in ROUTERS:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for method in operation.methods:
                    yield f"api-v1:{operation.view_func.__name__}", path, method.lower(), operation.view_func


API_OPERATIONS = sorted(_api_operations(), key=lambda o: o[0])


def test_every_api_operation_is_in_the_matrix_as_it_is_declared():
    """Chapter operations go through chapters/access.py (api.access.chapter_endpoint); writes need the write scope."""
    assert {name for name, *_ in API_OPERATIONS} == set(API_ROUTES)
    for name, path, method, view in API_OPERATIONS:
        rule = API_ROUTES[name]
        assert rule.method == method, f"{name} is {method.upper()}, the matrix says {rule.method.upper()}"
        assert rule.chapter_scoped == ("{chapter_slug}" in path), name
        if rule.chapter_scoped:
            assert hasattr(view, "chapter_need"), f"{name} is not wrapped by api.access.chapter_endpoint"
        assert getattr(view, "writes", False) == rule.writes, f"{name}: a write must need the write scope, a read not"
        assert rule.chapter_scoped or not rule.writes, f"{name}: every write acts in a chapter"


API_CHAPTER_NAMES = sorted(n for n, r in API_ROUTES.items() if r.chapter_scoped)
API_OBJECT_NAMES = [n for n in API_CHAPTER_NAMES if PATTERNS[n][0].count("<") > 1]
API_WRITE_NAMES = sorted(n for n, r in API_ROUTES.items() if r.writes)


@pytest.mark.parametrize("name", API_CHAPTER_NAMES)
@pytest.mark.parametrize("who", OUTSIDERS)
def test_api_outsiders_get_404(client, personas, name, who):
    assert api_request(client, personas, name, who).status_code == 404


@pytest.mark.parametrize("name", API_OBJECT_NAMES)
def test_api_objects_of_a_chapter_are_not_reachable_through_another(client, personas, name):
    """The president of the other chapter puts this chapter's object ids under their own slug."""
    kwargs = API_ROUTES[name].kwargs(personas)
    response = api_request(client, personas, name, "outsider", chapter=personas.other_chapter, kwargs=kwargs)
    assert response.status_code == 404


@pytest.mark.parametrize("name", sorted(API_ROUTES))
def test_api_without_a_token_is_401(client, personas, name):
    response = api_request(client, personas, name, "anon")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("name", sorted(API_ROUTES))
def test_api_ignores_a_signed_in_session(client, personas, name):
    """The browser's session cookie opens nothing: only a token does (so no request can be forged from a page)."""
    client.force_login(personas.org_admin)
    assert api_request(client, personas, name, "anon").status_code == 401


@pytest.mark.parametrize("name", API_WRITE_NAMES)
@pytest.mark.parametrize("who", IN_CHAPTER)
def test_api_read_only_token_cannot_write(client, personas, name, who):
    response = api_request(client, personas, name, who, scope="read")
    assert response.status_code == 403
    assert "read" in response.json()["detail"]


@pytest.mark.parametrize("name", sorted(API_ROUTES))
@pytest.mark.parametrize("who", [*IN_CHAPTER, *OUTSIDERS])
def test_api_permission_matrix(client, personas, name, who):
    rule = API_ROUTES[name]
    if rule.chapter_scoped and who in OUTSIDERS:
        return  # covered by test_api_outsiders_get_404
    response = api_request(client, personas, name, who)
    if who in rule.allowed:
        assert 200 <= response.status_code < 300, f"{who} should reach {name}, got {response.status_code}: " \
                                                  f"{response.content[:300]!r}"
    else:  # inside the chapter a lacking role is told so (403); outsiders were 404 above
        assert response.status_code == 403, f"{who} must not reach {name}, got {response.status_code}"
