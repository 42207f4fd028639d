"""Demo referrals: 12 weeks of referrals in every state (some stale), TYFCBs, one-to-ones, education.

Idempotent: a chapter that already has referrals is left alone. What members typed (notes, reasons,
course titles) is in the chapter's language, as its members would have written it.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadsgroups.i18n import for_chapter
from members.models import Membership
from referrals.models import (
    NOTE_DECLINED,
    REASON_DECLINED,
    EducationCredit,
    OneToOne,
    Referral,
    ReferralEvent,
    ThankYou,
)

S = Referral.Status
PROSPECTS = [
    "Hilda Brook",
    "Omar Said",
    "Jess Lang",
    "Tomasz Wolak",
    "Rita Moreno",
    "Kwame Mensah",
    "Lena Vogel",
    "Arjun Rao",
    "Nina Petrova",
    "Colm Byrne",
    "Sofia Ruiz",
    "Theo Marsh",
    "Ava Lindqvist",
    "Yusuf Demir",
]
# A German-speaking chapter's prospects (as many, so the demo draws the same referrals in every chapter).
PROSPECTS_DE = [
    "Hilde Brockmann", "Omar Said", "Jessica Lang", "Tomasz Wolak", "Rita Moser", "Kwame Mensah", "Lena Vogel",
    "Arjun Rao", "Nina Petrowa", "Konrad Bayer", "Sofia Ruiz", "Theo Marschall", "Ava Lindqvist", "Yusuf Demir",
]
COURSES = [
    _("Networking that works"),
    _("Giving a 60-second pitch"),
    _("Asking for referrals"),
    _("GDPR for small firms"),
    _("Feature presentation skills"),
    _("Following up visitors"),
]
NOTES = ["", _("Needs it before the end of the quarter."), _("Call after 5pm."), _("Mention my name.")]
DECLINE_REASON = _("Already has a supplier")
ONE_TO_ONE_NOTE = _("Coffee; learned about their best clients.")
# The path a referral takes to each final state.
PATHS = {
    S.GIVEN: [S.GIVEN],
    S.ACCEPTED: [S.GIVEN, S.ACCEPTED],
    S.CONTACTED: [S.GIVEN, S.ACCEPTED, S.CONTACTED],
    S.MEETING: [S.GIVEN, S.ACCEPTED, S.CONTACTED, S.MEETING],
    S.WON: [S.GIVEN, S.ACCEPTED, S.CONTACTED, S.MEETING, S.WON],
    S.LOST: [S.GIVEN, S.ACCEPTED, S.CONTACTED, S.LOST],
    S.DECLINED: [S.GIVEN, S.DECLINED],
}


def seed_referrals(*, world, stdout=None, today=None) -> None:
    now = timezone.now()
    for chapter in world.chapters.values():
        if Referral.objects.filter(chapter=chapter).exists():
            continue
        with for_chapter(chapter):  # the members' own words, in their chapter's language
            _seed_chapter(chapter, now=now, today=today, stdout=stdout)


def _seed_chapter(chapter, *, now, today, stdout) -> None:
    """One chapter's referrals, one-to-ones and education credits."""
    rng = random.Random(f"referrals-{chapter.slug}")
    members = list(
        Membership.objects.filter(chapter=chapter, status=Membership.Status.ACTIVE).select_related("user")
    )
    if len(members) < 3:
        return
    local_today = today or timezone.localdate(timezone=chapter.tz)
    count = 0
    for week in range(12, 0, -1):
        for _slot in range(max(3, len(members) // 3)):
            giver, receiver = rng.sample(members, 2)
            day = local_today - timedelta(days=7 * week - rng.randint(0, 6))
            created = datetime.combine(
                day, time(rng.randint(7, 18), rng.randint(0, 59)), tzinfo=chapter.tz
            )
            age = (now - created).days
            final = _final_state(rng, age)
            _referral(rng, chapter, giver, receiver, created, final, now)
            count += 1
    for _pair in range(len(members)):
        a, b = rng.sample(members, 2)
        met_on = local_today - timedelta(days=rng.randint(1, 84))
        status = (
            OneToOne.Status.PENDING
            if met_on > local_today - timedelta(days=10)
            else rng.choice(
                [OneToOne.Status.CONFIRMED] * 5 + [OneToOne.Status.PENDING, OneToOne.Status.DECLINED]
            )
        )
        OneToOne.objects.get_or_create(
            initiator=a,
            other=b,
            met_on=met_on,
            defaults={
                "chapter": chapter,
                "status": status,
                "notes": str(ONE_TO_ONE_NOTE),
                "answered_at": now if status != OneToOne.Status.PENDING else None,
            },
        )
    for m in rng.sample(members, max(1, len(members) // 2)):
        EducationCredit.objects.create(
            chapter=chapter,
            membership=m,
            completed_on=local_today - timedelta(days=rng.randint(1, 84)),
            title=str(rng.choice(COURSES)),
            hours=Decimal(rng.choice(["1", "1.5", "2", "3", "6"])),
        )
    rated = _rate_some(chapter, now)
    if stdout is not None:
        stdout.write(f"  {chapter.name}: {count} referrals ({rated} rated), one-to-ones and education credits")


def _rate_some(chapter, now) -> int:
    """Receivers' ratings on about two thirds of the referrals they acted on: mostly real leads, some not a
    lead, a few duplicates, most with a usefulness. Their own random stream: the referrals stay as seeded."""
    rng = random.Random(f"ratings-{chapter.slug}")
    rated, events = [], []
    for r in Referral.objects.filter(chapter=chapter, status__in=Referral.RATEABLE_STATUSES).select_related(
        "receiver__user"
    ).order_by("created_at", "pk"):
        if rng.random() > 0.65:
            continue
        r.rating = rng.choice([Referral.Rating.REAL] * 6 + [Referral.Rating.NOT_LEAD] * 2 + [Referral.Rating.DUPLICATE])
        r.usefulness = rng.choice([None, 2, 3, 3, 4, 4, 5]) if r.rating == Referral.Rating.REAL else None
        r.rated_at = min(r.status_changed_at + timedelta(hours=2), now)
        rated.append(r)
        note = f"{r.rating}:{r.usefulness}" if r.usefulness else r.rating
        events.append(ReferralEvent(referral=r, action=ReferralEvent.Action.RATED, actor=r.receiver.user,
                                    note=note, created_at=r.rated_at))
    Referral.objects.bulk_update(rated, ["rating", "usefulness", "rated_at"])
    ReferralEvent.objects.bulk_create(events)
    return len(rated)


def _final_state(rng, age_days: int):
    if age_days < 7:
        return rng.choice([S.GIVEN, S.GIVEN, S.ACCEPTED, S.CONTACTED, S.DECLINED])
    if age_days < 30:
        return rng.choice([S.GIVEN, S.ACCEPTED, S.CONTACTED, S.MEETING, S.WON, S.LOST, S.DECLINED])
    return rng.choice([S.WON, S.WON, S.WON, S.LOST, S.LOST, S.MEETING, S.DECLINED, S.CONTACTED, S.ACCEPTED])


def _referral(rng, chapter, giver, receiver, created, final, now):
    inside = rng.random() < 0.25
    name = rng.choice(PROSPECTS_DE if (chapter.language or "").startswith("de") else PROSPECTS)
    referral = Referral.objects.create(
        chapter=chapter,
        giver=giver,
        receiver=receiver,
        kind=Referral.Kind.INSIDE if inside else Referral.Kind.OUTSIDE,
        prospect_name="" if inside else name,
        prospect_email="" if inside else f"{name.split()[0].lower()}@example.com",
        prospect_phone="" if inside or rng.random() < 0.3 else f"+44 7700 9{rng.randint(10000, 99999)}",
        consent=Referral.Consent.STATED
        if inside
        else rng.choice(
            [
                Referral.Consent.STATED,
                Referral.Consent.STATED,
                Referral.Consent.CONFIRMED,
                Referral.Consent.NOT_ASKED,
            ]
        ),
        temperature=rng.randint(1, 5),
        notes=str(rng.choice(NOTES)),
    )
    path = PATHS[final]
    at = created
    events = [
        ReferralEvent(
            referral=referral,
            action=ReferralEvent.Action.CREATED,
            actor=giver.user,
            to_status=S.GIVEN,
            created_at=created,
        )
    ]
    for old, new in zip(path, path[1:], strict=False):
        at = min(at + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8)), now)
        events.append(
            ReferralEvent(
                referral=referral,
                action=ReferralEvent.Action.STATUS,
                actor=receiver.user,
                from_status=old,
                to_status=new,
                created_at=at,
                note=str(DECLINE_REASON) if new == S.DECLINED else "",
            )
        )
    ReferralEvent.objects.bulk_create(events)
    fields = {"created_at": created, "status": final, "status_changed_at": at}
    if final == S.DECLINED:
        fields["decline_reason"] = str(DECLINE_REASON)
    if final in Referral.OPEN_STATUSES and now - at > timedelta(days=14):
        fields["stale_since"] = at + timedelta(days=14)  # the demo's stale referrals
    if final == S.WON:
        local = timezone.localtime(at, chapter.tz).date()
        value = Decimal(rng.choice([250, 480, 900, 1200, 2500, 4800, 12000]))
        fields.update(
            closed_value=value,
            closed_on=local,
            business_type=rng.choice([Referral.BusinessType.NEW] * 3 + [Referral.BusinessType.REPEAT]),
        )
        ThankYou.objects.create(
            chapter=chapter,
            referral=referral,
            giver=giver,
            receiver=receiver,
            value=value,
            closed_on=local,
            business_type=fields["business_type"],
            created_at=at,
        )
    declined_consent = not inside and created.minute % 20 == 13
    # The prospect declines after the last move the receiver made: a declined prospect ends the path, so
    # no status change may follow it in the history.
    declined_at = min(max(at, created + timedelta(days=1)) + timedelta(hours=1), now)
    if declined_consent and final in Referral.OPEN_STATUSES:
        # A declined prospect ends the referral's path: the receiver closed it (see below).
        closed_at = min(declined_at + timedelta(hours=1), now)
        fields.update(status=S.PROSPECT_DECLINED, status_changed_at=closed_at)
        fields.pop("stale_since", None)
        ReferralEvent.objects.create(
            referral=referral, action=ReferralEvent.Action.STATUS, actor=receiver.user, from_status=final,
            to_status=S.PROSPECT_DECLINED, created_at=closed_at,
        )
    if declined_consent:
        # Now and then the prospect declined through the consent link: their details are gone.
        # (Picked from the time drawn above, so the rest of the demo stays as it was.)
        fields.update(
            consent=Referral.Consent.DECLINED,
            prospect_name="",
            prospect_email="",
            prospect_phone="",
            notes="",
            prospect_erased_at=declined_at,
        )
        ReferralEvent.objects.bulk_create(
            [
                ReferralEvent(
                    referral=referral,
                    action=ReferralEvent.Action.ERASED,
                    note=REASON_DECLINED,
                    created_at=declined_at,
                ),
                ReferralEvent(
                    referral=referral,
                    action=ReferralEvent.Action.CONSENT,
                    note=NOTE_DECLINED,
                    created_at=declined_at,
                ),
            ]
        )
    Referral.objects.filter(pk=referral.pk).update(**fields)
