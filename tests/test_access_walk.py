"""Walk every URL of the project: outsiders get 404, anonymous users sign in, roles per the matrix."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access_matrix import DEBUG_ONLY, IN_CHAPTER, OUTSIDERS, PUBLIC, THIRD_PARTY_PREFIXES, all_routes

ROUTES = all_routes()


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
        if name not in ROUTES and name not in PUBLIC and name not in DEBUG_ONLY
        and not name.startswith(THIRD_PARTY_PREFIXES)
    )
    assert not missing, f"URLs with no access rule in tests/<app>/access.py: {missing}"


def test_matrix_lists_no_url_that_does_not_exist():
    assert not sorted(set(ROUTES) - set(PATTERNS))


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
