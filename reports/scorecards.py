"""Member scorecards: each figure over a range against the chapter's ladder, as points, a light and the words why.

`scorecards()` works out any number of members of one chapter in a fixed number of grouped queries (eight,
plus one for the chapter's rules when not given), so the chapter's roster of scorecards, a member's own
page and later the organisation overview and the dashboard cost the same whatever the chapter's size.

What counts, over local dates [start, end] in the chapter's timezone:

- attendance: the member's marks at meetings in the range that were not cancelled (an absence is an
  "absent" mark; medical and substitute marks are not absences; a late arrival is a late);
- referrals given and received: by the day they were given; "with consent" means confirmed by the
  prospect or stated by the giver;
- visitors: invited by the member to a meeting in the range; "applied" when the visitor became an applicant;
- one-to-ones: confirmed ones the member took part in, by the day they met;
- education: hours of training completed in the range;
- testimonials: given by the member at a meeting in the range;
- TYFCB: thank-yous for closed business by their closing day, credited to the giver of the referral
  ("given") and to the member who closed it ("received"), new and repeat apart.

Rates are per week of the range the member held a seat in (from joining, to leaving), at least one week.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, F, Q, Sum, Value

from enforcement.formatting import money, num, plural
from meetings.models import Attendance, Meeting, Testimonial, Visitor
from members.models import Membership
from referrals.models import EducationCredit, OneToOne, Referral, ThankYou
from reports.ladders import Direction, Ladder, ladder_from_json, ladder_max, ladder_points, ladder_words
from reports.models import ScorecardRules

ZERO = Decimal("0")
SIX_MONTHS_DAYS = 26 * 7  # "the last 6 months": 26 whole weeks


@dataclass(frozen=True)
class Component:
    key: str  # the ScorecardRules field holding its ladder
    label: str
    direction: Direction
    whole: bool = False  # thresholds are counts
    per_week: bool = False  # judged as a rate a week, not a total over the range
    money: bool = False

    @property
    def word(self) -> str:
        """The label inside a sentence: "referrals given", "TYFCB"."""
        return self.label if self.label.isupper() else self.label.lower()


COMPONENTS = (
    Component("absences", "Absences", Direction.AT_MOST, whole=True),
    Component("lates", "Never late", Direction.AT_MOST, whole=True),
    Component("referrals", "Referrals given", Direction.AT_LEAST, per_week=True),
    Component("visitors", "Visitors invited", Direction.AT_LEAST, per_week=True),
    Component("one_to_ones", "One-to-ones", Direction.AT_LEAST, per_week=True),
    Component("education", "Education", Direction.AT_LEAST, per_week=True),
    Component("testimonials", "Testimonials given", Direction.AT_LEAST, whole=True),
    Component("tyfcb", "TYFCB", Direction.AT_LEAST, money=True),
)
BY_KEY = {c.key: c for c in COMPONENTS}
BANDS = ("green", "amber", "red", "grey")


def scorecard_rules_for(*, chapter) -> ScorecardRules:
    """The chapter's scorecard rules, or the defaults (unsaved) when leadership never changed them."""
    return ScorecardRules.objects.filter(chapter=chapter).first() or ScorecardRules(chapter=chapter)


def ladders_of(rules: ScorecardRules) -> dict[str, Ladder]:
    return {c.key: ladder_from_json(getattr(rules, c.key)) for c in COMPONENTS}


def band_for(total: int, rules: ScorecardRules) -> str:
    if total >= rules.green_from:
        return "green"
    if total >= rules.amber_from:
        return "amber"
    if total >= rules.red_from:
        return "red"
    return "grey"


def bands_words(rules: ScorecardRules) -> str:
    return (f"green from {rules.green_from}, amber from {rules.amber_from}, red from {rules.red_from}, "
            f"grey below {rules.red_from}")


@dataclass
class Figures:
    """A member's raw figures over the range (what the lights are worked out from)."""

    present: int = 0
    late: int = 0
    absent: int = 0
    medical: int = 0
    substitute: int = 0
    given: int = 0
    given_consented: int = 0
    given_won: int = 0
    received: int = 0
    received_consented: int = 0
    visitors: int = 0
    visitors_applied: int = 0
    one_to_ones: int = 0
    education_hours: Decimal = ZERO
    testimonials: int = 0
    testimonials_received: int = 0
    tyfcb_given_new: Decimal = ZERO
    tyfcb_given_repeat: Decimal = ZERO
    tyfcb_received_new: Decimal = ZERO
    tyfcb_received_repeat: Decimal = ZERO

    @property
    def marks(self) -> int:
        return self.present + self.late + self.absent + self.medical + self.substitute

    @property
    def attended(self) -> int:
        return self.present + self.late + self.substitute

    @property
    def tyfcb_given(self) -> Decimal:
        return self.tyfcb_given_new + self.tyfcb_given_repeat

    @property
    def tyfcb_received(self) -> Decimal:
        return self.tyfcb_received_new + self.tyfcb_received_repeat


@dataclass
class Light:
    """One figure against the chapter's ladder."""

    component: Component
    value: Fraction | Decimal | int  # what the ladder judged (a total or a rate a week)
    points: int
    max_points: int
    reason: str  # the figures, the points and the ladder, in words
    detail: str = ""  # the figures around it (consented share, new and repeat …)
    short: str = ""  # the judged figure in a table cell: "2", "0.53/wk", "£2,400.00"

    @property
    def colour(self) -> str:
        """green: full points (the target met); amber: some; red: none; "none": not scored in this chapter."""
        if not self.max_points:
            return "none"
        if self.points >= self.max_points:
            return "green"
        return "amber" if self.points else "red"

    @property
    def colour_label(self) -> str:
        return {"green": "Green", "amber": "Amber", "red": "Red", "none": "Not scored"}[self.colour]

    @property
    def key(self) -> str:
        return self.component.key

    @property
    def value_text(self) -> str:
        """The judged figure as a number: a rate to two decimals (never rounded up), a total as it is."""
        if isinstance(self.value, Fraction):
            return _rate_words(self.value)
        return num(self.value)


@dataclass
class Scorecard:
    membership: Membership
    start: date
    end: date
    seat_from: date  # the part of the range the member held a seat in
    seat_to: date
    days: int
    figures: Figures
    lights: list[Light] = field(default_factory=list)
    total: int = 0
    max_total: int = 0
    band: str = "grey"
    band_reason: str = ""

    def light(self, key: str) -> Light:
        return next(light for light in self.lights if light.key == key)

    @property
    def by_key(self) -> dict[str, Light]:
        return {light.key: light for light in self.lights}

    @property
    def band_label(self) -> str:
        return self.band.capitalize()


def default_range(today: date) -> tuple[date, date]:
    """The last 6 months: 26 whole weeks ending today."""
    return today - timedelta(days=SIX_MONTHS_DAYS - 1), today


def local_bounds(tz, start: date, end: date) -> tuple[datetime, datetime]:
    """Local dates [start, end] as aware datetimes [from, to)."""
    return datetime.combine(start, time.min, tzinfo=tz), datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)


def _rate_words(value: Fraction) -> str:
    """A rate shown to two decimals, never above its true value (so a shown 0.5 always met a 0.5 threshold)."""
    return num(Decimal(math.floor(value * 100)) / 100)


def _weeks_words(days: int) -> str:
    if days < 7:
        return plural(days, "day")
    if days % 7 == 0:
        return plural(days // 7, "week")
    return f"{num(Decimal(math.floor(Fraction(days, 7) * 10)) / 10)} weeks"


def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %" if whole else "—"


def scorecards(*, chapter, memberships, start: date, end: date,
               rules: ScorecardRules | None = None, leave_out=None) -> dict[int, Scorecard]:
    """Scorecards of `memberships` (of `chapter`) over local dates [start, end], keyed by membership id.

    `leave_out` (integrity.selectors.FlaggedActivity) leaves flagged activity out of every figure: the
    chapter's honest figures, at no extra query.
    """
    rules = rules if rules is not None else scorecard_rules_for(chapter=chapter)
    memberships = list(memberships)
    ids = [m.pk for m in memberships]
    figures = {pk: Figures() for pk in ids}
    if ids:
        _collect(chapter=chapter, ids=ids, start=start, end=end, figures=figures, leave_out=leave_out)
    ladders = ladders_of(rules)
    return {
        m.pk: _score(membership=m, figures=figures[m.pk], rules=rules, ladders=ladders, start=start, end=end,
                     currency=chapter.currency)
        for m in memberships
    }


def _collect(*, chapter, ids: list[int], start: date, end: date, figures: dict[int, Figures], leave_out=None) -> None:
    """Eight grouped queries, whatever the number of members."""
    after, before = local_bounds(chapter.tz, start, end)
    in_range = dict(meeting__local_date__gte=start, meeting__local_date__lte=end)
    statuses = Attendance.Status
    marks, referrals, thanks, ones = (
        Attendance.objects.all(), Referral.objects.filter(chapter=chapter), ThankYou.objects.filter(chapter=chapter),
        OneToOne.objects.filter(chapter=chapter),
    )
    if leave_out is not None:  # the rows of open or confirmed integrity flags (a TYFCB with its referral)
        marks = marks.exclude(pk__in=leave_out.attendances)
        referrals = referrals.exclude(pk__in=leave_out.referrals)
        thanks = thanks.exclude(pk__in=leave_out.thank_yous).exclude(referral_id__in=leave_out.referrals)
        ones = ones.exclude(pk__in=leave_out.one_to_ones)
    for row in (  # 1: marks at meetings that were held (or are being held)
        marks.filter(membership_id__in=ids, **in_range)
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .values("membership_id")
        .annotate(**{s.value: Count("pk", filter=Q(status=s.value)) for s in statuses})
        .order_by()
    ):
        f = figures[row["membership_id"]]
        for s in statuses:
            setattr(f, s.value, row[s.value])
    referrals = referrals.filter(created_at__gte=after, created_at__lt=before)
    consented = Q(consent__in=Referral.CONSENTED)
    for row in (  # 2
        referrals.filter(giver_id__in=ids).values("giver_id")
        .annotate(n=Count("pk"), consented=Count("pk", filter=consented),
                  won=Count("pk", filter=Q(status=Referral.Status.WON)))
        .order_by()
    ):
        f = figures[row["giver_id"]]
        f.given, f.given_consented, f.given_won = row["n"], row["consented"], row["won"]
    for row in (  # 3
        referrals.filter(receiver_id__in=ids).values("receiver_id")
        .annotate(n=Count("pk"), consented=Count("pk", filter=consented))
        .order_by()
    ):
        f = figures[row["receiver_id"]]
        f.received, f.received_consented = row["n"], row["consented"]
    thanks = thanks.filter(closed_on__gte=start, closed_on__lte=end)
    new, repeat = Q(business_type=Referral.BusinessType.NEW), Q(business_type=Referral.BusinessType.REPEAT)

    def tyfcb(side):
        return (
            thanks.filter(**{f"{side}_id__in": ids})
            .values(who=F(f"{side}_id"), side=Value(side))
            .annotate(new=Sum("value", filter=new), repeat=Sum("value", filter=repeat))
            .values_list("who", "side", "new", "repeat")
            .order_by()
        )

    for who, side, new_value, repeat_value in tyfcb("giver").union(tyfcb("receiver"), all=True):  # 4
        f = figures[who]
        setattr(f, f"tyfcb_{'given' if side == 'giver' else 'received'}_new", Decimal(new_value or 0))
        setattr(f, f"tyfcb_{'given' if side == 'giver' else 'received'}_repeat", Decimal(repeat_value or 0))
    ones = ones.filter(status=OneToOne.Status.CONFIRMED, met_on__gte=start, met_on__lte=end)
    by_initiator = ones.filter(initiator_id__in=ids).values(who=F("initiator_id")).annotate(n=Count("pk"))
    by_other = ones.filter(other_id__in=ids).values(who=F("other_id")).annotate(n=Count("pk"))
    for who, n in by_initiator.values_list("who", "n").order_by().union(  # 5
        by_other.values_list("who", "n").order_by(), all=True
    ):
        figures[who].one_to_ones += n
    for row in (  # 6
        Visitor.objects.filter(invited_by_id__in=ids, **in_range)
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .values("invited_by_id")
        .annotate(n=Count("pk"), applied=Count("pk", filter=Q(applicant_membership__isnull=False)
                                                             | Q(follow_up=Visitor.FollowUp.APPLIED)))
        .order_by()
    ):
        f = figures[row["invited_by_id"]]
        f.visitors, f.visitors_applied = row["n"], row["applied"]
    for row in (  # 7
        EducationCredit.objects.filter(chapter=chapter, membership_id__in=ids, completed_on__gte=start,
                                       completed_on__lte=end)
        .values("membership_id").annotate(h=Sum("hours")).order_by()
    ):
        figures[row["membership_id"]].education_hours = Decimal(row["h"] or 0)
    spoken = Testimonial.objects.filter(**in_range).exclude(meeting__status=Meeting.Status.CANCELLED)
    by_giver = spoken.filter(given_by_id__in=ids).values(who=F("given_by_id"), side=Value("g")).annotate(n=Count("pk"))
    about = spoken.filter(about_id__in=ids).values(who=F("about_id"), side=Value("a")).annotate(n=Count("pk"))
    for who, side, n in by_giver.values_list("who", "side", "n").order_by().union(  # 8
        about.values_list("who", "side", "n").order_by(), all=True
    ):
        if side == "g":
            figures[who].testimonials = n
        else:
            figures[who].testimonials_received = n


def _score(*, membership, figures: Figures, rules: ScorecardRules, ladders, start, end, currency) -> Scorecard:
    seat_from = max(start, membership.joined_on) if membership.joined_on else start
    seat_to = min(end, membership.left_on) if membership.left_on else end
    days = max((seat_to - seat_from).days + 1, 0)
    card = Scorecard(membership=membership, start=start, end=end, seat_from=seat_from, seat_to=seat_to, days=days,
                     figures=figures)
    weeks = Fraction(max(days, 7), 7)
    span = _weeks_words(days) if days else "no week (no seat in this range)"
    if days and seat_from > start:
        span += f" (since joining on {seat_from:%-d %b %Y})"
    elif days and seat_to < end:
        span += f" (until leaving on {seat_to:%-d %b %Y})"
    f = figures

    def judged(key: str, value, figure: str, detail: str = "", fmt=num) -> Light:
        c, steps = BY_KEY[key], ladders[key]
        most = ladder_max(steps)
        points = ladder_points(steps, value, c.direction) if steps else 0
        if steps:
            outcome = f"{points} of {most} points ({ladder_words(steps, c.direction, fmt)})"
        else:
            outcome = "not scored in this chapter"
        if c.per_week:
            short = f"{_rate_words(value)}/wk"
        else:
            short = fmt(value) if c.money else num(value)
        return Light(component=c, value=value, points=points, max_points=most, reason=f"{figure}: {outcome}",
                     detail=detail, short=short)

    def rate(count, what: str) -> tuple[Fraction, str]:
        value = Fraction(count) / weeks
        shorter = " (counted as a week)" if 0 < days < 7 else ""  # a rate is never taken over less than a week
        return value, f"{what} in {span}{shorter} = {_rate_words(value)} a week"

    lights = [
        judged("absences", f.absent, f"{plural(f.absent, 'absence')} in {span}",
               f"Attended {f.attended} of {plural(f.marks, 'meeting')} marked (present {f.present}, late {f.late}, "
               f"substitute {f.substitute}); {f.medical} medical, not counted as absences."),
        judged("lates", f.late, f"{plural(f.late, 'late arrival')} in {span}"),
    ]
    counted = f.given_consented if rules.referrals_count == ScorecardRules.ReferralsCount.CONSENTED else f.given
    what = "with the prospect's consent " if rules.referrals_count == ScorecardRules.ReferralsCount.CONSENTED else ""
    value, words = rate(counted, f"{plural(counted, 'referral')} given {what}".rstrip())
    lights.append(judged(
        "referrals", value, words,
        f"Given {f.given}, {f.given_consented} with the prospect's consent ({_pct(f.given_consented, f.given)}), "
        f"{f.given_won} won. Received {f.received}, {f.received_consented} with consent "
        f"({_pct(f.received_consented, f.received)}).",
    ))
    value, words = rate(f.visitors, f"{plural(f.visitors, 'visitor')} invited")
    lights.append(judged("visitors", value, words, f"{f.visitors_applied} of them applied to join."))
    value, words = rate(f.one_to_ones, f"{plural(f.one_to_ones, 'one-to-one')} (confirmed)")
    lights.append(judged("one_to_ones", value, words))
    hours = f.education_hours
    value, words = rate(hours, f"{plural(hours, 'hour')} of education")
    lights.append(judged("education", value, words))
    lights.append(judged(
        "testimonials", f.testimonials, f"{plural(f.testimonials, 'testimonial')} given in {span}",
        f"{plural(f.testimonials_received, 'testimonial')} received.",
    ))
    new_only = rules.tyfcb_business == ScorecardRules.TyfcbBusiness.NEW
    sides = {"given": rules.tyfcb_counts in ("given", "both"), "received": rules.tyfcb_counts in ("received", "both")}
    value = sum(
        (getattr(f, f"tyfcb_{side}_new") + (ZERO if new_only else getattr(f, f"tyfcb_{side}_repeat"))
         for side, on in sides.items() if on),
        ZERO,
    )
    whose = {"given": "from referrals the member gave", "received": "closed by the member from referrals received",
             "both": "from referrals the member gave and closed by the member"}[rules.tyfcb_counts]
    lights.append(judged(
        "tyfcb", value,
        f"{money(value, currency)} of {'new ' if new_only else ''}business {whose}, closed in {span}",
        f"From the member's referrals: new {money(f.tyfcb_given_new, currency)}, repeat "
        f"{money(f.tyfcb_given_repeat, currency)}. Closed by the member: new {money(f.tyfcb_received_new, currency)}, "
        f"repeat {money(f.tyfcb_received_repeat, currency)}.",
        fmt=lambda amount: money(amount, currency),
    ))
    card.lights = lights
    card.total = sum(light.points for light in lights)
    card.max_total = sum(light.max_points for light in lights)
    card.band = band_for(card.total, rules)
    scored = [f"{light.component.word} {light.points}" for light in lights if light.max_points]
    card.band_reason = (
        f"{card.total} of {card.max_total} points ({' + '.join(scored)}): {card.band} ({bands_words(rules)})."
    )
    return card


# Sorting a roster of scorecards (the health page's table and its CSV) ------------------------------

SORTS = {
    "name": ("Member", lambda c: (c.membership.display_name.lower(), c.membership.pk)),
    "score": ("Score", lambda c: (-c.total, c.membership.display_name.lower(), c.membership.pk)),
    **{
        comp.key: (comp.label, lambda c, k=comp.key, sign=(-1 if comp.direction is Direction.AT_LEAST else 1): (
            -c.light(k).points, sign * c.light(k).value, c.membership.display_name.lower(), c.membership.pk))
        for comp in COMPONENTS
    },
}


def scorecards_sorted(cards, by: str, *, descending: bool = False) -> list[Scorecard]:
    """By name (A–Z) or by points (most first, ties by the figure, then name); `descending` turns it round."""
    key = SORTS.get(by, SORTS["score"])[1]
    return sorted(cards, key=key, reverse=descending)
