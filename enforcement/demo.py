"""Demo step: rules for each demo chapter, then the real evaluation over the chapter's history."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from enforcement.models import ChapterRules
from enforcement.services import chapter_enforce, rules_create
from meetings.models import Attendance, Meeting
from members.models import Membership

FINES = {"GBP": Decimal("10.00"), "USD": Decimal("15.00"), "EUR": Decimal("10.00")}


def step(*, world, stdout) -> None:
    now = timezone.now()
    for slug, chapter in world.chapters.items():
        today = now.astimezone(chapter.tz).date()
        if not chapter.rules_versions.exists():
            # Backdated so the history already on record is judged: the demo imports rules a
            # chapter had been keeping on paper (the rules page itself never backdates).
            rules_create(
                chapter=chapter, by=None, effective_from=today - timedelta(days=200), allow_backdate=True,
                reason="Rules carried over from the paper rule book.",
                data=dict(
                    absence_window=ChapterRules.Window.ROLLING, window_months=6, absences_allowed=3,
                    late_weight=Decimal("0.5"), medical_weight=Decimal("0"), substitute_weight=Decimal("0"),
                    substitutes_allowed=3, medical_allowed=8, referral_quota=0,
                    fine_absence=FINES.get(chapter.currency, Decimal("10.00")), fine_late=Decimal("0"),
                    fine_quota=Decimal("0"), grace_days=90, exempt_on_leave=True,
                    expulsion_violations=3, expulsion_months=6,
                ),
            )
            if slug == "riverside":
                # A change that starts today: the history shows both, no past period is re-judged.
                rules_create(
                    chapter=chapter, by=None, effective_from=today, reason="Quality over quantity: consented referrals.",
                    data={
                        **{k: getattr(chapter.rules_versions.get(number=1), k) for k in ChapterRules.RULE_FIELDS},
                        "referral_quota": 2, "quota_period": ChapterRules.QuotaPeriod.MONTH,
                        "quota_counts": ChapterRules.QuotaCounts.CONSENTED, "fine_quota": Decimal("5.00"),
                    },
                )
        if not Meeting.objects.filter(chapter=chapter, status=Meeting.Status.CLOSED).exists():
            _history(chapter, today)
        result = chapter_enforce(chapter=chapter, now=now)
        stdout.write(
            f"  {chapter.name}: rules v{chapter.rules_versions.count()}, "
            f"{len(result.fines)} fine(s) and {len(result.cases)} expulsion case(s) issued"
        )


def _history(chapter, today) -> None:
    """Sixteen past meetings with roll call, for a chapter that has no history yet (one holiday cancelled).

    Two members miss several meetings (one of them enough for an expulsion case), one is often late.
    """
    step = 14 if chapter.cadence == chapter.Cadence.BIWEEKLY else 7
    last = today - timedelta(days=(today.weekday() - chapter.weekday) % 7 or 7)
    members = list(
        Membership.objects.filter(chapter=chapter, status__in=[Membership.Status.ACTIVE]).order_by("pk")
    )
    absent_often, absent_some, late_often = (members[3:6] + [None, None, None])[:3]
    for i in range(16):
        day = last - timedelta(days=step * i)
        starts = datetime.combine(day, chapter.start_time, tzinfo=chapter.tz)
        cancelled = i == 9
        meeting, created = Meeting.objects.get_or_create(
            chapter=chapter, kind=Meeting.Kind.REGULAR, scheduled_date=day,
            defaults=dict(
                starts_at=starts, local_date=day, venue=chapter.venue, duration_minutes=chapter.duration_minutes,
                status=Meeting.Status.CANCELLED if cancelled else Meeting.Status.CLOSED,
                cancel_reason="Bank holiday" if cancelled else "", closed_at=None if cancelled else starts,
            ),
        )
        if not created or cancelled:
            continue
        marks = []
        for m in members:
            status = Attendance.Status.PRESENT
            if m == absent_often and i in (0, 2, 4, 6, 8, 11):
                status = Attendance.Status.ABSENT
            elif m == absent_some and i in (1, 5, 10, 13):
                status = Attendance.Status.ABSENT
            elif m == late_often and i in (3, 7, 12):
                status = Attendance.Status.LATE
            marks.append(Attendance(meeting=meeting, membership=m, status=status))
        Attendance.objects.bulk_create(marks)
