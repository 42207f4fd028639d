"""Development email: kept in var/dev-outbox/, one console line each, read at /dev/outbox/ by staff with DEBUG on."""

import logging

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from tests.access_matrix import DEBUG_ONLY

pytestmark = pytest.mark.django_db


@pytest.fixture
def dev(settings, tmp_path):
    """Development settings: DEBUG on, the development email backend, its folder in tmp_path."""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "ops.dev_email.DevOutboxBackend"
    settings.DEV_OUTBOX_DIR = tmp_path / "dev-outbox"
    return settings


def _send_reset(to="mona@example.org"):
    message = EmailMultiAlternatives(
        subject="[Leadsgroups] Password reset", body="Reset it here: http://127.0.0.1:8000/accounts/password/reset/key/1-abc/\n",
        to=[to],
    )
    message.attach_alternative("<p><a href='http://127.0.0.1:8000/accounts/password/reset/key/1-abc/'>Reset</a></p>",
                               "text/html")
    message.send()


def _staff(django_user_model):
    return django_user_model.objects.create_user(email="dev@example.org", password="x", is_staff=True)


def test_each_email_is_one_console_line_with_to_and_subject(dev, caplog):
    with caplog.at_level(logging.INFO):
        _send_reset()
    lines = [r for r in caplog.records if r.name == "ops.dev_email"]
    assert len(lines) == 1
    message = lines[0].getMessage()
    assert message.startswith("Email to mona@example.org: [Leadsgroups] Password reset  http://")
    assert "\n" not in message and "Content-Type" not in message
    assert len(list((dev.DEV_OUTBOX_DIR).glob("*.eml"))) == 1


def test_staff_read_the_list_and_each_email_with_its_links(dev, client, django_user_model):
    _send_reset()
    _send_reset(to="max@example.org")
    client.force_login(_staff(django_user_model))
    page = client.get(reverse("ops:dev-outbox"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="dev-email"') == 2
    assert html.index("max@example.org") < html.index("mona@example.org")  # newest first
    name = sorted(p.stem for p in dev.DEV_OUTBOX_DIR.glob("*.eml"))[0]
    detail = client.get(reverse("ops:dev-outbox-detail", args=[name])).content.decode()
    assert "mona@example.org" in detail
    assert ('<a href="http://127.0.0.1:8000/accounts/password/reset/key/1-abc/" rel="nofollow">'
            in detail)  # the reset link is clickable
    html_part = client.get(reverse("ops:dev-outbox-html", args=[name]))
    assert html_part["Content-Security-Policy"].startswith("sandbox")
    assert b"Reset</a>" in html_part.content


@pytest.mark.parametrize("who,status", [("anon", 302), ("member", 403), ("staff", 200)])
def test_only_staff_may_read_it(dev, client, django_user_model, who, status):
    if who == "member":
        client.force_login(django_user_model.objects.create_user(email="m@example.org", password="x"))
    elif who == "staff":
        client.force_login(_staff(django_user_model))
    assert client.get(reverse("ops:dev-outbox")).status_code == status


@pytest.mark.parametrize("name", sorted(DEBUG_ONLY))
def test_without_debug_it_does_not_exist_even_for_staff(settings, client, django_user_model, name):
    settings.DEBUG = False
    kwargs = {} if name == "ops:dev-outbox" else {"name": "20270310-061500-000000-abcdef"}
    url = reverse(name, kwargs=kwargs)
    assert client.get(url).status_code == 404  # not even a sign-in page: nothing to find here
    client.force_login(_staff(django_user_model))
    assert client.get(url).status_code == 404


def test_an_unknown_or_forged_name_is_404(dev, client, django_user_model):
    client.force_login(_staff(django_user_model))
    for name in ["20270310-061500-000000-abcdef", "..%2F..%2Fsettings", "x"]:
        assert client.get(f"/dev/outbox/{name}/").status_code == 404


def test_tests_keep_the_locmem_backend():
    """The development backend is for DEBUG without EMAIL_URL; the suite reads mail.outbox."""
    from django.conf import settings

    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
    assert mail.outbox == []
