"""Pages made to print and download for leadership: a meeting's weekly read-out and its run sheet (agenda)."""

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from chapters.access import Need, chapter_view
from meetings import selectors
from meetings.models import Meeting
from meetings.readout import meeting_readout


def _held_meeting(request, meeting_id: int) -> Meeting:
    """A meeting of the chapter that is (or will be) held: a cancelled one has no read-out and no run sheet."""
    meeting = get_object_or_404(request.chapter.meetings.select_related("chapter"), pk=meeting_id)
    if meeting.status == Meeting.Status.CANCELLED:
        raise Http404("This meeting was cancelled.")
    return meeting


def _csv(filename: str):
    """A CSV download and a writer that neutralises spreadsheet formulas in every cell."""
    from referrals.views import csv_safe  # the project's formula-safe cell (leading spaces included)

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)

    def row(*cells):
        writer.writerow([csv_safe(c) for c in cells])

    return response, row


# The weekly read-out ---------------------------------------------------------------------------


@chapter_view(Need.LEADERSHIP)
def readout(request, meeting_id: int):
    meeting = _held_meeting(request, meeting_id)
    return render(request, "meetings/readout.html", {
        "chapter": request.chapter, "meeting": meeting, "r": meeting_readout(meeting=meeting),
    })


@chapter_view(Need.LEADERSHIP)
def readout_csv(request, meeting_id: int):
    chapter = request.chapter
    meeting = _held_meeting(request, meeting_id)
    r = meeting_readout(meeting=meeting)
    w = r.week
    response, row = _csv(f"read-out-{chapter.slug}-{meeting.local_date}.csv")
    row("Weekly read-out", chapter.name, f"meeting of {meeting.local_date}",
        f"slips dated {w.first_day} to {w.last_day}", "final" if r.is_final else "provisional")
    row()
    row("Figure", "This week", "Last week", f"Average of the {len(r.weeks_before)} weeks before", "Currency")
    for f in r.figures:
        row(f"  {f.label}" if f.indent else f.label, f.plain(f.this), f.plain(f.last), f.plain(f.average), f.currency)
    row()
    row("Slip", "Date", "From", "To", "Details", "Value")
    tz = chapter.tz
    for x in r.referrals:
        consent = "prospect consented" if x.consent in x.CONSENTED else "consent not given"
        row("Referral", x.created_at.astimezone(tz).date(), x.giver.display_name, x.receiver.display_name,
            f"{x.get_kind_display()}; temperature {x.temperature}; {consent}", "")
    for t in r.thank_yous:
        row("Thank-you for closed business", t.created_at.astimezone(tz).date(), t.receiver.display_name,
            t.giver.display_name, t.get_business_type_display(), t.value)
    for o in r.one_to_ones:
        row("One-to-one", o.met_on, o.initiator.display_name, o.other.display_name, "", "")
    for v in r.visitors:
        row("Visitor", meeting.local_date, v.name, v.invited_by.display_name if v.invited_by else "", v.business, "")
    for e in r.education:
        row("Education", e.completed_on, e.membership.display_name, "", e.title, e.hours)
    for t in r.testimonials:
        row("Testimonial", meeting.local_date, t.given_by.display_name, t.about.display_name, t.text, "")
    return response


# The run sheet ---------------------------------------------------------------------------------


def _run_sheet(meeting: Meeting) -> dict:
    """The agenda with who presents, the visitors expected and the members to tick off (a fixed number of queries)."""
    run = selectors.meeting_run_sheet(meeting=meeting)
    roll = selectors.meeting_roll_call(meeting=meeting)
    visitors = selectors.meeting_visitors(meeting=meeting)
    items = []
    for key, label in selectors.AGENDA:
        who = []
        if key in ("education", "features"):
            who = [f"{p.presenter.display_name}: {p.topic}" if p.topic else p.presenter.display_name for p in run[key]]
        elif key == "visitors":
            who = [f"{v.name} ({v.business})" if v.business else v.name for v in visitors]
        items.append({"key": key, "label": label, "who": who})
    return {"items": items, "roll": roll, "visitors": visitors}


@chapter_view(Need.LEADERSHIP)
def run_sheet(request, meeting_id: int):
    chapter = request.chapter
    meeting = _held_meeting(request, meeting_id)
    return render(request, "meetings/run_sheet.html", {
        "chapter": chapter, "meeting": meeting, "local_start": meeting.starts_at.astimezone(chapter.tz),
        **_run_sheet(meeting),
    })


@chapter_view(Need.LEADERSHIP)
def run_sheet_csv(request, meeting_id: int):
    chapter = request.chapter
    meeting = _held_meeting(request, meeting_id)
    sheet = _run_sheet(meeting)
    start = meeting.starts_at.astimezone(chapter.tz)
    response, row = _csv(f"run-sheet-{chapter.slug}-{meeting.local_date}.csv")
    row("Run sheet", chapter.name, f"{start:%Y-%m-%d %H:%M}", chapter.timezone, meeting.venue)
    row()
    row("Order", "Item", "Who or what")
    for n, item in enumerate(sheet["items"], start=1):
        row(n, item["label"], "; ".join(item["who"]))
    row()
    row("Member", "Classification", "Expected", "Mark")
    roll = sheet["roll"]
    for expected, rows in (("yes", roll.expected), ("on leave", roll.on_leave)):
        for r in rows:
            m = r.membership
            row(m.display_name, m.classification or "", expected, r.attendance.get_status_display() if r.attendance else "")
    return response
