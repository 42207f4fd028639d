"""The health page's charts: each one's data for Chart.js (handed over with json_script) and the same figures
as a table, so every chart has its numbers one click away for anyone who cannot read a chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leadsgroups.formats import format_date, format_money, format_number, format_percent
from reports.series import Week

# Okabe–Ito: told apart by people with colour-blind vision, and in greyscale print by their lightness.
BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, GREY = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#6B7280",
)


@dataclass
class Chart:
    key: str
    title: str
    summary: str  # one line under the title: the range's totals, in words (the reader's language)
    empty: str  # what the page says instead of a chart when there is nothing to draw
    has_data: bool
    data: dict  # for charts.js
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    @property
    def script_id(self) -> str:
        return f"chart-data-{self.key}"

    @property
    def rows_html(self) -> SafeString:
        """The data table's body: written here rather than by a template loop, which took a third of the
        health page's time for six tables of 26 weeks. Every value is escaped."""
        return mark_safe("".join(  # noqa: S308 - every value goes through escape()
            f'<tr><th scope="row">{escape(row[0])}</th>{"".join(f"<td>{escape(v)}</td>" for v in row[1:])}</tr>'
            for row in self.rows
        ))


def _pct(value: float | None) -> str:
    return "—" if value is None else format_percent(value)


def _pct_point(value: float | None):
    return None if value is None else round(value * 100, 1)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def health_charts(weeks: list[Week], *, currency: str) -> list[Chart]:
    """The six charts of the health page, in the reader's language and formats (the chapter's currency)."""
    labels = [format_date(w.start, "MMMd") for w in weeks]  # "8 Dec", "8. Dez.": each week's Monday
    week_col = _("Week from")
    charts = []

    def money(amount) -> str:
        return format_money(amount, currency)

    def n(value) -> str:
        return format_number(value)

    attended = sum(w.attended for w in weeks)
    counted = sum(w.counted_marks for w in weeks)
    meetings = sum(w.meetings for w in weeks)
    charts.append(Chart(
        key="attendance", title=_("Attendance"),
        summary=ngettext(
            "%(share)s of marks present, late or substitute (%(attended)s of %(counted)s; medical absences left "
            "out) at %(meetings)s meeting.",
            "%(share)s of marks present, late or substitute (%(attended)s of %(counted)s; medical absences left "
            "out) at %(meetings)s meetings.", meetings,
        ) % {"share": _pct(_ratio(attended, counted)), "attended": n(attended), "counted": n(counted),
             "meetings": n(meetings)},
        empty=_("No meeting was held (or marked) in this range: no attendance to show."),
        has_data=counted > 0,
        data={"type": "line", "labels": labels, "percent": True, "datasets": [
            {"label": _("Attendance rate"), "data": [_pct_point(w.attendance_rate) for w in weeks], "color": BLUE},
        ]},
        columns=[week_col, _("Meetings"), _("Present"), _("Late"), _("Substitute"), _("Absent"), _("Medical"),
                 _("Rate")],
        rows=[[label, w.meetings, w.present, w.late, w.substitute, w.absent, w.medical, _pct(w.attendance_rate)]
              for label, w in zip(labels, weeks, strict=True)],
    ))

    given = sum(w.given for w in weeks)
    consented = sum(w.consented for w in weeks)
    charts.append(Chart(
        key="referrals", title=_("Referrals given"),
        summary=ngettext(
            "%(given)s referral, %(consented)s with the prospect's consent (%(share)s).",
            "%(given)s referrals, %(consented)s with the prospect's consent (%(share)s).", given,
        ) % {"given": n(given), "consented": n(consented), "share": _pct(_ratio(consented, given))},
        empty=_("No referral was given in this range."),
        has_data=given > 0,
        data={"type": "bar", "labels": labels, "stacked": True, "datasets": [
            {"label": _("With consent"), "data": [w.consented for w in weeks], "color": GREEN},
            {"label": _("Without consent"), "data": [w.not_consented for w in weeks], "color": ORANGE},
        ]},
        columns=[week_col, _("Given"), _("With consent"), _("Without consent")],
        rows=[[label, w.given, w.consented, w.not_consented] for label, w in zip(labels, weeks, strict=True)],
    ))

    won = sum(w.won for w in weeks)
    charts.append(Chart(
        key="conversion", title=_("Conversion (won / given)"),
        summary=ngettext(
            "%(won)s of %(given)s referral given in the range won so far (%(share)s); recent weeks' referrals may "
            "still be open.",
            "%(won)s of %(given)s referrals given in the range won so far (%(share)s); recent weeks' referrals may "
            "still be open.", given,
        ) % {"won": n(won), "given": n(given), "share": _pct(_ratio(won, given))},
        empty=_("No referral was given in this range, so none could be won."),
        has_data=given > 0,
        data={"type": "line", "labels": labels, "percent": True, "datasets": [
            {"label": _("Won of given"), "data": [_pct_point(w.conversion) for w in weeks], "color": VERMILLION},
        ]},
        columns=[week_col, _("Given"), _("Won"), _("Conversion")],
        rows=[[label, w.given, w.won, _pct(w.conversion)] for label, w in zip(labels, weeks, strict=True)],
    ))

    new = sum((w.tyfcb_new for w in weeks), Decimal(0))
    repeat = sum((w.tyfcb_repeat for w in weeks), Decimal(0))
    charts.append(Chart(
        key="tyfcb", title=_("TYFCB (closed business)"),
        summary=_("%(total)s closed: new %(new)s, repeat %(repeat)s.") % {
            "total": money(new + repeat), "new": money(new), "repeat": money(repeat)},
        empty=_("No closed business was thanked for in this range."),
        has_data=(new + repeat) > 0,
        data={"type": "bar", "labels": labels, "stacked": True, "currency": currency, "datasets": [
            {"label": _("New business"), "data": [float(w.tyfcb_new) for w in weeks], "color": BLUE},
            {"label": _("Repeat business"), "data": [float(w.tyfcb_repeat) for w in weeks], "color": SKY},
        ]},
        columns=[week_col, _("New"), _("Repeat"), _("Total")],
        rows=[[label, money(w.tyfcb_new), money(w.tyfcb_repeat), money(w.tyfcb)]
              for label, w in zip(labels, weeks, strict=True)],
    ))

    visitors = sum(w.visitors for w in weeks)
    applied = sum(w.visitors_applied for w in weeks)
    charts.append(Chart(
        key="visitors", title=_("Visitors"),
        summary=ngettext(
            "%(visitors)s visitor, %(applied)s of them applied to join (%(share)s).",
            "%(visitors)s visitors, %(applied)s of them applied to join (%(share)s).", visitors,
        ) % {"visitors": n(visitors), "applied": n(applied), "share": _pct(_ratio(applied, visitors))},
        empty=_("No visitor came in this range."),
        has_data=visitors > 0,
        data={"type": "bar", "labels": labels, "stacked": True, "datasets": [
            {"label": _("Applied to join"), "data": [w.visitors_applied for w in weeks], "color": GREEN},
            {"label": _("Not (yet) applied"), "data": [w.visitors - w.visitors_applied for w in weeks],
             "color": GREY},
        ]},
        columns=[week_col, _("Visitors"), _("Applied"), _("Conversion")],
        rows=[[label, w.visitors, w.visitors_applied, _pct(w.visitor_conversion)]
              for label, w in zip(labels, weeks, strict=True)],
    ))

    joined = sum(w.joined for w in weeks)
    left = sum(w.left for w in weeks)
    first_seats = weeks[0].seats - weeks[0].joined + weeks[0].left if weeks else 0
    charts.append(Chart(
        key="members", title=_("Members joining and leaving"),
        summary=_("%(joined)s joined, %(left)s left: %(first)s seats held at the start, %(last)s at the end.") % {
            "joined": n(joined), "left": n(left), "first": n(first_seats),
            "last": n(weeks[-1].seats if weeks else 0)},
        empty=_("No seat was held in this range."),
        has_data=bool(weeks) and (first_seats > 0 or joined > 0),
        data={"type": "bar", "labels": labels, "datasets": [
            {"label": _("Joined"), "data": [w.joined for w in weeks], "color": GREEN},
            {"label": _("Left"), "data": [-w.left for w in weeks], "color": VERMILLION},
            {"label": _("Seats held"), "data": [w.seats for w in weeks], "color": PURPLE, "type": "line",
             "axis": "y2"},
        ]},
        columns=[week_col, _("Joined"), _("Left"), _("Seats at the week's end")],
        rows=[[label, w.joined, w.left, w.seats] for label, w in zip(labels, weeks, strict=True)],
    ))
    return charts
