"""Whose language a page is in, the switcher, the locale formats and the currency codes."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from chapters.models import validate_currency
from leadsgroups import formats, i18n
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_browser_language_until_the_person_chooses(client):
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="fr-CH, fr;q=0.9, en;q=0.5")
    assert page["Content-Language"] == "fr"
    assert '<html lang="fr"' in page.content.decode()

    user.language = "de"
    user.save(update_fields=["language"])
    page = client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="fr")
    assert page["Content-Language"] == "de"
    assert '<html lang="de"' in page.content.decode()


def test_the_switcher_saves_the_choice_and_goes_back(client):
    user = UserFactory()
    client.force_login(user)
    back = reverse("notifications")
    response = client.post(reverse("switch-language"), {"language": "es"}, HTTP_REFERER=f"http://testserver{back}")
    assert response.status_code == 302 and response["Location"] == f"http://testserver{back}"
    user.refresh_from_db()
    assert user.language == "es"
    assert response.cookies["lg_language"].value == "es"


def test_the_switcher_refuses_other_sites_and_unknown_languages(client):
    user = UserFactory(language="de")
    client.force_login(user)
    response = client.post(reverse("switch-language"), {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    user.refresh_from_db()
    assert user.language == "de"


def test_a_visitor_without_account_keeps_the_choice_in_a_cookie(client):
    client.post(reverse("switch-language"), {"language": "fr"})
    page = client.get(reverse("account_login"))
    assert page["Content-Language"] == "fr"


def test_switcher_is_in_the_navigation_for_everyone(client):
    page = client.get(reverse("account_login")).content.decode()
    assert 'name="language" value="de"' in page and ">Deutsch<" in page
    client.force_login(UserFactory())
    page = client.get(reverse("profile")).content.decode()
    assert 'name="language" value="fr"' in page and ">Français<" in page


def test_emails_for_a_person_use_their_saved_language():
    with i18n.for_user(UserFactory.build(language="es")):
        assert translation.get_language() == "es"
    with i18n.for_user(UserFactory.build(language="")):
        assert translation.get_language() == "en-gb"


@pytest.mark.parametrize(
    "language, money, moment, day",
    [
        ("en-gb", "€30.00", "19:05", "Wed, 9 Dec 2026"),
        ("en-us", "€30.00", "7:05\u202fPM", "Wed, Dec 9, 2026"),
        ("de", "30,00\xa0€", "19:05", "Mi., 9. Dez. 2026"),
        ("fr", "30,00\xa0€", "19:05", "mer. 9 déc. 2026"),
        ("es", "30,00\xa0€", "19:05", "mié, 9 dic 2026"),
    ],
)
def test_formats_follow_the_reader(language, money, moment, day):
    with translation.override(language):
        assert formats.format_money(Decimal("30"), "EUR") == money
        assert formats.format_time(time(19, 5)) == moment
        assert formats.format_date(date(2026, 12, 9), "yMMMEd") == day


def test_datetimes_are_shown_in_the_active_timezone():
    from django.utils import timezone

    with translation.override("de"), timezone.override("Europe/Berlin"):
        assert formats.format_datetime(datetime(2026, 12, 9, 6, 0, tzinfo=UTC)) == "09.12.2026, 07:00"


def test_currency_codes_are_iso_4217():
    validate_currency("EUR")
    validate_currency("CHF")
    for bad in ("XYZ", "DEM", "eur", "EURO"):
        with pytest.raises(ValidationError):
            validate_currency(bad)
