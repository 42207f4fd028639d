"""A week in the life of a chapter, on the system as an operator runs it.

Web (gunicorn), a Celery worker and Celery beat run as separate processes on PostgreSQL and
Redis. Their clock is the file LEADSGROUPS_CLOCK_FILE (leadsgroups/clock.py): the test moves
it from Monday to the next Monday in seconds. Beat sends every entry every 2 seconds; what each
task does depends only on the time it reads, so the effects below are those of a real week.

Riverside meets on Thursdays at 07:00 (Europe/London). Rules: one absence allowed in a rolling
6 months (£10 for each beyond), from 1 March one referral a week (£5 a missed week), and two
violations within 6 months make an expulsion candidate. Ann missed the meeting of 25 February.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from enforcement.models import ChapterEvaluationState, ExpulsionCase, Fine
from leadsgroups.clock import clock_write
from meetings.models import Attendance, Meeting
from members.models import Membership, Notification
from tests.enforcement.factories import AttendanceFactory, ChapterRulesFactory, ReferralFactory
from tests.factories import ChapterFactory, MembershipFactory
from tests.meetings.factories import MeetingFactory
from tests.services import wait_for
from tests.system.conftest import WebClient

London = "Europe/London"


class Clock:
    """One time for the test process and the processes it started (the file they read)."""

    def __init__(self, path: Path):
        self.path = path
        self.trip = None

    def set(self, moment: datetime) -> None:
        clock_write(self.path, moment)
        if self.trip is not None:
            self.trip.stop()
        self.trip = time_machine.travel(moment, tick=True)
        self.trip.start()

    def stop(self) -> None:
        if self.trip is not None:
            self.trip.stop()


def emails_to(folder: Path, address: str) -> list[str]:
    """Subjects of the emails the worker sent to `address` (the file backend writes each one)."""
    subjects = []
    for path in sorted(folder.glob("*.log")):
        for text in path.read_text(errors="replace").split("-" * 79):
            message = email.message_from_string(text.strip(), policy=email.policy.default)
            if address in str(message.get("To", "")):
                subjects.append(str(message["Subject"]))
    return subjects


def succeeded(worker, task: str) -> int:
    return len(re.findall(rf"Task {re.escape(task)}\[[0-9a-f-]+\] succeeded", worker.output()))


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_week_in_the_life_of_a_chapter(system, tmp_path):
    clock = Clock(tmp_path / "now")
    clock.set(datetime(2027, 3, 1, 10, 0, tzinfo=UTC))  # Monday
    try:
        _week(system, clock, tmp_path)
    finally:
        clock.stop()


def _week(system, clock, tmp_path):
    outbox = tmp_path / "mail"
    outbox.mkdir()
    chapter = ChapterFactory(slug="riverside", name="Riverside", timezone=London, weekday=3, start_time=time(7))
    joined = date(2026, 1, 5)
    paula = MembershipFactory(chapter=chapter, role=Membership.Role.PRESIDENT, joined_on=joined,
                              user__full_name="Paula President", user__email="paula@example.org")
    ann = MembershipFactory(chapter=chapter, joined_on=joined, user__full_name="Ann Absent",
                            user__email="ann@example.org")
    bob = MembershipFactory(chapter=chapter, joined_on=joined, user__full_name="Bob Busy",
                            user__email="bob@example.org")
    rules = dict(absences_allowed=1, window_months=6, fine_absence=Decimal("10.00"), late_weight=Decimal("0.5"),
                 grace_days=0, expulsion_violations=2, expulsion_months=6, currency="GBP")
    ChapterRulesFactory(chapter=chapter, number=1, effective_from=date(2026, 1, 1), referral_quota=0, **rules)
    ChapterRulesFactory(chapter=chapter, number=2, effective_from=date(2027, 3, 1), referral_quota=1,
                        quota_period="week", quota_counts="all", fine_quota=Decimal("5.00"), **rules)
    february = MeetingFactory(chapter=chapter, local_date=date(2027, 2, 25), status=Meeting.Status.CLOSED)
    for m, status in ((paula, "present"), (ann, "absent"), (bob, "present")):
        AttendanceFactory(meeting=february, membership=m, status=status)

    system.env.update(
        BEAT_EVERY_SECONDS="2", LEADSGROUPS_CLOCK_FILE=str(clock.path), EMAIL_FILE_PATH=str(outbox),
    )
    worker = system.worker()
    system.beat()
    web = system.web()

    # Monday: beat's scheduling entry writes the coming meetings; the first sweep judges the chapter
    # (never judged before: one batch) and finds nothing to fine.
    thursday = wait_for(lambda: Meeting.objects.filter(chapter=chapter, local_date=date(2027, 3, 4)).first(),
                        timeout=60)
    assert thursday is not None, system.logs()
    assert thursday.status == Meeting.Status.SCHEDULED
    assert thursday.starts_at == datetime(2027, 3, 4, 7, 0, tzinfo=UTC)  # 07:00 in London (GMT)
    assert wait_for(lambda: succeeded(worker, "enforcement.tasks.enforce_batch") >= 1), system.logs()
    assert ChapterEvaluationState.objects.get(chapter=chapter).evaluated_on == date(2027, 3, 1)
    assert not Fine.objects.exists()  # one absence in six months is allowed

    # Wednesday 17:30: the reminder hour the day before. Each member is reminded once, however
    # often beat sends the reminders entry.
    clock.set(datetime(2027, 3, 3, 17, 30, tzinfo=UTC))
    reminders = Notification.objects.filter(kind=Notification.Kind.REMINDER, chapter=chapter)
    assert wait_for(lambda: reminders.count() == 3 and emails_to(outbox, "ann@example.org"), timeout=60), (
        system.logs()
    )
    sweeps = succeeded(worker, "enforcement.tasks.reminders_sweep")
    assert wait_for(lambda: succeeded(worker, "enforcement.tasks.reminders_sweep") >= sweeps + 3), system.logs()
    assert reminders.count() == 3
    assert len(emails_to(outbox, "ann@example.org")) == 1
    assert "Thu 4 Mar" in emails_to(outbox, "ann@example.org")[0]

    # Thursday 07:05: the president runs roll call in the browser (Ann is not there) and closes the
    # meeting; the close queues the chapter's enforcement and the worker fines Ann within seconds.
    clock.set(datetime(2027, 3, 4, 7, 5, tzinfo=UTC))
    president = WebClient(web, paula.user)
    for m, status in ((paula, "present"), (ann, "absent"), (bob, "present")):
        code, _, _ = president.post(
            reverse("meetings:attendance-mark", args=[chapter.slug, thursday.pk, m.pk]), {"status": status}
        )
        assert code == 200
    assert dict(thursday.attendances.values_list("membership_id", "status")) == {
        paula.pk: "present", ann.pk: "absent", bob.pk: "present"
    }
    code, page, _ = president.post(reverse("meetings:close", args=[chapter.slug, thursday.pk]), {})
    assert code == 200 and "Meeting closed" in page
    absence = wait_for(lambda: Fine.objects.filter(membership=ann, kind=Fine.Kind.ABSENCE).first(), timeout=30)
    assert absence is not None, system.logs()
    assert (absence.meeting_id, absence.amount, absence.status) == (thursday.pk, Decimal("10.00"), Fine.Status.OPEN)
    assert absence.evidence["total"] == "2" and absence.evidence["allowed"] == 1
    assert wait_for(lambda: "Fine" in " ".join(emails_to(outbox, "ann@example.org")), timeout=30), system.logs()

    # Bob gives a referral on Thursday afternoon; Paula and Ann give none this week.
    ReferralFactory(giver=bob, receiver=paula, at=datetime(2027, 3, 4, 14, 0, tzinfo=UTC))

    # Sunday evening the week is not over yet: nobody is fined for the quota.
    clock.set(datetime(2027, 3, 7, 20, 0, tzinfo=UTC))
    runs = succeeded(worker, "enforcement.tasks.enforcement_sweep")
    assert wait_for(lambda: succeeded(worker, "enforcement.tasks.enforcement_sweep") >= runs + 2), system.logs()
    assert not Fine.objects.filter(kind=Fine.Kind.QUOTA).exists()

    # Monday 03:00: the sweep finds the chapter due (its week ended) and judges it. Ann's second violation opens a case.
    clock.set(datetime(2027, 3, 8, 3, 0, tzinfo=UTC))
    quota = Fine.objects.filter(kind=Fine.Kind.QUOTA)
    assert wait_for(lambda: quota.count() == 2, timeout=60), system.logs()
    assert sorted(quota.values_list("membership__user__full_name", "period_start", "period_end", "amount")) == [
        ("Ann Absent", date(2027, 3, 1), date(2027, 3, 7), Decimal("5.00")),
        ("Paula President", date(2027, 3, 1), date(2027, 3, 7), Decimal("5.00")),
    ]
    case = wait_for(lambda: ExpulsionCase.objects.filter(membership=ann, status="open").first(), timeout=30)
    assert case is not None, system.logs()
    assert set(case.fines.values_list("kind", flat=True)) == {"absence", "quota"}

    # Ann appeals in the browser.
    member = WebClient(web, ann.user)
    code, page, _ = member.post(
        reverse("enforcement:case-appeal", args=[chapter.slug, case.pk]),
        {"text": "I was in hospital on 4 March; the ward can confirm it."},
    )
    assert code == 200 and "Your appeal is recorded" in page, page[-2000:]
    case.refresh_from_db()
    assert case.appealed_at is not None

    # Paula corrects Ann's mark: she was in hospital (medical). The correction reconciles: the
    # absence fine is withdrawn with its reason, Ann is told, and the case, now below its threshold,
    # is flagged to those who decide it.
    code, page, _ = president.post(
        reverse("meetings:attendance-correct", args=[chapter.slug, thursday.pk, ann.pk]),
        {"status": "medical", "reason": "In hospital that morning; the ward confirmed it."},
    )
    assert code == 200 and "corrected" in page
    assert Attendance.objects.get(meeting=thursday, membership=ann).status == "medical"
    assert wait_for(lambda: Fine.objects.get(pk=absence.pk).status == "withdrawn", timeout=30), system.logs()
    absence.refresh_from_db()
    assert "medical" in absence.withdrawn_reason and absence.withdrawn_cause, absence.withdrawn_reason
    told = Notification.objects.filter(user=ann.user, kind=Notification.Kind.FINE).order_by("pk")
    assert "withdrawn" in told.last().title.lower(), list(told.values_list("title", flat=True))
    case.refresh_from_db()
    assert case.status == "open" and case.below_threshold_at is not None  # flagged to its deciders
    code, page, _ = member.get(reverse("enforcement:fine-detail", args=[chapter.slug, absence.pk]))
    assert code == 200 and "Withdrawn" in page
    assert Fine.objects.filter(membership=ann, kind=Fine.Kind.QUOTA, status="open").count() == 1
    # Nothing was issued twice in a week of beats every 2 seconds.
    assert Fine.objects.count() == 3
    assert ExpulsionCase.objects.count() == 1
    assert "raised unexpected" not in worker.output(), system.logs()
