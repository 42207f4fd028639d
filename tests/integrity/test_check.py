"""The nightly check: idempotent, reconciling (flags close when their evidence goes, reopen when it is back),
a fixed number of queries whatever the chapter's size, and the task and beat entry that run it."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrity.models import IntegrityCheck, IntegrityFlag, IntegrityRules
from integrity.services import chapter_integrity_check, flag_review
from referrals.models import Referral
from tests.integrity import patterns
from tests.integrity.builders import Activity

pytestmark = pytest.mark.django_db


def _ring(activity):
    activity.referrals("Ann Ring", "Ben Ring", 4)
    activity.referrals("Ben Ring", "Ann Ring", 3, days=20)
    return activity


def _snapshot(chapter):
    return sorted(
        (f.kind, f.key, f.status, str(f.figures), f.evidence_changed_at,
         tuple(sorted(f.memberships.values_list("pk", flat=True))),
         tuple(sorted(f.evidence.values_list("pk", flat=True))))
        for f in IntegrityFlag.objects.filter(chapter=chapter)
    )


def test_a_rerun_changes_nothing(pattern_chapter):
    first = chapter_integrity_check(chapter=pattern_chapter.chapter)
    before = _snapshot(pattern_chapter.chapter)
    again = chapter_integrity_check(chapter=pattern_chapter.chapter)
    assert len(first.opened) == len(patterns.EXPECTED)
    assert again.counts == {"found": len(patterns.EXPECTED), "opened": 0, "reopened": 0, "changed": 0, "closed": 0}
    assert _snapshot(pattern_chapter.chapter) == before
    assert IntegrityCheck.objects.get(chapter=pattern_chapter.chapter).checked_at == pattern_chapter.now


def test_a_flag_whose_evidence_goes_is_closed_and_keeps_its_record(activity):
    a = _ring(activity)
    chapter_integrity_check(chapter=a.chapter)
    flag = IntegrityFlag.objects.get(chapter=a.chapter, kind="ring")
    for name in patterns.BYSTANDERS[:4]:  # Ann now gives most of hers elsewhere: 4 of 8 is 50 %
        a.referral("Ann Ring", name, days=5)
    result = chapter_integrity_check(chapter=a.chapter)
    flag.refresh_from_db()
    assert result.closed == [flag.pk]
    assert (flag.status, flag.closed_at) == ("closed", a.now)
    assert flag.evidence.count() == 7 and flag.memberships.count() == 2


def test_a_closed_flag_reopens_when_the_pattern_is_back(activity):
    a = _ring(activity)
    chapter_integrity_check(chapter=a.chapter)
    IntegrityRules.objects.create(chapter=a.chapter, ring_min_referrals=8)
    chapter_integrity_check(chapter=a.chapter)
    flag = IntegrityFlag.objects.get(chapter=a.chapter, kind="ring")
    assert flag.status == "closed"
    a.referral("Ben Ring", "Ann Ring", days=2)
    result = chapter_integrity_check(chapter=a.chapter)
    flag.refresh_from_db()
    assert result.reopened == [flag.pk] and flag.status == "open" and flag.closed_at is None
    assert flag.evidence.count() == 8 and flag.figures["total"] == 8


def test_new_evidence_of_a_reviewed_flag_keeps_the_review_and_is_marked_new(activity, overseer):
    a = _ring(activity)
    chapter_integrity_check(chapter=a.chapter)
    flag = IntegrityFlag.objects.get(chapter=a.chapter, kind="ring")
    flag_review(flag=flag, access=overseer.access(a.chapter), actor=overseer.user, outcome="false_alarm",
                note="Business partners; they refer each other by design.")
    with time_machine.travel(a.now + timedelta(days=1), tick=False):
        a.referral("Ann Ring", "Ben Ring", days=0)
        result = chapter_integrity_check(chapter=a.chapter)
    flag.refresh_from_db()
    assert result.changed == [flag.pk]
    assert (flag.status, flag.outcome) == ("reviewed", "false_alarm")
    newer = flag.evidence.filter(added_at__gt=flag.reviewed_at)
    assert [e.referral.giver.user.full_name for e in newer] == ["Ann Ring"]


def test_evidence_that_stops_belonging_to_an_open_flag_is_dropped(activity):
    a = _ring(activity)
    chapter_integrity_check(chapter=a.chapter)
    with time_machine.travel(a.now + timedelta(days=158), tick=False):  # the oldest Ben → Ann (22 days old) leaves it
        result = chapter_integrity_check(chapter=a.chapter)
    assert result.counts["changed"] == 1
    flag = IntegrityFlag.objects.get(chapter=a.chapter, kind="ring")
    assert flag.evidence.count() == 6 and flag.figures["total"] == 6


def _honest(activity, size: int):
    """`size` members who each give three referrals (down a chain: no circle), thank for one, meet one another."""
    names = [f"Honest {n}" for n in range(size)]
    for n, name in enumerate(names):
        receivers = [names[n + 1] if n + 1 < size else patterns.BYSTANDERS[0], *patterns.BYSTANDERS[1 + n % 4:3 + n % 4]]
        for step, receiver in enumerate(receivers):
            activity.referral(name, receiver, days=10 + n + step)
        activity.thank_you(name, patterns.BYSTANDERS[n % 8], f"{317 + n}.50", given_days=40 + n)
        activity.one_to_one(name, patterns.BYSTANDERS[(n + 1) % 8], met_days=20 + n, recorded_days=19 + n)
        activity.present(name, days=7)
    return activity


@pytest.mark.parametrize("rerun", [False, True])
def test_the_check_costs_the_same_queries_for_a_chapter_three_times_the_size(now, rerun):
    counts = []
    for size in (4, 12):
        a = _honest(patterns.build(Activity(now=now), other_chapter_activity=Activity(now=now)), size)
        if rerun:
            chapter_integrity_check(chapter=a.chapter)
            Referral.objects.filter(chapter=a.chapter, giver__user__full_name="Ben Ring").first().delete()
        with CaptureQueriesContext(connection) as queries:
            chapter_integrity_check(chapter=a.chapter)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 30, counts


def test_a_deleted_row_takes_its_evidence_and_the_next_check_brings_the_figures_in_line(activity):
    a = _ring(activity)
    chapter_integrity_check(chapter=a.chapter)
    Referral.objects.filter(giver=a.member("Ben Ring")).order_by("pk").first().delete()
    flag = IntegrityFlag.objects.get(chapter=a.chapter, kind="ring")
    assert flag.evidence.count() == 6 and flag.figures["total"] == 7
    result = chapter_integrity_check(chapter=a.chapter)
    flag.refresh_from_db()
    assert result.changed == [flag.pk] and flag.figures["total"] == 6 and flag.status == "open"


def test_a_chapter_with_no_activity_is_checked_and_has_no_flags(activity):
    assert chapter_integrity_check(chapter=activity.chapter).counts == {
        "found": 0, "opened": 0, "reopened": 0, "changed": 0, "closed": 0,
    }
    assert IntegrityCheck.objects.get(chapter=activity.chapter).checked_at == activity.now
