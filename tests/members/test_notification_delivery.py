"""How each kind of notice reaches a person: defaults, each choice's effect, required kinds, the settings page,
and the one-click List-Unsubscribe of every notice email."""

import importlib

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from members import delivery
from members.delivery import Delivery, unsubscribe_token
from members.models import Notification, OutboundEmail
from members.notifications import notification_delivery_update, notification_send
from tests.factories import UserFactory
from tests.outbox import outbox_flush

ROUTINE = ["referral_updated", "consent_answered", "stale_referral", "thank_you"]
URGENT = ["reminder", "fine", "case", "invitation", "membership", "referral_received"]


def _set(user, **choices):
    user.notification_delivery = choices
    user.save(update_fields=["notification_delivery"])


# Defaults -----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ROUTINE)
def test_routine_referral_steps_default_to_the_digest(kind):
    assert UserFactory().delivery_for(kind) == "digest"


@pytest.mark.django_db
@pytest.mark.parametrize("kind", URGENT)
def test_what_needs_action_soon_defaults_to_email(kind):
    assert UserFactory().delivery_for(kind) == "email"


def test_every_kind_has_a_default():
    assert set(delivery.DEFAULTS) == set(Notification.Kind.values)


# Each choice's effect -----------------------------------------------------------------------------


def test_email_writes_the_notice_and_its_email(personas):
    user = personas.member.user
    _set(user, referral_updated="email")
    n = notification_send(user=user, kind="referral_updated", title="Step")
    assert n.read_at is None and n.email_wanted and not n.digest_wanted
    assert OutboundEmail.objects.filter(notification=n).count() == 1


def test_app_writes_the_notice_only(personas):
    user = personas.member.user
    _set(user, referral_updated="app")
    n = notification_send(user=user, kind="referral_updated", title="Step")
    assert n.read_at is None and not n.email_wanted and not n.digest_wanted
    assert not OutboundEmail.objects.exists()


def test_digest_writes_the_notice_for_the_digest_and_no_email_now(personas):
    n = notification_send(user=personas.member.user, kind="referral_updated", title="Step")  # the default
    assert n.read_at is None and not n.email_wanted and n.digest_wanted and n.digest_sent_at is None
    assert not OutboundEmail.objects.exists()


def test_off_writes_the_notice_read_so_the_unread_count_stops_growing(client, personas):
    user = personas.member.user
    _set(user, referral_updated="off", thank_you="off")
    for i in range(3):
        n = notification_send(user=user, kind="referral_updated", title=f"Step {i}")
        assert n.read_at is not None and not n.email_wanted and not n.digest_wanted
    notification_send(user=user, kind="thank_you", title="Thanks")
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    assert not OutboundEmail.objects.exists()
    personas.login(client, "member")
    assert "unread-count" not in client.get(reverse("notifications")).content.decode()


def test_a_caller_that_sends_its_own_email_still_gets_the_digest_choice(personas):
    user = personas.member.user
    _set(user, reminder="digest")
    n = notification_send(user=user, kind="reminder", title="Tomorrow", email=False)
    assert n.digest_wanted and not n.email_wanted
    assert not user.wants_email("reminder")  # the reminder sweep then sends no email of its own


def test_someone_without_an_address_gets_no_digest(personas):
    user = personas.member.user
    user.email = ""
    n = notification_send(user=user, kind="referral_updated", title="Step")
    assert not n.digest_wanted and not n.email_wanted and n.read_at is None


# Required kinds -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(delivery.REQUIRED))
def test_required_kinds_offer_email_only(kind):
    assert delivery.choices_for(kind) == ["email"]


@pytest.mark.parametrize("choice", ["off", "app", "digest"])
def test_the_service_refuses_to_change_a_required_kind(personas, choice):
    user = personas.member.user
    with pytest.raises(ValidationError):
        notification_delivery_update(user=user, choices={"fine": choice})
    user.refresh_from_db()
    assert user.notification_delivery == {} and user.wants_email("fine")


def test_a_stored_choice_no_longer_offered_is_not_obeyed(personas):
    user = personas.member.user
    _set(user, case="off", fine="app")
    assert user.delivery_for("case") == "email" and user.delivery_for("fine") == "email"
    n = notification_send(user=user, kind="fine", title="A fine")
    assert n.email_wanted and n.read_at is None


def test_the_service_stores_only_what_differs_from_the_default(personas):
    user = personas.member.user
    notification_delivery_update(user=user, choices={"thank_you": "off", "reminder": "email", "fine": "email"})
    user.refresh_from_db()
    assert user.notification_delivery == {"thank_you": "off"}


# The migration from muted kinds -------------------------------------------------------------------


def test_kinds_muted_from_email_become_app_only_except_required_ones():
    migration = importlib.import_module("members.migrations.0016_notification_delivery_and_digest")
    assert migration.delivery_from_muted(["reminder", "fine", "thank_you", "no_such_kind", "reminder"]) == {
        "reminder": "app", "thank_you": "app",
    }
    assert migration.delivery_from_muted([]) == {}
    assert migration.REQUIRED == set(delivery.REQUIRED)
    assert migration.KINDS == set(Notification.Kind.values)


# The settings page --------------------------------------------------------------------------------


def _form(user, **changes) -> dict:
    data = {kind: user.delivery_for(kind) for kind in Notification.Kind.values}
    data.update(changes)
    return data


def test_the_page_shows_each_kind_with_its_choices_and_why_required_ones_stay(client, personas):
    personas.login(client, "member")
    html = client.get(reverse("notification-settings")).content.decode()
    assert 'name="referral_updated" value="digest"' in html and 'value="digest" aria-describedby' in html
    assert html.count('type="radio"') == 4 * (len(Notification.Kind.values) - len(delivery.REQUIRED)) + len(
        delivery.REQUIRED)
    assert 'name="fine" value="off"' not in html and "Cannot be turned off." in html
    assert 'id="kind-fine-why"' in html
    checked = [line for line in html.split("<input") if "checked" in line]
    assert any('name="referral_updated" value="digest"' in c for c in checked)
    assert any('name="reminder" value="email"' in c for c in checked)


def test_the_page_saves_the_choices(client, personas):
    personas.login(client, "member")
    user = personas.member.user
    response = client.post(reverse("notification-settings"), _form(user, thank_you="off", reminder="app"))
    assert response.status_code == 302 and response.url == reverse("notification-settings")
    user.refresh_from_db()
    assert user.notification_delivery == {"thank_you": "off", "reminder": "app"}


def test_turning_a_required_kind_off_is_a_form_error(client, personas):
    personas.login(client, "member")
    user = personas.member.user
    response = client.post(reverse("notification-settings"), _form(user, case="off", thank_you="off"))
    assert response.status_code == 422
    assert "An expulsion case has deadlines" in response.content.decode()
    user.refresh_from_db()
    assert user.notification_delivery == {}  # nothing saved


def test_the_page_is_linked_from_the_profile_and_the_notifications(client, personas):
    personas.login(client, "member")
    target = reverse("notification-settings")
    assert target in client.get(reverse("profile")).content.decode()
    assert target in client.get(reverse("notifications")).content.decode()


def test_the_page_reads_the_settings_without_a_query_per_kind(client, personas, django_assert_num_queries):
    personas.login(client, "member")
    for kind in ("thank_you", "reminder", "referral_updated"):
        notification_send(user=personas.member.user, kind=kind, title="x")
    # session, user (the choices are a column of its row), the navigation's seats and its unread count
    with django_assert_num_queries(4):
        assert client.get(reverse("notification-settings")).status_code == 200


def test_signed_out_people_sign_in_first(client):
    response = client.get(reverse("notification-settings"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


# List-Unsubscribe ---------------------------------------------------------------------------------


def _unsubscribe_path(message) -> str:
    value = message.extra_headers["List-Unsubscribe"]
    assert value.startswith("<http://testserver-site/") or value.startswith("<http")
    return "/" + value.strip("<>").split("://", 1)[1].split("/", 1)[1]


def test_every_notice_email_carries_a_one_click_unsubscribe(client, personas, settings):
    settings.SITE_URL = "https://lg.example.org"
    notification_send(user=personas.member.user, kind="referral_received", title="A referral")
    assert outbox_flush() == 1
    [message] = mail.outbox
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<https://lg.example.org/notifications/unsubscribe/") and header.endswith("/>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "https://lg.example.org" + reverse("notification-settings") in message.body
    path = _unsubscribe_path(message)
    assert client.get(path).url == reverse("notification-settings")  # a browser opening it: the settings page
    response = client.post(path, {"List-Unsubscribe": "One-Click"})  # the mail client's POST: no login, no CSRF
    assert response.status_code == 200
    user = personas.member.user
    user.refresh_from_db()
    assert user.delivery_for("referral_received") == "app"


def test_an_email_written_by_a_bulk_insert_gets_the_header_at_send_time(personas):
    n = Notification.objects.create(user=personas.member.user, kind="fine", title="A fine")
    OutboundEmail.objects.create(kind="notification", to=n.user.email, subject="A fine", body="x", notification=n)
    assert outbox_flush() == 1
    assert "/notifications/unsubscribe/" in mail.outbox[0].extra_headers["List-Unsubscribe"]


def test_unsubscribing_from_a_required_kind_changes_nothing(client, personas):
    user = personas.member.user
    response = client.post(reverse("notification-unsubscribe", args=[unsubscribe_token(user_id=user.pk, kind="fine")]))
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.notification_delivery == {} and user.wants_email("fine")


def test_the_digest_unsubscribe_moves_every_digest_kind_to_the_app(client, personas):
    user = personas.member.user
    _set(user, reminder="digest")
    client.post(reverse("notification-unsubscribe", args=[unsubscribe_token(user_id=user.pk, kind="digest")]))
    user.refresh_from_db()
    assert {k: user.delivery_for(k) for k in [*ROUTINE, "reminder"]} == dict.fromkeys([*ROUTINE, "reminder"], "app")
    assert user.delivery_for("referral_received") == "email"


@pytest.mark.parametrize("token", ["nonsense", "W1swLCJmaW5lIl1d:bad:signature"])
def test_a_forged_unsubscribe_token_is_refused(client, personas, token):
    assert client.post(reverse("notification-unsubscribe", args=[token])).status_code == 404
    user = personas.member.user
    user.refresh_from_db()
    assert user.notification_delivery == {}


def test_delivery_choices_are_the_four_ways():
    assert Delivery.values == ["app", "email", "digest", "off"]
