"""A flag's figures in words, in the reader's language: what was found, each member's part, and the threshold.

Flags store their figures as data (ids, counts, thresholds at the time of the check); the words are made
here when a page is shown, so they follow the reader's language and the members' current names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from integrity.models import IntegrityFlag
from leadsgroups.formats import format_date, format_money, format_percent

Kind = IntegrityFlag.Kind


@dataclass
class Explanation:
    summary: str
    lines: list[str] = field(default_factory=list)
    threshold: str = ""


def _share(part: int, whole: int) -> str:
    return format_percent(part / whole) if whole else "—"


def _by_words(by: list[str]) -> str:
    if set(by) == {"email", "phone"}:
        return _("email and phone")
    return _("email") if by == ["email"] else _("phone")


def flag_explanation(flag: IntegrityFlag, *, names: dict[int, str], currency: str) -> Explanation:
    """The flag's figures as sentences; `names` maps membership ids to the names to show."""
    f = flag.figures or {}

    def name(pk) -> str:
        return names.get(pk) or _("member #%(id)s") % {"id": pk}

    window = ngettext("Looked at the last %(days)s day.", "Looked at the last %(days)s days.", f.get("days", 0)) % {
        "days": f.get("days", 0)
    }
    explain = EXPLAINERS.get(flag.kind)
    if explain is None:
        return Explanation(summary=flag.get_kind_display())
    explanation = explain(f, name, currency)
    explanation.threshold = f"{explanation.threshold} {window}".strip()
    return explanation


def _and(names: list[str]) -> str:
    if len(names) < 2:
        return "".join(names)
    return _("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def _ring(f, name, currency) -> Explanation:
    members = f.get("members", [])
    who = _and([name(m["id"]) for m in members])
    return Explanation(
        summary=ngettext(
            "%(names)s passed %(count)s referral among themselves.",
            "%(names)s passed %(count)s referrals among themselves.", f.get("total", 0),
        ) % {"names": who, "count": f.get("total", 0)},
        lines=[
            _("%(name)s: %(inside)s of the %(given)s referrals they gave went to the others (%(share)s).") % {
                "name": name(m["id"]), "inside": m["inside"], "given": m["given"],
                "share": _share(m["inside"], m["given"]),
            }
            for m in members
        ],
        threshold=_("Flagged from %(count)s referrals among them, each giving at least %(share)s of theirs to "
                    "the others.") % {"count": f.get("min_referrals"), "share": format_percent(f.get("min_share", 0) / 100)},
    )


def _repeat_prospect(f, name, currency) -> Explanation:
    return Explanation(
        summary=ngettext(
            "%(giver)s referred the same prospect %(count)s time (the same %(by)s).",
            "%(giver)s referred the same prospect %(count)s times (the same %(by)s).", f.get("count", 0),
        ) % {"giver": name(f.get("giver")), "count": f.get("count", 0), "by": _by_words(f.get("by", []))},
        lines=[_("Prospects are compared by a keyed hash of their email and phone; the contact itself is not "
                 "shown here.")],
        threshold=_("Flagged from %(count)s referrals of one prospect by one giver.") % {"count": f.get("min")},
    )


def _tyfcb_unearned(f, name, currency) -> Explanation:
    count, before = f.get("count", 0), f.get("before", 0)
    lines = []
    if before:
        lines.append(ngettext("%(count)s of them was closed before the referral was given.",
                              "%(count)s of them were closed before the referral was given.", before)
                     % {"count": before})
    return Explanation(
        summary=ngettext(
            "%(receiver)s recorded %(count)s TYFCB from a referral of %(giver)s closed right after it was given, "
            "or before.",
            "%(receiver)s recorded %(count)s TYFCB from referrals of %(giver)s closed right after they were "
            "given, or before.", count,
        ) % {"receiver": name(f.get("receiver")), "giver": name(f.get("giver")), "count": count},
        lines=lines,
        threshold=ngettext(
            "Flagged when business is recorded as closed less than %(days)s day after its referral, or before it.",
            "Flagged when business is recorded as closed less than %(days)s days after its referral, or before it.",
            f.get("min_days", 0),
        ) % {"days": f.get("min_days")},
    )


def _tyfcb_round(f, name, currency) -> Explanation:
    unit = format_money(Decimal(f.get("unit", "0")), currency)
    return Explanation(
        summary=_("%(round)s of the %(recorded)s TYFCB amounts %(receiver)s recorded are whole multiples of "
                  "%(unit)s (%(share)s).") % {
            "round": f.get("round"), "recorded": f.get("recorded"), "receiver": name(f.get("receiver")),
            "unit": unit, "share": _share(f.get("round", 0), f.get("recorded", 0)),
        },
        threshold=_("Flagged from %(count)s round amounts making at least %(share)s of those recorded.") % {
            "count": f.get("min_count"), "share": format_percent(f.get("min_share", 0) / 100),
        },
    )


def _tyfcb_repeated(f, name, currency) -> Explanation:
    return Explanation(
        summary=ngettext(
            "%(receiver)s recorded new business of exactly %(value)s %(count)s time.",
            "%(receiver)s recorded new business of exactly %(value)s %(count)s times.", f.get("count", 0),
        ) % {"receiver": name(f.get("receiver")), "value": format_money(Decimal(f.get("value", "0")), currency),
             "count": f.get("count", 0)},
        lines=[_("Repeat business at one price (a retainer) is not counted: only new business.")],
        threshold=_("Flagged from %(count)s equal amounts of new business.") % {"count": f.get("min")},
    )


def _substitute(f, name, currency) -> Explanation:
    lines = []
    if f.get("other_chapters"):
        lines.append(ngettext(
            "The same name attended for members of %(count)s other chapter too.",
            "The same name attended for members of %(count)s other chapters too.", f["other_chapters"],
        ) % {"count": f["other_chapters"]})
    return Explanation(
        summary=ngettext(
            "The substitute “%(name)s” attended for %(members)s member of the chapter (%(marks)s marks).",
            "The substitute “%(name)s” attended for %(members)s members of the chapter (%(marks)s marks).",
            f.get("members", 0),
        ) % {"name": f.get("name", ""), "members": f.get("members", 0), "marks": f.get("marks", 0)},
        lines=lines,
        threshold=_("Flagged from %(members)s members covered, or members of %(chapters)s chapters.") % {
            "members": f.get("min_members"), "chapters": f.get("min_chapters"),
        },
    )


def _one_to_one_bulk(f, name, currency) -> Explanation:
    day = date.fromisoformat(f["day"]) if f.get("day") else None
    return Explanation(
        summary=ngettext(
            "%(member)s recorded %(count)s one-to-one on %(day)s.",
            "%(member)s recorded %(count)s one-to-ones on %(day)s.", f.get("count", 0),
        ) % {"member": name(f.get("member")), "count": f.get("count", 0), "day": format_date(day)},
        lines=[ngettext("They were dated to %(count)s day.", "They were dated to %(count)s different days.",
                        f.get("met_days", 0)) % {"count": f.get("met_days", 0)}],
        threshold=_("Flagged from %(count)s one-to-ones recorded by one member on one day.") % {"count": f.get("min")},
    )


def _internal_relogged(f, name, currency) -> Explanation:
    return Explanation(
        summary=ngettext(
            "%(giver)s gave %(receiver)s %(count)s inside referral (their own business) close to another.",
            "%(giver)s gave %(receiver)s %(count)s inside referrals (their own business), each close to another.",
            f.get("count", 0),
        ) % {"giver": name(f.get("giver")), "receiver": name(f.get("receiver")), "count": f.get("count", 0)},
        threshold=ngettext(
            "Flagged when an inside referral to the same member follows another within %(days)s day.",
            "Flagged when an inside referral to the same member follows another within %(days)s days.",
            f.get("within", 0),
        ) % {"days": f.get("within")},
    )


EXPLAINERS = {
    Kind.RING: _ring,
    Kind.REPEAT_PROSPECT: _repeat_prospect,
    Kind.TYFCB_UNEARNED: _tyfcb_unearned,
    Kind.TYFCB_ROUND: _tyfcb_round,
    Kind.TYFCB_REPEATED: _tyfcb_repeated,
    Kind.SUBSTITUTE: _substitute,
    Kind.ONE_TO_ONE_BULK: _one_to_one_bulk,
    Kind.INTERNAL_RELOGGED: _internal_relogged,
}
