"""The health page's charts: each one's data for Chart.js (handed over with json_script) and the same figures
as a table, so every chart has its numbers one click away for anyone who cannot read a chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from enforcement.formatting import money
from reports.series import Week

# Okabe–Ito: told apart by people with colour-blind vision, and in greyscale print by their lightness.
BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, GREY = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#6B7280",
)


@dataclass
class Chart:
    key: str
    title: str
    summary: str  # one line under the title: the range's totals, in words
    empty: str  # what the page says instead of a chart when there is nothing to draw
    has_data: bool
    data: dict  # for charts.js
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    @property
    def script_id(self) -> str:
        return f"chart-data-{self.key}"


def _label(day: date) -> str:
    return f"{day:%-d %b}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)} %"


def _pct_point(value: float | None):
    return None if value is None else round(value * 100, 1)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def health_charts(weeks: list[Week], *, currency: str) -> list[Chart]:
    labels = [_label(w.start) for w in weeks]
    week_col = "Week from"
    charts = []

    attended = sum(w.attended for w in weeks)
    counted = sum(w.counted_marks for w in weeks)
    charts.append(Chart(
        key="attendance", title="Attendance",
        summary=f"{_pct(_ratio(attended, counted))} of marks present, late or substitute "
                f"({attended} of {counted}; medical absences left out) at {sum(w.meetings for w in weeks)} meetings.",
        empty="No meeting was held (or marked) in this range: no attendance to show.",
        has_data=counted > 0,
        data={"type": "line", "labels": labels, "percent": True, "datasets": [
            {"label": "Attendance rate", "data": [_pct_point(w.attendance_rate) for w in weeks], "color": BLUE},
        ]},
        columns=[week_col, "Meetings", "Present", "Late", "Substitute", "Absent", "Medical", "Rate"],
        rows=[[_label(w.start), w.meetings, w.present, w.late, w.substitute, w.absent, w.medical,
               _pct(w.attendance_rate)] for w in weeks],
    ))

    given = sum(w.given for w in weeks)
    consented = sum(w.consented for w in weeks)
    charts.append(Chart(
        key="referrals", title="Referrals given",
        summary=f"{given} referrals, {consented} with the prospect's consent ({_pct(_ratio(consented, given))}).",
        empty="No referral was given in this range.",
        has_data=given > 0,
        data={"type": "bar", "labels": labels, "stacked": True, "datasets": [
            {"label": "With consent", "data": [w.consented for w in weeks], "color": GREEN},
            {"label": "Without consent", "data": [w.not_consented for w in weeks], "color": ORANGE},
        ]},
        columns=[week_col, "Given", "With consent", "Without consent"],
        rows=[[_label(w.start), w.given, w.consented, w.not_consented] for w in weeks],
    ))

    won = sum(w.won for w in weeks)
    charts.append(Chart(
        key="conversion", title="Conversion (won / given)",
        summary=f"{won} of {given} referrals given in the range won so far ({_pct(_ratio(won, given))}); "
                "recent weeks' referrals may still be open.",
        empty="No referral was given in this range, so none could be won.",
        has_data=given > 0,
        data={"type": "line", "labels": labels, "percent": True, "datasets": [
            {"label": "Won of given", "data": [_pct_point(w.conversion) for w in weeks], "color": VERMILLION},
        ]},
        columns=[week_col, "Given", "Won", "Conversion"],
        rows=[[_label(w.start), w.given, w.won, _pct(w.conversion)] for w in weeks],
    ))

    new = sum((w.tyfcb_new for w in weeks), Decimal(0))
    repeat = sum((w.tyfcb_repeat for w in weeks), Decimal(0))
    charts.append(Chart(
        key="tyfcb", title="TYFCB (closed business)",
        summary=f"{money(new + repeat, currency)} closed: new {money(new, currency)}, repeat {money(repeat, currency)}.",
        empty="No closed business was thanked for in this range.",
        has_data=(new + repeat) > 0,
        data={"type": "bar", "labels": labels, "stacked": True, "currency": currency, "datasets": [
            {"label": "New business", "data": [float(w.tyfcb_new) for w in weeks], "color": BLUE},
            {"label": "Repeat business", "data": [float(w.tyfcb_repeat) for w in weeks], "color": SKY},
        ]},
        columns=[week_col, "New", "Repeat", "Total"],
        rows=[[_label(w.start), money(w.tyfcb_new, currency), money(w.tyfcb_repeat, currency),
               money(w.tyfcb, currency)] for w in weeks],
    ))

    visitors = sum(w.visitors for w in weeks)
    applied = sum(w.visitors_applied for w in weeks)
    charts.append(Chart(
        key="visitors", title="Visitors",
        summary=f"{visitors} visitors, {applied} of them applied to join ({_pct(_ratio(applied, visitors))}).",
        empty="No visitor came in this range.",
        has_data=visitors > 0,
        data={"type": "bar", "labels": labels, "stacked": True, "datasets": [
            {"label": "Applied to join", "data": [w.visitors_applied for w in weeks], "color": GREEN},
            {"label": "Not (yet) applied", "data": [w.visitors - w.visitors_applied for w in weeks], "color": GREY},
        ]},
        columns=[week_col, "Visitors", "Applied", "Conversion"],
        rows=[[_label(w.start), w.visitors, w.visitors_applied, _pct(w.visitor_conversion)] for w in weeks],
    ))

    joined = sum(w.joined for w in weeks)
    left = sum(w.left for w in weeks)
    first_seats = weeks[0].seats - weeks[0].joined + weeks[0].left if weeks else 0
    charts.append(Chart(
        key="members", title="Members joining and leaving",
        summary=f"{joined} joined, {left} left: {first_seats} seats held at the start, "
                f"{weeks[-1].seats if weeks else 0} at the end.",
        empty="No seat was held in this range.",
        has_data=bool(weeks) and (first_seats > 0 or joined > 0),
        data={"type": "bar", "labels": labels, "datasets": [
            {"label": "Joined", "data": [w.joined for w in weeks], "color": GREEN},
            {"label": "Left", "data": [-w.left for w in weeks], "color": VERMILLION},
            {"label": "Seats held", "data": [w.seats for w in weeks], "color": PURPLE, "type": "line", "axis": "y2"},
        ]},
        columns=[week_col, "Joined", "Left", "Seats at the week's end"],
        rows=[[_label(w.start), w.joined, w.left, w.seats] for w in weeks],
    ))
    return charts
