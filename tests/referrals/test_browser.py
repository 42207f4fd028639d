"""On a phone: a member logs a referral from the navigation; the receiver takes it to won with a value."""

import time

import pytest
from django.utils import timezone

from referrals.models import Referral, ThankYou
from tests.conftest import browser_login
from tests.factories import MembershipFactory


@pytest.mark.browser
def test_member_logs_referral_and_receiver_wins_it_on_a_phone(transactional_db, live_server, phone):
    giver = MembershipFactory(user__full_name="Gina Giver", user__email="gina@example.com")
    receiver = MembershipFactory(
        chapter=giver.chapter, user__full_name="Rory Receiver", user__email="rory@example.com"
    )
    slug = giver.chapter.slug

    browser_login(phone, live_server, "gina@example.com")
    started = time.monotonic()
    phone.goto(f"{live_server.url}/c/{slug}/")
    phone.click("[data-testid=log-referral]")
    phone.fill("input[name=receiver]", "Rory")
    phone.check("input[name=kind][value=outside]")
    phone.fill("input[name=prospect_name]", "Petra <b>Prospect</b>")
    phone.fill("input[name=prospect_phone]", "07700 900123")
    phone.check("input[name=consent][value=stated]")
    phone.check("input[name=temperature][value='4']")
    phone.click("button:has-text('Pass referral')")
    phone.wait_for_url("**/referrals/*/")
    assert time.monotonic() - started < 30
    assert "Petra <b>Prospect</b>" in phone.inner_text("[data-testid=prospect]")  # shown as text, not markup
    referral = Referral.objects.get()
    assert referral.receiver == receiver

    phone.context.clear_cookies()
    browser_login(phone, live_server, "rory@example.com")
    phone.goto(f"{live_server.url}/c/{slug}/referrals/")
    card = phone.locator(f"#referral-{referral.pk}")
    card.get_by_role("button", name="Accept").click()  # htmx swaps the card in place
    phone.locator(f"#referral-{referral.pk} [data-testid=status]", has_text="Accepted").wait_for()
    phone.locator(f"#referral-{referral.pk}").get_by_role("button", name="Contacted").click()
    phone.locator(f"#referral-{referral.pk} [data-testid=status]", has_text="Contacted").wait_for()
    phone.locator(f"#referral-{referral.pk}").get_by_role("button", name="Meeting held").click()
    phone.locator(f"#referral-{referral.pk} [data-testid=status]", has_text="Meeting held").wait_for()
    phone.locator(f"#referral-{referral.pk}").get_by_role("button", name="Won…").click()
    phone.fill("input[name=value]", "-10")
    phone.fill("input[name=closed_on]", timezone.localdate(timezone=giver.chapter.tz).isoformat())
    phone.click("button:has-text('Record closed business')")
    assert phone.locator(".errorlist").count() >= 1  # negative value refused inline
    phone.fill("input[name=value]", "2500")
    phone.click("button:has-text('Record closed business')")
    phone.wait_for_url(f"**/referrals/{referral.pk}/")
    assert "2,500.00" in phone.inner_text("[data-testid=tyfcb]")
    assert ThankYou.objects.get().giver == giver
