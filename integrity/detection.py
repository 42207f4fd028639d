"""The patterns, each found by set-based queries over one chapter's window of activity.

Every detector runs a fixed number of queries (grouped counts, self-joins, window functions), whatever the
number of members or rows, and the Python around them only sorts the few rows that came back into flags.
Each returns `Found` rows: the pattern, its key (what it is about, stable from one night to the next, so a
rerun finds the same flag), the figures that tripped it with the thresholds, the members it names and the
rows that are its evidence. All of it works the same on PostgreSQL and SQLite.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Lower, Mod, Trim, TruncDate
from django.utils import timezone

from integrity.models import IntegrityFlag, IntegrityRules, ProspectFingerprint
from meetings.models import Attendance
from referrals.models import OneToOne, Referral, ThankYou

Kind = IntegrityFlag.Kind


@dataclass
class Found:
    kind: str
    key: str
    figures: dict
    members: set[int]
    referrals: set[int] = field(default_factory=set)
    thank_yous: set[int] = field(default_factory=set)
    one_to_ones: set[int] = field(default_factory=set)
    attendances: set[int] = field(default_factory=set)

    def merge(self, other: Found) -> None:
        self.members |= other.members
        self.referrals |= other.referrals
        self.thank_yous |= other.thank_yous
        self.one_to_ones |= other.one_to_ones
        self.attendances |= other.attendances


@dataclass(frozen=True)
class Scope:
    """One chapter's check: its thresholds, and the window [since, now] (and its local days)."""

    chapter: object
    rules: IntegrityRules
    now: datetime
    today: date
    since: datetime
    since_day: date

    @classmethod
    def build(cls, *, chapter, rules: IntegrityRules, now: datetime) -> Scope:
        today = timezone.localdate(now, timezone=chapter.tz)
        since_day = today - timedelta(days=rules.window_days - 1)
        since = datetime.combine(since_day, datetime.min.time(), tzinfo=chapter.tz)
        return cls(chapter=chapter, rules=rules, now=now, today=today, since=since, since_day=since_day)

    def referrals(self):
        return Referral.objects.filter(chapter=self.chapter, created_at__gte=self.since, created_at__lte=self.now)

    def thank_yous(self):
        return ThankYou.objects.filter(chapter=self.chapter, closed_on__gte=self.since_day, closed_on__lte=self.today)


def detect_all(scope: Scope) -> dict[tuple[str, str], Found]:
    """Every pattern of the chapter, keyed by (kind, key); the same row may stand behind several flags."""
    found: dict[tuple[str, str], Found] = {}
    for detector in DETECTORS:
        for item in detector(scope):
            known = found.get((item.kind, item.key))
            if known is None:
                found[(item.kind, item.key)] = item
            else:
                known.merge(item)
    return found


# Referral rings ----------------------------------------------------------------------------------

# The chapter's referrals of the window as directed edges (giver → receiver, how many) and each giver's
# total; pairs that passed to each other, and threes that passed round in a circle, with each one's
# referrals inside the group against all they gave.
_RING_PAIRS = """
WITH edges (g, r, n) AS ({edges}),
given (g, total) AS (SELECT g, SUM(n) FROM edges GROUP BY g)
SELECT a.g, a.r, a.n, b.n, ga.total, gb.total
FROM edges a
JOIN edges b ON b.g = a.r AND b.r = a.g
JOIN given ga ON ga.g = a.g
JOIN given gb ON gb.g = a.r
WHERE a.g < a.r AND a.n + b.n >= %s AND a.n * 100 >= %s * ga.total AND b.n * 100 >= %s * gb.total
ORDER BY a.g, a.r
"""
_RING_THREES = """
WITH edges (g, r, n) AS ({edges}),
given (g, total) AS (SELECT g, SUM(n) FROM edges GROUP BY g),
circles (a, b, c) AS (
  SELECT DISTINCT e1.g,
         CASE WHEN e1.r < e2.r THEN e1.r ELSE e2.r END,
         CASE WHEN e1.r < e2.r THEN e2.r ELSE e1.r END
  FROM edges e1
  JOIN edges e2 ON e2.g = e1.r
  JOIN edges e3 ON e3.g = e2.r AND e3.r = e1.g
  WHERE e1.g < e1.r AND e1.g < e2.r
),
inside (a, b, c, ab, ac, ba, bc, ca, cb) AS (
  SELECT t.a, t.b, t.c, COALESCE(ab.n, 0), COALESCE(ac.n, 0), COALESCE(ba.n, 0), COALESCE(bc.n, 0),
         COALESCE(ca.n, 0), COALESCE(cb.n, 0)
  FROM circles t
  LEFT JOIN edges ab ON ab.g = t.a AND ab.r = t.b
  LEFT JOIN edges ac ON ac.g = t.a AND ac.r = t.c
  LEFT JOIN edges ba ON ba.g = t.b AND ba.r = t.a
  LEFT JOIN edges bc ON bc.g = t.b AND bc.r = t.c
  LEFT JOIN edges ca ON ca.g = t.c AND ca.r = t.a
  LEFT JOIN edges cb ON cb.g = t.c AND cb.r = t.b
)
SELECT i.a, i.b, i.c, i.ab + i.ac, i.ba + i.bc, i.ca + i.cb, ga.total, gb.total, gc.total
FROM inside i
JOIN given ga ON ga.g = i.a
JOIN given gb ON gb.g = i.b
JOIN given gc ON gc.g = i.c
WHERE i.ab + i.ac + i.ba + i.bc + i.ca + i.cb >= %s
  AND (i.ab + i.ac) * 100 >= %s * ga.total
  AND (i.ba + i.bc) * 100 >= %s * gb.total
  AND (i.ca + i.cb) * 100 >= %s * gc.total
ORDER BY i.a, i.b, i.c
"""


def _edges_sql(scope: Scope) -> tuple[str, tuple]:
    query = scope.referrals().values("giver_id", "receiver_id").annotate(n=Count("pk")).order_by().query
    return query.sql_with_params()


def _ring_figures(scope: Scope, rows: list[tuple[int, int, int]]) -> dict:
    """Each member's referrals to the others of the group against all they gave, and the thresholds."""
    return {
        "members": [{"id": pk, "inside": int(inside), "given": int(given)} for pk, inside, given in rows],
        "total": int(sum(inside for _, inside, _ in rows)),  # PostgreSQL's SUM of counts is a numeric
        "min_referrals": scope.rules.ring_min_referrals,
        "min_share": scope.rules.ring_min_share,
        "days": scope.rules.window_days,
    }


def rings(scope: Scope) -> list[Found]:
    """Pairs, then threes, passing mostly to each other; a three is left out when one of its pairs is a ring alone."""
    rules = scope.rules
    edges, params = _edges_sql(scope)
    limits = (rules.ring_min_referrals, rules.ring_min_share, rules.ring_min_share)
    with connection.cursor() as cursor:
        cursor.execute(_RING_PAIRS.format(edges=edges), (*params, *limits))
        pairs = cursor.fetchall()
        cursor.execute(_RING_THREES.format(edges=edges), (*params, *limits, rules.ring_min_share))
        threes = cursor.fetchall()
    groups: list[tuple[frozenset[int], dict]] = []
    for a, b, ab, ba, given_a, given_b in pairs:
        groups.append((frozenset((a, b)), _ring_figures(scope, [(a, ab, given_a), (b, ba, given_b)])))
    paired = {members for members, _ in groups}
    for a, b, c, in_a, in_b, in_c, given_a, given_b, given_c in threes:
        members = frozenset((a, b, c))
        if any(frozenset(pair) in paired for pair in ((a, b), (a, c), (b, c))):
            continue
        groups.append((members, _ring_figures(scope, [(a, in_a, given_a), (b, in_b, given_b), (c, in_c, given_c)])))
    if not groups:
        return []
    among = Q()
    for members, _ in groups:
        among |= Q(giver_id__in=members, receiver_id__in=members)
    passed = list(scope.referrals().filter(among).values_list("pk", "giver_id", "receiver_id"))
    found = []
    for members, figures in groups:
        ids = {pk for pk, giver, receiver in passed if giver in members and receiver in members}
        key = "-".join(str(pk) for pk in sorted(members))
        found.append(Found(Kind.RING, key, figures, set(members), referrals=ids))
    return found


# The same prospect referred again ------------------------------------------------------------------


def repeat_prospects(scope: Scope) -> list[Found]:
    """One giver's referrals whose prospect's email (or phone) hash is the same: a window count per giver and hash."""
    least = scope.rules.repeat_prospect_min
    prints = ProspectFingerprint.objects.filter(
        referral__chapter=scope.chapter, referral__created_at__gte=scope.since, referral__created_at__lte=scope.now,
        referral__prospect_erased_at__isnull=True,
    )
    groups: dict[tuple[str, int, str], set[tuple[int, int]]] = defaultdict(set)
    for by in ("email_hash", "phone_hash"):
        rows = (
            prints.exclude(**{by: ""})
            .annotate(n=Window(Count("pk"), partition_by=[F("referral__giver_id"), F(by)]))
            .filter(n__gte=least)
            .values_list("referral_id", "referral__giver_id", "referral__receiver_id", by)
        )
        for referral, giver, receiver, digest in rows:
            groups[(by, giver, digest)].add((referral, receiver))
    found: dict[str, Found] = {}
    for (by, giver, _digest), rows in groups.items():
        ids = {referral for referral, _ in rows}
        key = f"{giver}:{min(ids)}"  # the prospect's first referral: stable, and no hash in the key
        item = Found(
            Kind.REPEAT_PROSPECT, key, {"giver": giver, "by": [by.split("_")[0]], "min": least,
                                        "days": scope.rules.window_days},
            {giver} | {receiver for _, receiver in rows}, referrals=ids,
        )
        if key in found:
            found[key].merge(item)
            found[key].figures["by"] = sorted(set(found[key].figures["by"]) | set(item.figures["by"]))
        else:
            found[key] = item
    for item in found.values():
        item.figures["count"] = len(item.referrals)
    return list(found.values())


# TYFCB --------------------------------------------------------------------------------------------


def tyfcb_unearned(scope: Scope) -> list[Found]:
    """TYFCB closed before its referral was given, or within `tyfcb_min_days` after: per giver and receiver."""
    days = scope.rules.tyfcb_min_days
    rows = (
        scope.thank_yous()
        .annotate(given_on=TruncDate("referral__created_at", tzinfo=scope.chapter.tz))
        .annotate(gap=ExpressionWrapper(F("closed_on") - F("given_on"), output_field=DurationField()))
        .filter(gap__lt=timedelta(days=days))
        .values_list("pk", "referral_id", "giver_id", "receiver_id", "closed_on", "given_on")
    )
    pairs: dict[tuple[int, int], Found] = {}
    for pk, referral, giver, receiver, closed_on, given_on in rows:
        item = pairs.setdefault((giver, receiver), Found(
            Kind.TYFCB_UNEARNED, f"{giver}:{receiver}",
            {"giver": giver, "receiver": receiver, "count": 0, "before": 0, "min_days": days,
             "days": scope.rules.window_days},
            {giver, receiver},
        ))
        item.thank_yous.add(pk)
        item.referrals.add(referral)
        item.figures["count"] += 1
        item.figures["before"] += int(closed_on < _day(given_on))
    return list(pairs.values())


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def tyfcb_round(scope: Scope) -> list[Found]:
    """A member's recorded amounts, mostly whole multiples of `round_unit`: window counts per receiver.

    Only the window functions filter in the database (a plain condition would narrow what they count);
    the receivers' rows that come back are few, and their round ones are the evidence.
    """
    rules = scope.rules
    remainder = Mod("value", Value(rules.round_unit))
    per_receiver = {"partition_by": [F("receiver_id")]}
    rows = (
        scope.thank_yous()
        .annotate(remainder=remainder)
        .annotate(
            recorded=Window(Count("pk"), **per_receiver),
            rounded=Window(Sum(Case(When(Q(value__gt=0, remainder=0), then=1), default=0,
                                    output_field=IntegerField())), **per_receiver),
        )
        .annotate(short=ExpressionWrapper(F("rounded") * 100 - F("recorded") * rules.round_min_share,
                                          output_field=IntegerField()))
        .filter(rounded__gte=rules.round_min_count, short__gte=0)
        .values_list("pk", "receiver_id", "giver_id", "value", "remainder", "recorded", "rounded")
    )
    found: dict[int, Found] = {}
    for pk, receiver, giver, value, rest, recorded, rounded in rows:
        if not (value > 0 and rest == 0):
            continue
        item = found.setdefault(receiver, Found(
            Kind.TYFCB_ROUND, str(receiver),
            {"receiver": receiver, "recorded": recorded, "round": rounded, "unit": str(rules.round_unit),
             "min_count": rules.round_min_count, "min_share": rules.round_min_share, "days": rules.window_days},
            {receiver},
        ))
        item.thank_yous.add(pk)
        item.members.add(giver)
    return list(found.values())


def tyfcb_repeated(scope: Scope) -> list[Found]:
    """The same amount of new business recorded again and again by one member (repeat business at a fixed
    price, a retainer, is left alone): a window count per receiver and amount."""
    least = scope.rules.repeated_amount_min
    rows = (
        scope.thank_yous()
        .filter(business_type=Referral.BusinessType.NEW)
        .annotate(n=Window(Count("pk"), partition_by=[F("receiver_id"), F("value")]))
        .filter(n__gte=least)
        .values_list("pk", "receiver_id", "giver_id", "value")
    )
    found: dict[tuple[int, Decimal], Found] = {}
    for pk, receiver, giver, value in rows:
        value = Decimal(value).quantize(Decimal("0.01"))
        item = found.setdefault((receiver, value), Found(
            Kind.TYFCB_REPEATED, f"{receiver}:{value}",
            {"receiver": receiver, "value": str(value), "count": 0, "min": least, "days": scope.rules.window_days},
            {receiver},
        ))
        item.thank_yous.add(pk)
        item.members.add(giver)
        item.figures["count"] += 1
    return list(found.values())


# Substitutes ---------------------------------------------------------------------------------------


def substitutes(scope: Scope) -> list[Found]:
    """A substitute name (trimmed, any case) that attended for several members here, or in several chapters.

    Other chapters are counted, never shown: the flag names only this chapter's members and marks.
    """
    rules = scope.rules
    marks = (
        Attendance.objects.filter(
            status=Attendance.Status.SUBSTITUTE, meeting__local_date__gte=scope.since_day,
            meeting__local_date__lte=scope.today,
        )
        .exclude(substitute_name="")
        .annotate(name=Lower(Trim("substitute_name")))
    )
    here = marks.filter(meeting__chapter=scope.chapter)
    names = dict(
        (name, (members, chapters)) for name, members, chapters in
        marks.filter(name__in=here.values("name"))
        .values("name")
        .annotate(members=Count("membership", distinct=True, filter=Q(meeting__chapter=scope.chapter)),
                  chapters=Count("meeting__chapter", distinct=True))
        .filter(Q(members__gte=rules.substitute_min_members) | Q(chapters__gte=rules.substitute_min_chapters))
        .values_list("name", "members", "chapters")
        .order_by()
    )
    if not names:
        return []
    found: dict[str, Found] = {}
    spelled: dict[str, Counter] = defaultdict(Counter)
    for pk, membership, name, typed in (
        here.filter(name__in=list(names)).order_by("meeting__local_date", "pk")
        .values_list("pk", "membership_id", "name", "substitute_name")
    ):
        members, chapters = names[name]
        item = found.setdefault(name, Found(
            Kind.SUBSTITUTE, hashlib.sha256(name.encode()).hexdigest()[:40],
            {"name": "", "members": members, "other_chapters": chapters - 1, "marks": 0,
             "min_members": rules.substitute_min_members, "min_chapters": rules.substitute_min_chapters,
             "days": rules.window_days},
            set(),
        ))
        item.attendances.add(pk)
        item.members.add(membership)
        item.figures["marks"] += 1
        spelled[name][typed.strip()] += 1
    for name, item in found.items():  # the name as most often typed (the latest of equals)
        item.figures["name"] = max(reversed(spelled[name].items()), key=lambda pair: pair[1])[0]
    return list(found.values())


# One-to-ones -----------------------------------------------------------------------------------------


def one_to_ones_bulk(scope: Scope) -> list[Found]:
    """One-to-ones one member recorded on one day (chapter time), many at once: a window count per member and day."""
    least = scope.rules.one_to_one_bulk_min
    day = TruncDate("created_at", tzinfo=scope.chapter.tz)
    rows = (
        OneToOne.objects.filter(chapter=scope.chapter, created_at__gte=scope.since, created_at__lte=scope.now)
        .exclude(status=OneToOne.Status.DECLINED)
        .annotate(day=day)
        .annotate(n=Window(Count("pk"), partition_by=[F("initiator_id"), day]))
        .filter(n__gte=least)
        .values_list("pk", "initiator_id", "other_id", "day", "met_on")
    )
    found: dict[tuple[int, date], Found] = {}
    for pk, initiator, other, recorded_on, met_on in rows:
        recorded_on = _day(recorded_on)
        item = found.setdefault((initiator, recorded_on), Found(
            Kind.ONE_TO_ONE_BULK, f"{initiator}:{recorded_on.isoformat()}",
            {"member": initiator, "day": recorded_on.isoformat(), "count": 0, "met_days": [], "min": least,
             "days": scope.rules.window_days},
            {initiator},
        ))
        item.one_to_ones.add(pk)
        item.members.add(other)
        item.figures["count"] += 1
        if met_on.isoformat() not in item.figures["met_days"]:
            item.figures["met_days"].append(met_on.isoformat())
    for item in found.values():
        item.figures["met_days"] = len(item.figures["met_days"])
    return list(found.values())


# Inside referrals logged again ------------------------------------------------------------------------


def internal_relogged(scope: Scope) -> list[Found]:
    """Inside referrals (the giver's own business) to the same member within `internal_relog_days` of another."""
    days = scope.rules.internal_relog_days
    span = timedelta(days=days)
    inside = scope.referrals().filter(kind=Referral.Kind.INSIDE)
    near = inside.filter(
        giver_id=OuterRef("giver_id"), receiver_id=OuterRef("receiver_id"),
        created_at__gt=OuterRef("created_at") - span, created_at__lt=OuterRef("created_at") + span,
    ).exclude(pk=OuterRef("pk"))
    rows = inside.filter(Exists(near)).order_by("created_at", "pk").values_list("pk", "giver_id", "receiver_id")
    found: dict[tuple[int, int], Found] = {}
    for pk, giver, receiver in rows:
        item = found.setdefault((giver, receiver), Found(
            Kind.INTERNAL_RELOGGED, f"{giver}:{receiver}",
            {"giver": giver, "receiver": receiver, "count": 0, "within": days, "days": scope.rules.window_days},
            {giver, receiver},
        ))
        item.referrals.add(pk)
        item.figures["count"] += 1
    return list(found.values())


DETECTORS = (
    rings, repeat_prospects, tyfcb_unearned, tyfcb_round, tyfcb_repeated, substitutes, one_to_ones_bulk,
    internal_relogged,
)
