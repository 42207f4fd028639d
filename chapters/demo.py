"""Demo organisation: regions, chapters, people and seats. Idempotent: keyed by slugs and emails."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.text import slugify

from chapters.models import Chapter, Classification, Region, RegionStaff
from chapters.professions import PROFESSIONS
from leadsgroups.i18n import language
from members.models import Membership, User

DEMO_PASSWORD = "demo-pass-2026"
DOMAIN = "demo.leadsgroups.org"

FIRST = [
    "Alice", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Isla", "Jamal", "Kate", "Liam", "Maya",
    "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wendy", "Xavier", "Yara",
    "Zoe", "Aaron", "Bella", "Carlos", "Daisy", "Ethan", "Fiona", "George", "Hannah", "Ivan", "Julia",
]
LAST = [
    "Adams", "Baker", "Clarke", "Dawson", "Evans", "Fischer", "Gupta", "Hughes", "Iqbal", "Jensen", "Khan",
    "Lopez", "Morgan", "Nowak", "O'Brien", "Patel", "Quigley", "Reyes", "Singh", "Turner", "Underwood",
    "Vargas", "Walsh", "Xu", "Young", "Zimmer",
]

# A German-speaking chapter: its people read the app in German (User.language) and have German names
# and businesses; the apps' demo steps give it their German texts (referral notes, talks, testimonials).
FIRST_DE = [
    "Anna", "Bernd", "Claudia", "Dieter", "Elif", "Frank", "Gabriele", "Heiko", "Ines", "Jörg", "Katrin",
    "Lukas", "Monika", "Niklas", "Petra", "Ralf", "Sabine", "Thomas", "Ulrike", "Volker", "Yvonne", "Jan",
    "Svenja", "Mehmet", "Birgit", "Stefan", "Karolina", "Tobias",
]
LAST_DE = [
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
    "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Braun", "Zimmermann", "Krüger",
    "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Köhler",
]
# "Steuerberater Müller", "Fotografin Weber & Partner": a business as a Berlin member would name it.
BUSINESS_SUFFIXES_DE = ["", " GmbH", " & Partner", " e. K."]
GERMAN = "de"

CHAPTERS = [
    # slug, name, region slug, tz, cadence, weekday, start, venue, meal, currency, fee, size[, language]
    ("riverside", "Riverside Breakfast Club", "north", "Europe/London", "weekly", 2, time(7, 0),
     "The Riverside Hotel, Quay Street", "breakfast", "GBP", Decimal("495.00"), 28),
    ("city-lunch", "City Lunch Referrals", "north", "Europe/London", "weekly", 3, time(12, 0),
     "Guildhall Café, Market Square", "lunch", "GBP", Decimal("450.00"), 24),
    ("harbour", "Harbour Business Network", "south", "America/New_York", "biweekly", 1, time(7, 30),
     "Harbour Yacht Club, Pier 4", "breakfast", "USD", Decimal("600.00"), 22),
    ("valley", "Valley Tip Club", "south", "Europe/Berlin", "weekly", 4, time(7, 0),
     "Gasthof zur Linde, Hauptstraße 12", "breakfast", "EUR", Decimal("520.00"), 30),
    # Last, so the chapters above draw the same people and history as before it was added.
    ("berlin-mitte", "Berlin Mitte", "south", "Europe/Berlin", "weekly", 1, time(7, 0),
     "Café am Hackeschen Markt, Rosenthaler Straße 40, 10178 Berlin", "breakfast", "EUR", Decimal("480.00"), 24,
     GERMAN),
]


@dataclass
class DemoWorld:
    admin: User
    staff: dict[str, User] = field(default_factory=dict)
    chapters: dict[str, Chapter] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)


_password_hash: list[str] = []


def _person(chapter: Chapter, i: int, classification: Classification) -> tuple[str, str, str]:
    """First name, last name and business of the demo chapter's i-th member, in the chapter's language."""
    slug = chapter.slug
    if chapter.language == GERMAN:
        first, last = FIRST_DE[(i * 5 + 3) % len(FIRST_DE)], LAST_DE[(i * 7 + 2) % len(LAST_DE)]
        with language(GERMAN):
            trade = classification.label
        return first, last, f"{trade} {last}{BUSINESS_SUFFIXES_DE[i % len(BUSINESS_SUFFIXES_DE)]}"
    first, last = FIRST[(i + len(slug)) % len(FIRST)], LAST[(i * 7 + len(slug)) % len(LAST)]
    return first, last, f"{last} {classification.name}"


def _local_part(first: str, last: str, slug: str) -> str:
    """An email's local part from a name: "jörg.müller" → "joerg.mueller" (plain ASCII, as mail systems want)."""
    name = f"{first}.{last}.{slug}".lower().replace("'", "")
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        name = name.replace(umlaut, plain)
    return name


def _user(email: str, full_name: str, business: str = "", **extra) -> User:
    if not _password_hash:
        _password_hash.append(make_password(DEMO_PASSWORD))  # hashing is slow by design: do it once
    user, _ = User.objects.get_or_create(
        email=email,
        defaults={"full_name": full_name, "business_name": business, "password": _password_hash[0], **extra},
    )
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def seed_people(*, today: date | None = None) -> DemoWorld:
    today = today or timezone.localdate()
    rng = random.Random(2026)
    regions = {
        "north": Region.objects.get_or_create(slug="north", defaults={"name": "North Region"})[0],
        "south": Region.objects.get_or_create(slug="south", defaults={"name": "South Region"})[0],
    }
    admin = _user(f"admin@{DOMAIN}", "Olga Admin", is_org_admin=True, is_staff=True, is_superuser=True)
    world = DemoWorld(admin=admin)
    world.logins.append(("Organisation admin", admin.email))
    for slug, region in regions.items():
        staff = _user(f"director.{slug}@{DOMAIN}", f"{region.name.split()[0]} Director")
        RegionStaff.objects.get_or_create(region=region, user=staff)
        world.staff[slug] = staff
    world.logins.append(("Region staff (North)", world.staff["north"].email))

    for profession in PROFESSIONS:  # normally there since the first migration; restored if deleted
        Classification.objects.get_or_create(name=profession, defaults={"slug": slugify(profession)})
    classifications = list(Classification.objects.order_by("name"))
    for (slug, name, region, tz, cadence, weekday, start, venue, meal, currency, fee, size, *lang) in CHAPTERS:
        chapter, _ = Chapter.objects.get_or_create(
            slug=slug,
            defaults=dict(
                name=name, region=regions[region], timezone=tz, cadence=cadence, weekday=weekday,
                start_time=start, venue=venue, meal=meal, currency=currency, membership_fee=fee,
                language=lang[0] if lang else "en-gb",
            ),
        )
        world.chapters[slug] = chapter
        # Its people read in the chapter's language; elsewhere they follow their browser.
        speaks = {"language": chapter.language} if lang else {}
        picks = rng.sample(classifications, size)
        for i, classification in enumerate(picks):
            first, last, business = _person(chapter, i, classification)
            if i == 0:
                role, local = Membership.Role.PRESIDENT, f"president.{slug}"
            elif i == 1:
                role, local = Membership.Role.VICE_PRESIDENT, f"vp.{slug}"
            elif i == 2:
                role, local = Membership.Role.SECRETARY_TREASURER, f"treasurer.{slug}"
            else:
                role, local = Membership.Role.MEMBER, _local_part(first, last, slug)
            phone = {"phone": f"+49 30 555 {1000 + 37 * i}"} if lang else {}  # a Berlin number for the directory
            user = _user(f"{local}@{DOMAIN}", f"{first} {last}", business, **speaks, **phone)
            status = Membership.Status.ACTIVE
            if i == size - 1:
                status = Membership.Status.ON_LEAVE
            Membership.objects.get_or_create(
                user=user, chapter=chapter,
                defaults=dict(
                    classification=classification, role=role, status=status,
                    business_name=user.business_name,
                    joined_on=today - timedelta(days=120 + 37 * i),
                    renewal_due=today + timedelta(days=(11 * i) % 365 + 10),
                ),
            )
        if slug == "riverside":
            world.logins.append(("President (Riverside)", f"president.{slug}@{DOMAIN}"))
            world.logins.append(("Vice-president (Riverside)", f"vp.{slug}@{DOMAIN}"))

    # One person in two chapters: a member of Riverside who also sits in City Lunch.
    member = Membership.objects.filter(chapter=world.chapters["riverside"], role="member", status="active").order_by(
        "pk"
    ).first()
    free = (
        Classification.objects.exclude(
            pk__in=Membership.objects.filter(chapter=world.chapters["city-lunch"]).values("classification")
        )
        .order_by("name")
        .first()
    )
    if not Membership.objects.filter(user=member.user, chapter=world.chapters["city-lunch"]).exists():
        Membership.objects.create(
            user=member.user, chapter=world.chapters["city-lunch"], classification=free,
            business_name=member.business_name, joined_on=today - timedelta(days=60),
        )
    world.logins.append(("Member of Riverside and City Lunch", member.user.email))
    other = Membership.objects.filter(chapter=world.chapters["harbour"], role="member").order_by("pk").first()
    world.logins.append(("Member (Harbour)", other.user.email))
    berlin = Membership.objects.filter(chapter=world.chapters["berlin-mitte"], role="member").order_by("pk").first()
    world.logins.append(("Member, reads in German (Berlin Mitte)", berlin.user.email))
    world.logins.append(("President, reads in German (Berlin Mitte)", f"president.berlin-mitte@{DOMAIN}"))
    return world


def people_speak_their_chapters_language(*, world: DemoWorld) -> int:
    """After the apps' steps: everyone seated in a chapter the demo gives a language reads in it.

    Some steps add people of their own (reports' leavers and applicants); they read the chapter's
    language too. A choice already made is kept. Returns how many accounts changed.
    """
    languages = {row[0]: row[12] for row in CHAPTERS if len(row) > 12}  # slug: the language column
    changed = 0
    for slug, code in languages.items():
        chapter = world.chapters.get(slug)
        if chapter is not None:
            changed += User.objects.filter(memberships__chapter=chapter, language="").update(language=code)
    return changed
