"""Demo step: the half-year before the meetings and referrals demos' 12 weeks, so chapter health shows trends.

The meetings and referrals demos write the last 12 weeks. This step writes the 14 weeks before them
(26 weeks in all, the health page's default range) as a growing chapter: fewer referrals, visitors
and one-to-ones the further back, attendance a little better than lately (two members began missing
only recently), two visitors who applied to join, and two members who left (one who had joined in the
half-year). It runs after those demos and before enforcement, which judges the whole history.

Enforcement must find nothing new in it (the demo's fines and cases stay as the enforcement demo
arranges them): an absence or late arrival is written only for a member whose whole record stays two
weighted absences under the chapter's limit, and no substitute at all. Members who left are not judged.

Dates are relative to each chapter's today and its schedule (meetings.services.schedule_slots), so the
demo is the same on any weekday. Idempotent: a chapter that already has a closed meeting in those 14
weeks is left alone.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from chapters.demo import DOMAIN, _local_part, _user
from chapters.models import Classification
from leadsgroups.i18n import for_chapter, language
from meetings.demo import _run_sheet
from meetings.models import Attendance, Meeting, Testimonial, Visitor
from meetings.services import meeting_local_start, schedule_slots, visitor_convert
from members.models import Membership
from referrals.demo import _final_state, _referral
from referrals.models import EducationCredit, OneToOne

RECENT_WEEKS = 12  # what the meetings and referrals demos write
EARLIER_WEEKS = 14  # what this step writes before them: 26 weeks in all
EARLIER_VISITORS = [
    ("Marta Lind", "Lind Bookkeeping"), ("Oscar Pryce", "Pryce Plumbing"), ("Nadia Ferreira", "Ferreira Law"),
    ("Pavel Novak", "Novak Joinery"), ("Ruth Okafor", "Okafor Physio"), ("Simon Hale", "Hale Photography"),
    ("Tessa Wong", "Wong Travel"), ("Umar Sheikh", "Sheikh Motors"),
]
LEAVERS = [
    # joined (days ago), left (weeks ago), first name, last name, why
    (400, 17, "Gareth", "Lowe", "Moved to another city for work."),
    (140, 8, "Helen", "Marsh", "Resigned: the business closed."),
]
ONE_TO_ONE_NOTE = "Coffee; learned about their best clients."
COURSE, SKILLS_COURSE = "Networking that works", "Referral skills"
TESTIMONIAL = "Looked after my client from the first call to the last invoice."

# A German-speaking chapter's history is written as its members would write it (as meetings.demo does):
# the same number of visitors and leavers, so the demo draws the same figures in every chapter.
GERMAN = {
    "visitors": [
        ("Marta Lind", "Lind Buchhaltung"), ("Oskar Preuß", "Preuß Sanitär"), ("Nadia Ferreira", "Kanzlei Ferreira"),
        ("Pavel Novak", "Novak Tischlerei"), ("Ruth Okafor", "Physiotherapie Okafor"), ("Simon Haller", "Haller Fotografie"),
        ("Tessa Wong", "Wong Reisen"), ("Umar Scheich", "Scheich Autohaus"),
    ],
    "leavers": [
        (400, 17, "Gerd", "Lohmann", "Beruflich in eine andere Stadt gezogen."),
        (140, 8, "Helga", "Marx", "Ausgetreten: Das Geschäft wurde geschlossen."),
    ],
    "one_to_one": "Kaffee; etwas über die besten Kunden erfahren.",
    "course": "Networking, das funktioniert",
    "skills_course": "Empfehlungen geben und bekommen",
    "testimonial": "Hat sich vom ersten Anruf bis zur letzten Rechnung um meinen Kunden gekümmert.",
}


def _texts(chapter) -> dict:
    """The step's visitors, leavers, notes, courses and testimonial in the chapter's language (English unless German)."""
    if (chapter.language or "").startswith("de"):
        return GERMAN
    return {"visitors": EARLIER_VISITORS, "leavers": LEAVERS, "one_to_one": ONE_TO_ONE_NOTE, "course": COURSE,
            "skills_course": SKILLS_COURSE, "testimonial": TESTIMONIAL}


def step(*, world, stdout) -> None:
    now = timezone.now()
    for chapter in world.chapters.values():
        today = timezone.localdate(now, timezone=chapter.tz)
        recent_start = today - timedelta(weeks=RECENT_WEEKS)
        slots = [d for d in schedule_slots(chapter=chapter, start=today - timedelta(weeks=RECENT_WEEKS + EARLIER_WEEKS),
                                           weeks=EARLIER_WEEKS + 1) if d < recent_start]
        if not slots or Meeting.objects.filter(chapter=chapter, local_date__gte=slots[0], local_date__lt=recent_start,
                                               status=Meeting.Status.CLOSED).exists():
            continue
        rng = random.Random(f"reports-{chapter.slug}")
        leavers = _leavers(chapter, today)
        with for_chapter(chapter):  # the referrals' notes and reasons in the members' language, as referrals.demo
            written = _earlier_history(chapter, today, slots, leavers, rng, now)
            stars, steady = _scorecard_spread(chapter, today, rng, now)
        stdout.write(f"  {chapter.name}: {written} earlier meetings for the health trends, "
                     f"{len(leavers)} members who left, {stars} busy and {steady} steady members")


def _leavers(chapter, today) -> list[Membership]:
    """Two members who resigned within the half-year, with their marks at the recent meetings before they left
    (the earlier ones get theirs as they are written)."""
    taken = Membership.objects.filter(chapter=chapter).values("classification")
    free = list(Classification.objects.exclude(pk__in=taken).order_by("name")[: len(LEAVERS)])
    leavers = []
    for (joined_days, left_weeks, first, last, why), classification in zip(_texts(chapter)["leavers"], free,
                                                                           strict=False):
        user = _user(f"former.{_ascii(first)}.{_ascii(last)}.{chapter.slug}@{DOMAIN}".lower(), f"{first} {last}",
                     _business(chapter, last, classification))
        membership, _ = Membership.objects.get_or_create(
            user=user, chapter=chapter,
            defaults=dict(classification=classification, business_name=user.business_name,
                          status=Membership.Status.RESIGNED, status_note=why,
                          joined_on=today - timedelta(days=joined_days), left_on=today - timedelta(weeks=left_weeks)),
        )
        leavers.append(membership)
    rng = random.Random(f"reports-leavers-{chapter.slug}")
    marks = []
    for meeting in Meeting.objects.filter(chapter=chapter, status=Meeting.Status.CLOSED):
        for m in leavers:
            if m.joined_on <= meeting.local_date < m.left_on:
                status = rng.choices(["present", "late", "absent"], weights=[60, 15, 25])[0]
                marks.append(Attendance(meeting=meeting, membership=m, status=status))
    Attendance.objects.bulk_create(marks, ignore_conflicts=True)
    return leavers


def _ascii(name: str) -> str:
    return _local_part(name, "", "").strip(".")


def _business(chapter, last: str, classification) -> str:
    """"Lowe Plumber", or as a German member names it: "Klempner Lohmann"."""
    if (chapter.language or "").startswith("de"):
        with language("de"):
            return f"{classification.label} {last}"
    return f"{last} {classification.name}"


def _budgets(chapter) -> dict[int, Decimal]:
    """How much of an absence (late = half) each seated member may still gain in the demo without coming
    within two of the chapter's limit (rules: 3 absences in 6 months; the demo's history is 26 weeks)."""
    budgets = {}
    seated = Membership.objects.filter(chapter=chapter, status__in=Membership.SEATED_STATUSES)
    for m in seated.prefetch_related("attendances"):
        weighted = sum(
            Decimal(1) if a.status == "absent" else Decimal("0.5") if a.status == "late" else Decimal(0)
            for a in m.attendances.all()
        )
        budgets[m.pk] = max(Decimal(1) - weighted, Decimal(0))
    return budgets


def _earlier_history(chapter, today, slots, leavers, rng, now) -> int:
    seated = list(Membership.objects.filter(chapter=chapter, status__in=Membership.SEATED_STATUSES)
                  .select_related("user").order_by("pk"))
    people = seated + leavers
    budgets = _budgets(chapter)
    president = next((m for m in seated if m.role == Membership.Role.PRESIDENT), seated[0])
    per_week = max(3, len([m for m in seated if m.status == Membership.Status.ACTIVE]) // 3)
    weeks = len(slots)
    texts = _texts(chapter)
    for n, day in enumerate(slots):
        growth = 0.35 + 0.55 * n / max(weeks - 1, 1)  # the chapter grows into the recent weeks' pace
        meeting, _ = Meeting.objects.get_or_create(
            chapter=chapter, kind=Meeting.Kind.REGULAR, scheduled_date=day,
            defaults={"local_date": day, "venue": chapter.venue, "duration_minutes": chapter.duration_minutes,
                      "starts_at": meeting_local_start(chapter=chapter, local_date=day, local_time=chapter.start_time)},
        )
        here = [m for m in people if m.joined_on <= day and (m.left_on is None or day < m.left_on)]
        marks = []
        for m in here:
            if m in leavers:  # drifting away before they left (not judged: no longer seated)
                status = rng.choices(["present", "late", "absent"], weights=[60, 15, 25])[0]
                marks.append(Attendance(meeting=meeting, membership=m, status=status, recorded_by=president.user))
                continue
            status = rng.choices(["present", "late", "absent", "medical"], weights=[90, 4, 3, 3])[0]
            cost = {"late": Decimal("0.5"), "absent": Decimal(1)}.get(status, Decimal(0))
            if cost > budgets.get(m.pk, Decimal(0)):
                status, cost = "present", Decimal(0)
            budgets[m.pk] = budgets.get(m.pk, Decimal(0)) - cost
            marks.append(Attendance(meeting=meeting, membership=m, status=status, recorded_by=president.user))
        Attendance.objects.bulk_create(marks, ignore_conflicts=True)
        meeting.status, meeting.closed_by = Meeting.Status.CLOSED, president.user
        meeting.closed_at = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
        meeting.save(update_fields=["status", "closed_at", "closed_by"])
        present = here
        _run_sheet(meeting, present, rng, n)
        if n < len(EARLIER_VISITORS) and (n % 3 == 1 or rng.random() < 0.2 + 0.3 * growth):
            name, business = texts["visitors"][n]
            Visitor.objects.create(
                meeting=meeting, name=name, business=business, invited_by=rng.choice(present),
                email=f"{_ascii(name).replace(' ', '.')}.{chapter.slug}@example.com",
                follow_up=rng.choice([Visitor.FollowUp.THANKED, Visitor.FollowUp.NOT_INTERESTED,
                                      Visitor.FollowUp.INTERESTED]),
            )
        week_start = day - timedelta(days=day.weekday())
        for _ in range(round(per_week * growth)):
            giver, receiver = rng.sample(here, 2)
            created = datetime.combine(week_start + timedelta(days=rng.randint(0, 6)),
                                       time(rng.randint(7, 18), rng.randint(0, 59)), tzinfo=chapter.tz)
            # referrals.demo writes each with its history, its consent and, when won, its thank-you
            _referral(rng, chapter, giver, receiver, created, _final_state(rng, (now - created).days), now)
        for _ in range(round(per_week * growth / 3)):
            a, b = rng.sample(here, 2)
            OneToOne.objects.get_or_create(
                initiator=a, other=b, met_on=day - timedelta(days=rng.randint(1, 5)),
                defaults={"chapter": chapter, "status": OneToOne.Status.CONFIRMED, "answered_at": now,
                          "notes": texts["one_to_one"]},
            )
        if n % 3 == 1:
            EducationCredit.objects.create(chapter=chapter, membership=rng.choice(present),
                                           completed_on=day - timedelta(days=2), title=texts["course"],
                                           hours=Decimal(rng.choice(["1", "2", "3"])))
    _applications(chapter, president)
    return weeks


def _applications(chapter, president) -> None:
    """Two of the earlier visitors applied to join: the real conversion, an applicant seat for each."""
    visitors = (Visitor.objects.filter(meeting__chapter=chapter, name__in=[n for n, _ in _texts(chapter)["visitors"]],
                                       applicant_membership__isnull=True)
                .order_by("-meeting__local_date", "pk"))  # the latest: inside the health page's 26 weeks
    for visitor in visitors[:2]:
        visitor_convert(visitor=visitor, by=president.user)


# The scorecards' spread ----------------------------------------------------------------------------------

# Referrals given, visitors invited and hours of education over the 26 weeks, and testimonials given: a few
# members who pass a referral a week and bring guests (green), more who pass one a fortnight (amber); the
# rest keep what the other demos gave them.
TARGETS = {"busy": (34, 6, 13, 2), "steady": (19, 3, 6, 1)}


def _scorecard_spread(chapter, today, rng, now) -> tuple[int, int]:
    since = today - timedelta(weeks=RECENT_WEEKS + EARLIER_WEEKS)
    active = list(Membership.objects.filter(chapter=chapter, status=Membership.Status.ACTIVE,
                                            role=Membership.Role.MEMBER, joined_on__lte=since).order_by("pk"))
    if len(active) < 6:
        return 0, 0
    budgets = _budgets(chapter)
    texts = _texts(chapter)
    # Busy members come to every meeting (one late arrival at most); the first member, whose login the
    # demo prints (member of two chapters), is a steady one: their own scorecard shows every colour.
    clean = [m for m in active[1:] if budgets.get(m.pk, 0) >= Decimal("0.5")]  # no absence, one late at most
    busy = rng.sample(clean, min(len(clean), max(2, len(active) // 7)))
    steady = [active[0], *rng.sample([m for m in active[1:] if m not in busy], max(3, len(active) // 4))]
    meetings = list(Meeting.objects.filter(chapter=chapter, status=Meeting.Status.CLOSED, local_date__gte=since,
                                           local_date__lt=today).order_by("local_date"))
    everyone = list(Membership.objects.filter(chapter=chapter, status__in=Membership.SEATED_STATUSES))
    for kind, group in (("busy", busy), ("steady", steady)):
        referrals, visitors, hours, testimonials = TARGETS[kind]
        for m in group:
            have = m.referrals_given.filter(created_at__date__gte=since).count()
            for _ in range(max(referrals - have, 0)):
                # later weeks more likely: the chapter's pace grows
                meeting = meetings[min(int(len(meetings) * rng.random() ** 0.7), len(meetings) - 1)]
                receiver = rng.choice([o for o in everyone if o.pk != m.pk])
                created = datetime.combine(meeting.local_date - timedelta(days=rng.randint(0, 6)),
                                           time(rng.randint(7, 18), rng.randint(0, 59)), tzinfo=chapter.tz)
                _referral(rng, chapter, m, receiver, created, _final_state(rng, (now - created).days), now)
            for n in range(visitors - m.visitors_invited.filter(meeting__local_date__gte=since).count()):
                meeting = rng.choice(meetings)
                name, business = rng.choice(texts["visitors"])
                Visitor.objects.create(
                    meeting=meeting, name=f"{name.split()[0]} {chr(65 + n)}. {name.split()[1]}", business=business,
                    invited_by=m, follow_up=rng.choice([Visitor.FollowUp.THANKED, Visitor.FollowUp.NOT_INTERESTED]),
                )
            for _ in range(hours // 3):
                EducationCredit.objects.create(chapter=chapter, membership=m, hours=Decimal(3),
                                               completed_on=rng.choice(meetings).local_date, title=texts["skills_course"])
            for meeting in rng.sample(meetings, testimonials):
                Testimonial.objects.create(meeting=meeting, given_by=m, about=rng.choice([o for o in everyone if o != m]),
                                           text=texts["testimonial"])
    return len(busy), len(steady)
