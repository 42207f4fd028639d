import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from chapters.access import Need, chapter_view
from leadsgroups.csv_export import csv_response
from leadsgroups.formats import format_date, format_money
from leadsgroups.links import link_maker
from meetings import selectors, services
from meetings.calendar import calendar_render
from meetings.forms import (
    CancelForm,
    CorrectionForm,
    FollowUpForm,
    MarkForm,
    MeetingSettingsForm,
    MeetingTimeForm,
    PresentationForm,
    ReinstateForm,
    ReportRangeForm,
    TestimonialForm,
    VisitorForm,
)
from meetings.models import Attendance, CalendarFeed, Meeting, mark_codes
from members.models import Invitation, Membership
from members.selectors import with_email_state


def _meeting(request, meeting_id: int) -> Meeting:
    return get_object_or_404(request.chapter.meetings.select_related("closed_by"), pk=meeting_id)


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _local(meeting: Meeting, chapter):
    return meeting.starts_at.astimezone(chapter.tz)


# Lists and the meeting page ------------------------------------------------------------------------


UPCOMING_PER_PAGE = 10
PAST_PER_PAGE = 12


def _upcoming_page(request):
    """Paged, not cut at ten: a chapter that plans a year ahead sees every meeting (issue 17)."""
    upcoming = selectors.meetings_upcoming(chapter=request.chapter, limit=None)
    return Paginator(upcoming, UPCOMING_PER_PAGE).get_page(request.GET.get("page"))


@chapter_view(Need.MEMBER)
def meeting_list(request):
    chapter = request.chapter
    membership = request.access.membership
    # The past pages apart from the upcoming list (`?past=`), each pager keeping the other's place.
    past = Paginator(selectors.meetings_past(chapter=chapter, limit=None), PAST_PER_PAGE).get_page(
        request.GET.get("past"))
    upcoming_page = _upcoming_page(request)
    return render(request, "meetings/meeting_list.html", {
        "chapter": chapter,
        "upcoming": upcoming_page, "page": upcoming_page,
        "keep": f"past={past.number}&" if past.number > 1 else "",
        "past": past, "past_keep": f"page={upcoming_page.number}&" if upcoming_page.number > 1 else "",
        "my_next": selectors.presentation_next(membership=membership) if membership else None,
        "can_edit": request.access.is_leadership,
    })


@chapter_view(Need.MEMBER)
def meeting_next(request):
    meeting = selectors.meeting_next(chapter=request.chapter)
    if meeting is None:
        messages.info(request, _("No meeting is scheduled yet."))
        return redirect("meetings:list", request.chapter.slug)
    return redirect("meetings:detail", request.chapter.slug, meeting.pk)


@chapter_view(Need.MEMBER)
def meeting_detail(request, meeting_id: int):
    meeting = get_object_or_404(selectors.meetings_for_page(chapter=request.chapter), pk=meeting_id)
    return _meeting_page(request, meeting)


def _mark_links(chapter, meeting: Meeting) -> dict:
    """The roll call's two links per row (mark, correct), each pattern reversed once for all rows."""
    return {
        "mark_url": link_maker("meetings:attendance-mark", chapter.slug, meeting.pk),
        "correct_url": link_maker("meetings:attendance-correct", chapter.slug, meeting.pk),
    }


def _meeting_page(
    request, meeting: Meeting, *, refused: tuple[int, str, dict] | None = None, extra: dict | None = None,
    status: int = 200,
):
    """The meeting page; `refused` (membership id, message, typed values) redraws a refused mark's row,
    `extra` adds to the context (a refused form's message and what was typed)."""
    chapter = request.chapter
    can_edit = request.access.is_leadership
    since = _poll_stamp()  # taken before the read: a mark saved meanwhile comes with the first poll
    roll = selectors.meeting_roll_call(meeting=meeting)
    if refused is not None:
        for r in roll.expected + roll.on_leave:
            if r.membership.pk == refused[0]:
                r.error, r.typed = refused[1], refused[2]
    me = request.access.membership
    my_row = next((r for r in roll.expected + roll.on_leave if me and r.membership.pk == me.pk), None)
    # Read with the meeting by meetings_for_page; a meeting from elsewhere (a refused POST) reads them apart.
    max_visits = getattr(meeting, "page_max_visits", None)
    if max_visits is None:
        max_visits = selectors.meeting_settings(chapter=chapter).max_visits_before_applying
    if not hasattr(meeting, "testimonial_count"):
        meeting.testimonial_count = meeting.testimonials.count()
    # The visitor and testimonial forms (every seat and classification in their lists) load when opened.
    context = {
        "chapter": chapter, "meeting": meeting, "local_start": _local(meeting, chapter), "can_edit": can_edit,
        "roll": roll, "counts": roll.counts, "my_row": my_row, **_mark_links(chapter, meeting),
        "roll_open": meeting.roll_call_is_open,
        "run": selectors.meeting_run_sheet(meeting=meeting),
        "visitors": selectors.meeting_visitors(meeting=meeting, max_visits=max_visits),
        "agenda": selectors.AGENDA, "max_visits": max_visits,
        "statuses": selectors.STATUSES, "since": since,
        "rest_batch": _rest_batch(request, meeting) if can_edit else None,
    }
    return render(request, "meetings/meeting_detail.html", {**context, **(extra or {})}, status=status)


# Schedule changes --------------------------------------------------------------------------------------


@chapter_view(Need.LEADERSHIP)
def meeting_add(request):
    chapter = request.chapter
    form = MeetingTimeForm(request.POST or None, initial={"local_time": chapter.start_time, "venue": chapter.venue})
    if request.method == "POST" and form.is_valid():
        meeting = services.meeting_add(chapter=chapter, by=request.user, **form.cleaned_data)
        messages.success(request, _("One-off meeting added."))
        return redirect(meeting)
    return render(request, "meetings/meeting_form.html", {
        "chapter": chapter, "form": form, "title": _("Add a one-off meeting"),
    })


def _cancel_form(meeting: Meeting, data=None) -> tuple[CancelForm, dict]:
    """The cancel form, with the run sheet the cancellation affects and where it could move to."""
    booked = list(meeting.presentations.select_related("presenter__user"))
    next_meeting = services.meeting_after(meeting=meeting) if booked else None
    form = CancelForm(data, booked=booked, next_meeting=next_meeting)
    return form, {"booked": booked, "next_meeting": next_meeting}


@chapter_view(Need.LEADERSHIP)
def meeting_move(request, meeting_id: int):
    chapter = request.chapter
    meeting = _meeting(request, meeting_id)
    local = _local(meeting, chapter)
    form = MeetingTimeForm(
        request.POST or None,
        initial={"local_date": local.date(), "local_time": local.time(), "venue": meeting.venue},
    )
    cancel_form, cancel_context = _cancel_form(meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_move(meeting=meeting, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Meeting moved."))
            return redirect(meeting)
    return render(request, "meetings/meeting_form.html", {
        "chapter": chapter, "form": form, "meeting": meeting, "cancel_form": cancel_form, **cancel_context,
        "title": _move_title(local),
    })


def _move_title(local) -> str:
    return _("Move or cancel the meeting of %(date)s") % {"date": format_date(local, "full")}


def _slots(presentations) -> str:
    """"Mona Member (feature presentation), Max Member (education moment)"."""
    return ", ".join(_("%(name)s (%(slot)s)") % {"name": p.presenter.display_name, "slot": p.kind_in_sentence}
                     for p in presentations)


@chapter_view(Need.LEADERSHIP)
def meeting_cancel(request, meeting_id: int):
    chapter = request.chapter
    meeting = _meeting(request, meeting_id)
    cancel_form, cancel_context = _cancel_form(meeting, request.POST or None)
    if request.method == "POST" and cancel_form.is_valid():
        try:
            meeting = services.meeting_cancel(
                meeting=meeting, by=request.user, reason=cancel_form.cleaned_data["reason"],
                move_presentations=cancel_form.cleaned_data.get("move_presentations", False),
            )
        except ValidationError as exc:
            _form_errors(cancel_form, exc)
        else:
            messages.success(request, _("Meeting cancelled; it counts for nobody's attendance."))
            moved, kept = meeting.run_sheet_moved, meeting.run_sheet_kept
            if moved:
                target = moved[0].meeting
                messages.info(request, _("Moved to %(date)s: %(presenters)s. The presenters are told.") % {
                    "date": format_date(_local(target, chapter), "MMMMEEEEd"), "presenters": _slots(moved)})
            if kept:
                messages.warning(request, _(
                    "Still on the cancelled meeting, to rebook on the rota: %(presenters)s. "
                    "The presenters are told their slot is off."
                ) % {"presenters": _slots(kept)})
            return redirect(meeting)
    local = _local(meeting, chapter)
    form = MeetingTimeForm(initial={"local_date": local.date(), "local_time": local.time(), "venue": meeting.venue})
    return render(request, "meetings/meeting_form.html", {
        "chapter": chapter, "form": form, "meeting": meeting, "cancel_form": cancel_form, **cancel_context,
        "title": _move_title(local),
    })


@require_POST
@chapter_view(Need.LEADERSHIP)
def meeting_reinstate(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    form = ReinstateForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["reason"])
        services.meeting_reinstate(meeting=meeting, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        if meeting.status != Meeting.Status.CANCELLED:  # no reinstate form on the page: say it at the top
            messages.error(request, " ".join(exc.messages))
            return redirect(meeting)
        # The page again, the reason as typed beside the message: nothing to type twice.
        return _meeting_page(request, meeting, status=422, extra={
            "reinstate_error": " ".join(exc.messages), "reinstate_reason": request.POST.get("reason", ""),
        })
    messages.success(request, _("Meeting reinstated: it takes place and counts for attendance again."))
    return redirect(meeting)


# Roll call ---------------------------------------------------------------------------------------------


def _roll_response(request, meeting, membership, error: str = "") -> HttpResponse:
    """The member's row, and the counts swapped out of band, for htmx."""
    roll = selectors.meeting_roll_call(meeting=meeting)
    row = next((r for r in roll.expected + roll.on_leave if r.membership.pk == membership.pk), None)
    if row is None:  # a departed member with no mark: there is no row to redraw
        return HttpResponse(error or _("This person has no seat in the chapter."), status=422)
    if error:  # a refused substitute comes back with what was typed: fixing it is one field, not both again
        row.error, row.typed = error, _typed(request)
    context = {"chapter": request.chapter, "meeting": meeting, "row": row, "counts": roll.counts, "can_edit": True,
               **_mark_links(request.chapter, meeting)}
    html = render_to_string("meetings/meeting_detail.html#roll-row", context, request=request)
    # only the figures: the panel around them keeps its poll and where that poll is up to
    html += render_to_string("meetings/meeting_detail.html#roll-figures", {**context, "oob": True}, request=request)
    return HttpResponse(html)


# A mark saved (recorded_at set) just before a poll's read may commit just after it: each poll
# looks this far back beyond the previous one, so no mark slips between two polls.
POLL_OVERLAP = timedelta(seconds=5)


def _poll_stamp() -> str:
    return f"{timezone.now().timestamp():.6f}"


def _poll_since(value: str | None) -> datetime | None:
    try:
        stamp = float(value or "")
    except ValueError:
        return None
    if not math.isfinite(stamp) or not 0 < stamp < 32503680000:  # before the year 3000
        return None
    return datetime.fromtimestamp(stamp, tz=UTC) - POLL_OVERLAP


@chapter_view(Need.MEMBER)
def roll_counts(request, meeting_id: int):
    """The counts panel, polled by the meeting page so figures others record show up live.

    For leadership it also carries, swapped out of band, the roll-call rows whose mark changed
    since the previous poll (`since`, which each answer renews): rows come from the same two
    queries as the counts, so a poll costs the same whatever the chapter's size. Once the meeting
    is closed every row is sent once more, locked, and polling stops.
    """
    meeting = _meeting(request, meeting_id)
    stamp = _poll_stamp()
    roll = selectors.meeting_roll_call(meeting=meeting)
    context = {"chapter": request.chapter, "meeting": meeting, "counts": roll.counts, "since": stamp,
               "can_edit": request.access.is_leadership, **_mark_links(request.chapter, meeting)}
    html = render_to_string("meetings/meeting_detail.html#roll-counts", context, request=request)
    since = _poll_since(request.GET.get("since"))
    if request.access.is_leadership and since is not None:
        rows = [
            row for row in roll.expected + roll.on_leave
            if meeting.is_closed or (row.attendance is not None and row.attendance.recorded_at >= since)
        ]
        for row in rows:
            html += render_to_string("meetings/meeting_detail.html#roll-row", {
                **context, "row": row, "can_edit": True, "row_oob": True,
            }, request=request)
    return HttpResponse(html)


@require_POST
@chapter_view(Need.LEADERSHIP)
def attendance_mark(request, meeting_id: int, membership_id: int):
    meeting = _meeting(request, meeting_id)
    membership = get_object_or_404(request.chapter.memberships.select_related("user"), pk=membership_id)
    form = MarkForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.attendance_mark(meeting=meeting, membership=membership, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if request.htmx:
        return _roll_response(request, meeting, membership, error)
    if error:  # without JavaScript: the whole page, the refused row keeping what was typed
        return _meeting_page(request, meeting, refused=(membership.pk, error, _typed(request)), status=422)
    return redirect(f"{meeting.get_absolute_url()}#roll-{membership.pk}")


# How long "Undo" is offered after marking everyone else present (the page hides the button sooner).
REST_PRESENT_UNDO_SECONDS = 30
REST_PRESENT_UNDO_SHOWN_SECONDS = 15


def _rest_batch_key(meeting: Meeting) -> str:
    return f"roll-rest-present-{meeting.pk}"


@require_POST
@chapter_view(Need.LEADERSHIP)
def roll_rest_present(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    since = timezone.now()
    try:
        marked = services.attendance_mark_rest_present(meeting=meeting, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(meeting)
    if marked:
        request.session[_rest_batch_key(meeting)] = {"ids": marked, "at": since.isoformat()}
        messages.success(request, ngettext(
            "%(count)s member marked present.", "%(count)s members marked present.", len(marked),
        ) % {"count": len(marked)})
    else:
        messages.info(request, _("Everyone already has a mark."))
    return redirect(f"{meeting.get_absolute_url()}#roll-call")


def _rest_batch(request, meeting: Meeting) -> dict | None:
    """The last "everyone else present" batch of this person on this meeting, while it may be undone."""
    batch = request.session.get(_rest_batch_key(meeting))
    if not batch:
        return None
    at = datetime.fromisoformat(batch["at"])
    age = (timezone.now() - at).total_seconds()
    if age > REST_PRESENT_UNDO_SECONDS:
        return None
    return {**batch, "at": at, "shown_for": max(1, int(REST_PRESENT_UNDO_SHOWN_SECONDS - age))}


@require_POST
@chapter_view(Need.LEADERSHIP)
def roll_rest_undo(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    batch = _rest_batch(request, meeting)
    request.session.pop(_rest_batch_key(meeting), None)
    if batch is None:
        messages.error(request, _("Too late to undo: change the marks one by one."))
        return redirect(f"{meeting.get_absolute_url()}#roll-call")
    try:
        undone = services.attendance_undo_rest_present(
            meeting=meeting, membership_ids=batch["ids"], marked_since=batch["at"], by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, ngettext(
            "Undone: %(count)s member is unmarked again.", "Undone: %(count)s members are unmarked again.", undone,
        ) % {"count": undone})
    return redirect(f"{meeting.get_absolute_url()}#roll-call")


def _typed(request) -> dict:
    return {k: request.POST.get(k, "") for k in ("substitute_name", "substitute_business")}


@chapter_view(Need.LEADERSHIP)
def attendance_correct(request, meeting_id: int, membership_id: int):
    chapter = request.chapter
    meeting = _meeting(request, meeting_id)
    membership = get_object_or_404(chapter.memberships.select_related("user"), pk=membership_id)
    current = meeting.attendances.filter(membership=membership).first()
    initial = {"status": current.status, "substitute_name": current.substitute_name,
               "substitute_business": current.substitute_business} if current else {}
    form = CorrectionForm(request.POST or None, initial=initial)
    if not meeting.is_closed:
        messages.info(request, _("The meeting is not closed yet: change marks in the roll call."))
        return redirect(meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.attendance_correct(meeting=meeting, membership=membership, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("%(name)s's mark corrected; the audit trail has it.") % {
                "name": membership.display_name})
            return redirect(meeting)
    return render(request, "meetings/attendance_correct.html", {
        "chapter": chapter, "meeting": meeting, "membership": membership, "current": current, "form": form,
    })


@chapter_view(Need.LEADERSHIP)
def meeting_close(request, meeting_id: int):
    chapter = request.chapter
    meeting = _meeting(request, meeting_id)
    if meeting.is_closed:
        messages.info(request, _("This meeting is already closed."))
        return redirect(meeting)
    # A meeting closed after its day may fine people at once for a date long gone: the page shows
    # those fines first, and the confirmation counts only for the fines that were shown.
    foreseen, fingerprint = None, ""
    if meeting.day_has_passed and meeting.has_started and meeting.status != Meeting.Status.CANCELLED:
        try:
            foreseen = services.meeting_close_fines_preview(meeting=meeting, by=request.user)
        except ValidationError:
            foreseen = None  # cannot be closed: the close itself says why
        else:
            fingerprint = services.meeting_close_fingerprint(foreseen)
    if request.method == "POST":
        seen = request.POST.get("fines_seen")
        if foreseen is not None and seen != fingerprint:
            messages.warning(request, (
                _("The fines this close causes changed since the page was shown. Check them below, then confirm.")
                if seen else
                _("This meeting's day is over: closing it now fines people at once. Check them below, then confirm.")
            ))
            return redirect("meetings:close", chapter.slug, meeting.pk)
        try:
            services.meeting_close(meeting=meeting, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Meeting closed: its figures are final."))
        return redirect(meeting)
    unmarked = list(services.meeting_unmarked(meeting=meeting))
    counts = selectors.meeting_roll_call(meeting=meeting).counts
    # the figures the close locks: the marks as they stand, the unmarked counted absent
    S = Attendance.Status
    locked = [(s.value, s.label, counts[s.value] + (len(unmarked) if s == S.ABSENT else 0))
              for s in (S.PRESENT, S.LATE, S.ABSENT, S.MEDICAL, S.SUBSTITUTE)]  # the roll call's order
    return render(request, "meetings/meeting_close.html", {
        "chapter": chapter, "meeting": meeting, "local_start": _local(meeting, chapter),
        "unmarked": unmarked, "locked": locked, "attending": counts["attending"],
        "foreseen": foreseen, "fines_seen": fingerprint, **_foreseen_totals(foreseen or []),
    })


def _totals(foreseen, amount=lambda fine: fine.amount) -> list[str]:
    """The foreseen fines added up per currency, as money reads in the reader's locale ("£30.00", "30,00 €")."""
    sums: dict[str, Decimal] = {}
    for fine in foreseen:
        sums[fine.currency] = sums.get(fine.currency, Decimal(0)) + amount(fine)
    return [format_money(total, currency) for currency, total in sorted(sums.items())]


def _foreseen_totals(foreseen) -> dict:
    """New fines and their total apart from fines re-issued in place of unpaid ones (the meeting now counts in
    their evidence): those add only their difference, so the page never reads as charging them twice."""
    new = [f for f in foreseen if f.replaces_amount is None]
    replaced = [f for f in foreseen if f.replaces_amount is not None]
    return {
        "fines_new": new, "fines_total": _totals(new), "fines_replaced": replaced,
        "fines_replaced_adds": [t for t in _totals(replaced, lambda f: f.adds) if any(f.adds for f in replaced)],
        # each row with the amount of the fine it replaces ("" for a new one)
        "foreseen_rows": [(f, format_money(f.replaces_amount, f.currency) if f.replaces_amount is not None else "")
                          for f in foreseen],
    }


# Visitors ----------------------------------------------------------------------------------------------


@chapter_view(Need.LEADERSHIP)
def visitor_add(request, meeting_id: int):
    chapter = request.chapter
    meeting = _meeting(request, meeting_id)
    form = VisitorForm(request.POST or None, chapter=chapter, prefix="visitor")
    if request.method == "POST" and form.is_valid():
        try:
            visitor = services.visitor_add(meeting=meeting, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Visitor %(name)s added.") % {"name": visitor.name})
            return redirect(f"{meeting.get_absolute_url()}#visitors")
    template = "meetings/visitor_form.html"
    if request.htmx and request.method == "GET":  # the meeting page opening its "Add a visitor" section
        template += "#visitor-form"
    return render(request, template, {"chapter": chapter, "meeting": meeting, "form": form})


VISITORS_DONE_PER_PAGE = 30


@chapter_view(Need.LEADERSHIP)
def visitor_list(request):
    chapter = request.chapter
    max_visits = selectors.meeting_settings(chapter=chapter).max_visits_before_applying
    return render(request, "meetings/visitor_list.html", {
        "chapter": chapter,
        "awaiting": selectors.visitors_awaiting_follow_up(chapter=chapter, max_visits=max_visits),
        # paged, not cut at 30: every visitor followed up stays reachable (issue 17)
        "done": Paginator(selectors.visitors_recent(chapter=chapter, limit=None), VISITORS_DONE_PER_PAGE).get_page(
            request.GET.get("done")),
        "max_visits": max_visits,
    })


@chapter_view(Need.LEADERSHIP)
def meeting_settings(request):
    chapter = request.chapter
    current = selectors.meeting_settings(chapter=chapter)
    form = MeetingSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_settings_update(chapter=chapter, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Meeting settings saved."))
            return redirect("meetings:visitors", chapter.slug)
    return render(request, "meetings/settings.html", {"chapter": chapter, "form": form})


def _visitor(request, visitor_id: int):
    from meetings.models import Visitor

    return get_object_or_404(
        Visitor.objects.filter(meeting__chapter=request.chapter).select_related(
            "meeting", "classification", "invited_by__user", "applicant_membership__user", "invitation__membership"
        ),
        pk=visitor_id,
    )


@chapter_view(Need.LEADERSHIP)
def visitor_edit(request, visitor_id: int):
    chapter = request.chapter
    visitor = _visitor(request, visitor_id)
    form = FollowUpForm(request.POST or None, instance=visitor)
    if request.method == "POST" and form.is_valid():
        services.visitor_follow_up(visitor=visitor, by=request.user, **form.cleaned_data)
        messages.success(request, _("Follow-up of %(name)s saved.") % {"name": visitor.name})
        return redirect("meetings:visitors", chapter.slug)
    if request.method == "POST":
        visitor.refresh_from_db()
    max_visits = selectors.meeting_settings(chapter=chapter).max_visits_before_applying
    selectors.visitors_flagged(chapter=chapter, visitors=[visitor], max_visits=max_visits)
    # The invitation's email as the members page shows it: queued, sent or failed (one query).
    invitation = with_email_state(Invitation.objects.filter(pk=visitor.invitation_id),
                                  cause="invitation").first() if visitor.invitation_id else None
    return render(request, "meetings/visitor_edit.html", {
        "chapter": chapter, "visitor": visitor, "form": form, "max_visits": max_visits, "invitation": invitation,
    })


@require_POST
@chapter_view(Need.LEADERSHIP)
def visitor_convert(request, visitor_id: int):
    visitor = _visitor(request, visitor_id)
    # A classification another member holds: the president says so knowingly, not by a stray tap (issue 17).
    max_visits = selectors.meeting_settings(chapter=request.chapter).max_visits_before_applying
    selectors.visitors_flagged(chapter=request.chapter, visitors=[visitor], max_visits=max_visits)
    if visitor.classification_held and not request.POST.get("confirm_held"):
        messages.warning(request, _(
            "%(classification)s is held by a member of the chapter: tick the box to make %(name)s an applicant "
            "anyway."
        ) % {"classification": visitor.classification, "name": visitor.name})
        return redirect("meetings:visitor-edit", request.chapter.slug, visitor.pk)
    try:
        result = services.visitor_convert(visitor=visitor, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("meetings:visitor-edit", request.chapter.slug, visitor.pk)
    if isinstance(result, Membership):
        messages.success(request, _(
            "%(name)s is now an applicant of the chapter. An invitation to set a password and see the chapter is "
            "queued for %(email)s (this page shows when its email has gone)."
        ) % {"name": result.display_name, "email": result.user.email})
    else:  # an account exists for the address: its owner is invited, never seated for them
        messages.success(request, _(
            "%(email)s already has an account, so %(name)s is not seated by this: an invitation "
            "to join is queued for them (the members page shows when its email has gone), and they get their "
            "seat when they accept it."
        ) % {"email": result.email, "name": visitor.name})
    return redirect("meetings:visitor-edit", request.chapter.slug, visitor.pk)


# Run sheet ---------------------------------------------------------------------------------------------


@chapter_view(Need.MEMBER)
def rota(request):
    chapter = request.chapter
    can_edit = request.access.is_leadership
    form = PresentationForm(request.POST or None, chapter=chapter) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            return HttpResponse(_("Only leadership fills the rota."), status=403)
        if form.is_valid():
            try:
                services.presentation_add(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Added to the run sheet."))
                return redirect("meetings:rota", chapter.slug)
    me = request.access.membership
    return render(request, "meetings/rota.html", {
        "chapter": chapter, "form": form, "can_edit": can_edit,
        "meetings": (page := _upcoming_page(request)), "page": page,
        "my_next": selectors.presentation_next(membership=me) if me else None,
    })


@require_POST
@chapter_view(Need.LEADERSHIP)
def presentation_remove(request, presentation_id: int):
    from meetings.models import Presentation

    presentation = get_object_or_404(Presentation.objects.filter(meeting__chapter=request.chapter), pk=presentation_id)
    services.presentation_remove(presentation=presentation, by=request.user)
    messages.success(request, _("Removed from the run sheet."))
    return redirect("meetings:rota", request.chapter.slug)


@chapter_view(Need.MEMBER)
def meeting_testimonials(request, meeting_id: int):
    """The meeting's testimonials, and for leadership the form to record one: the meeting page loads this
    when its Testimonials section is opened (a page of its own without JavaScript)."""
    chapter = request.chapter
    meeting = _meeting(request, meeting_id)
    can_edit = request.access.is_leadership and meeting.status != Meeting.Status.CANCELLED
    template = "meetings/testimonials.html"
    if request.htmx:
        template += "#testimonials-body"
    return render(request, template, {
        "chapter": chapter, "meeting": meeting, "testimonials": selectors.meeting_testimonials(meeting=meeting),
        "form": TestimonialForm(chapter=chapter, prefix="testimonial") if can_edit else None,
    })


@chapter_view(Need.LEADERSHIP)
def testimonial_add(request, meeting_id: int):
    chapter = request.chapter
    meeting = _meeting(request, meeting_id)
    form = TestimonialForm(request.POST or None, chapter=chapter, prefix="testimonial")
    if request.method == "POST" and form.is_valid():
        try:
            services.testimonial_add(meeting=meeting, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Testimonial recorded."))
            return redirect(f"{meeting.get_absolute_url()}#testimonials")
    return render(request, "meetings/testimonial_form.html", {"chapter": chapter, "meeting": meeting, "form": form})


# Attendance history ------------------------------------------------------------------------------------


MY_ATTENDANCE_PAGE = 26  # half a year of weekly meetings


@chapter_view(Need.MEMBER)
def my_attendance(request):
    chapter = request.chapter
    membership = request.access.membership
    context = {"chapter": chapter, "membership": membership, "statuses": selectors.STATUSES}
    if membership is not None:
        context.update(selectors.member_attendance(membership=membership))
        context["my_next"] = selectors.presentation_next(membership=membership)
        # A year of marks is read at once for the totals: its pages cost no query of their own.
        context["page"] = Paginator(context["rows"], MY_ATTENDANCE_PAGE).get_page(request.GET.get("page"))
    return render(request, "meetings/my_attendance.html", context)


def _report_range(request):
    """The range form and its dates: the last 12 weeks unless asked; None for the dates of a refused range."""
    today = timezone.localdate(timezone=request.chapter.tz)
    default = {"start": today - timedelta(weeks=12), "end": today}
    asked = "start" in request.GET or "end" in request.GET
    form = ReportRangeForm(request.GET if asked else None, initial=default)
    if not asked:
        return form, default["start"], default["end"]
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, None, None


@chapter_view(Need.LEADERSHIP)
def attendance_report(request):
    chapter = request.chapter
    form, start, end = _report_range(request)
    context = {"chapter": chapter, "form": form, "start": start, "end": end, "statuses": selectors.STATUSES}
    if start is None:  # a refused range shows its errors, never some other range's figures
        return render(request, "meetings/report.html", {**context, "refused": True})
    report = selectors.attendance_report(chapter=chapter, start=start, end=end, page=request.GET.get("page") or 1)
    # page links keep the range shown
    keep = f"start={start:%Y-%m-%d}&end={end:%Y-%m-%d}&"
    return render(request, "meetings/report.html", {**context, **report, "keep": keep})




@chapter_view(Need.LEADERSHIP)
def attendance_report_csv(request):
    chapter = request.chapter
    form, start, end = _report_range(request)
    if start is None:
        problems = " ".join(e for errors in form.errors.values() for e in errors)
        return HttpResponse(_("No CSV: the date range was refused. %(problems)s") % {"problems": problems}, status=400,
                            content_type="text/plain; charset=utf-8")
    report = selectors.attendance_report(chapter=chapter, start=start, end=end, page=None)  # every member
    response, writer = csv_response(f"attendance-{chapter.slug}-{start}-{end}.csv")
    # Headers and cells are for people reading the sheet: in their language; the dates stay ISO (sortable).
    header = [_("Member"), _("Classification"), _("Status")]
    for m in report["meetings"]:
        day = f"{m.local_date:%Y-%m-%d}"
        header.append(day if m.is_closed else _("%(date)s (provisional)") % {"date": day})
    header += [s.label for s in selectors.STATUSES] + [_("Visitors invited")]
    writer.writerow(header)
    codes = mark_codes()
    for line in report["lines"]:
        m = line.membership
        row = [m.display_name, m.classification or "", m.get_status_display()]
        row += [codes[c.status] if c else "" for c in line.cells]
        row += [line.totals[s.value] for s in selectors.STATUSES] + [line.visitors]
        writer.writerow(row)
    return response


# Calendar ----------------------------------------------------------------------------------------------


@chapter_view(Need.MEMBER)
def calendar_settings(request):
    feed = services.calendar_feed_for(user=request.user)
    url = request.build_absolute_uri(reverse("calendar-feed", args=[feed.token]))
    return render(request, "meetings/calendar.html", {
        "chapter": request.chapter, "feed": feed, "feed_url": url,
        "webcal_url": "webcal://" + url.split("://", 1)[1],
    })


@require_POST
@chapter_view(Need.MEMBER)
def calendar_reset(request):
    services.calendar_feed_reset(user=request.user)
    messages.success(request, _("New calendar address issued; the old one no longer works."))
    return redirect("meetings:calendar", request.chapter.slug)


def calendar_feed(request, token: str):
    """The iCalendar feed behind a private token: public, so calendar apps can subscribe."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
    if feed is None:
        raise Http404("No such calendar.")
    meetings = list(selectors.calendar_meetings(user=feed.user))
    body = calendar_render(meetings=meetings, user=feed.user, revisions=selectors.meeting_revisions(meetings=meetings))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    return response

