import csv
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode

from chapters.access import Need, chapter_view, regions_overseen_by
from chapters.selectors import chapter_counts, chapter_health, chapter_health_rule
from enforcement.formatting import money, num
from integrity.selectors import flagged_activity, flagged_activity_counts
from members.models import Membership
from referrals.views import csv_safe
from reports import charts, series, services
from reports import overview as org
from reports.forms import OverviewForm, RangeForm, ScorecardRulesForm
from reports.ladders import ladder_words
from reports.limits import scorecard_limits_for
from reports.scorecards import (
    COMPONENTS,
    SORTS,
    bands_words,
    ladders_of,
    scorecard_rules_for,
    scorecards,
    scorecards_sorted,
)
from reports.scorecards import default_range as last_six_months


def _today(chapter):
    return timezone.localdate(timezone=chapter.tz)


def _range(request, default):
    """The range form and its dates: `default` unless asked; (None, None) for a refused range."""
    today = _today(request.chapter)
    asked = "start" in request.GET or "end" in request.GET
    form = RangeForm(request.GET if asked else None, today=today,
                     initial={"start": default[0], "end": default[1]})
    if not asked:
        return form, default
    if form.is_valid():
        return form, (form.cleaned_data["start"], form.cleaned_data["end"])
    return form, (None, None)


def _leave_out(request):
    """Leadership's "without flagged activity" (?flagged=without): the rows of open or confirmed integrity flags.

    None otherwise, and always for a member reading their own scorecard: whether they are flagged is
    for leadership to raise with them.
    """
    if request.GET.get("flagged") == "without" and request.access.is_leadership:
        return flagged_activity(chapter_ids=[request.chapter.pk])
    return None


def _flagged_context(request, leave_out) -> dict:
    """The switch's state, and what it leaves out (one query, only when it is on)."""
    context = {"can_unflag": request.access.is_leadership, "unflagged": leave_out is not None}
    if leave_out is not None:
        context["left_out"] = flagged_activity_counts(chapter=request.chapter)
    return context


def _refused(form) -> HttpResponse:
    problems = " ".join(e for errors in form.errors.values() for e in errors)
    return HttpResponse(f"No CSV: the date range was refused. {problems}", status=400,
                        content_type="text/plain; charset=utf-8")


def _csv(filename: str) -> tuple[HttpResponse, csv.writer]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, csv.writer(response)


def _rules_words(rules, currency):
    """Each figure's ladder in words, for the page that explains how the chapter scores."""
    ladders = ladders_of(rules)
    return [
        (c, ladder_words(ladders[c.key], c.direction, (lambda v: money(v, currency)) if c.money else num))
        for c in COMPONENTS
    ]


# Member scorecard --------------------------------------------------------------------------------


@chapter_view(Need.MEMBER)
def scorecard(request, membership_id: int):
    """A member's scorecard: the member themself, the chapter's leadership and overseers; no other member."""
    chapter = request.chapter
    membership = get_object_or_404(chapter.memberships.select_related("user", "classification"), pk=membership_id)
    own = request.access.membership is not None and membership.pk == request.access.membership.pk
    if not (own or request.access.is_leadership):
        raise PermissionDenied("A member's scorecard is theirs and the chapter leadership's to see.")
    form, (start, end) = _range(request, last_six_months(_today(chapter)))
    leave_out = _leave_out(request)
    context = {"chapter": chapter, "membership": membership, "own": own, "form": form, "start": start, "end": end,
               "can_configure": request.access.is_leadership, **_flagged_context(request, leave_out)}
    if start is None:
        return render(request, "reports/scorecard.html", {**context, "refused": True})
    rules = scorecard_rules_for(chapter=chapter)
    card = scorecards(chapter=chapter, memberships=[membership], start=start, end=end, rules=rules,
                      leave_out=leave_out)[membership.pk]
    return render(request, "reports/scorecard.html", {
        **context, "card": card, "rules": rules, "bands": bands_words(rules),
        "ladders": _rules_words(rules, chapter.currency),
    })


# Chapter health ----------------------------------------------------------------------------------


def _seated(chapter):
    return list(
        Membership.objects.filter(chapter=chapter, status__in=Membership.SEATED_STATUSES)
        .select_related("user", "classification")
        .order_by("user__full_name", "user__email", "pk")
    )


def _sort(request) -> tuple[str, bool]:
    by = request.GET.get("sort", "score")
    return (by if by in SORTS else "score"), request.GET.get("reverse") == "1"


# The fragments htmx asks for by their id (HX-Target): the range form swaps the whole report, a sort link
# only the table of scorecards.
FRAGMENTS = {"health-report": "reports/health.html#report", "health-roster": "reports/health.html#roster"}


@chapter_view(Need.LEADERSHIP)
def health(request):
    """Leadership's week-by-week view of the chapter, and the roster's scorecards (sortable)."""
    chapter = request.chapter
    form, (start, end) = _range(request, series.default_range(_today(chapter)))
    template = FRAGMENTS.get(request.htmx.target, "reports/health.html") if request.htmx else "reports/health.html"
    leave_out = _leave_out(request)
    context = {"chapter": chapter, "form": form, "start": start, "end": end, **_flagged_context(request, leave_out)}
    if template == "reports/health.html":
        counts = chapter_counts(chapter=chapter)
        context.update(health=chapter_health(counts["active"]), active=counts["active"],
                       health_rule=chapter_health_rule())
    if start is None:
        return render(request, template, {**context, "refused": True})
    by, reverse = _sort(request)
    keep = {"start": start.isoformat(), "end": end.isoformat(), **({"flagged": "without"} if leave_out else {})}
    columns = []
    for key, (label, _) in SORTS.items():
        natural = "ascending" if key == "name" else "descending"  # names A–Z, points most first
        flip = key == by and not reverse
        columns.append({
            "key": key, "label": label,
            "url": "?" + urlencode({**keep, "sort": key, **({"reverse": "1"} if flip else {})}),
            "sorted": ({"ascending": "descending", "descending": "ascending"}[natural] if reverse else natural)
            if key == by else "",
        })
    rules = scorecard_rules_for(chapter=chapter)
    cards = scorecards(chapter=chapter, memberships=_seated(chapter), start=start, end=end, rules=rules,
                       leave_out=leave_out).values()
    context.update(
        cards=scorecards_sorted(cards, by, descending=reverse), columns=columns, sort=by, reverse=reverse,
        query=urlencode(keep), sort_query=urlencode({**keep, "sort": by, **({"reverse": "1"} if reverse else {})}),
        bands=bands_words(rules),
    )
    if template == FRAGMENTS["health-roster"]:
        context["sort_oob"] = True  # the range form keeps the new sort
    else:
        weeks = series.weekly_series(chapters=[chapter], start=start, end=end, leave_out=leave_out)[chapter.pk]
        context.update(weeks=weeks, charts=charts.health_charts(weeks, currency=chapter.currency))
    return render(request, template, context)


@chapter_view(Need.LEADERSHIP)
def health_csv(request):
    chapter = request.chapter
    form, (start, end) = _range(request, series.default_range(_today(chapter)))
    if start is None:
        return _refused(form)
    weeks = series.weekly_series(chapters=[chapter], start=start, end=end, leave_out=_leave_out(request))[chapter.pk]
    response, writer = _csv(f"health-{chapter.slug}-{start}-{end}.csv")
    writer.writerow([
        "Week from", "Meetings", "Present", "Late", "Substitute", "Absent", "Medical", "Attendance rate (%)",
        "Referrals given", "With consent", "Won", "Conversion (%)", f"TYFCB new ({chapter.currency})",
        f"TYFCB repeat ({chapter.currency})", "Visitors", "Visitors applied", "Joined", "Left", "Seats at week end",
    ])

    def pct(value):
        return "" if value is None else f"{value * 100:.1f}"

    for w in weeks:
        writer.writerow([csv_safe(v) for v in (
            w.start.isoformat(), w.meetings, w.present, w.late, w.substitute, w.absent, w.medical,
            pct(w.attendance_rate), w.given, w.consented, w.won, pct(w.conversion), w.tyfcb_new, w.tyfcb_repeat,
            w.visitors, w.visitors_applied, w.joined, w.left, w.seats,
        )])
    return response


@chapter_view(Need.LEADERSHIP)
def scorecards_csv(request):
    chapter = request.chapter
    form, (start, end) = _range(request, series.default_range(_today(chapter)))
    if start is None:
        return _refused(form)
    by, reverse = _sort(request)
    rules = scorecard_rules_for(chapter=chapter)
    cards = scorecards(chapter=chapter, memberships=_seated(chapter), start=start, end=end, rules=rules,
                       leave_out=_leave_out(request)).values()
    response, writer = _csv(f"scorecards-{chapter.slug}-{start}-{end}.csv")
    header = ["Member", "Classification", "Status", "Score", "Out of", "Band"]
    for c in COMPONENTS:
        header += [f"{c.label}: figure", f"{c.label}: points"]
    header += ["Referrals received", "Referrals given with consent", f"TYFCB received ({chapter.currency})",
               "Weeks held"]
    writer.writerow(header)
    for card in scorecards_sorted(cards, by, descending=reverse):
        m, f = card.membership, card.figures
        row = [m.display_name, m.classification or "", m.get_status_display(), card.total, card.max_total, card.band]
        for light in card.lights:
            row += [light.value_text, light.points]
        row += [f.received, f.given_consented, f.tyfcb_received, num(Decimal(card.days) / 7)]
        writer.writerow([csv_safe(v) for v in row])
    return response


# Scorecard settings ------------------------------------------------------------------------------


@chapter_view(Need.LEADERSHIP)
def scorecard_settings(request):
    chapter = request.chapter
    rules = scorecard_rules_for(chapter=chapter)
    limits = scorecard_limits_for(chapter=chapter)
    form = ScorecardRulesForm(request.POST or None, rules=rules, limits=limits)
    if request.method == "POST" and form.is_valid():
        try:
            services.scorecard_rules_save(chapter=chapter, by=request.user, ladders=form.cleaned_data["ladders"],
                                          data=form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Scorecard saved: every scorecard of the chapter now follows it.")
            return redirect("reports:scorecard-settings", chapter.slug)
    return render(request, "reports/scorecard_settings.html", {
        "chapter": chapter, "form": form, "rules": rules, "limits": limits, "bands": bands_words(rules),
        "ladders": _rules_words(rules, chapter.currency), "referrals_full_min": num(limits.referrals_full_min),
        "own_scorecard": request.access.membership,
    })


# Organisation overview ---------------------------------------------------------------------------

OVERVIEW_WEEKS = 13


def _overview_scope(request) -> list[int] | None:
    """The regions the person oversees (None: every one); refused to anyone overseeing nothing."""
    regions = regions_overseen_by(request.user)
    if regions is not None and not regions:
        raise PermissionDenied("Only organisation admins and region staff see the organisation overview.")
    return regions


def _overview_filters(request):
    """The filter form and its values; `start` None for a refused form."""
    today = timezone.localdate()
    start, end = series.default_range(today, OVERVIEW_WEEKS)
    # the defaults fill what the request leaves out (a search alone keeps the last 13 weeks)
    form = OverviewForm({"start": start.isoformat(), "end": end.isoformat(), **request.GET.dict()}, today=today)
    if not form.is_valid():
        return form, {"q": "", "at_risk": False, "start": None, "end": None}
    data = form.cleaned_data
    return form, {"q": data["q"], "at_risk": data["at_risk"], "start": data["start"], "end": data["end"]}


@login_required
def overview(request):
    """Every overseen chapter side by side over a range, searchable, a page of 20 at a time, at-risk flagged."""
    region_ids = _overview_scope(request)
    form, filters = _overview_filters(request)
    context = {"form": form, **filters, "per_page": org.PER_PAGE, "at_risk_below": org.AT_RISK_BELOW,
               "trend_weeks": org.TREND_WEEKS, "fall_points": org.FALL_POINTS,
               "health_rule": chapter_health_rule()}
    if filters["start"] is None:
        return render(request, "reports/overview.html", {**context, "refused": True}, status=400)
    page = org.overview_page(region_ids=region_ids, page=request.GET.get("page"), **filters)
    keep = {"q": filters["q"], "start": filters["start"].isoformat(), "end": filters["end"].isoformat(),
            **({"at_risk": "on"} if filters["at_risk"] else {})}
    context.update(
        page=page, query=urlencode(keep), page_query=urlencode({**keep, "page": page.number}),
        totals=org.overview_totals(region_ids=region_ids, start=filters["start"], end=filters["end"]),
    )
    return render(request, "reports/overview.html", context)


@login_required
def overview_csv(request):
    """The overview page's chapters and figures as CSV (the same filters and page)."""
    region_ids = _overview_scope(request)
    form, filters = _overview_filters(request)
    if filters["start"] is None:
        return _refused(form)
    page = org.overview_page(region_ids=region_ids, page=request.GET.get("page"), **filters)
    start, end = filters["start"], filters["end"]
    response, writer = _csv(f"overview-{start}-{end}-page-{page.number}.csv")
    writer.writerow([
        "Chapter", "Region", "Currency", "Active members", "Band", "Joined", "Left", "Change", "Attendance rate (%)",
        "Referrals given", "Member-weeks", "Referrals per member-week", "Won", "Conversion (%)", "TYFCB (in the currency)",
        "Visitors", "Open expulsion cases", "At risk", "Reasons",
    ])

    def share(value):
        return "" if value is None else f"{value * 100:.1f}"

    for row in page.rows:
        c = row.chapter
        writer.writerow([csv_safe(v) for v in (
            c.name, c.region.name if c.region else "", c.currency, row.active, row.band, row.joined, row.left,
            row.change, share(row.attendance_rate), row.given, row.member_weeks,
            "" if row.per_member_week is None else f"{row.per_member_week:.2f}", row.won, share(row.conversion),
            f"{row.tyfcb:.2f}", row.visitors, row.open_cases, "yes" if row.at_risk else "no", "; ".join(row.reasons),
        )])
    return response
