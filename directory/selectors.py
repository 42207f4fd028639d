"""The member directory: who sits in a chapter, and what each person lets their chapters see.

Visibility is decided here, once, for every page and export that shows a card: a contact field the
person hid is never read into a card (and never searched), whoever asks — the chapter's leadership
and organisation staff included; the person sees their own card as their chapters do.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import reverse

from members.models import Membership, Profile
from members.photos import photo_version

PER_PAGE = 24
MAX_WORDS = 6  # a search box, not a query language: the first few words count


@dataclass(frozen=True)
class Card:
    """One seat as the directory shows it: always name, business and classification; contacts as shared."""

    membership_id: int
    chapter_name: str
    chapter_slug: str
    name: str
    business: str
    classification: str
    ideal_referral: str
    phone: str
    email: str
    website: str
    photo_url: str
    is_me: bool

    @property
    def initials(self) -> str:
        return "".join(word[0] for word in self.name.split()[:2]).upper() or "?"


def directory_memberships(*, chapters) -> QuerySet[Membership]:
    """Seated members of `chapters` (a queryset or one chapter) with what their cards need, in one query."""
    qs = Membership.objects.filter(status__in=Membership.SEATED_STATUSES)
    qs = qs.filter(chapter__in=chapters) if isinstance(chapters, QuerySet) else qs.filter(chapter=chapters)
    return qs.select_related("user", "user__profile", "classification", "chapter").order_by(
        "user__full_name", "user__email", "chapter__name", "pk"
    )


def directory_search(qs: QuerySet[Membership], q: str) -> QuerySet[Membership]:
    """Seats whose name, business, classification or ideal referral hold every word of `q`.

    Phone, email and website are not searched: a hidden one would show through which cards match.
    """
    for word in q.split()[:MAX_WORDS]:
        qs = qs.filter(
            Q(user__full_name__icontains=word) | Q(user__business_name__icontains=word)
            | Q(business_name__icontains=word) | Q(classification__name__icontains=word)
            | Q(user__profile__ideal_referral__icontains=word)
        )
    return qs


def _profile(user) -> Profile:
    try:
        return user.profile
    except Profile.DoesNotExist:
        return Profile(user=user)  # never filled in: the defaults (contacts hidden)


def directory_card(membership: Membership, *, viewer) -> Card:
    """The card of a seat, with only the fields its person shares with their chapters."""
    user = membership.user
    profile = _profile(user)
    chapter = membership.chapter
    photo_url = ""
    if profile.photo and profile.shows("photo"):
        photo_url = reverse("directory:photo", args=[chapter.slug, membership.pk]) + f"?v={photo_version(profile)}"
    return Card(
        membership_id=membership.pk,
        chapter_name=chapter.name,
        chapter_slug=chapter.slug,
        name=membership.display_name,
        # The person's own statement first (their profile); the seat's copy, e.g. from a visitor's
        # form, until they write one.
        business=user.business_name or membership.business_name,
        classification=membership.classification.name if membership.classification else "",
        ideal_referral=profile.ideal_referral,
        phone=user.phone if profile.shows("phone") else "",
        email=user.email if profile.shows("email") else "",
        website=profile.website if profile.shows("website") else "",
        photo_url=photo_url,
        is_me=user.pk == viewer.pk,
    )


def directory_cards(memberships, *, viewer) -> list[Card]:
    return [directory_card(m, viewer=viewer) for m in memberships]


def directory_photo_profile(*, chapter, membership_id: int) -> Profile | None:
    """The profile whose photo a chapter's directory may show for this seat, or None (no seat, no photo, hidden)."""
    membership = (
        Membership.objects.filter(chapter=chapter, pk=membership_id, status__in=Membership.SEATED_STATUSES)
        .select_related("user__profile")
        .first()
    )
    if membership is None:
        return None
    profile = _profile(membership.user)
    return profile if profile.photo and profile.shows("photo") else None
