"""Fines and expulsion cases, as their pages show them: one's own, the chapter's for leadership, cases for deciders."""

from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router

from api.access import chapter_endpoint
from api.operations import ChapterSlug, ObjectId, answers, money, paginate
from api.schemas import CaseOut, FineOut, PageIn, page_of
from chapters.access import Need, regions_overseen_by
from enforcement import review_selectors, selectors
from enforcement.models import ExpulsionCase, Fine

router = Router(tags=["fines and cases"])

FineStatus = Annotated[Literal["open", "paid", "waived", "withdrawn", "refunded", "refund", ""], Query(
    description="refund: paid fines the evidence no longer supports, waiting for a refund decision."
)]
CaseStatus = Annotated[Literal["open", "decided", "all"], Query()]


def _fine(fine: Fine) -> dict:
    return {
        "id": fine.pk, "member": {"membership_id": fine.membership_id, "name": fine.membership.display_name},
        "kind": fine.kind, "status": fine.status, "amount": money(fine.amount), "currency": fine.currency,
        "period_start": fine.period_start, "period_end": fine.period_end, "meeting_id": fine.meeting_id,
        "explanation": fine.explanation, "created_at": fine.created_at, "resolved_at": fine.resolved_at,
        "resolution_reason": fine.resolution_reason, "withdrawn_reason": fine.withdrawn_reason,
        "refund_pending": fine.refund_pending,
    }


@router.get("/chapters/{chapter_slug}/fines", response=answers(page_of(FineOut)),
            summary="The chapter's fines (leadership)")
@chapter_endpoint(Need.LEADERSHIP)
def fine_list(request, chapter_slug: ChapterSlug, paging: Query[PageIn], status: FineStatus = ""):
    return paginate(selectors.chapter_fines(chapter=request.chapter, status=status or None), paging, _fine)


@router.get("/chapters/{chapter_slug}/fines/mine", response=answers(page_of(FineOut)), summary="My fines")
@chapter_endpoint(Need.MEMBER)
def fine_mine(request, chapter_slug: ChapterSlug, paging: Query[PageIn]):
    seat = request.access.membership
    fines = (selectors.membership_fines(membership=seat).select_related("membership__user") if seat
             else Fine.objects.none())  # an overseer without a seat has no fines here
    return paginate(fines, paging, _fine)


@router.get("/chapters/{chapter_slug}/fines/{fine_id}", response=answers(FineOut),
            summary="One fine: my own, or any of the chapter's for leadership")
@chapter_endpoint(Need.MEMBER)
def fine_detail(request, chapter_slug: ChapterSlug, fine_id: ObjectId):
    fine = get_object_or_404(request.chapter.fines.select_related("membership__user"), pk=fine_id)
    seat = request.access.membership
    if not (request.access.is_leadership or (seat is not None and fine.membership_id == seat.pk)):
        raise Http404("No such fine.")  # someone else's fine, as the fine page answers
    return _fine(fine)


def _case(request, *, overseer: bool):
    """`overseer`: the caller oversees the case's chapter (so decides it, unless it is about them)."""

    def item(case: ExpulsionCase) -> dict:
        return {
            "id": case.pk, "chapter": case.chapter.slug,
            "member": {"membership_id": case.membership_id, "name": case.membership.display_name},
            "status": case.status, "opened_at": case.opened_at, "explanation": case.explanation,
            "appeal_deadline": case.appeal_deadline, "appealed_at": case.appealed_at,
            "appeal_text": case.appeal_text, "recommendation": case.recommendation, "decision": case.decision,
            "decision_reason": case.decision_reason, "decided_at": case.decided_at,
            "probation_until": case.probation_until,
            "can_decide": overseer and case.membership.user_id != request.user.pk,
        }

    return item


@router.get("/chapters/{chapter_slug}/cases", response=answers(page_of(CaseOut)),
            summary="The chapter's expulsion cases (leadership and overseers)")
@chapter_endpoint(Need.LEADERSHIP)
def case_list(request, chapter_slug: ChapterSlug, paging: Query[PageIn]):
    cases = selectors.chapter_cases(chapter=request.chapter).select_related("chapter")
    return paginate(cases, paging, _case(request, overseer=request.access.is_oversight))


@router.get("/chapters/{chapter_slug}/cases/{case_id}", response=answers(CaseOut),
            summary="One case: the member's own, or any of the chapter's for leadership")
@chapter_endpoint(Need.MEMBER)
def case_detail(request, chapter_slug: ChapterSlug, case_id: ObjectId):
    case = get_object_or_404(
        request.chapter.expulsion_cases.select_related("chapter", "membership__user"), pk=case_id
    )
    seat = request.access.membership
    if not (request.access.is_leadership or (seat is not None and case.membership_id == seat.pk)):
        raise Http404("No such case.")
    return _case(request, overseer=request.access.is_oversight)(case)


@router.get("/cases", response=answers(page_of(CaseOut)),
            summary="The review queue: cases across the chapters I oversee, oldest first (deciders)")
def case_queue(request, paging: Query[PageIn], status: CaseStatus = "open"):
    if regions_overseen_by(request.user) == []:
        raise PermissionDenied(_("Only organisation admins and region staff review expulsion cases."))
    cases = review_selectors.case_queue(
        user=request.user, filters=review_selectors.QueueFilters(status=status), now=timezone.now()
    )
    return paginate(cases, paging, _case(request, overseer=True))
