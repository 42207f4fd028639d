"""Demo meetings: 12 weeks of closed meetings with attendance, visitors and run sheets, and the coming ones.

Idempotent: a meeting is keyed by its schedule slot, and its history is written only when it is new.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from chapters.models import Chapter
from meetings.models import Attendance, Meeting, Presentation, Testimonial, Visitor
from meetings.services import meeting_local_start, meetings_schedule, schedule_slots
from members.models import Membership

HISTORY_WEEKS = 12
# Most members come; a few are late, away ill, or send a substitute. Two members per chapter
# miss a lot, so attendance rules have someone to find.
USUAL = [("present", 84), ("late", 6), ("absent", 3), ("medical", 3), ("substitute", 4)]
STRUGGLING = [("present", 45), ("late", 10), ("absent", 40), ("substitute", 5)]
VISITOR_NAMES = [
    ("Abigail Stone", "Stone & Co Accountants"), ("Bruno Keller", "Keller Print"), ("Cara Doyle", "Doyle Dental"),
    ("Dmitri Ivanov", "Ivanov IT Support"), ("Elena Ruiz", "Ruiz Interiors"), ("Felix Grant", "Grant Removals"),
    ("Gemma Holt", "Holt Yoga Studio"), ("Harvey Lim", "Lim Architects"), ("Imogen Price", "Price Pet Care"),
    ("Jonas Berg", "Berg Bikes"), ("Keira Nash", "Nash Events"), ("Leon Moss", "Moss Landscaping"),
]
TOPICS = [
    "How we cut a client's energy bill by 30%", "Five questions to ask your accountant", "A day in a florist's life",
    "Why referrals beat advertising", "Protecting your small business online", "What makes a good introduction",
    "Cash flow in the quiet months", "Our biggest project this year", "Hiring your first employee",
]
TESTIMONIALS = [
    "Sorted our office move in a weekend, nothing broken.", "Went out of their way for my client, who is delighted.",
    "Quick, friendly and exactly the price quoted.", "Saved us a fortune on our insurance renewal.",
    "Turned a referral into a lifelong customer, thank you.",
]


# The German demo chapter's guests, talks and words (chapters/demo.py: Berlin Mitte), item for item.
GERMAN = {
    "visitors": [
        ("Anja Stein", "Steuerbüro Stein"), ("Bruno Keller", "Druckerei Keller"), ("Carla Dorn", "Zahnarztpraxis Dorn"),
        ("Dmitri Iwanow", "Iwanow IT-Service"), ("Elena Ruiz", "Ruiz Innenarchitektur"),
        ("Felix Graf", "Graf Umzüge"), ("Gesa Holt", "Yogastudio Holt"), ("Hakan Yilmaz", "Yilmaz Architekten"),
        ("Ida Peters", "Tierbetreuung Peters"), ("Jonas Berg", "Fahrrad Berg"), ("Kira Nagel", "Nagel Events"),
        ("Leon Moos", "Garten- und Landschaftsbau Moos"),
    ],
    "topics": [
        "Wie wir die Energiekosten eines Kunden um 30 % gesenkt haben", "Fünf Fragen an Ihre Steuerberaterin",
        "Ein Tag im Blumenladen", "Warum Empfehlungen besser sind als Werbung",
        "Kleine Betriebe online schützen", "Was eine gute Vorstellung ausmacht",
        "Liquidität in ruhigen Monaten", "Unser größtes Projekt in diesem Jahr", "Die erste Einstellung",
    ],
    "testimonials": [
        "Hat unseren Büroumzug an einem Wochenende erledigt, nichts ist kaputtgegangen.",
        "Hat sich für meinen Kunden ins Zeug gelegt – der ist begeistert.",
        "Schnell, freundlich und genau zum vereinbarten Preis.",
        "Hat uns bei der Versicherung ein Vermögen gespart.",
        "Hat aus einer Empfehlung einen Stammkunden gemacht, danke!",
    ],
    "holiday": "Feiertag: Das Lokal ist geschlossen",
}


def _texts(chapter, key, english):
    """The chapter's words: German in a German-speaking chapter, else the English ones."""
    return GERMAN[key] if chapter.language == "de" else english


def _pick(rng: random.Random, weights) -> str:
    return rng.choices([s for s, _ in weights], weights=[w for _, w in weights])[0]


def _chapter_history(chapter: Chapter, today, stdout) -> None:
    rng = random.Random(f"meetings-{chapter.slug}")
    seated = list(
        Membership.objects.filter(chapter=chapter, status__in=Membership.SEATED_STATUSES)
        .select_related("user", "classification")
        .order_by("pk")
    )
    expected = [m for m in seated if m.status != Membership.Status.ON_LEAVE]
    president = next((m for m in seated if m.role == Membership.Role.PRESIDENT), seated[0])
    struggling = set([m.pk for m in expected if m.role == Membership.Role.MEMBER][-3:-1])
    classifications = [m.classification for m in seated if m.classification]
    slots = [d for d in schedule_slots(chapter=chapter, start=today - timedelta(weeks=HISTORY_WEEKS),
                                       weeks=HISTORY_WEEKS) if d < today]
    holiday = slots[len(slots) // 2] if chapter.cadence == Chapter.Cadence.WEEKLY else None
    new_meetings = 0
    for n, day in enumerate(slots):
        meeting, created = Meeting.objects.get_or_create(
            chapter=chapter, kind=Meeting.Kind.REGULAR, scheduled_date=day,
            defaults={
                "local_date": day, "venue": chapter.venue, "duration_minutes": chapter.duration_minutes,
                "starts_at": meeting_local_start(chapter=chapter, local_date=day, local_time=chapter.start_time),
            },
        )
        if not created and meeting.status in (Meeting.Status.CLOSED, Meeting.Status.CANCELLED):
            continue  # its history is there already
        new_meetings += 1
        if day == holiday:
            meeting.status = Meeting.Status.CANCELLED
            meeting.cancel_reason = _texts(chapter, "holiday", "Bank holiday: the venue is closed")
            meeting.save(update_fields=["status", "cancel_reason"])
            continue
        marks = []
        for m in expected:
            if m.joined_on > day:
                continue
            status = _pick(rng, STRUGGLING if m.pk in struggling else USUAL)
            sub = ("", "")
            if status == "substitute":
                sub = rng.choice(_texts(chapter, "visitors", VISITOR_NAMES))
            marks.append(Attendance(meeting=meeting, membership=m, status=status, substitute_name=sub[0],
                                    substitute_business=sub[1], recorded_by=president.user))
        Attendance.objects.bulk_create(marks, ignore_conflicts=True)
        meeting.status = Meeting.Status.CLOSED
        meeting.closed_at = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
        meeting.closed_by = president.user
        meeting.save(update_fields=["status", "closed_at", "closed_by"])
        _run_sheet(meeting, expected, rng, n)
        _visitors(meeting, expected, classifications, rng, n)
    upcoming = meetings_schedule(chapter=chapter, today=today)
    for n, meeting in enumerate(
        Meeting.objects.filter(chapter=chapter, local_date__gte=today).exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at")[:4]
    ):
        if not meeting.presentations.exists():
            _run_sheet(meeting, expected, rng, n + len(slots), testimonials=False)
    stdout.write(f"  {chapter.name}: {new_meetings} past meeting(s) written, {upcoming} upcoming created")


def _run_sheet(meeting, members, rng, n, testimonials=True) -> None:
    feature = members[(n * 2) % len(members)]
    education = members[(n * 2 + 1) % len(members)]
    topics = _texts(meeting.chapter, "topics", TOPICS)
    Presentation.objects.get_or_create(meeting=meeting, presenter=feature, kind=Presentation.Kind.FEATURE,
                                       defaults={"topic": topics[n % len(topics)]})
    Presentation.objects.get_or_create(meeting=meeting, presenter=education, kind=Presentation.Kind.EDUCATION,
                                       defaults={"topic": topics[(n + 4) % len(topics)]})
    if testimonials:
        for _ in range(rng.randint(1, 2)):
            given_by, about = rng.sample(members, 2)
            Testimonial.objects.create(meeting=meeting, given_by=given_by, about=about,
                                       text=rng.choice(_texts(meeting.chapter, "testimonials", TESTIMONIALS)))


def _visitors(meeting, members, classifications, rng, n) -> None:
    # One returning visitor (three visits: flagged on the third) and a stream of one-off guests.
    guests, names = [], _texts(meeting.chapter, "visitors", VISITOR_NAMES)
    if n in (1, 3, 5):
        guests.append(names[0])
    if n % 2 == 0:
        guests.append(names[1 + (n // 2) % (len(names) - 1)])
    for name, business in guests:
        slug = name.lower().replace(" ", ".")
        Visitor.objects.create(
            meeting=meeting, name=name, business=business, email=f"{slug}@example.com",
            classification=rng.choice(classifications) if rng.random() < 0.3 else None,
            invited_by=rng.choice(members),
            follow_up=rng.choice([s for s in Visitor.FollowUp.values if s != Visitor.FollowUp.APPLIED]),
        )


def step(*, world, stdout) -> None:
    """seed_demo step: meeting history and the coming meetings of every demo chapter."""
    for chapter in world.chapters.values():
        _chapter_history(chapter, timezone.localdate(timezone=chapter.tz), stdout)
