"""Meetings and attendance: the schedule for every member, the roll call for leadership."""

from datetime import date
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Query, Router

from api.access import chapter_endpoint
from api.errors import form_errors, service_errors
from api.operations import ChapterSlug, ObjectId, answers, form_data, paginate, write_answers
from api.schemas import AttendanceOut, CorrectionIn, MarkIn, MeetingDetailOut, MeetingOut, PageIn, page_of
from chapters.access import Need
from meetings import selectors, services
from meetings.forms import CorrectionForm, MarkForm
from meetings.models import Meeting
from members.models import Membership

router = Router(tags=["meetings and attendance"])

# Dates the app can do arithmetic on (as the report forms bound them).
Day = Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
MeetingStatus = Annotated[Literal["scheduled", "open", "closed", "cancelled", ""], Query()]


def _meeting(meeting: Meeting) -> dict:
    return {
        "id": meeting.pk, "kind": meeting.kind, "local_date": meeting.local_date, "starts_at": meeting.starts_at,
        "duration_minutes": meeting.duration_minutes, "venue": meeting.venue, "status": meeting.status,
        "cancel_reason": meeting.cancel_reason, "closed_at": meeting.closed_at,
    }


def _row(row) -> dict:
    mark = row.attendance
    return {
        "membership_id": row.membership.pk, "name": row.membership.display_name,
        "on_leave": row.membership.status == Membership.Status.ON_LEAVE,
        "status": mark.status if mark else None,
        "substitute_name": mark.substitute_name if mark else "",
        "substitute_business": mark.substitute_business if mark else "",
        "recorded_at": mark.recorded_at if mark else None,
    }


@router.get("/chapters/{chapter_slug}/meetings", response=answers(page_of(MeetingOut)),
            summary="The chapter's meetings, earliest first")
@chapter_endpoint(Need.MEMBER)
def meeting_list(request, chapter_slug: ChapterSlug, paging: Query[PageIn], status: MeetingStatus = "",
                 from_date: Day = None, to_date: Day = None):
    meetings = request.chapter.meetings.order_by("starts_at", "pk")
    if status:
        meetings = meetings.filter(status=status)
    if from_date:
        meetings = meetings.filter(local_date__gte=from_date)
    if to_date:
        meetings = meetings.filter(local_date__lte=to_date)
    return paginate(meetings, paging, _meeting)


@router.get("/chapters/{chapter_slug}/meetings/{meeting_id}", response=answers(MeetingDetailOut),
            summary="A meeting with its attendance counts and my own mark")
@chapter_endpoint(Need.MEMBER)
def meeting_detail(request, chapter_slug: ChapterSlug, meeting_id: ObjectId):
    meeting = get_object_or_404(request.chapter.meetings, pk=meeting_id)
    roll = selectors.meeting_roll_call(meeting=meeting)
    me = request.access.membership
    mine = next((r for r in roll.expected + roll.on_leave if me and r.membership.pk == me.pk), None)
    counts = {key: roll.counts[key] for key in
              ("expected", "unmarked", "attending", "present", "late", "absent", "medical", "substitute")}
    return {**_meeting(meeting), "counts": counts, "my_mark": mine.status if mine else None}


@router.get("/chapters/{chapter_slug}/meetings/{meeting_id}/attendance", response=answers(list[AttendanceOut]),
            summary="The roll call: every member expected at the meeting, with their mark (leadership)")
@chapter_endpoint(Need.LEADERSHIP)
def meeting_attendance(request, chapter_slug: ChapterSlug, meeting_id: ObjectId):
    meeting = get_object_or_404(request.chapter.meetings, pk=meeting_id)
    roll = selectors.meeting_roll_call(meeting=meeting)
    return [_row(r) for r in roll.expected + roll.on_leave]


def _seat_and_meeting(request, meeting_id: int, membership_id: int) -> tuple[Meeting, Membership]:
    meeting = get_object_or_404(request.chapter.meetings, pk=meeting_id)
    membership = get_object_or_404(request.chapter.memberships.select_related("user"), pk=membership_id)
    return meeting, membership


def _attendance_write(request, meeting_id: int, membership_id: int, form, service):
    """A mark or a correction: the browser's form checks the payload, the service acts, the row answers."""
    meeting, membership = _seat_and_meeting(request, meeting_id, membership_id)
    if not form.is_valid():
        raise form_errors(form)
    try:
        service(meeting=meeting, membership=membership, by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        raise service_errors(exc) from exc
    return _row(selectors.roll_call_row(meeting=meeting, membership=membership))


@router.put("/chapters/{chapter_slug}/meetings/{meeting_id}/attendance/{membership_id}",
            response=write_answers(AttendanceOut),
            summary="Mark a member during roll call (from shortly before the start until the meeting is closed)")
@chapter_endpoint(Need.LEADERSHIP, write=True)
def attendance_mark(request, chapter_slug: ChapterSlug, meeting_id: ObjectId, membership_id: ObjectId,
                    payload: MarkIn):
    return _attendance_write(request, meeting_id, membership_id, MarkForm(form_data(payload)), services.attendance_mark)


@router.post("/chapters/{chapter_slug}/meetings/{meeting_id}/attendance/{membership_id}/correction",
             response=write_answers(AttendanceOut),
             summary="Correct a closed meeting's mark, with a reason (kept on the audit trail)")
@chapter_endpoint(Need.LEADERSHIP, write=True)
def attendance_correct(request, chapter_slug: ChapterSlug, meeting_id: ObjectId, membership_id: ObjectId,
                       payload: CorrectionIn):
    return _attendance_write(request, meeting_id, membership_id, CorrectionForm(form_data(payload)),
                             services.attendance_correct)
