"""Leadership's webhook pages: register (the secret shown once), deliveries with their status, send again, remove."""

import pytest
from django.utils import timezone

from members.models import AuditEvent
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db
PUBLIC = "https://93.184.215.14/leadsgroups"


def _register(client, p, **data):
    p.login(client, "president")
    return client.post(p.url("webhooks:list"), {"url": PUBLIC, "events": ["referral.given", "fine.issued"],
                                                 "description": "CRM", "is_active": "on", **data})


def test_registering_shows_the_secret_once(client, personas):
    response = _register(client, personas)
    endpoint = WebhookEndpoint.objects.get()
    html = response.content.decode()
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in html
    assert endpoint.events == ["referral.given", "fine.issued"]
    assert endpoint.secret not in client.get(personas.url("webhooks:detail", endpoint.pk)).content.decode()
    assert endpoint.secret not in client.get(personas.url("webhooks:list")).content.decode()
    assert AuditEvent.objects.filter(action="webhook.created", chapter=personas.chapter).count() == 1


def test_a_private_address_is_refused_with_the_reason(client, personas):
    response = _register(client, personas, url="https://192.168.0.10/hook")
    assert "private or local address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_no_event_chosen_is_refused(client, personas):
    response = _register(client, personas, events=[])
    assert response.status_code == 200 and not WebhookEndpoint.objects.exists()
    assert "This field is required." in response.content.decode()


def test_deliveries_are_listed_with_their_status(client, personas):
    endpoint = WebhookEndpoint.objects.create(chapter=personas.chapter, url=PUBLIC, events=["referral.given"], secret="s")
    queued = WebhookDelivery.objects.create(endpoint=endpoint, event="referral.given", dedupe_key="a", payload={"n": 1})
    sent = WebhookDelivery.objects.create(endpoint=endpoint, event="referral.given", dedupe_key="b", payload={},
                                          status="sent", attempts=1, sent_at=timezone.now(), last_response_code=200)
    failed = WebhookDelivery.objects.create(endpoint=endpoint, event="referral.given", dedupe_key="c", payload={},
                                            status="failed", attempts=8, last_response_code=500, last_error="HTTP 500")
    personas.login(client, "vice_president")
    html = client.get(personas.url("webhooks:detail", endpoint.pk)).content.decode()

    def row(d):
        return html.split(f'id="delivery-{d.pk}"', 1)[1].split("</tr>", 1)[0]

    assert "Queued" in row(queued) and "Send again" not in row(queued)
    assert "Sent" in row(sent) and "HTTP 200" in row(sent) and "Send again" in row(sent)
    assert "Failed" in row(failed) and "HTTP 500" in row(failed) and "Send again" in row(failed)


def test_send_again_queues_a_finished_delivery(client, personas):
    endpoint = WebhookEndpoint.objects.create(chapter=personas.chapter, url=PUBLIC, events=["referral.given"], secret="s")
    d = WebhookDelivery.objects.create(endpoint=endpoint, event="referral.given", dedupe_key="a", payload={},
                                       status="failed", attempts=8, last_error="HTTP 500")
    personas.login(client, "treasurer")
    response = client.post(personas.url("webhooks:resend", endpoint.pk, d.pk))
    assert response.status_code == 302
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_error) == ("queued", 0, "")


def test_settings_change_and_pause(client, personas):
    endpoint = WebhookEndpoint.objects.create(chapter=personas.chapter, url=PUBLIC, events=["referral.given"], secret="s")
    personas.login(client, "president")
    response = client.post(personas.url("webhooks:detail", endpoint.pk),
                           {"url": PUBLIC, "events": ["meeting.closed"], "description": "Board"})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.is_active, endpoint.description) == (["meeting.closed"], False, "Board")


def test_a_new_secret_replaces_the_old_one_and_is_shown_once(client, personas):
    endpoint = WebhookEndpoint.objects.create(chapter=personas.chapter, url=PUBLIC, events=["referral.given"], secret="old")
    personas.login(client, "president")
    html = client.post(personas.url("webhooks:secret", endpoint.pk)).content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret != "old" and endpoint.secret in html


def test_removing_an_endpoint_removes_its_deliveries(client, personas):
    endpoint = WebhookEndpoint.objects.create(chapter=personas.chapter, url=PUBLIC, events=["referral.given"], secret="s")
    WebhookDelivery.objects.create(endpoint=endpoint, event="referral.given", dedupe_key="a", payload={})
    personas.login(client, "president")
    client.post(personas.url("webhooks:delete", endpoint.pk))
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("who,status", [("member", 403), ("outsider", 404), ("treasurer", 200), ("org_admin", 200)])
def test_who_may_see_the_webhooks(client, personas, who, status):
    personas.login(client, who)
    assert client.get(personas.url("webhooks:list")).status_code == status


def test_another_chapters_endpoint_is_404_for_its_own_leaders_elsewhere(client, personas):
    """The other chapter's president asks for this chapter's endpoint through their own chapter's address."""
    endpoint = WebhookEndpoint.objects.create(chapter=personas.chapter, url=PUBLIC, events=["referral.given"], secret="s")
    personas.login(client, "outsider")
    assert client.get(personas.url("webhooks:detail", endpoint.pk, chapter=personas.other_chapter)).status_code == 404
    assert client.post(personas.url("webhooks:delete", endpoint.pk, chapter=personas.other_chapter)).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_pages_in_german(client, personas, time_machine):
    from datetime import UTC, datetime

    time_machine.move_to(datetime(2026, 12, 9, 19, 5, tzinfo=UTC), tick=False)
    user = personas.president.user
    user.language = "de"
    user.save(update_fields=["language"])
    endpoint = WebhookEndpoint.objects.create(chapter=personas.chapter, url=PUBLIC, events=["referral.given"], secret="s")
    WebhookDelivery.objects.create(endpoint=endpoint, event="referral.given", dedupe_key="a", payload={},
                                   status="sent", attempts=1, sent_at=timezone.now())
    client.force_login(user)
    html = client.get(personas.url("webhooks:detail", endpoint.pk)).content.decode()
    assert "Zustellungen" in html and "Gesendet" in html and "Erneut senden" in html
    assert "09.12.2026, 19:05" in html  # when it was written, as a German reader writes dates
    html = client.get(personas.url("webhooks:list")).content.decode()
    assert "Empfehlung gegeben" in html and "Endpunkt registrieren" in html
