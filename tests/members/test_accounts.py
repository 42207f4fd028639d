from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory
from tests.outbox import outbox_flush


def test_sign_in_with_email_lands_on_the_dashboard(client, personas):
    response = client.post(
        reverse("account_login"), {"login": personas.member.user.email, "password": "pw-for-tests-1"}
    )
    assert response.status_code == 302 and response.url == reverse("dashboard")


def test_unverified_address_must_be_confirmed_before_signing_in(client, db):
    user = UserFactory(email="fresh@example.com", verified_email=False)
    response = client.post(reverse("account_login"), {"login": user.email, "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert outbox_flush() == 1  # the confirmation email is an outbox row, sent by the worker
    assert "fresh@example.com" in mail.outbox[0].to


def test_password_reset_sends_a_link(client, personas):
    client.post(reverse("account_reset_password"), {"email": personas.member.user.email})
    assert outbox_flush() == 1
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_sign_out(client, personas):
    personas.login(client, "member")
    client.post(reverse("account_logout"))
    assert client.get(reverse("dashboard")).status_code == 302


def test_repeated_failed_sign_ins_are_rate_limited(client, personas, settings):
    from django.core.cache import cache

    from leadsgroups import settings as production_settings

    settings.ACCOUNT_RATE_LIMITS = production_settings.ACCOUNT_RATE_LIMITS  # the suite turns them off
    cache.clear()
    wrong = {"login": personas.member.user.email, "password": "not-the-password"}
    for _ in range(5):
        assert b"Too many failed" not in client.post(reverse("account_login"), wrong).content
    right = {"login": personas.member.user.email, "password": "pw-for-tests-1"}
    response = client.post(reverse("account_login"), right)  # even the right password waits now
    assert response.status_code == 200 and b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session
    cache.clear()


def test_password_reset_email_speaks_as_leadsgroups_not_the_host(client, personas):
    client.post(reverse("account_reset_password"), {"email": personas.member.user.email})
    outbox_flush()
    message = mail.outbox[0]
    assert message.subject == "[Leadsgroups] Choose a new password"
    assert message.body.splitlines()[0] == "Hello from Leadsgroups,"  # not "Hello from testserver!"


def test_password_pages_are_the_apps_own(client, personas):
    assert b"Email me a link" in client.get(reverse("account_reset_password")).content
    personas.login(client, "member")
    page = client.get(reverse("account_change_password")).content.decode()
    assert "Change your password" in page and reverse("account_reset_password") in page
    response = client.post(reverse("account_change_password"), {"oldpassword": "wrong", "password1": "x", "password2": "y"})
    assert 'class="errorlist"' in response.content.decode()
