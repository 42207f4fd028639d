from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from chapters.access import Need, chapter_view, regions_overseen_by
from chapters.selectors import chapter_counts, chapter_health, chapter_health_rule
from leadsgroups.csv_export import csv_response, csv_safe
from leadsgroups.formats import format_money, format_number, plain_number
from members.models import Membership
from reports import charts, honest, series, services
from reports import overview as org
from reports.forms import OverviewForm, RangeForm, ScorecardRulesForm
from reports.ladders import ladder_words
from reports.limits import scorecard_limits_for
from reports.scorecards import (
    COMPONENTS,
    SORTS,
    bands_words,
    ladders_of,
    own_scorecards,
    scorecard_explain,
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


def _refused(form) -> HttpResponse:
    problems = " ".join(e for errors in form.errors.values() for e in errors)
    return HttpResponse(_("No CSV: the date range was refused. %(problems)s") % {"problems": problems}, status=400,
                        content_type="text/plain; charset=utf-8")


def _csv(filename: str):
    return csv_response(filename)


def _rules_words(rules, currency):
    """Each figure's ladder in words, for the page that explains how the chapter scores."""
    ladders = ladders_of(rules)
    return [
        (c, ladder_words(ladders[c.key], c.direction,
                         (lambda v: format_money(v, currency)) if c.money else format_number))
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
        raise PermissionDenied(_("A member's scorecard is theirs and the chapter leadership's to see."))
    form, (start, end) = _range(request, last_six_months(_today(chapter)))
    switch = honest.switch_for(request, chapter)  # leadership's and overseers' only: not a member's own view
    context = {"chapter": chapter, "membership": membership, "own": own, "form": form, "start": start, "end": end,
               "can_configure": request.access.is_leadership, "switch": switch,
               "flagged": bool(switch and switch.exclude)}
    if start is None:
        return render(request, "reports/scorecard.html", {**context, "refused": True})
    rules = scorecard_rules_for(chapter=chapter)
    card = scorecards(chapter=chapter, memberships=[membership], start=start, end=end, rules=rules,
                      leave_out=honest.leave_out_for(chapter, context["flagged"]))[membership.pk]
    return render(request, "reports/scorecard.html", {
        **context, "card": card, "rules": rules, "bands": bands_words(rules),
        "ladders": _rules_words(rules, chapter.currency),
    })


# The dashboard's traffic lights ------------------------------------------------------------------


def my_lights(request):
    """The dashboard's second request: the traffic lights of the person's own seats, as a fragment.

    Only the person's own scorecards, which a member may always open (as `scorecard` allows): nobody
    else's seat is read. Loaded after the dashboard, so the dashboard's own request stays cheap.
    """
    if not request.user.is_authenticated:
        if request.htmx:  # never swap the sign-in page into the dashboard: the whole browser goes
            back = request.htmx.current_url_abs_path or "/"
            return HttpResponseClientRedirect(redirect_to_login(back).url)
        return redirect_to_login(request.get_full_path())
    seats = (
        Membership.objects.filter(user=request.user, status__in=Membership.SEATED_STATUSES)
        .select_related("chapter").order_by("chapter__name", "chapter_id", "pk")
    )
    return render(request, "reports/_my_lights.html", {"cards": own_scorecards(memberships=seats)})


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


ROSTER_PER_PAGE = 25  # scorecards a page of the health roster shows (sorted over all of them)

# The fragments htmx asks for by their id (HX-Target): the range form swaps the whole report, a sort link
# only the table of scorecards.
FRAGMENTS = {"health-report": "reports/health.html#report", "health-roster": "reports/health.html#roster"}


@chapter_view(Need.LEADERSHIP)
def health(request):
    """Leadership's week-by-week view of the chapter, and the roster's scorecards (sortable)."""
    chapter = request.chapter
    form, (start, end) = _range(request, series.default_range(_today(chapter)))
    template = FRAGMENTS.get(request.htmx.target, "reports/health.html") if request.htmx else "reports/health.html"
    switch = honest.switch_for(request, chapter)
    context = {"chapter": chapter, "form": form, "start": start, "end": end, "switch": switch,
               "flagged": switch.exclude}
    if template == "reports/health.html":
        counts = chapter_counts(chapter=chapter)
        context.update(health=chapter_health(counts["active"]), active=counts["active"],
                       health_rule=chapter_health_rule())
    if start is None:
        return render(request, template, {**context, "refused": True})
    by, reverse = _sort(request)
    keep = {"start": start.isoformat(), "end": end.isoformat(), **switch.keep}
    leave_out = honest.leave_out_for(chapter, switch.exclude)
    columns = []
    for key, (label, _order) in SORTS.items():
        natural = "ascending" if key == "name" else "descending"  # names A–Z, points most first
        flip = key == by and not reverse
        columns.append({
            "key": key, "label": label,
            "url": "?" + urlencode({**keep, "sort": key, **({"reverse": "1"} if flip else {})}),
            "sorted": ({"ascending": "descending", "descending": "ascending"}[natural] if reverse else natural)
            if key == by else "",
        })
    rules = scorecard_rules_for(chapter=chapter)
    # Every seat's points (to sort by them), but words only for the page shown: the CSV has every row.
    cards = scorecards(chapter=chapter, memberships=_seated(chapter), start=start, end=end, rules=rules,
                       explain=False, leave_out=leave_out).values()
    roster = Paginator(scorecards_sorted(cards, by, descending=reverse), ROSTER_PER_PAGE).get_page(
        request.GET.get("page"))
    sort_keep = {**keep, "sort": by, **({"reverse": "1"} if reverse else {})}
    context.update(
        cards=[scorecard_explain(card) for card in roster.object_list], roster=roster, columns=columns, sort=by,
        reverse=reverse, query=urlencode(keep), sort_query=urlencode(sort_keep), bands=bands_words(rules),
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
    exclude = honest.wants_exclude(request)
    weeks = series.weekly_series(chapters=[chapter], start=start, end=end,
                                 leave_out=honest.leave_out_for(chapter, exclude))[chapter.pk]
    response, writer = _csv(f"health-{chapter.slug}-{start}-{end}{honest.csv_suffix(exclude)}.csv")
    currency = {"currency": chapter.currency}
    writer.writerow([  # headers for people, in their language; the cells stay plain numbers and ISO dates
        _("Week from"), _("Meetings"), _("Present"), _("Late"), _("Substitute"), _("Absent"), _("Medical"),
        _("Attendance rate (%)"), _("Referrals given"), _("With consent"), _("Won"), _("Conversion (%)"),
        _("TYFCB new (%(currency)s)") % currency, _("TYFCB repeat (%(currency)s)") % currency, _("Visitors"),
        _("Visitors applied"), _("Joined"), _("Left"), _("Seats at week end"),
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
    exclude = honest.wants_exclude(request)
    rules = scorecard_rules_for(chapter=chapter)
    cards = scorecards(chapter=chapter, memberships=_seated(chapter), start=start, end=end, rules=rules,
                       leave_out=honest.leave_out_for(chapter, exclude)).values()
    response, writer = _csv(f"scorecards-{chapter.slug}-{start}-{end}{honest.csv_suffix(exclude)}.csv")
    header = [_("Member"), _("Classification"), _("Status"), _("Score"), _("Out of"), _("Band")]
    for c in COMPONENTS:
        header += [_("%(figure)s: figure") % {"figure": c.label}, _("%(figure)s: points") % {"figure": c.label}]
    header += [_("Referrals received"), _("Referrals given with consent"),
               _("TYFCB received (%(currency)s)") % {"currency": chapter.currency}, _("Weeks held")]
    writer.writerow(header)
    for card in scorecards_sorted(cards, by, descending=reverse):
        m, f = card.membership, card.figures
        row = [m.display_name, m.classification or "", m.get_status_display(), card.total, card.max_total, card.band]
        for light in card.lights:
            row += [light.value_text, light.points]
        row += [f.received, f.given_consented, f.tyfcb_received, plain_number(Decimal(card.days) / 7)]
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
            messages.success(request, _("Scorecard saved: every scorecard of the chapter now follows it."))
            return redirect("reports:scorecard-settings", chapter.slug)
    return render(request, "reports/scorecard_settings.html", {
        "chapter": chapter, "form": form, "rules": rules, "limits": limits, "bands": bands_words(rules),
        "ladders": _rules_words(rules, chapter.currency), "referrals_full_min": format_number(limits.referrals_full_min),
        "own_scorecard": request.access.membership,
    })


# Organisation overview ---------------------------------------------------------------------------

OVERVIEW_WEEKS = 13


def _overview_scope(request) -> list[int] | None:
    """The regions the person oversees (None: every one); refused to anyone overseeing nothing."""
    regions = regions_overseen_by(request.user)
    if regions is not None and not regions:
        raise PermissionDenied(_("Only organisation admins and region staff see the organisation overview."))
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
               "trend_weeks": org.TREND_WEEKS, "fall_points": org.FALL_POINTS, "shrink_min": org.SHRINK_MIN,
               "shrink_percent": org.SHRINK_PERCENT,
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
        _("Chapter"), _("Region"), _("Currency"), _("Active members"), _("Band"), _("Joined"), _("Left"), _("Change"),
        _("Attendance rate (%)"), _("Referrals given"), _("Member-weeks"), _("Referrals per member-week"), _("Won"),
        _("Conversion (%)"), _("TYFCB (in the currency)"), _("Visitors"), _("Open expulsion cases"), _("At risk"),
        _("Reasons"),
    ])

    def share(value):
        return "" if value is None else f"{value * 100:.1f}"

    for row in page.rows:
        c = row.chapter
        writer.writerow([csv_safe(v) for v in (
            c.name, c.region.name if c.region else "", c.currency, row.active, row.band, row.joined, row.left,
            row.change, share(row.attendance_rate), row.given, row.member_weeks,
            "" if row.per_member_week is None else f"{row.per_member_week:.2f}", row.won, share(row.conversion),
            f"{row.tyfcb:.2f}", row.visitors, row.open_cases, _("yes") if row.at_risk else _("no"),
            "; ".join(row.reasons),
        )])
    return response
