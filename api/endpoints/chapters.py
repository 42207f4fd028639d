"""The caller, their chapters, and each chapter's member directory."""

from typing import Annotated

from django.db.models import Case, OuterRef, Subquery, Value, When
from django.shortcuts import get_object_or_404
from ninja import Query, Router

from api.access import chapter_endpoint
from api.operations import ChapterSlug, ObjectId, answers, paginate
from api.schemas import ChapterOut, MemberOut, MeOut, PageIn, page_of
from chapters.access import Need, chapters_visible_to, regions_overseen_by
from directory import selectors as directory
from members.models import Membership

router = Router(tags=["chapters and members"])

Words = Annotated[str, Query(max_length=100, description="Words of a name, business or classification.")]


@router.get("/me", response=answers(MeOut), summary="Who this token belongs to")
def me(request):
    user, token = request.user, request.auth
    return {
        "id": user.pk, "email": user.email, "full_name": user.full_name, "language": user.language,
        "token": {"name": token.name, "prefix": token.prefix, "scope": token.scope, "expires_at": token.expires_at},
    }


def _chapter(chapter, *, membership_id, role, is_oversight) -> dict:
    return {
        "slug": chapter.slug, "name": chapter.name, "region": chapter.region.name if chapter.region_id else None,
        "timezone": chapter.timezone, "cadence": chapter.cadence, "weekday": chapter.weekday,
        "start_time": chapter.start_time.strftime("%H:%M"), "duration_minutes": chapter.duration_minutes, "venue": chapter.venue,
        "meal": chapter.meal, "currency": chapter.currency, "language": chapter.language, "status": chapter.status,
        "my_membership_id": membership_id, "my_role": role,
        "is_leadership": is_oversight or role in Membership.LEADERSHIP_ROLES, "is_oversight": is_oversight,
    }


@router.get("/chapters", response=answers(page_of(ChapterOut)), summary="My chapters: my seats and what I oversee")
def chapter_list(request, paging: Query[PageIn]):
    user = request.user
    seat = Membership.objects.filter(chapter=OuterRef("pk"), user=user, status__in=Membership.SEATED_STATUSES)
    regions = regions_overseen_by(user)
    oversight = Value(True) if regions is None else Case(
        When(region_id__in=regions, then=Value(True)), default=Value(False)
    )
    chapters = (
        chapters_visible_to(user).select_related("region")
        .annotate(seat_id=Subquery(seat.values("pk")[:1]), seat_role=Subquery(seat.values("role")[:1]),
                  oversees=oversight)
        .order_by("name", "pk")
    )
    return paginate(chapters, paging, lambda c: _chapter(
        c, membership_id=c.seat_id, role=c.seat_role, is_oversight=bool(c.oversees)
    ))


@router.get("/chapters/{chapter_slug}", response=answers(ChapterOut), summary="A chapter and my standing in it")
@chapter_endpoint(Need.MEMBER)
def chapter_detail(request, chapter_slug: ChapterSlug):
    access = request.access
    seat = access.membership
    return _chapter(access.chapter, membership_id=seat.pk if seat else None, role=seat.role if seat else None,
                    is_oversight=access.is_oversight)


def _card(request):
    def item(membership) -> dict:
        card = directory.directory_card(membership, viewer=request.user)
        return {
            "membership_id": card.membership_id, "name": card.name, "business": card.business,
            "classification": card.classification, "role": membership.role, "ideal_referral": card.ideal_referral,
            "phone": card.phone, "email": card.email, "website": card.website, "is_me": card.is_me,
        }

    return item


@router.get("/chapters/{chapter_slug}/members", response=answers(page_of(MemberOut)),
            summary="The chapter's member directory, as each person shares their card")
@chapter_endpoint(Need.MEMBER)
def member_list(request, chapter_slug: ChapterSlug, paging: Query[PageIn], q: Words = ""):
    seats = directory.directory_search(directory.directory_memberships(chapters=request.chapter), " ".join(q.split()))
    return paginate(seats, paging, _card(request))


@router.get("/chapters/{chapter_slug}/members/{membership_id}", response=answers(MemberOut),
            summary="One member's directory card")
@chapter_endpoint(Need.MEMBER)
def member_detail(request, chapter_slug: ChapterSlug, membership_id: ObjectId):
    seat = get_object_or_404(directory.directory_memberships(chapters=request.chapter), pk=membership_id)
    return _card(request)(seat)
