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

Without flagged activity (`leave_out`, integrity.selectors.flagged_activity): referrals, TYFCB, one-to-ones and
attendance marks that are evidence of an open or confirmed integrity flag are left out, inside the same
queries. A TYFCB goes with its flagged referral too.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache, reduce
from typing import TYPE_CHECKING

from babel import numbers as babel_numbers
from django.db.models import Count, F, Q, Sum, Value
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext, pgettext
from django.utils.translation import gettext as _

from leadsgroups.formats import (
    current_locale,
    format_date,
    format_money,
    format_number,
    format_percent,
    plain_number,
)
from meetings.models import Attendance, Meeting, Testimonial, Visitor
from members.models import Membership
from referrals.models import EducationCredit, OneToOne, Referral, ThankYou
from reports.ladders import Direction, Ladder, ladder_from_json, ladder_max, ladder_points, ladder_words
from reports.models import ScorecardRules

if TYPE_CHECKING:
    from integrity.selectors import FlaggedActivity

ZERO = Decimal("0")
SIX_MONTHS_DAYS = 26 * 7  # "the last 6 months": 26 whole weeks


@dataclass(frozen=True)
class Component:
    key: str  # the ScorecardRules field holding its ladder
    label: str  # as a heading: "Referrals given"
    word: str  # inside a sentence: "referrals given"
    direction: Direction
    whole: bool = False  # thresholds are counts
    per_week: bool = False  # judged as a rate a week, not a total over the range
    money: bool = False


COMPONENTS = (
    Component("absences", gettext_lazy("Absences"), gettext_lazy("absences"), Direction.AT_MOST, whole=True),
    Component("lates", gettext_lazy("Never late"), gettext_lazy("never late"), Direction.AT_MOST, whole=True),
    Component("referrals", gettext_lazy("Referrals given"), gettext_lazy("referrals given"), Direction.AT_LEAST,
              per_week=True),
    Component("visitors", gettext_lazy("Visitors invited"), gettext_lazy("visitors invited"), Direction.AT_LEAST,
              per_week=True),
    Component("one_to_ones", gettext_lazy("One-to-ones"), gettext_lazy("one-to-ones"), Direction.AT_LEAST,
              per_week=True),
    Component("education", gettext_lazy("Education"), gettext_lazy("education"), Direction.AT_LEAST, per_week=True),
    Component("testimonials", gettext_lazy("Testimonials given"), gettext_lazy("testimonials given"),
              Direction.AT_LEAST, whole=True),
    Component("tyfcb", "TYFCB", "TYFCB", Direction.AT_LEAST, money=True),
)
BY_KEY = {c.key: c for c in COMPONENTS}
BANDS = ("green", "amber", "red", "grey")
# A light's colour and a score's band as a word beside the colour (never the colour alone).
COLOUR_LABELS = {"green": gettext_lazy("Green"), "amber": gettext_lazy("Amber"), "red": gettext_lazy("Red"),
                 "grey": gettext_lazy("Grey"), "none": gettext_lazy("Not scored")}


def band_names() -> dict[str, str]:
    """Each band's name inside a sentence ("amber"), in the reader's language."""
    return {"green": pgettext("band", "green"), "amber": pgettext("band", "amber"), "red": pgettext("band", "red"),
            "grey": pgettext("band", "grey")}


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
    return _("green from %(green)s, amber from %(amber)s, red from %(red)s, grey below %(red)s") % {
        "green": rules.green_from, "amber": rules.amber_from, "red": rules.red_from}


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
    reason: str = ""  # the figures, the points and the ladder, in words (scorecard_explain)
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
        return str(COLOUR_LABELS[self.colour])

    @property
    def key(self) -> str:
        return self.component.key

    @property
    def value_text(self) -> str:
        """The judged figure as a plain number (the CSV's): a rate to two decimals (never rounded up)."""
        if isinstance(self.value, Fraction):
            return plain_number(_floor_cents(self.value))
        return plain_number(self.value)


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
    band_reason: str = ""  # in words (scorecard_explain)
    rules: ScorecardRules | None = None
    ladders: dict | None = None
    currency: str = "GBP"

    def light(self, key: str) -> Light:
        return next(light for light in self.lights if light.key == key)

    @property
    def by_key(self) -> dict[str, Light]:
        return {light.key: light for light in self.lights}

    @property
    def band_label(self) -> str:
        return str(COLOUR_LABELS[self.band])


def default_range(today: date) -> tuple[date, date]:
    """The last 6 months: 26 whole weeks ending today."""
    return today - timedelta(days=SIX_MONTHS_DAYS - 1), today


def local_bounds(tz, start: date, end: date) -> tuple[datetime, datetime]:
    """Local dates [start, end] as aware datetimes [from, to)."""
    return datetime.combine(start, time.min, tzinfo=tz), datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)


def _floor_cents(value: Fraction) -> Decimal:
    return Decimal(math.floor(value * 100)) / 100


def _rate_words(value: Fraction) -> str:
    """A rate shown to two decimals, never above its true value (so a shown 0.5 always met a 0.5 threshold)."""
    return _figure(_floor_cents(value))


@lru_cache(maxsize=16)
def _decimal_sign(language: str) -> str:
    return babel_numbers.get_decimal_symbol(current_locale())


def _figure(value) -> str:
    """A scorecard's count or rate in the reader's locale ("0.84", "0,84"): format_number's answer for numbers
    under a thousand with at most two decimals, without Babel's cost for each of a roster's hundreds."""
    if abs(value) >= 1000:
        return format_number(value)
    return plain_number(value).replace(".", _decimal_sign(get_language()))


def _plural_n(count) -> int:
    """The number ngettext chooses a plural form by: the count, or "many" for a fraction (2.5 hours)."""
    count = Decimal(count)
    return int(count) if count == count.to_integral_value() else 2


def _weeks_words(days: int) -> str:
    if days < 7:
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    if days % 7 == 0:
        return ngettext("%(count)s week", "%(count)s weeks", days // 7) % {"count": days // 7}
    return _("%(count)s weeks") % {"count": _figure(Decimal(math.floor(Fraction(days, 7) * 10)) / 10)}


def _pct(part: int, whole: int) -> str:
    return format_percent(part / whole) if whole else "—"


def scorecards(*, chapter, memberships, start: date, end: date, rules: ScorecardRules | None = None,
               explain: bool = True, leave_out: FlaggedActivity | None = None) -> dict[int, Scorecard]:
    """Scorecards of `memberships` (of `chapter`) over local dates [start, end], keyed by membership id.

    `explain=False` leaves out the words (points, lights and bands only): `scorecard_explain` adds them to the
    cards a page shows. `leave_out`: the flagged rows to leave out (None: all activity counts).
    """
    rules = rules if rules is not None else scorecard_rules_for(chapter=chapter)
    memberships = list(memberships)
    figures = {m.pk: Figures() for m in memberships}
    if memberships:
        _collect([_Group(chapter, [m.pk for m in memberships], start, end)], figures, leave_out=leave_out)
    ladders = ladders_of(rules)
    return {
        m.pk: _score(membership=m, figures=figures[m.pk], rules=rules, ladders=ladders, start=start, end=end,
                     currency=chapter.currency, explain=explain)
        for m in memberships
    }


def own_scorecards(*, memberships) -> list[Scorecard]:
    """Each of a person's seats' scorecard over the last 6 months of its chapter, in the order given.

    The seats may be in several chapters (each with its own timezone, today, rules and currency): their
    figures come from the same eight grouped queries as one chapter's, plus one for the chapters' rules, so
    a member of two chapters costs what a member of one does. `memberships` need their chapter loaded.
    """
    memberships = list(memberships)
    if not memberships:
        return []
    chapters = {m.chapter_id: m.chapter for m in memberships}
    saved = {r.chapter_id: r for r in ScorecardRules.objects.filter(chapter_id__in=list(chapters))}
    ranges = {pk: default_range(timezone.localdate(timezone=c.tz)) for pk, c in chapters.items()}
    groups = [
        _Group(chapter, [m.pk for m in memberships if m.chapter_id == pk], *ranges[pk])
        for pk, chapter in chapters.items()
    ]
    figures = {m.pk: Figures() for m in memberships}
    _collect(groups, figures)
    cards = []
    for m in memberships:
        rules = saved.get(m.chapter_id) or ScorecardRules(chapter=m.chapter)
        start, end = ranges[m.chapter_id]
        cards.append(_score(membership=m, figures=figures[m.pk], rules=rules, ladders=ladders_of(rules),
                            start=start, end=end, currency=m.chapter.currency))
    return cards


@dataclass(frozen=True)
class _Group:
    """Seats of one chapter judged over the same local dates [start, end]."""

    chapter: object
    ids: list[int]
    start: date
    end: date


def _any(groups: list[_Group], condition) -> Q:
    """`condition(group)` for each group, OR-ed: one query covers every group."""
    return reduce(operator.or_, (condition(g) for g in groups))


def _collect(groups: list[_Group], figures: dict[int, Figures], leave_out: FlaggedActivity | None = None) -> None:
    """Eight grouped queries, whatever the number of members (or of groups); `leave_out` nests in them."""
    marks, referrals, thank_yous = Attendance.objects.all(), Referral.objects.all(), ThankYou.objects.all()
    ones = OneToOne.objects.filter(status=OneToOne.Status.CONFIRMED)
    if leave_out is not None:
        marks = marks.exclude(pk__in=leave_out.attendances)
        referrals = referrals.exclude(pk__in=leave_out.referrals)
        thank_yous = thank_yous.exclude(pk__in=leave_out.thank_yous).exclude(referral_id__in=leave_out.referrals)
        ones = ones.exclude(pk__in=leave_out.one_to_ones)

    def in_range(g: _Group) -> Q:
        # the chapter too, though the seats imply it: it lets the database find the meetings by their
        # (chapter, day) index instead of reading every meeting of the organisation
        return Q(meeting__chapter_id=g.chapter.pk, meeting__local_date__gte=g.start, meeting__local_date__lte=g.end)

    def days(field: str):
        return lambda g: Q(**{f"{field}__gte": g.start, f"{field}__lte": g.end})

    def of(field: str, more=None):
        """Rows whose `field` is a seat of the group, and `more(group)` on top."""
        return lambda g: Q(**{f"{field}__in": g.ids}) & (more(g) if more else Q())

    def given_in(g: _Group) -> Q:
        after, before = local_bounds(g.chapter.tz, g.start, g.end)
        return Q(chapter_id=g.chapter.pk, created_at__gte=after, created_at__lt=before)

    statuses = Attendance.Status
    for row in (  # 1: marks at meetings that were held (or are being held)
        marks.filter(_any(groups, of("membership_id", in_range)))
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .values("membership_id")
        .annotate(**{s.value: Count("pk", filter=Q(status=s.value)) for s in statuses})
        .order_by()
    ):
        f = figures[row["membership_id"]]
        for s in statuses:
            setattr(f, s.value, row[s.value])
    consented = Q(consent__in=Referral.CONSENTED)
    for row in (  # 2
        referrals.filter(_any(groups, of("giver_id", given_in))).values("giver_id")
        .annotate(n=Count("pk"), consented=Count("pk", filter=consented),
                  won=Count("pk", filter=Q(status=Referral.Status.WON)))
        .order_by()
    ):
        f = figures[row["giver_id"]]
        f.given, f.given_consented, f.given_won = row["n"], row["consented"], row["won"]
    for row in (  # 3
        referrals.filter(_any(groups, of("receiver_id", given_in))).values("receiver_id")
        .annotate(n=Count("pk"), consented=Count("pk", filter=consented))
        .order_by()
    ):
        f = figures[row["receiver_id"]]
        f.received, f.received_consented = row["n"], row["consented"]
    new, repeat = Q(business_type=Referral.BusinessType.NEW), Q(business_type=Referral.BusinessType.REPEAT)

    def closed_in(g: _Group) -> Q:
        return Q(chapter_id=g.chapter.pk) & days("closed_on")(g)

    def tyfcb(side):
        return (
            thank_yous.filter(_any(groups, of(f"{side}_id", closed_in)))
            .values(who=F(f"{side}_id"), side=Value(side))
            .annotate(new=Sum("value", filter=new), repeat=Sum("value", filter=repeat))
            .values_list("who", "side", "new", "repeat")
            .order_by()
        )

    for who, side, new_value, repeat_value in tyfcb("giver").union(tyfcb("receiver"), all=True):  # 4
        f = figures[who]
        setattr(f, f"tyfcb_{'given' if side == 'giver' else 'received'}_new", Decimal(new_value or 0))
        setattr(f, f"tyfcb_{'given' if side == 'giver' else 'received'}_repeat", Decimal(repeat_value or 0))

    def met_in(g: _Group) -> Q:
        return Q(chapter_id=g.chapter.pk) & days("met_on")(g)

    by_initiator = ones.filter(_any(groups, of("initiator_id", met_in))).values(who=F("initiator_id"))
    by_other = ones.filter(_any(groups, of("other_id", met_in))).values(who=F("other_id"))
    for who, n in by_initiator.annotate(n=Count("pk")).values_list("who", "n").order_by().union(  # 5
        by_other.annotate(n=Count("pk")).values_list("who", "n").order_by(), all=True
    ):
        figures[who].one_to_ones += n
    for row in (  # 6
        Visitor.objects.filter(_any(groups, of("invited_by_id", in_range)))
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .values("invited_by_id")
        .annotate(n=Count("pk"), applied=Count("pk", filter=Q(applicant_membership__isnull=False)
                                                             | Q(follow_up=Visitor.FollowUp.APPLIED)))
        .order_by()
    ):
        f = figures[row["invited_by_id"]]
        f.visitors, f.visitors_applied = row["n"], row["applied"]

    def completed_in(g: _Group) -> Q:
        return Q(chapter_id=g.chapter.pk) & days("completed_on")(g)

    for row in (  # 7
        EducationCredit.objects.filter(_any(groups, of("membership_id", completed_in)))
        .values("membership_id").annotate(h=Sum("hours")).order_by()
    ):
        figures[row["membership_id"]].education_hours = Decimal(row["h"] or 0)
    spoken = Testimonial.objects.exclude(meeting__status=Meeting.Status.CANCELLED)
    by_giver = (spoken.filter(_any(groups, of("given_by_id", in_range)))
                .values(who=F("given_by_id"), side=Value("g")).annotate(n=Count("pk")))
    about = spoken.filter(_any(groups, of("about_id", in_range))).values(who=F("about_id"), side=Value("a")).annotate(
        n=Count("pk"))
    for who, side, n in by_giver.values_list("who", "side", "n").order_by().union(  # 8
        about.values_list("who", "side", "n").order_by(), all=True
    ):
        if side == "g":
            figures[who].testimonials = n
        else:
            figures[who].testimonials_received = n


def _score(*, membership, figures: Figures, rules: ScorecardRules, ladders, start, end, currency,
           explain: bool = True) -> Scorecard:
    """The member's points and lights; `explain` puts them in words too (scorecard_explain)."""
    seat_from = max(start, membership.joined_on) if membership.joined_on else start
    seat_to = min(end, membership.left_on) if membership.left_on else end
    days = max((seat_to - seat_from).days + 1, 0)
    card = Scorecard(membership=membership, start=start, end=end, seat_from=seat_from, seat_to=seat_to, days=days,
                     figures=figures, rules=rules, ladders=ladders, currency=currency)
    weeks = Fraction(max(days, 7), 7)  # a rate is never taken over less than a week
    f = figures
    values = {
        "absences": f.absent,
        "lates": f.late,
        "referrals": Fraction(_counted_referrals(f, rules)) / weeks,
        "visitors": Fraction(f.visitors) / weeks,
        "one_to_ones": Fraction(f.one_to_ones) / weeks,
        "education": Fraction(f.education_hours) / weeks,
        "testimonials": f.testimonials,
        "tyfcb": _counted_tyfcb(f, rules),
    }
    for c in COMPONENTS:
        steps = ladders[c.key]
        card.lights.append(Light(
            component=c, value=values[c.key], max_points=ladder_max(steps),
            points=ladder_points(steps, values[c.key], c.direction) if steps else 0,
        ))
    card.total = sum(light.points for light in card.lights)
    card.max_total = sum(light.max_points for light in card.lights)
    card.band = band_for(card.total, rules)
    return scorecard_explain(card) if explain else card


def _counted_referrals(f: Figures, rules: ScorecardRules) -> int:
    return f.given_consented if rules.referrals_count == ScorecardRules.ReferralsCount.CONSENTED else f.given


def _counted_tyfcb(f: Figures, rules: ScorecardRules) -> Decimal:
    new_only = rules.tyfcb_business == ScorecardRules.TyfcbBusiness.NEW
    sides = {"given": rules.tyfcb_counts in ("given", "both"), "received": rules.tyfcb_counts in ("received", "both")}
    return sum(
        (getattr(f, f"tyfcb_{side}_new") + (ZERO if new_only else getattr(f, f"tyfcb_{side}_repeat"))
         for side, on in sides.items() if on),
        ZERO,
    )


def _tyfcb_words(amount: str, span: str, rules: ScorecardRules) -> str:
    new_only = rules.tyfcb_business == ScorecardRules.TyfcbBusiness.NEW
    words = {
        ("given", False): _("%(amount)s of business from referrals the member gave, closed in %(span)s"),
        ("given", True): _("%(amount)s of new business from referrals the member gave, closed in %(span)s"),
        ("received", False): _("%(amount)s of business closed by the member from referrals received, closed in "
                               "%(span)s"),
        ("received", True): _("%(amount)s of new business closed by the member from referrals received, closed in "
                              "%(span)s"),
        ("both", False): _("%(amount)s of business from referrals the member gave and closed by the member, closed "
                           "in %(span)s"),
        ("both", True): _("%(amount)s of new business from referrals the member gave and closed by the member, "
                          "closed in %(span)s"),
    }[rules.tyfcb_counts, new_only]
    return words % {"amount": amount, "span": span}


@lru_cache(maxsize=512)
def _ladder_words(steps, direction, currency: str | None, language: str) -> str:
    """A ladder in words, worked out once per ladder, currency and language: a roster shows the same eight."""
    return ladder_words(steps, direction, (lambda v: format_money(v, currency)) if currency else _figure)


def scorecard_explain(card: Scorecard) -> Scorecard:
    """Each light's figures, points and ladder in words, and the band's sum, in the reader's language.

    Worked out apart from the points, so a roster sorted by points puts into words only the page it shows.
    """
    if card.band_reason:
        return card  # already explained
    f, rules, ladders, currency, days = card.figures, card.rules, card.ladders, card.currency, card.days
    span = _weeks_words(days) if days else _("no week (no seat in this range)")
    if days and card.seat_from > card.start:
        span = _("%(span)s (since joining on %(date)s)") % {"span": span, "date": format_date(card.seat_from)}
    elif days and card.seat_to < card.end:
        span = _("%(span)s (until leaving on %(date)s)") % {"span": span, "date": format_date(card.seat_to)}

    def money_of(amount) -> str:
        return format_money(amount, currency)

    def rate(light: Light, what: str) -> str:
        words = (_("%(what)s in %(span)s (counted as a week) = %(rate)s a week") if 0 < days < 7
                 else _("%(what)s in %(span)s = %(rate)s a week"))
        return words % {"what": what, "span": span, "rate": _rate_words(light.value)}

    def counted(words: str, n) -> str:
        return words % {"count": _figure(n), "span": span}

    lights = card.by_key
    n = _counted_referrals(f, rules)
    if rules.referrals_count == ScorecardRules.ReferralsCount.CONSENTED:
        referrals = ngettext("%(count)s referral given with the prospect's consent",
                             "%(count)s referrals given with the prospect's consent", _plural_n(n))
    else:
        referrals = ngettext("%(count)s referral given", "%(count)s referrals given", _plural_n(n))
    figures = {
        "absences": counted(ngettext("%(count)s absence in %(span)s", "%(count)s absences in %(span)s",
                                     _plural_n(f.absent)), f.absent),
        "lates": counted(ngettext("%(count)s late arrival in %(span)s", "%(count)s late arrivals in %(span)s",
                                  _plural_n(f.late)), f.late),
        "referrals": rate(lights["referrals"], counted(referrals, n)),
        "visitors": rate(lights["visitors"], counted(ngettext(
            "%(count)s visitor invited", "%(count)s visitors invited", _plural_n(f.visitors)), f.visitors)),
        "one_to_ones": rate(lights["one_to_ones"], counted(ngettext(
            "%(count)s one-to-one (confirmed)", "%(count)s one-to-ones (confirmed)", _plural_n(f.one_to_ones)),
            f.one_to_ones)),
        "education": rate(lights["education"], counted(ngettext(
            "%(count)s hour of education", "%(count)s hours of education", _plural_n(f.education_hours)),
            f.education_hours)),
        "testimonials": counted(ngettext("%(count)s testimonial given in %(span)s",
                                         "%(count)s testimonials given in %(span)s", _plural_n(f.testimonials)),
                                f.testimonials),
        "tyfcb": _tyfcb_words(money_of(lights["tyfcb"].value), span, rules),
    }
    details = {
        "absences": ngettext(
            "Attended %(attended)s of %(count)s meeting marked (present %(present)s, late %(late)s, substitute "
            "%(substitute)s); %(medical)s medical, not counted as absences.",
            "Attended %(attended)s of %(count)s meetings marked (present %(present)s, late %(late)s, substitute "
            "%(substitute)s); %(medical)s medical, not counted as absences.", f.marks,
        ) % {"attended": f.attended, "count": f.marks, "present": f.present, "late": f.late,
             "substitute": f.substitute, "medical": f.medical},
        "referrals": _(
            "Given %(given)s, %(consented)s with the prospect's consent (%(share)s), %(won)s won. Received "
            "%(received)s, %(received_consented)s with consent (%(received_share)s)."
        ) % {"given": f.given, "consented": f.given_consented, "share": _pct(f.given_consented, f.given),
             "won": f.given_won, "received": f.received, "received_consented": f.received_consented,
             "received_share": _pct(f.received_consented, f.received)},
        "visitors": ngettext("%(count)s of them applied to join.", "%(count)s of them applied to join.",
                             f.visitors_applied) % {"count": f.visitors_applied},
        "testimonials": ngettext("%(count)s testimonial received.", "%(count)s testimonials received.",
                                 f.testimonials_received) % {"count": f.testimonials_received},
        "tyfcb": _(
            "From the member's referrals: new %(given_new)s, repeat %(given_repeat)s. Closed by the member: new "
            "%(received_new)s, repeat %(received_repeat)s."
        ) % {"given_new": money_of(f.tyfcb_given_new), "given_repeat": money_of(f.tyfcb_given_repeat),
             "received_new": money_of(f.tyfcb_received_new), "received_repeat": money_of(f.tyfcb_received_repeat)},
    }
    for light in card.lights:
        c, steps = light.component, ladders[light.key]
        fmt = money_of if c.money else _figure
        if steps:
            outcome = _("%(figure)s: %(points)s of %(most)s points (%(ladder)s)") % {
                "figure": figures[c.key], "points": light.points, "most": light.max_points,
                "ladder": _ladder_words(steps, c.direction, currency if c.money else None, get_language())}
        else:
            outcome = _("%(figure)s: not scored in this chapter") % {"figure": figures[c.key]}
        light.reason, light.detail = outcome, details.get(c.key, "")
        light.short = (_("%(rate)s/wk") % {"rate": _rate_words(light.value)} if c.per_week else fmt(light.value))
    scored = [f"{light.component.word} {light.points}" for light in card.lights if light.max_points]
    card.band_reason = _("%(total)s of %(most)s points (%(parts)s): %(band)s (%(bands)s).") % {
        "total": card.total, "most": card.max_total, "parts": " + ".join(scored), "band": band_names()[card.band],
        "bands": bands_words(rules)}
    return card


# Sorting a roster of scorecards (the health page's table and its CSV) ------------------------------

SORTS = {
    "name": (gettext_lazy("Member"), lambda c: (c.membership.display_name.lower(), c.membership.pk)),
    "score": (gettext_lazy("Score"), lambda c: (-c.total, c.membership.display_name.lower(), c.membership.pk)),
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
