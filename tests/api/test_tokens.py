"""Personal access tokens: created and revoked by their owner, shown once, kept hashed, expiring, scoped, limited."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from api.models import ApiToken
from api.services import MAX_ACTIVE_TOKENS, api_token_create, api_token_revoke
from members.models import AuditEvent
from tests.api.conftest import url

NOW = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
TOKEN_RE = re.compile(r"lgp_[A-Za-z0-9_-]{43}")


def _create(client, **data):
    return client.post(reverse("api:tokens"), {"name": "CRM sync", "scope": "read", "days": 90, **data})


def test_a_new_token_is_shown_once_and_only_its_hash_is_kept(client, personas):
    client.force_login(personas.member.user)
    response = _create(client)
    assert response.status_code == 200
    secret = TOKEN_RE.search(response.content.decode())[0]
    token = ApiToken.objects.get(user=personas.member.user)
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12] and secret not in (token.name, token.prefix)
    assert "no-store" in response["Cache-Control"]  # the page holding the secret is never kept by a cache
    again = client.get(reverse("api:tokens")).content.decode()
    assert secret not in again and f"{token.prefix}…" in again and "CRM sync" in again


def test_the_token_works_as_a_bearer_and_says_whose_it_is(client, personas, api):
    client.force_login(personas.member.user)
    secret = TOKEN_RE.search(_create(client).content.decode())[0]
    client.logout()
    me = api.get(url("me"), secret).json()
    assert me["email"] == personas.member.user.email
    assert me["token"] == {"name": "CRM sync", "prefix": secret[:12], "scope": "read",
                           "expires_at": me["token"]["expires_at"]}


@time_machine.travel(NOW, tick=False)
def test_expiry_is_chosen_up_to_a_year_and_refused_beyond(client, personas):
    client.force_login(personas.member.user)
    _create(client, days=365)
    assert ApiToken.objects.get().expires_at == NOW + timedelta(days=365)
    response = _create(client, days=400)
    assert response.status_code == 422 and ApiToken.objects.count() == 1
    with pytest.raises(ValidationError) as refused:
        api_token_create(user=personas.member.user, name="Forever", scope="read", days=366)
    assert "days" in refused.value.message_dict


def test_an_expired_token_is_refused(personas, api):
    with time_machine.travel(NOW, tick=False):
        secret = api.token(personas.member, days=7)
        assert api.get(url("me"), secret).status_code == 200
    with time_machine.travel(NOW + timedelta(days=7, seconds=1), tick=False):
        response = api.get(url("me"), secret)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")


def test_creation_and_revocation_are_audited_and_a_revoked_token_is_refused(client, personas, api):
    secret = api.token(personas.member, name="Zapier")
    client.force_login(personas.member.user)
    token = ApiToken.objects.get(user=personas.member.user)
    response = client.post(reverse("api:token-revoke", args=[token.pk]))
    assert response.status_code == 302
    events = AuditEvent.objects.filter(target_type="api.apitoken", target_id=str(token.pk)).order_by("created_at", "pk")
    assert [e.action for e in events] == ["api_token.created", "api_token.revoked"]
    assert {e.actor_id for e in events} == {personas.member.user.pk}
    assert events[0].after["scope"] == "write" and events[0].after["prefix"] == token.prefix
    assert secret not in str(events[0].after) and token.token_hash not in str(events[0].after)
    assert api.get(url("me"), secret).status_code == 401


def test_revoking_twice_changes_nothing(personas, api):
    api.token(personas.member)
    token = ApiToken.objects.get()
    first = api_token_revoke(token=token, by=personas.member.user).revoked_at
    assert api_token_revoke(token=token, by=personas.member.user).revoked_at == first
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1


def test_nobody_else_can_revoke_a_token(client, personas, api):
    secret = api.token(personas.member)
    token = ApiToken.objects.get()
    client.force_login(personas.president.user)
    assert client.post(reverse("api:token-revoke", args=[token.pk])).status_code == 404
    assert api.get(url("me"), secret).status_code == 200


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer lgp_not-a-real-token", "Basic dXNlcjpwYXNz", "Token abc"])
def test_a_missing_unknown_or_malformed_token_is_401(personas, api, header):
    response = api.get(url("me"), headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]


def test_a_deactivated_account_s_token_is_refused(personas, api):
    secret = api.token(personas.member)
    personas.member.user.is_active = False
    personas.member.user.save(update_fields=["is_active"])
    assert api.get(url("me"), secret).status_code == 401


def test_last_use_is_recorded_to_the_minute(personas, api, django_assert_num_queries):
    with time_machine.travel(NOW, tick=False):
        secret = api.token(personas.member)
        api.get(url("me"), secret)
        assert ApiToken.objects.get().last_used_at == NOW
        with django_assert_num_queries(1):  # the token and its user: no write within the minute
            api.get(url("me"), secret)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        api.get(url("me"), secret)
    assert ApiToken.objects.get().last_used_at == NOW + timedelta(minutes=5)


def test_the_page_lists_tokens_with_their_state(client, personas, api):
    with time_machine.travel(NOW - timedelta(days=40), tick=False):
        api.token(personas.member, name="Old script", days=30)
    api.token(personas.member, name="Revoked one")
    api_token_revoke(token=ApiToken.objects.get(name="Revoked one"), by=personas.member.user)
    api.token(personas.member, name="Live one")
    api.token(personas.president, name="Not mine")
    client.force_login(personas.member.user)
    html = client.get(reverse("api:tokens")).content.decode()
    assert "Old script" in html and "expired" in html and "Revoked one" in html and "revoked" in html
    assert "Not mine" not in html
    assert html.count('action="/profile/api-tokens/') == 1  # only the live token can be revoked


def test_a_person_holds_a_limited_number_of_active_tokens(client, personas):
    for n in range(MAX_ACTIVE_TOKENS):
        api_token_create(user=personas.member.user, name=f"t{n}", scope="read", days=7)
    with pytest.raises(ValidationError, match="revoke one"):
        api_token_create(user=personas.member.user, name="one more", scope="read", days=7)
    client.force_login(personas.member.user)
    response = _create(client, name="one more")
    assert response.status_code == 422 and "You already have 20 active tokens" in response.content.decode()
    api_token_revoke(token=ApiToken.objects.first(), by=personas.member.user)
    assert _create(client, name="one more").status_code == 200


def test_the_profile_leads_to_the_token_page(client, personas):
    client.force_login(personas.member.user)
    html = client.get(reverse("profile")).content.decode()
    assert f'href="{reverse("api:tokens")}"' in html


# Rate limit ---------------------------------------------------------------------------------------


def test_each_token_is_rate_limited_with_retry_after(settings, personas, api):
    settings.API_RATE_LIMIT = "3/m"
    with time_machine.travel(datetime(2026, 3, 4, 9, 30, 15, tzinfo=UTC), tick=False):
        secret, other = api.token(personas.member), api.token(personas.member)
        assert [api.get(url("me"), secret).status_code for _ in range(3)] == [200, 200, 200]
        refused = api.get(url("me"), secret)
        assert refused.status_code == 429
        assert refused["Retry-After"] == "45"  # the minute's window ends at 09:31:00
        assert api.get(url("me"), other).status_code == 200  # counted per token
    with time_machine.travel(datetime(2026, 3, 4, 9, 31, 1, tzinfo=UTC), tick=False):
        assert api.get(url("me"), secret).status_code == 200


def test_the_page_says_what_the_rate_limit_is(settings, client, personas):
    settings.API_RATE_LIMIT = "5000/h"
    client.force_login(personas.member.user)
    assert "5000 requests an hour" in client.get(reverse("api:tokens")).content.decode()


# In the reader's language ---------------------------------------------------------------------------


@pytest.fixture
def german(personas):
    user = personas.member.user
    user.language = "de"
    user.save(update_fields=["language"])
    return personas.member


@time_machine.travel(NOW, tick=False)
def test_the_token_page_speaks_german(client, german, api):
    api.token(german, name="Tabelle", days=30)
    client.force_login(german.user)
    html = client.get(reverse("api:tokens")).content.decode()
    assert "API-Tokens" in html and "Token erstellen" in html and "Lesen und schreiben" in html
    assert "120 Anfragen pro Minute" in html
    assert "03.04.2026" in html  # expires 3 April 2026, in German


def test_api_messages_for_a_german_member_are_german(personas, german, api):
    read_only = api.token(german, scope="read")
    response = api.post(url("referral_create", personas.chapter), read_only,
                        body={"receiver_id": personas.member2.pk, "kind": "inside"})
    assert response.status_code == 403 and "Token" in response.json()["detail"]
    assert "darf nur lesen" in response.json()["detail"]
    anonymous = api.get(url("me"), headers={"Accept-Language": "de"})
    assert "Zugriffstoken" in anonymous.json()["detail"]


@pytest.mark.parametrize("rate", ["120", "0/m", "10/week", "ten/m"])
def test_a_malformed_rate_limit_is_refused(rate):
    from django.core.exceptions import ImproperlyConfigured

    from api.throttles import parse_rate

    with pytest.raises(ImproperlyConfigured):
        parse_rate(rate)
