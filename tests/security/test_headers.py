"""Every URL pattern of the project answers with the security headers, and pages with prospect data are not stored.

The walk requests every named URL: the app's pages from the permission matrix (tests/<app>/access.py,
as every persona allowed there, POSTs also as htmx does), the REST API's operations (with a token of
each persona allowed, and without one) and its schema and docs page, the public ones (token links, health),
every Django admin page of every registered model, and allauth's account pages. Each response must
carry the Content-Security-Policy (no 'unsafe-inline'), Permissions-Policy, Referrer-Policy and
nosniff, and each page must hold no inline script, style or handler. A response showing a
prospect's name, email or phone must be `Cache-Control: private, no-store`.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from members.models import OutboundEmail
from referrals import services as referral_services
from tests.access_matrix import (
    API_PUBLIC,
    DEBUG_ONLY,
    PUBLIC,
    THIRD_PARTY_PREFIXES,
    all_api_routes,
    all_routes,
    api_request,
)
from tests.factories import UserFactory
from tests.referrals.factories import ReferralFactory
from tests.security.headers import carries_prospect, not_stored, page_problems

ROUTES = all_routes()
API_ROUTES = all_api_routes()


def _walk(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
        elif isinstance(p, URLPattern) and p.name:
            params = list(getattr(p.pattern, "converters", {})) or list(p.pattern.regex.groupindex)
            yield f"{namespace}{p.name}", params


URL_PARAMS = dict(_walk(get_resolver().url_patterns))
ADMIN_MODELS = {f"{m._meta.app_label}_{m._meta.model_name}": m for m in admin.site._registry}
# Admin URL names of one model (changelist, add, change, history, delete, and the user's password page).
ADMIN_MODEL_NAMES = {
    name: next(key for key in ADMIN_MODELS if name.startswith(f"admin:{key}_"))
    for name in URL_PARAMS
    if name.startswith("admin:") and any(name.startswith(f"admin:{key}_") for key in ADMIN_MODELS)
}
ADMIN_SITE_NAMES = sorted(n for n in URL_PARAMS if n.startswith("admin:") and n not in ADMIN_MODEL_NAMES)
ACCOUNT_NAMES = sorted(n for n in URL_PARAMS if n.startswith("account_"))


def test_the_walk_requests_every_url_pattern():
    walked = (set(ROUTES) | PUBLIC | DEBUG_ONLY | set(API_ROUTES) | API_PUBLIC | set(ADMIN_MODEL_NAMES)
              | set(ADMIN_SITE_NAMES) | set(ACCOUNT_NAMES))
    assert set(URL_PARAMS) == walked
    assert all(name.startswith(THIRD_PARTY_PREFIXES)
               for name in walked - set(ROUTES) - PUBLIC - DEBUG_ONLY - set(API_ROUTES) - API_PUBLIC)


@pytest.fixture
def walk_data(personas, django_capture_on_commit_callbacks):
    """A referral member → president (so lists, detail and export show its prospect), its consent email failed."""
    referral = ReferralFactory(giver=personas.member, receiver=personas.president, consent="not_asked",
                               notes="call after 5")
    with django_capture_on_commit_callbacks(execute=False):
        _, link = referral_services.consent_request_send(referral=referral, by=personas.member)
    OutboundEmail.objects.filter(consent_request__referral=referral).update(status="failed", attempts=6)
    return {"referral": referral, "consent_link": link}


def _matrix_request(client, personas, name, who, htmx=False):
    rule = ROUTES[name]
    client.logout()
    personas.login(client, who)
    kwargs = rule.kwargs(personas)
    if rule.chapter_scoped:
        kwargs = {"chapter_slug": personas.chapter.slug, **kwargs}
    url = reverse(name, kwargs=kwargs)
    headers = {"HX-Request": "true"} if htmx else {}
    if rule.method == "post":
        return client.post(url, rule.data(personas), headers=headers)
    return client.get(url, headers=headers)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_app_pages_send_the_headers_and_keep_prospect_data_out_of_caches(client, personas, walk_data, name):
    rule = ROUTES[name]
    problems = []
    for who in sorted(rule.allowed):
        for htmx in (False, True) if rule.method == "post" else (False,):
            with transaction.atomic():  # each persona meets the route's objects as the matrix made them
                response = _matrix_request(client, personas, name, who, htmx=htmx)
                transaction.set_rollback(True)
            label = f"{who}{' (htmx)' if htmx else ''} → {response.status_code}"
            problems += [f"{label}: {p}" for p in page_problems(response)]
            if carries_prospect(response) and not not_stored(response):
                problems.append(f"{label}: prospect data sent with Cache-Control {response.get('Cache-Control')!r}")
    anon = _matrix_request(client, personas, name, "anon")  # the sign-in redirect too
    problems += [f"anon: {p}" for p in page_problems(anon)]
    assert not problems, f"{name}: {problems}"


@pytest.mark.parametrize("name", sorted(API_ROUTES))
def test_api_operations_send_the_headers_and_are_never_stored(client, personas, walk_data, name):
    """Every answer of the API carries personal data (or a refusal): the headers, and no cache may keep it."""
    problems = []
    for who in [*sorted(API_ROUTES[name].allowed), "anon"]:
        with transaction.atomic():
            response = api_request(client, personas, name, who)
            transaction.set_rollback(True)
        label = f"{who} → {response.status_code}"
        problems += [f"{label}: {p}" for p in page_problems(response)]
        if not not_stored(response):
            problems.append(f"{label}: Cache-Control {response.get('Cache-Control')!r}")
    assert not problems, f"{name}: {problems}"


@pytest.mark.parametrize("name", sorted(API_PUBLIC))
def test_api_schema_and_docs_send_the_headers(client, name):
    """The docs page (Swagger UI from django-ninja's own static files) holds no inline script or style."""
    response = client.get(reverse(name))
    assert response.status_code == (404 if name == "api-v1:api-root" else 200)
    assert not page_problems(response), page_problems(response)


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def _public_url(name, personas, walk_data) -> str:
    if name == "referral-consent":
        return _path(walk_data["consent_link"])
    if name == "calendar-feed":
        from meetings.services import calendar_feed_for

        return reverse(name, kwargs={"token": calendar_feed_for(user=personas.member.user).token})
    if name == "notification-unsubscribe":
        from members.delivery import unsubscribe_token

        return reverse(name, args=[unsubscribe_token(user_id=personas.member.user.pk, kind="referral_updated")])
    if name == "invitation-accept":
        from members.services import invitation_create

        _, link = invitation_create(chapter=personas.chapter, email="newcomer@example.com", full_name="New Comer",
                                    role="member", classification=None, invited_by=personas.president.user)
        return _path(link)
    if name == "javascript-catalog":
        from leadsgroups.i18n import catalogue_url

        return catalogue_url("de")
    return reverse(name)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_pages_send_the_headers(client, personas, walk_data, name):
    url = _public_url(name, personas, walk_data)
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert not page_problems(response), (name, method, response.status_code, page_problems(response))
        if carries_prospect(response):
            assert not_stored(response)


def test_the_consent_page_is_not_stored(client, personas, walk_data):
    """It names no prospect, but says who passed this person's details to whom."""
    response = client.get(_public_url("referral-consent", personas, walk_data))
    assert response.status_code == 200 and b"Mona Member" in response.content
    assert not_stored(response)


# The Django admin -------------------------------------------------------------------------------


@pytest.fixture
def superuser(client, walk_data):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _admin_kwargs(params, *, user, model=None) -> dict:
    referral = ReferralFactory._meta.model.objects.order_by("pk").first()
    values = {}
    for param in params:
        if param == "object_id":  # a row of the model's own list, or the referral (view on site)
            obj = model._default_manager.order_by("pk").first() if model is not None else referral
            values[param] = obj.pk if obj is not None else 1
        elif param == "id":  # the user admin's password page
            values[param] = user.pk
        elif param == "app_label":
            values[param] = "referrals"
        elif param == "content_type_id":
            values[param] = ContentType.objects.get_for_model(referral).pk
        else:
            values[param] = 1
    return values


@pytest.mark.parametrize("key", sorted(ADMIN_MODELS))
def test_admin_pages_of_every_model_send_the_headers_and_are_not_stored(client, superuser, key):
    model = ADMIN_MODELS[key]
    problems = []
    for name in sorted(n for n, k in ADMIN_MODEL_NAMES.items() if k == key):
        url = reverse(name, kwargs=_admin_kwargs(URL_PARAMS[name], user=superuser, model=model))
        response = client.get(url)
        problems += [f"{url} → {response.status_code}: {p}" for p in page_problems(response)]
        # Every admin page the user may see (the admin site wraps its views in never_cache); a refusal shows nothing.
        if response.status_code < 400 and not not_stored(response):
            problems.append(f"{url}: Cache-Control {response.get('Cache-Control')!r}")
    assert not problems, problems


@pytest.mark.parametrize("name", ADMIN_SITE_NAMES)
def test_admin_site_pages_send_the_headers(client, superuser, name):
    url = reverse(name, kwargs=_admin_kwargs(URL_PARAMS[name], user=superuser))
    if name == "admin:autocomplete":
        url += "?app_label=referrals&model_name=referral&field_name=chapter&term=Home"
    response = client.get(url)
    assert response.status_code < 500
    assert not page_problems(response), (url, response.status_code, page_problems(response))


# allauth's account pages ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ACCOUNT_NAMES)
def test_account_pages_send_the_headers(client, personas, name):
    url = reverse(name, kwargs={param: "1" if param == "uidb36" else "x" for param in URL_PARAMS[name]})
    for who in ("anon", "member"):
        visitor = Client()
        personas.login(visitor, who)
        response = visitor.get(url)
        assert response.status_code < 500, (url, who)
        assert not page_problems(response), (url, who, response.status_code, page_problems(response))


# Pages about a prospect, by name: the walk above finds them by their content; these must stay so --


def _erasure_count(client, personas):
    client.force_login(personas.org_admin)
    return client.post(personas.url("referrals:erase-find"),
                       {"reference": "REQ-1", "contact": "petra@prospect.example", "action": "count"})


PROSPECT_PAGES = {
    "referral detail (giver)": ("member", lambda p, r: p.url("referrals:detail", r.pk)),
    "inbox (receiver)": ("president", lambda p, r: p.url("referrals:inbox")),
    "given referrals (giver)": ("member", lambda p, r: p.url("referrals:outbox")),
    "chapter's referrals (leadership)": ("vice_president", lambda p, r: p.url("referrals:chapter-list")),
    "CSV export (leadership)": ("president", lambda p, r: p.url("referrals:export")),
    "email outbox (organisation admin)": ("org_admin", lambda p, r: reverse("outbox") + "?show=all"),
}


@pytest.mark.parametrize("label", sorted(PROSPECT_PAGES))
def test_pages_known_to_show_a_prospect_show_it_and_are_not_stored(client, personas, walk_data, label):
    who, url = PROSPECT_PAGES[label]
    personas.login(client, who)
    response = client.get(url(personas, walk_data["referral"]))
    assert response.status_code == 200
    assert carries_prospect(response)  # so the walk's content test is not empty-handed
    assert not_stored(response)


def test_the_receivers_htmx_status_change_is_not_stored(client, personas, walk_data):
    personas.login(client, "president")
    response = client.post(personas.url("referrals:status", walk_data["referral"].pk), {"to": "accepted"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and carries_prospect(response) and not_stored(response)


def test_the_erasure_request_page_is_not_stored(client, personas, walk_data):
    response = _erasure_count(client, personas)
    assert response.status_code == 200 and b'value="petra@prospect.example"' in response.content
    assert not_stored(response) and not page_problems(response)


def test_admin_referral_pages_are_not_stored(client, superuser, walk_data):
    pk = walk_data["referral"].pk
    for url in (reverse("admin:referrals_referral_changelist"), reverse("admin:referrals_referral_change", args=[pk])):
        response = client.get(url)
        assert response.status_code == 200 and not_stored(response), url



def test_the_development_outbox_sends_the_headers_and_is_not_stored(settings, client, superuser, tmp_path):
    """/dev/outbox/ (DEBUG only) shows emails, consent requests to prospects among them: never stored; an
    email's HTML is shown under its own sandbox policy, which the middleware keeps."""
    from django.core.mail import EmailMultiAlternatives

    settings.DEBUG = True
    settings.EMAIL_BACKEND = "ops.dev_email.DevOutboxBackend"
    settings.DEV_OUTBOX_DIR = tmp_path / "dev-outbox"
    message = EmailMultiAlternatives(subject="Please confirm", body="Yusuf, confirm here", to=["yusuf@example.org"])
    message.attach_alternative('<p style="color: red">Yusuf, confirm here</p>', "text/html")
    message.send()
    name = next(settings.DEV_OUTBOX_DIR.glob("*.eml")).stem
    client.force_login(superuser)
    for url_name, args in (("ops:dev-outbox", []), ("ops:dev-outbox-detail", [name])):
        response = client.get(reverse(url_name, args=args))
        assert response.status_code == 200 and "yusuf@example.org" in response.content.decode()
        assert not page_problems(response), page_problems(response)
        assert not_stored(response)
    html = client.get(reverse("ops:dev-outbox-html", args=[name]))
    assert html["Content-Security-Policy"].startswith("sandbox") and not_stored(html)
