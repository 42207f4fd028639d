"""Pages made to print and download for leadership: a meeting's weekly read-out and its run sheet (agenda)."""


from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from chapters.access import Need, chapter_view
from leadsgroups.csv_export import csv_response
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
    response, writer = csv_response(filename)

    def row(*cells):
        writer.writerow(cells)

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
    # Words for the person reading the sheet, in their language; dates ISO and amounts plain (a spreadsheet's).
    response, row = _csv(f"read-out-{chapter.slug}-{meeting.local_date}.csv")
    row(_("Weekly read-out"), chapter.name, _("meeting of %(date)s") % {"date": meeting.local_date},
        _("slips dated %(first)s to %(last)s") % {"first": w.first_day, "last": w.last_day},
        _("final") if r.is_final else _("provisional"))
    row()
    weeks = len(r.weeks_before)
    row(_("Figure"), _("This week"), _("Last week"),
        ngettext("Average of the %(count)s week before", "Average of the %(count)s weeks before", weeks)
        % {"count": weeks}, _("Currency"))
    for f in r.figures:
        row(f"  {f.label}" if f.indent else f.label, f.plain(f.this), f.plain(f.last), f.plain(f.average), f.currency)
    row()
    row(_("Slip"), _("Date"), pgettext("slip", "From"), pgettext("slip", "To"), _("Details"), _("Value"))
    tz = chapter.tz
    for x in r.referrals:
        consent = _("prospect consented") if x.consent in x.CONSENTED else _("consent not given")
        details = _("%(kind)s; temperature %(temperature)s; %(consent)s") % {
            "kind": x.get_kind_display(), "temperature": x.temperature, "consent": consent}
        row(_("Referral"), x.created_at.astimezone(tz).date(), x.giver.display_name, x.receiver.display_name,
            details, "")
    for t in r.thank_yous:
        row(_("Thank-you for closed business"), t.created_at.astimezone(tz).date(), t.receiver.display_name,
            t.giver.display_name, t.get_business_type_display(), t.value)
    for o in r.one_to_ones:
        row(_("One-to-one"), o.met_on, o.initiator.display_name, o.other.display_name, "", "")
    for v in r.visitors:
        row(_("Visitor"), meeting.local_date, v.name, v.invited_by.display_name if v.invited_by else "", v.business, "")
    for e in r.education:
        row(_("Education"), e.completed_on, e.membership.display_name, "", e.title, e.hours)
    for t in r.testimonials:
        row(_("Testimonial"), meeting.local_date, t.given_by.display_name, t.about.display_name, t.text, "")
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
        label = str(label)  # in the active language: the page's and the CSV's
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
    row(_("Run sheet"), chapter.name, f"{start:%Y-%m-%d %H:%M}", chapter.timezone, meeting.venue)
    row()
    row(_("Order"), _("Item"), _("Who or what"))
    for n, item in enumerate(sheet["items"], start=1):
        row(n, item["label"], "; ".join(item["who"]))
    row()
    row(_("Member"), _("Classification"), _("Expected"), _("Mark"))
    roll = sheet["roll"]
    for expected, rows in ((_("yes"), roll.expected), (_("on leave"), roll.on_leave)):
        for r in rows:
            m = r.membership
            row(m.display_name, m.classification or "", expected, r.attendance.get_status_display() if r.attendance else "")
    return response
