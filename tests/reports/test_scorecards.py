"""Scorecards worked out from the raw rows, as a treasurer would by hand, and the words that explain them."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meetings.models import Attendance, Meeting, Visitor
from meetings.models import Testimonial as SpokenTestimonial  # a name pytest does not collect
from members.models import Membership
from referrals.models import EducationCredit, OneToOne, Referral, ThankYou
from reports.models import ScorecardRules
from reports.scorecards import default_range, scorecards, scorecards_sorted
from tests.factories import ChapterFactory, MembershipFactory

NOW = datetime(2026, 6, 3, 10, 0, tzinfo=UTC)  # a Wednesday
END = date(2026, 6, 3)
START = END - timedelta(days=181)  # 26 weeks

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class World:
    chapter: object
    ann: Membership
    bob: Membership
    cat: Membership
    meetings: list


def _meeting(chapter, day, status=Meeting.Status.CLOSED):
    return Meeting.objects.create(chapter=chapter, local_date=day, scheduled_date=day, status=status,
                                  starts_at=datetime.combine(day, time(7), tzinfo=chapter.tz))


def _referral(giver, receiver, day, *, consent=Referral.Consent.NOT_ASKED, status=Referral.Status.GIVEN):
    r = Referral.objects.create(chapter=giver.chapter, giver=giver, receiver=receiver, consent=consent, status=status,
                                prospect_name="Petra Prospect")
    # late evening, local time: the day it was given in the chapter, the next day in UTC for a zone ahead
    Referral.objects.filter(pk=r.pk).update(created_at=datetime.combine(day, time(23, 30), tzinfo=giver.chapter.tz))
    return r


def _thanks(giver, receiver, day, value, kind):
    r = _referral(giver, receiver, day, status=Referral.Status.WON)
    return ThankYou.objects.create(chapter=giver.chapter, referral=r, giver=giver, receiver=receiver,
                                   value=Decimal(value), closed_on=day, business_type=kind)


@pytest.fixture
def world():
    chapter = ChapterFactory(timezone="Europe/London", currency="GBP")
    ann = MembershipFactory(chapter=chapter, joined_on=date(2020, 1, 1), user__full_name="Ann Able")
    bob = MembershipFactory(chapter=chapter, joined_on=END - timedelta(days=90), user__full_name="Bob Brand")  # 13 weeks
    cat = MembershipFactory(chapter=chapter, joined_on=date(2020, 1, 1), user__full_name="Cat Cole")
    days = [START + timedelta(days=7 * n + 6) for n in range(10)]  # ten weekly meetings in the range
    meetings = [_meeting(chapter, d) for d in days]
    cancelled = _meeting(chapter, START + timedelta(days=100), Meeting.Status.CANCELLED)
    before = _meeting(chapter, START - timedelta(days=1))
    statuses = ["present"] * 7 + ["late", "absent", "absent"]
    Attendance.objects.bulk_create(
        [Attendance(meeting=m, membership=ann, status=s) for m, s in zip(meetings, statuses, strict=True)]
        + [Attendance(meeting=cancelled, membership=ann, status="absent"),  # a cancelled meeting counts for nobody
           Attendance(meeting=before, membership=ann, status="absent"),  # before the range
           Attendance(meeting=meetings[0], membership=cat, status="medical")]
    )
    for n in range(20):
        consent = Referral.Consent.STATED if n < 8 else Referral.Consent.CONFIRMED if n < 13 else Referral.Consent.NOT_ASKED
        status = Referral.Status.WON if n < 2 else Referral.Status.GIVEN
        _referral(ann, cat, START + timedelta(days=n * 9), consent=consent, status=status)
    _referral(ann, cat, START - timedelta(days=1), consent=Referral.Consent.STATED)  # before the range
    _referral(cat, ann, END, consent=Referral.Consent.CONFIRMED)
    _referral(cat, ann, END - timedelta(days=3))
    _referral(bob, ann, END - timedelta(days=3), consent=Referral.Consent.DECLINED)
    for n in range(13):  # a referral a week since Bob joined
        _referral(bob, cat, END - timedelta(days=7 * n))
    _thanks(cat, ann, END - timedelta(days=10), "700", "new")  # Ann closed this one
    _thanks(ann, cat, END - timedelta(days=20), "1500", "new")
    _thanks(ann, bob, END - timedelta(days=30), "1000", "repeat")
    _thanks(ann, cat, START - timedelta(days=2), "9000", "new")  # before the range
    for n, meeting in enumerate(meetings[:3]):
        Visitor.objects.create(meeting=meeting, name=f"Guest {n}", invited_by=ann,
                               follow_up=Visitor.FollowUp.APPLIED if n == 0 else Visitor.FollowUp.THANKED)
    Visitor.objects.create(meeting=cancelled, name="Guest at a cancelled meeting", invited_by=ann)
    OneToOne.objects.create(chapter=chapter, initiator=ann, other=cat, met_on=END - timedelta(days=5), status="confirmed")
    OneToOne.objects.create(chapter=chapter, initiator=ann, other=bob, met_on=END - timedelta(days=6), status="confirmed")
    OneToOne.objects.create(chapter=chapter, initiator=cat, other=ann, met_on=END - timedelta(days=7), status="confirmed")
    OneToOne.objects.create(chapter=chapter, initiator=cat, other=ann, met_on=END - timedelta(days=8))  # pending
    EducationCredit.objects.create(chapter=chapter, membership=ann, completed_on=END - timedelta(days=40), title="Pitch",
                                   hours=Decimal("4"))
    EducationCredit.objects.create(chapter=chapter, membership=ann, completed_on=END - timedelta(days=50), title="GDPR",
                                   hours=Decimal("2"))
    SpokenTestimonial.objects.create(meeting=meetings[1], given_by=ann, about=cat, text="Great")
    SpokenTestimonial.objects.create(meeting=meetings[2], given_by=ann, about=bob, text="Great")
    SpokenTestimonial.objects.create(meeting=meetings[3], given_by=cat, about=ann, text="Great")
    SpokenTestimonial.objects.create(meeting=cancelled, given_by=ann, about=cat, text="Never said")
    return World(chapter, ann, bob, cat, meetings)


def _cards(world, **rules):
    rules_row = ScorecardRules(chapter=world.chapter, **rules)
    return scorecards(chapter=world.chapter, memberships=[world.ann, world.bob, world.cat], start=START, end=END,
                      rules=rules_row)


def test_the_default_range_is_the_last_26_weeks():
    assert default_range(END) == (START, END)


def test_figures_count_what_the_rows_say_in_the_range(world):
    f = _cards(world)[world.ann.pk].figures
    assert (f.present, f.late, f.absent, f.medical, f.substitute) == (7, 1, 2, 0, 0)
    assert (f.given, f.given_consented, f.given_won) == (20 + 2, 13, 2 + 2)  # and the two thanked for in the range
    assert (f.received, f.received_consented) == (3 + 1, 1)  # and the one Ann was thanked for
    assert (f.visitors, f.visitors_applied) == (3, 1)
    assert f.one_to_ones == 3
    assert f.education_hours == Decimal("6")
    assert (f.testimonials, f.testimonials_received) == (2, 1)
    assert (f.tyfcb_given_new, f.tyfcb_given_repeat) == (Decimal("1500"), Decimal("1000"))
    assert (f.tyfcb_received_new, f.tyfcb_received_repeat) == (Decimal("700"), Decimal("0"))


def test_each_light_says_which_figures_and_thresholds_gave_its_points(world):
    card = _cards(world)[world.ann.pk]
    lights = card.by_key
    assert lights["absences"].reason == "2 absences in 26 weeks: 5 of 15 points (0 → 15, 1 → 10, 2 → 5, more → 0)"
    assert lights["absences"].colour == "amber"
    assert lights["lates"].reason == "1 late arrival in 26 weeks: 0 of 5 points (0 → 5, more → 0)"
    assert lights["lates"].colour == "red"
    assert lights["referrals"].reason == (
        "22 referrals given in 26 weeks = 0.84 a week: 10 of 20 points "
        "(< 0.5 → 0, ≥ 0.5 → 5, ≥ 0.75 → 10, ≥ 1 → 15, ≥ 1.2 → 20)"
    )
    assert "13 with the prospect's consent (59%)" in lights["referrals"].detail
    assert "Received 4, 1 with consent (25%)" in lights["referrals"].detail
    assert lights["visitors"].reason.startswith("3 visitors invited in 26 weeks = 0.11 a week: 10 of 20 points")
    assert lights["one_to_ones"].reason == "3 one-to-ones (confirmed) in 26 weeks = 0.11 a week: not scored in this chapter"
    assert lights["one_to_ones"].colour == "none"
    assert lights["education"].reason.startswith("6 hours of education in 26 weeks = 0.23 a week: 5 of 15 points")
    assert lights["testimonials"].reason.startswith("2 testimonials given in 26 weeks: 10 of 10 points")
    assert lights["testimonials"].colour == "green"
    assert lights["tyfcb"].reason.startswith("£2,500.00 of business from referrals the member gave, closed in 26 weeks: "
                                             "10 of 15 points (< £500.00 → 0, ≥ £500.00 → 5")
    assert "new £1,500.00, repeat £1,000.00" in lights["tyfcb"].detail
    assert card.total == 5 + 0 + 10 + 10 + 5 + 10 + 10 == 50
    assert card.band == "amber"
    assert card.band_reason == (
        "50 of 100 points (absences 5 + never late 0 + referrals given 10 + visitors invited 10 + education 5 + "
        "testimonials given 10 + TYFCB 10): amber (green from 70, amber from 50, red from 30, grey below 30)."
    )


def test_a_rate_shown_never_rounds_up_past_a_threshold_it_missed(world):
    Referral.objects.filter(giver=world.ann).exclude(pk__in=Referral.objects.filter(giver=world.ann)
                                                     .order_by("pk").values("pk")[:12]).delete()
    ThankYou.objects.all().delete()
    light = _cards(world)[world.ann.pk].light("referrals")  # 12 in 26 weeks = 0.4615…
    assert light.reason.startswith("12 referrals given in 26 weeks = 0.46 a week: 0 of 20 points")


def test_a_member_who_joined_in_the_range_is_judged_per_week_held(world):
    light = _cards(world)[world.bob.pk].light("referrals")
    assert light.reason.startswith("14 referrals given in 13 weeks (since joining on 5 Mar 2026) = 1.07 a week: 15 of 20")


def test_the_chapter_may_count_only_consented_referrals(world):
    light = _cards(world, referrals_count="consented")[world.ann.pk].light("referrals")
    assert light.reason.startswith("13 referrals given with the prospect's consent in 26 weeks = 0.5 a week: 5 of 20")


@pytest.mark.parametrize("counts,business,value,points", [
    ("given", "all", "£2,500.00", 10), ("given", "new", "£1,500.00", 5), ("received", "all", "£700.00", 5),
    ("both", "all", "£3,200.00", 10),
])
def test_the_chapter_chooses_whose_closed_business_counts(world, counts, business, value, points):
    light = _cards(world, tyfcb_counts=counts, tyfcb_business=business)[world.ann.pk].light("tyfcb")
    assert light.reason.startswith(value) and light.points == points


def test_one_to_ones_score_once_the_chapter_gives_them_points(world):
    card = _cards(world, one_to_ones=[["0.1", 10]], tyfcb=[["500", 5]])[world.ann.pk]
    assert card.light("one_to_ones").reason.startswith("3 one-to-ones (confirmed) in 26 weeks = 0.11 a week: 10 of 10")
    assert card.max_total == 100 - 10 + 10


def test_bands_follow_the_chapter(world):
    card = _cards(world, green_from=50, amber_from=40, red_from=20)[world.ann.pk]
    assert card.band == "green" and "green from 50" in card.band_reason
    assert _cards(world)[world.cat.pk].band in ("red", "grey")


def test_sorting_puts_the_best_first_and_names_a_to_z(world):
    cards = _cards(world).values()
    assert [c.membership.display_name for c in scorecards_sorted(cards, "name")] == ["Ann Able", "Bob Brand", "Cat Cole"]
    by_score = scorecards_sorted(cards, "score")
    assert by_score[0].total >= by_score[1].total >= by_score[2].total
    fewest_absences_first = scorecards_sorted(cards, "absences")
    assert fewest_absences_first[-1].membership == world.ann
    assert scorecards_sorted(cards, "absences", descending=True)[0].membership == world.ann


def test_the_queries_do_not_grow_with_the_members(world):
    def count(memberships):
        with CaptureQueriesContext(connection) as ctx:
            scorecards(chapter=world.chapter, memberships=memberships, start=START, end=END)
        return len(ctx)

    few = count([world.ann])
    many_members = [world.ann, world.bob, world.cat, *MembershipFactory.create_batch(40, chapter=world.chapter)]
    assert count(many_members) == few == 9  # the rules, then eight grouped reads
