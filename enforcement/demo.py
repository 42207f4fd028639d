"""Demo step: rules for each demo chapter, the real evaluation over the chapter's history, then the review
of the cases it opened (one awaiting an appeal, one appealed and ready, one decided), then what a change of
evidence does: a correction that withdraws a fine, a paid fine to decide a refund on, a back-dated leave."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from enforcement import review
from enforcement.evaluation import expulsion_since, violations_on_record
from enforcement.leave import leave_record
from enforcement.models import ChapterRules, ExpulsionCase, Fine, Leave
from enforcement.periods import local_today
from enforcement.services import chapter_enforce, fine_resolve, rules_create
from meetings.models import Attendance, Meeting
from meetings.services import attendance_correct
from members.demo import invitation_undelivered
from members.models import AuditEvent, Membership

FINES = {"GBP": Decimal("10.00"), "USD": Decimal("15.00"), "EUR": Decimal("10.00")}


def plural(count: int, word: str) -> str:
    """A count in a console line (English, as the log is): "1 fine", "2 fines"."""
    return f"{count} {word if count == 1 else word + 's'}"


def step(*, world, stdout) -> None:
    now = timezone.now()
    for slug, chapter in world.chapters.items():
        today = now.astimezone(chapter.tz).date()
        if not chapter.rules_versions.exists():
            # Backdated so the history already on record is judged: the demo imports rules a
            # chapter had been keeping on paper (the rules page itself never backdates).
            rules_create(
                chapter=chapter, by=None, effective_from=today - timedelta(days=200), allow_backdate=True,
                reason=_said(chapter, "rules"),
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
            if slug == "city-lunch":
                # Quality over quantity, weighed: outcomes and the receivers' ratings decide what counts.
                rules_create(
                    chapter=chapter, by=None, effective_from=today,
                    reason="Quality over quantity: referrals weighed by outcome and rating.",
                    data={
                        **{k: getattr(chapter.rules_versions.get(number=1), k) for k in ChapterRules.RULE_FIELDS},
                        "referral_quota": 2, "quota_period": ChapterRules.QuotaPeriod.MONTH,
                        "quota_counts": ChapterRules.QuotaCounts.WEIGHTED, "fine_quota": Decimal("5.00"),
                    },
                )
        # Members seeded "on leave" get a leave record (leave is judged by its dates), a month back.
        for m in Membership.objects.filter(chapter=chapter, status=Membership.Status.ON_LEAVE, leaves__isnull=True):
            Leave.objects.create(chapter=chapter, membership=m, starts_on=max(m.joined_on, today - timedelta(days=30)),
                                 reason=_said(chapter, "leave"))
        if not Meeting.objects.filter(chapter=chapter, status=Meeting.Status.CLOSED).exists():
            _history(chapter, today)
        result = chapter_enforce(chapter=chapter, now=now)
        stdout.write(
            f"  {chapter.name}: rules v{chapter.rules_versions.count()}, "
            f"{plural(len(result.fines), 'fine')} and {plural(len(result.cases), 'expulsion case')} issued"
        )
    _review(world=world, stdout=stdout, now=now)
    _changes_of_evidence(world=world, stdout=stdout, now=now)


# Case review: one case awaiting the member's appeal, one appealed and ready, one decided ----------

# What the demo's people type, in their chapter's language (the app never translates people's words).
TYPED = {
    "en": {
        "vouch": "A good member whose work took them away this autumn; I would give a chance.",
        "abroad": "I was on a long contract abroad from October and could not send a substitute every week. "
                  "It is over now and I will be at every meeting.",
        "probation": "The absences are real, but the reason has ended and the president vouches for the member.",
        "conditions": "No unexcused absence and the referral quota met every month until then.",
        "seat": "Missed meetings without a word; the seat is needed.",
        "hospital": "My mother was in hospital and I did not think to tell anyone. I am sorry; please keep my seat.",
        "rules": "Rules carried over from the paper rule book.",
        "leave": "Parental leave (demo).",
        "left_early": "Left before the meeting began; marked present by mistake.",
    },
    "de": {
        "vouch": "Ein gutes Mitglied, das beruflich diesen Herbst unterwegs war; ich würde eine Chance geben.",
        "abroad": "Ich war ab Oktober für einen längeren Auftrag im Ausland und konnte nicht jede Woche eine "
                  "Vertretung schicken. Das ist vorbei, ich bin ab jetzt bei jedem Treffen dabei.",
        "probation": "Die Abwesenheiten sind belegt, aber der Grund ist weggefallen, und der Präsident steht für "
                     "das Mitglied ein.",
        "conditions": "Bis dahin keine unentschuldigte Abwesenheit und jeden Monat die Empfehlungsquote erfüllt.",
        "seat": "Treffen ohne ein Wort verpasst; der Platz wird gebraucht.",
        "hospital": "Meine Mutter lag im Krankenhaus, und ich habe nicht daran gedacht, Bescheid zu sagen. Es tut "
                    "mir leid; bitte lassen Sie mir meinen Platz.",
        "rules": "Regeln aus dem bisherigen Regelbuch auf Papier übernommen.",
        "leave": "Elternzeit (Demo).",
        "left_early": "Vor Beginn des Treffens gegangen; versehentlich als anwesend erfasst.",
    },
}


def _typed(case, key: str) -> str:
    return _said(case.chapter, key)


def _said(chapter, key: str) -> str:
    return TYPED.get((chapter.language or "")[:2], TYPED["en"])[key]



def _review(*, world, stdout, now) -> None:
    """Walk the cases the evaluation opened through the review services. Idempotent: looks at what is there."""
    chapters = list(world.chapters.values())
    cases = ExpulsionCase.objects.filter(chapter__in=chapters)
    if cases.count() < 3:
        _one_more_case(chapters=chapters, world=world, now=now)
    decided = cases.filter(status=ExpulsionCase.Status.DECIDED).exists()
    open_cases = list(
        cases.filter(status=ExpulsionCase.Status.OPEN).select_related("membership__user", "chapter").order_by("opened_at", "pk")
    )
    waiting = [c for c in open_cases if not c.appealed_at and not c.appeal_waived_at]
    ready = [c for c in open_cases if c.appealed_at or c.appeal_waived_at]
    if not decided and len(waiting) > 1:
        case = waiting.pop(0)
        _recommend(case, ExpulsionCase.Recommendation.PROBATION, _typed(case, "vouch"))
        review.case_appeal(case=case, by=case.membership.user, waive_rest=True, text=_typed(case, "abroad"))
        review.case_decide(
            case=case, by=world.admin, decision=ExpulsionCase.Decision.PROBATION, reason=_typed(case, "probation"),
            probation_until=local_today(case.chapter.tz, now) + timedelta(days=90),
            conditions=_typed(case, "conditions"),
        )
        stdout.write(f"  Case of {case.membership.display_name}: decided (probation)")
    if not ready and len(waiting) > 1:
        case = waiting.pop(0)
        _recommend(case, ExpulsionCase.Recommendation.EXPEL, _typed(case, "seat"))
        review.case_appeal(case=case, by=case.membership.user, waive_rest=True, text=_typed(case, "hospital"))
        stdout.write(f"  Case of {case.membership.display_name}: appealed, ready for a decision")
    for case in waiting:
        stdout.write(f"  Case of {case.membership.display_name}: awaiting the member's appeal")
    if waiting:
        world.logins.append((f"Member with a case to appeal ({waiting[0].chapter.name})", waiting[0].membership.user.email))


def _recommend(case, recommendation, note) -> None:
    president = Membership.objects.filter(
        chapter=case.chapter, role=Membership.Role.PRESIDENT, status__in=Membership.SEATED_STATUSES
    ).exclude(pk=case.membership_id).select_related("user").first()
    if president is not None:
        review.case_recommend(case=case, by=president.user, recommendation=recommendation, note=note)


def _one_more_case(*, chapters, world, now) -> None:
    """The demo's history opens too few cases: the vice-president corrects a roll call after close
    (a member marked present had left before the meeting began) until the evaluation opens one more."""
    for chapter in chapters:
        if ExpulsionCase.objects.filter(chapter=chapter).exists():
            continue
        today = local_today(chapter.tz, now)
        rules = chapter.rules_versions.order_by("-effective_from", "-number").first()
        if rules is None:
            continue
        on_record = violations_on_record(chapter=chapter, since=expulsion_since(rules, today))
        if not on_record:
            continue
        membership_id = max(on_record, key=lambda pk: (len(on_record[pk]), -pk))
        membership = Membership.objects.get(pk=membership_id)
        vp = Membership.objects.filter(chapter=chapter, role=Membership.Role.VICE_PRESIDENT).select_related("user").first()
        # The latest marks first, whatever the weekday: the history is built back from the last
        # meeting, so the meetings after the member's last fine may be none at all (demo on any day).
        present = (
            Attendance.objects.filter(
                membership=membership, status=Attendance.Status.PRESENT, meeting__status=Meeting.Status.CLOSED,
                meeting__local_date__gt=expulsion_since(rules, today),
            ).select_related("meeting").order_by("-meeting__local_date")
        )
        for row in present[:6]:
            attendance_correct(
                meeting=row.meeting, membership=membership, status=Attendance.Status.ABSENT,
                by=vp.user if vp else None, reason=_said(chapter, "left_early"),
            )
            if chapter_enforce(chapter=chapter, now=now).cases:
                return


# Changes of evidence: what the chapter's leadership sees after a correction or a back-dated leave ----

WITHDRAW_REASON = "In hospital that morning; the sick note came after the meeting was closed."
REFUND_REASON = "Sick note for that morning handed in after the fine was paid."
LEAVE_REASON = "Knee operation; the surgeon's note is dated from the first day."
UNDELIVERED = ("rob.finch@bouncing.example", "Rob Finch")


def _changes_of_evidence(*, world, stdout, now) -> None:
    """Through the real services: a mark corrected to medical withdraws its unpaid fine; the same for a
    paid fine flags it for a refund decision; a back-dated leave; an invitation whose email failed.

    Idempotent: each is keyed by its reason (or address) and done once. The fines chosen are the only fine
    of a member without an expulsion case, so no case and no other fine changes with them (the review's
    stages stay as they are); the demo history gives at least two such members on any weekday.
    """
    chapters = list(world.chapters.values())
    done = set(
        AuditEvent.objects.filter(action="attendance.corrected", chapter__in=chapters,
                                  reason__in=[WITHDRAW_REASON, REFUND_REASON]).values_list("reason", flat=True)
    )
    todo = [r for r in (WITHDRAW_REASON, REFUND_REASON) if r not in done]
    for reason, fine in zip(todo, _lone_fines(chapters), strict=False):
        chapter = fine.chapter
        treasurer = _officer(chapter, Membership.Role.SECRETARY_TREASURER)
        if reason == REFUND_REASON:
            fine_resolve(fine=fine, by=treasurer.user if treasurer else None, status=Fine.Status.PAID)
        vp = _officer(chapter, Membership.Role.VICE_PRESIDENT)
        attendance_correct(
            meeting=fine.meeting, membership=fine.membership, status=Attendance.Status.MEDICAL,
            by=vp.user if vp else None, reason=reason,
        )
        result = chapter_enforce(chapter=chapter, now=now)
        what = "withdrawn" if reason == WITHDRAW_REASON else "paid, now a refund to decide"
        stdout.write(f"  Fine of {fine.membership.display_name} ({chapter.name}): mark corrected to medical, {what} "
                     f"({len(result.withdrawn)} withdrawn, {len(result.refund_flagged)} flagged)")
    flagged = Fine.objects.filter(chapter__in=chapters, refund_flagged_at__isnull=False, refund_decision="").select_related(
        "chapter").first()
    if flagged is not None:
        president = _officer(flagged.chapter, Membership.Role.PRESIDENT)
        if president is not None:
            world.logins.append((f"President with a refund to decide ({flagged.chapter.name})", president.user.email))

    riverside = world.chapters.get("riverside")
    if riverside is None:
        return
    president = _officer(riverside, Membership.Role.PRESIDENT)
    if not Leave.objects.filter(chapter=riverside, reason=LEAVE_REASON).exists():
        fined = Fine.objects.filter(chapter=riverside).values("membership")
        member = (
            Membership.objects.filter(chapter=riverside, role=Membership.Role.MEMBER, status=Membership.Status.ACTIVE)
            .exclude(pk__in=fined).exclude(user__memberships__chapter__in=[c for c in chapters if c != riverside])
            .order_by("-pk").first()
        )
        if member is not None:
            today = local_today(riverside.tz, now)
            leave = leave_record(membership=member, by=president.user if president else None,
                                 starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=21),
                                 reason=LEAVE_REASON)
            chapter_enforce(chapter=riverside, now=now)  # what the leave's after-commit run would do
            stdout.write(f"  Leave of {member.display_name} ({riverside.name}) recorded, back-dated: {leave.label}")
    invitation_undelivered(chapter=riverside, by=president.user if president else None,
                           email=UNDELIVERED[0], full_name=UNDELIVERED[1])


def _lone_fines(chapters) -> list[Fine]:
    """Unpaid fines for a meeting that are their member's only fine, of members without a case (stable order)."""
    order = {c.pk: i for i, c in enumerate(chapters)}
    fines = list(
        Fine.objects.filter(chapter__in=chapters, status=Fine.Status.OPEN, meeting__isnull=False)
        .exclude(membership__in=ExpulsionCase.objects.values("membership"))
        .select_related("chapter", "meeting", "membership__user")
    )
    counts = Counter(Fine.objects.filter(chapter__in=chapters).values_list("membership_id", flat=True))
    lone = [f for f in fines if counts[f.membership_id] == 1]
    return sorted(lone, key=lambda f: (order[f.chapter_id], f.membership_id))


def _officer(chapter, role):
    return Membership.objects.filter(
        chapter=chapter, role=role, status__in=Membership.SEATED_STATUSES
    ).select_related("user").first()


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
