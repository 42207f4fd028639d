"""The demo's referrals cover every status and every consent state, erased prospects included."""

from django.core.management import call_command

from referrals.models import Referral, ReferralEvent, ThankYou


def test_demo_has_every_status_and_consent_state(db):
    call_command("seed_demo")
    assert set(Referral.objects.values_list("status", flat=True)) == set(Referral.Status.values)
    assert set(Referral.objects.values_list("consent", flat=True)) == set(Referral.Consent.values)
    declined = Referral.objects.filter(consent=Referral.Consent.DECLINED)
    assert declined.exists()
    assert not declined.exclude(prospect_name="", prospect_email="", prospect_phone="", notes="").exists()
    assert not declined.filter(prospect_erased_at__isnull=True).exists()
    assert ThankYou.objects.count() == Referral.objects.filter(status="won").count()


def test_in_the_demo_no_status_change_follows_a_prospects_decline_but_the_closing_one(db):
    call_command("seed_demo")
    declined = Referral.objects.filter(consent=Referral.Consent.DECLINED).prefetch_related("events")
    assert declined.exists()
    for referral in declined:
        [decline] = [e for e in referral.events.all() if e.action == ReferralEvent.Action.CONSENT]
        later = [e for e in referral.events.all() if e.action == ReferralEvent.Action.STATUS
                 and e.created_at > decline.created_at]
        assert all(e.to_status == Referral.Status.PROSPECT_DECLINED for e in later), (referral.pk, later)
        assert decline.created_at == referral.prospect_erased_at


def test_the_demo_has_ratings_of_each_kind_and_a_chapter_on_a_weighted_quota(db):
    from enforcement.models import ChapterRules

    call_command("seed_demo")
    rated = Referral.objects.exclude(rating="")
    assert set(rated.values_list("rating", flat=True)) == set(Referral.Rating.values)
    assert not rated.exclude(status__in=Referral.RATEABLE_STATUSES).exists()
    assert rated.filter(usefulness__isnull=False).exists()
    assert ReferralEvent.objects.filter(action=ReferralEvent.Action.RATED).count() == rated.count()
    latest = ChapterRules.objects.filter(chapter__slug="city-lunch").order_by("-number").first()
    assert latest.quota_counts == ChapterRules.QuotaCounts.WEIGHTED
