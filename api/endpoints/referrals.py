"""Referrals, TYFCB and one-to-ones: what the pages show, and the writes a member makes there.

A prospect's name, contact and the giver's notes go to the giver, the receiver and the chapter's
seated leadership only (`referrals.selectors.referral_can_see_prospect`, the rule every page
follows); everyone else who may see a referral gets `"prospect": null`.
"""

from datetime import date
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from api.access import chapter_endpoint, own_seat
from api.errors import form_errors, service_errors
from api.operations import ChapterSlug, ObjectId, answers, form_data, money, paginate, write_answers
from api.schemas import (
    OneToOneIn,
    OneToOneOut,
    PageIn,
    ReferralIn,
    ReferralMoveIn,
    ReferralOut,
    ReferralStatus,
    ThankYouOut,
    page_of,
)
from chapters.access import Need
from members.models import Membership
from referrals import selectors, services
from referrals.forms import OneToOneForm, ReferralForm, StatusForm, WonForm
from referrals.models import Referral, ThankYou

router = Router(tags=["referrals, TYFCB and one-to-ones"])

Day = Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
Box = Annotated[Literal["all", "received", "given"], Query(
    description="all: the chapter's; received or given: my own (needs a seat in the chapter)."
)]
StatusFilter = Annotated[ReferralStatus | Literal[""], Query()]


def _member(membership: Membership) -> dict:
    return {"membership_id": membership.pk, "name": membership.display_name}


def _referral(request):
    """A referral as the caller may see it: the prospect only where THE rule allows."""
    access, currency = request.access, request.chapter.currency

    def item(r: Referral) -> dict:
        sees = selectors.referral_can_see_prospect(access, r)
        return {
            "id": r.pk, "created_at": r.created_at, "giver": _member(r.giver), "receiver": _member(r.receiver),
            "kind": r.kind, "status": r.status, "status_changed_at": r.status_changed_at,
            "next_statuses": list(r.next_statuses), "temperature": r.temperature, "consent": r.consent,
            "closed_value": money(r.closed_value), "currency": currency, "closed_on": r.closed_on,
            "business_type": r.business_type, "is_stale": r.is_stale, "prospect_erased": r.is_erased,
            "prospect": {"name": r.prospect_name, "email": r.prospect_email, "phone": r.prospect_phone,
                         "notes": r.notes} if sees else None,
        }

    return item


def _one(request, referral_id: int) -> Referral:
    return get_object_or_404(
        request.chapter.referrals.select_related("giver__user", "receiver__user"), pk=referral_id
    )


@router.get("/chapters/{chapter_slug}/referrals", response=answers(page_of(ReferralOut)),
            summary="Referrals: the chapter's, or those I received or gave")
@chapter_endpoint(Need.MEMBER)
def referral_list(request, chapter_slug: ChapterSlug, paging: Query[PageIn], box: Box = "all",
                  status: StatusFilter = "", from_date: Day = None, to_date: Day = None):
    chapter = request.chapter
    filters = {"status": status, "start": from_date, "end": to_date}
    if box == "received":
        referrals = selectors.referral_inbox(chapter=chapter, membership=own_seat(request), **filters)
    elif box == "given":
        referrals = selectors.referral_outbox(chapter=chapter, membership=own_seat(request), **filters)
    else:
        referrals = selectors.referral_chapter_list(chapter=chapter, **filters)
    return paginate(referrals, paging, _referral(request))


@router.get("/chapters/{chapter_slug}/referrals/{referral_id}", response=answers(ReferralOut),
            summary="One referral")
@chapter_endpoint(Need.MEMBER)
def referral_detail(request, chapter_slug: ChapterSlug, referral_id: ObjectId):
    return _referral(request)(_one(request, referral_id))


@router.post("/chapters/{chapter_slug}/referrals", response=write_answers(ReferralOut, status=201),
             summary="Log a referral to another member (the receiver is told at once)")
@chapter_endpoint(Need.MEMBER, write=True)
def referral_create(request, chapter_slug: ChapterSlug, payload: ReferralIn):
    chapter, giver = request.chapter, own_seat(request)
    renamed = {"receiver": "receiver_id"}
    form = ReferralForm(
        form_data(payload, receiver="receiver_id"),
        candidates=services.receiver_candidates(chapter=chapter, giver=giver),
        # named in the error instead of "no one matches"
        unavailable=Membership.objects.filter(chapter=chapter, status=Membership.Status.ON_LEAVE).select_related("user"),
    )
    if not form.is_valid():
        raise form_errors(form, fields=renamed)
    data = form.cleaned_data
    try:
        referral = services.referral_give(
            chapter=chapter, giver=giver, receiver=data["receiver"], kind=data["kind"],
            prospect_name=data["prospect_name"], prospect_email=data["prospect_email"],
            prospect_phone=data["prospect_phone"], consent=data["consent"], temperature=data["temperature"],
            notes=data["notes"],
        )
    except ValidationError as exc:
        raise service_errors(exc, fields=renamed) from exc
    return Status(201, _referral(request)(_one(request, referral.pk)))


@router.post("/chapters/{chapter_slug}/referrals/{referral_id}/status", response=write_answers(ReferralOut),
             summary="Move a referral I received along (accepted, contacted, meeting, won with its value, lost…)")
@chapter_endpoint(Need.MEMBER, write=True)
def referral_move(request, chapter_slug: ChapterSlug, referral_id: ObjectId, payload: ReferralMoveIn):
    referral = _one(request, referral_id)
    me = own_seat(request)
    if me.pk != referral.receiver_id:
        raise PermissionDenied(_("Only the member who received this referral can change its status."))
    won = payload.to == Referral.Status.WON
    form = (WonForm if won else StatusForm)(form_data(payload))
    if not form.is_valid():
        raise form_errors(form)
    data = form.cleaned_data
    extra = ({"value": data["value"], "closed_on": data["closed_on"], "business_type": data["business_type"]}
             if won else {"reason": data["reason"]})
    try:
        services.referral_move(referral=referral, by=me, to=payload.to, note=data["note"], **extra)
    except ValidationError as exc:
        raise service_errors(exc) from exc
    return _referral(request)(_one(request, referral.pk))


@router.get("/chapters/{chapter_slug}/tyfcb", response=answers(page_of(ThankYouOut)),
            summary="Thank-yous for closed business (TYFCB) in the chapter, latest first")
@chapter_endpoint(Need.MEMBER)
def thank_you_list(request, chapter_slug: ChapterSlug, paging: Query[PageIn], from_date: Day = None,
                   to_date: Day = None):
    thanks = ThankYou.objects.filter(chapter=request.chapter).select_related("giver__user", "receiver__user")
    if from_date:
        thanks = thanks.filter(closed_on__gte=from_date)
    if to_date:
        thanks = thanks.filter(closed_on__lte=to_date)
    currency = request.chapter.currency
    return paginate(thanks.order_by("-closed_on", "-pk"), paging, lambda t: {
        "id": t.pk, "referral_id": t.referral_id, "giver": _member(t.giver), "receiver": _member(t.receiver),
        "value": money(t.value), "currency": currency, "closed_on": t.closed_on, "business_type": t.business_type,
    })


def _one_to_one(one) -> dict:
    return {
        "id": one.pk, "initiator": _member(one.initiator), "other": _member(one.other), "met_on": one.met_on,
        "status": one.status, "notes": one.notes, "answered_at": one.answered_at,
    }


@router.get("/chapters/{chapter_slug}/one-to-ones", response=answers(page_of(OneToOneOut)),
            summary="My one-to-ones, those waiting for my confirmation first")
@chapter_endpoint(Need.MEMBER)
def one_to_one_list(request, chapter_slug: ChapterSlug, paging: Query[PageIn]):
    mine = selectors.one_to_ones_of(chapter=request.chapter, membership=own_seat(request))
    return paginate(mine, paging, _one_to_one)


@router.post("/chapters/{chapter_slug}/one-to-ones", response=write_answers(OneToOneOut, status=201),
             summary="Record a one-to-one with another member (it counts once they confirm; recording "
                     "one they recorded confirms it)")
@chapter_endpoint(Need.MEMBER, write=True)
def one_to_one_create(request, chapter_slug: ChapterSlug, payload: OneToOneIn):
    chapter, me = request.chapter, own_seat(request)
    renamed = {"other": "other_id"}
    form = OneToOneForm(form_data(payload, other="other_id"),
                        candidates=services.receiver_candidates(chapter=chapter, giver=me))
    if not form.is_valid():
        raise form_errors(form, fields=renamed)
    data = form.cleaned_data
    try:
        one = services.one_to_one_record(chapter=chapter, by=me, other=data["other"], met_on=data["met_on"],
                                         notes=data["notes"])
    except ValidationError as exc:
        raise service_errors(exc, fields=renamed) from exc
    one = chapter.one_to_ones.select_related("initiator__user", "other__user").get(pk=one.pk)
    return Status(201, _one_to_one(one))
