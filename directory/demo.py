"""Demo directory: most members filled in their card (some hid their phone or email), a few have a photo,
and each chapter's leadership was sent the read-out of its last closed meeting.

Idempotent: a person who has a profile is left as they are; a read-out goes once per leader and meeting.
"""

from __future__ import annotations

import io
import random

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

from meetings.models import Meeting
from meetings.readout import meeting_readout_notify
from members.models import Membership, Profile
from members.photos import photo_prepare
from members.services import profile_directory_update

IDEAL_REFERRALS = {
    "Accountant": "Owner-managed companies with 5–50 staff who have outgrown their bookkeeper.",
    "Architect": "Homeowners planning an extension or a loft conversion in the next year.",
    "Attorney": "Business owners negotiating a lease, a partnership or the sale of their company.",
    "Banker": "Growing firms that need a credit line or are unhappy with their current bank.",
    "Business coach": "Founders of 10–30 person firms who feel stuck doing everything themselves.",
    "Caterer": "Office managers who organise team lunches, launches or a summer party.",
    "Chiropractor": "People with back or neck pain from desk work, and employers who care about it.",
    "Cleaning services": "Offices, surgeries and shops that want a reliable evening clean.",
    "Commercial real estate agent": "Businesses whose lease ends within 18 months, or who are hiring fast.",
    "Computer consultant": "Small offices still running on an old server nobody understands.",
    "Copywriter": "Companies launching a new website or product who hate writing about themselves.",
    "Dentist": "Families new to the area, and people nervous about the dentist.",
    "Electrician": "Landlords, property managers and anyone installing an EV charger or solar panels.",
    "Event planner": "Companies planning a conference, an anniversary or a client evening.",
    "Financial consultant": "Couples in their 40s and 50s thinking about retirement.",
    "Florist": "Hotels, restaurants and offices wanting weekly flowers; couples planning a wedding.",
    "Graphic designer": "Start-ups that need a logo and brand they will not be embarrassed by in a year.",
    "HR consultant": "Firms hiring their first employees or facing a difficult staff issue.",
    "Insurance agent": "Business owners whose policies renew in the next three months.",
    "Interior designer": "Homeowners renovating, and restaurants or offices planning a refit.",
    "IT support": "Offices of 5–40 people without anyone in charge of IT.",
    "Landscaper": "New homeowners with a neglected garden; businesses with grounds to keep.",
    "Marketing consultant": "Owners who get most of their work by word of mouth and want more.",
    "Mortgage broker": "First-time buyers, and anyone whose fixed rate ends this year.",
    "Mover": "People selling or buying a house, and offices relocating.",
    "Personal trainer": "Busy professionals who want to get fit before or after work.",
    "Photographer": "Businesses updating team headshots or their website's pictures.",
    "Physiotherapist": "Runners, cyclists and anyone recovering from an operation.",
    "Plumber": "Landlords and letting agents; homeowners planning a new bathroom.",
    "Printer": "Event organisers and shops that need flyers, signs or packaging quickly.",
    "Real estate agent": "Homeowners thinking of selling in the next six months.",
    "Recruiter": "Companies that have struggled to fill a role for more than two months.",
    "Roofer": "Homeowners with a leak or an old roof; property managers.",
    "Signage maker": "Shops and offices opening, moving or rebranding.",
    "Solicitor": "People buying a home, writing a will, or settling a relative's estate.",
    "Travel agent": "Companies sending staff to conferences abroad; families planning a big trip.",
    "Veterinarian": "New pet owners, and anyone whose pet has not been checked in a year.",
    "Videographer": "Businesses that want a short film for their website or a launch.",
    "Web developer": "Businesses whose website is slow, old or hard to update.",
    "Wealth manager": "Business owners about to sell, and families with a pension to move.",
}
# The same, as a member of a German-speaking chapter writes it on their card.
IDEAL_REFERRALS_DE = {
    "Accountant": "Inhabergeführte Unternehmen mit 5–50 Beschäftigten, denen die Buchhaltung über den Kopf wächst.",
    "Architect": "Eigentümer, die im nächsten Jahr einen Anbau oder einen Dachausbau planen.",
    "Attorney": "Unternehmer, die einen Mietvertrag, eine Partnerschaft oder den Verkauf ihrer Firma verhandeln.",
    "Banker": "Wachsende Firmen, die eine Kreditlinie brauchen oder mit ihrer Bank unzufrieden sind.",
    "Business coach": "Gründer von Firmen mit 10–30 Leuten, die alles selbst machen und nicht weiterkommen.",
    "Caterer": "Office-Manager, die Teamessen, Produktvorstellungen oder ein Sommerfest organisieren.",
    "Chiropractor": "Menschen mit Rücken- oder Nackenschmerzen vom Schreibtisch, und Arbeitgeber, denen das wichtig ist.",
    "Cleaning services": "Büros, Praxen und Geschäfte, die eine verlässliche Abendreinigung suchen.",
    "Commercial real estate agent": "Firmen, deren Mietvertrag in 18 Monaten endet oder die schnell wachsen.",
    "Computer consultant": "Kleine Büros mit einem alten Server, den niemand mehr versteht.",
    "Copywriter": "Firmen mit einer neuen Website oder einem neuen Produkt, die ungern über sich selbst schreiben.",
    "Dentist": "Neu zugezogene Familien und alle, die Angst vor dem Zahnarzt haben.",
    "Electrician": "Vermieter, Hausverwaltungen und alle, die eine Wallbox oder eine Solaranlage installieren.",
    "Event planner": "Firmen, die eine Konferenz, ein Jubiläum oder einen Kundenabend planen.",
    "Financial consultant": "Paare zwischen 40 und 60, die an den Ruhestand denken.",
    "Florist": "Hotels, Restaurants und Büros, die wöchentlich Blumen möchten; Paare, die ihre Hochzeit planen.",
    "Graphic designer": "Start-ups, die ein Logo und eine Marke brauchen, die in einem Jahr noch passen.",
    "HR consultant": "Firmen, die ihre ersten Mitarbeiter einstellen oder ein schwieriges Personalthema haben.",
    "Insurance agent": "Unternehmer, deren Versicherungen in den nächsten drei Monaten verlängert werden.",
    "Interior designer": "Eigentümer, die renovieren, und Restaurants oder Büros, die umbauen.",
    "IT support": "Büros mit 5–40 Leuten, in denen sich niemand um die IT kümmert.",
    "Landscaper": "Neue Hausbesitzer mit verwildertem Garten; Firmen mit Grünflächen zu pflegen.",
    "Marketing consultant": "Inhaber, die die meisten Aufträge über Mundpropaganda bekommen und mehr wollen.",
    "Mortgage broker": "Erstkäufer und alle, deren Zinsbindung dieses Jahr endet.",
    "Mover": "Menschen, die ein Haus kaufen oder verkaufen, und Büros, die umziehen.",
    "Personal trainer": "Vielbeschäftigte, die vor oder nach der Arbeit fit werden wollen.",
    "Photographer": "Firmen, die neue Teamfotos oder Bilder für ihre Website brauchen.",
    "Physiotherapist": "Läufer, Radfahrer und alle, die sich von einer Operation erholen.",
    "Plumber": "Vermieter und Hausverwaltungen; Eigentümer, die ein neues Bad planen.",
    "Printer": "Veranstalter und Geschäfte, die schnell Flyer, Schilder oder Verpackungen brauchen.",
    "Real estate agent": "Eigentümer, die in den nächsten sechs Monaten verkaufen möchten.",
    "Recruiter": "Firmen, die eine Stelle seit mehr als zwei Monaten nicht besetzen können.",
    "Roofer": "Hausbesitzer mit einem undichten oder alten Dach; Hausverwaltungen.",
    "Signage maker": "Geschäfte und Büros, die eröffnen, umziehen oder sich neu aufstellen.",
    "Solicitor": "Menschen, die eine Wohnung kaufen, ein Testament aufsetzen oder einen Nachlass regeln.",
    "Travel agent": "Firmen, die Mitarbeiter zu Konferenzen ins Ausland schicken; Familien mit großen Reiseplänen.",
    "Veterinarian": "Neue Tierhalter und alle, deren Tier seit einem Jahr nicht untersucht wurde.",
    "Videographer": "Firmen, die einen kurzen Film für ihre Website oder eine Produkteinführung wollen.",
    "Web developer": "Firmen, deren Website langsam, veraltet oder schwer zu pflegen ist.",
    "Wealth manager": "Unternehmer kurz vor dem Verkauf und Familien, die ihre Altersvorsorge umschichten.",
}
COLOURS = [(37, 99, 235), (5, 150, 105), (217, 119, 6), (190, 24, 93), (79, 70, 229), (13, 148, 136)]


def _avatar(name: str, colour) -> ContentFile:
    """A made-up photo: the person's initials on a coloured square, run through the upload's own checks."""
    image = Image.new("RGB", (600, 600), colour)
    draw = ImageDraw.Draw(image)
    initials = "".join(w[0] for w in name.split()[:2]).upper()
    font = ImageFont.load_default(size=260)
    draw.text((300, 300), initials, fill=(255, 255, 255), font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return photo_prepare(ContentFile(buffer.getvalue(), name="demo.png"))


def _fill(seat: Membership, rng: random.Random, n: int) -> None:
    user = seat.user
    slug = user.email.split("@")[0].replace(".", "-")
    classification = seat.classification.name if seat.classification else ""
    ideals = IDEAL_REFERRALS_DE if (seat.chapter.language or "").startswith("de") else IDEAL_REFERRALS
    if not user.phone:
        user.phone = f"+44 7700 9{rng.randint(10000, 99999)}"
        user.save(update_fields=["phone"])
    hide_phone = n % 4 == 3  # a few keep their phone to themselves
    hide_email = n % 5 == 4
    profile_directory_update(
        user=user,
        website=f"https://{slug}.example" if n % 3 != 2 else "",
        ideal_referral=ideals.get(classification, ""),
        visibility={
            "phone": "hidden" if hide_phone else "chapters",
            "email": "hidden" if hide_email else "chapters",
            "website": "chapters",
            "photo": "chapters",
        },
        photo=_avatar(user.full_name or user.email, COLOURS[n % len(COLOURS)]) if n % 4 == 0 else None,
    )


def step(*, world, stdout) -> None:
    """seed_demo step: directory cards for about four members in five, and the last read-out sent to leadership."""
    for chapter in world.chapters.values():
        rng = random.Random(f"directory-{chapter.slug}")
        seats = list(
            Membership.objects.filter(chapter=chapter, status__in=Membership.SEATED_STATUSES)
            .select_related("user", "classification", "chapter").order_by("pk")
        )
        have = set(Profile.objects.filter(user__in=[s.user_id for s in seats]).values_list("user_id", flat=True))
        filled = 0
        for n, seat in enumerate(seats):
            if seat.user_id in have or n % 5 == 4:  # one in five never filled in their card
                continue
            _fill(seat, rng, n)
            have.add(seat.user_id)
            filled += 1
        last = (Meeting.objects.filter(chapter=chapter, status=Meeting.Status.CLOSED).select_related("chapter")
                .order_by("-starts_at", "-pk").first())
        sent = len(meeting_readout_notify(meeting=last)) if last is not None else 0
        stdout.write(f"  {chapter.name}: {filled} directory card(s) filled, read-out emailed to {sent} leader(s)")
