"""Fines, cases and the changes behind them in words, rendered from their structured evidence in the
reader's language when they are shown: pages, letters, emails and notices all call this module.

The evidence holds the facts and the arithmetic, never words: `Fine.evidence` (the rules version and
what it said, the window or period, the marks or referrals counted with their weights, the totals and
amounts), `ExpulsionCase.evidence` (the threshold and the violations weighed), a fine's
`withdrawn_cause` / `refund_flag_cause` (what changed) and a case's `below_threshold_cause`. Its `"v"`
key is the shape's version (`VERSION`). A row written before explanations were data and that the data
migration could not rebuild carries `"fallback": true`: its stored English text is shown as written.

The text columns beside them (`explanation`, `withdrawn_reason`, `refund_flag_reason`,
`below_threshold_note`) keep an English snapshot of the same words (`snapshot`) for the audit trail.
People's own words (a leave's reason, a correction's reason, a member's name) are quoted as typed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy

from leadsgroups import formats
from leadsgroups.i18n import language

VERSION = 2
SNAPSHOT_LANGUAGE = "en-gb"  # the stored text columns: an English snapshot for the audit trail
BULLET = "  • "

# What a fine is for: its title, and the same words inside a sentence ("Fine £10.00: absence over the limit").
TITLES = {
    "absence": gettext_lazy("Absence over the limit"),
    "lates": gettext_lazy("Lates over the limit"),
    "lates_and_absences": gettext_lazy("Lates and absences over the limit"),
    "late": gettext_lazy("Late arrival"),
    "quota": gettext_lazy("Referral quota missed"),
}
IN_SENTENCE = {
    "absence": pgettext_lazy("fine, inside a sentence", "absence over the limit"),
    "lates": pgettext_lazy("fine, inside a sentence", "lates over the limit"),
    "lates_and_absences": pgettext_lazy("fine, inside a sentence", "lates and absences over the limit"),
    "late": pgettext_lazy("fine, inside a sentence", "late arrival"),
    "quota": pgettext_lazy("fine, inside a sentence", "referral quota missed"),
}
# The English titles rows stored before titles were keys (a case's violations, `violations_on_record`).
TITLE_OF_WORDS = {
    "Absence over the limit": "absence", "Lates over the limit": "lates",
    "Lates and absences over the limit": "lates_and_absences", "Late arrival": "late",
    "Referral quota missed": "quota",
}
MARKS = {
    "present": pgettext_lazy("attendance mark", "present"),
    "absent": pgettext_lazy("attendance mark", "absent"),
    "late": pgettext_lazy("attendance mark", "late"),
    "medical": pgettext_lazy("attendance mark", "medical"),
    "substitute": pgettext_lazy("attendance mark", "substitute"),
    None: pgettext_lazy("attendance mark", "unmarked"),
}
MEETING_STATES = {
    "scheduled": pgettext_lazy("meeting state", "scheduled"),
    "open": pgettext_lazy("meeting state", "roll call open"),
    "closed": pgettext_lazy("meeting state", "closed"),
    "cancelled": pgettext_lazy("meeting state", "cancelled"),
}
REFERRAL_STATES = {
    "given": pgettext_lazy("referral state", "given"),
    "accepted": pgettext_lazy("referral state", "accepted"),
    "contacted": pgettext_lazy("referral state", "contacted"),
    "meeting": pgettext_lazy("referral state", "meeting held"),
    "won": pgettext_lazy("referral state", "won"),
    "lost": pgettext_lazy("referral state", "lost"),
    "declined": pgettext_lazy("referral state", "declined by receiver"),
    "prospect_declined": pgettext_lazy("referral state", "closed: prospect declined"),
}
CONSENTS = {
    "confirmed": pgettext_lazy("prospect consent", "confirmed by the prospect"),
    "stated": pgettext_lazy("prospect consent", "stated by the giver"),
    "not_asked": pgettext_lazy("prospect consent", "not asked"),
    "declined": pgettext_lazy("prospect consent", "declined by the prospect"),
}
DECISIONS = {  # a case's decision inside a sentence: "Case decided: probation."
    "expel": pgettext_lazy("case decision", "expel"),
    "probation": pgettext_lazy("case decision", "probation"),
    "dismiss": pgettext_lazy("case decision", "dismiss"),
}
QUALITY_WORDS = {
    "all": gettext_lazy("every referral given counts"),
    "consented": gettext_lazy("only referrals whose prospect consented (confirmed or stated) count"),
    "meeting": gettext_lazy("only referrals that reached a meeting with the prospect (or closed) count"),
    "won": gettext_lazy("only referrals that closed business count"),
    "weighted": gettext_lazy(
        "each referral counts by how far it went, repeats of a prospect (or inside business to the same member) "
        "for ½, ¼ … of that, and none rated not a lead or a duplicate"
    ),
}
RATINGS = {  # the receiver's rating, inside a sentence
    "not_lead": pgettext_lazy("referral rating", "rated not a lead"),
    "duplicate": pgettext_lazy("referral rating", "rated a duplicate"),
}
QUOTA_PER = {
    "week": pgettext_lazy("a quota per", "week"),
    "month": pgettext_lazy("a quota per", "calendar month"),
    "meeting": pgettext_lazy("a quota per", "meeting"),
}


def structured(data) -> bool:
    """Whether `data` is evidence this module renders (else the stored text is shown as written)."""
    return bool(data) and data.get("v") == VERSION and not data.get("fallback")


def snapshot(render, *args, **kwargs) -> str:
    """`render(...)` in English: the text stored beside the data, for the audit trail."""
    with language(SNAPSHOT_LANGUAGE):
        return str(render(*args, **kwargs))


# Pieces ----------------------------------------------------------------------------------------


def _day_of(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def day(value) -> str:
    """A day with its weekday: "Wed, 9 Dec 2026", "Mi., 9. Dez. 2026"."""
    return formats.format_date(_day_of(value), "yMMMEd")


def short_day(value) -> str:
    """A day: "9 Dec 2026", "09.12.2026"."""
    return formats.format_date(_day_of(value), "medium")


def period(start, end) -> str:
    """One day (with its weekday), or the first and last day of a period."""
    start, end = _day_of(start), _day_of(end)
    if start == end:
        return day(start)
    return _("%(start)s – %(end)s") % {"start": short_day(start), "end": short_day(end)}


def money(amount, currency: str) -> str:
    return formats.format_money(Decimal(str(amount or 0)), currency)


def amount_or_warning(amount, currency: str) -> str:
    """The amount, or "warning" where the rules set none."""
    return money(amount, currency) if Decimal(str(amount or 0)) else pgettext("instead of an amount", "warning")


def number(value) -> str:
    """0.5 → "0.5" / "0,5"; 1.00 → "1"."""
    return formats.format_number(Decimal(str(value or 0)).normalize())


def month_name(month: int) -> str:
    from babel.dates import get_month_names

    return get_month_names("wide", locale=formats.current_locale())[month]


def title_key(kind: str, evidence: dict | None) -> str:
    """Which title a fine has: an absence-limit fine whose counted marks (weight above 0) are all lates is
    "lates", never "absence"."""
    if kind != "absence":
        return kind
    statuses = {m.get("status") for m in (evidence or {}).get("marks", []) if m.get("weight") not in ("0", 0, None)}
    if statuses and statuses <= {"late"}:
        return "lates"
    if "late" in statuses:
        return "lates_and_absences"
    return "absence"


def title(key: str) -> str:
    return str(TITLES.get(key, key))


def in_sentence(key: str) -> str:
    return str(IN_SENTENCE.get(key, key))


def mark_word(status) -> str:
    return str(MARKS.get(status, status))


def window_words(kind: str, months: int, start_month: int) -> str:
    """"in any rolling 6 months", "per calendar quarter (starting in January)"."""
    if kind == "quarter":
        return _("per calendar quarter (starting in %(month)s)") % {"month": month_name(start_month)}
    if kind == "half":
        return _("per calendar half-year (starting in %(month)s)") % {"month": month_name(start_month)}
    return ngettext("in any rolling %(count)s month", "in any rolling %(count)s months", months) % {"count": months}


def within_months(months: int) -> str:
    return ngettext("within %(count)s month", "within %(count)s months", months) % {"count": months}


def _over(mark: dict) -> str:
    """Why a substitute or medical mark counts as a full absence: "substitute 4 of 3 allowed: a full absence"."""
    over = mark.get("over")
    if not over:
        return ""
    values = {"count": over["count"], "allowed": over["allowed"]}
    if mark.get("status") == "medical":
        return _("medical %(count)s of %(allowed)s allowed: a full absence") % values
    return _("substitute %(count)s of %(allowed)s allowed: a full absence") % values


def _weight(value) -> Decimal:
    return Decimal(str(value or 0))


# Fines -----------------------------------------------------------------------------------------


def fine_text(kind: str, evidence: dict) -> str:
    """A fine's explanation (lines): the rule, the records counted, and the arithmetic."""
    render = {"absence": _absence_text, "late": _late_text, "quota": _quota_text}.get(kind)
    return render(evidence) if render else ""


def _rule(evidence: dict) -> dict:
    return {"version": evidence["rules_version"], "date": short_day(evidence["rules_from"])}


def _absence_text(ev: dict) -> str:
    currency = ev["currency"]
    window = window_words(ev["window_kind"], ev["window_months"], ev.get("window_start_month", 1))
    lines = [ngettext(
        "Rule: version %(version)s of the chapter's rules (in force from %(date)s) allows %(count)s absence "
        "%(window)s.",
        "Rule: version %(version)s of the chapter's rules (in force from %(date)s) allows %(count)s absences "
        "%(window)s.",
        ev["allowed"],
    ) % {**_rule(ev), "count": ev["allowed"], "window": window}]
    marks = ev.get("marks", [])
    if any(m["status"] == "late" and _weight(m.get("weight")) > 0 for m in marks):
        lines.append(_("Late arrivals count toward it too: each is weighed as the version in force on its day says."))
    lines.append(_("Window: %(window)s. Counted in it:") % {"window": period(*ev["window"])})
    for m in marks:
        text = _("%(date)s: %(mark)s = %(weight)s") % {
            "date": day(m["date"]), "mark": mark_word(m["status"]), "weight": number(m.get("weight")),
        }
        if m.get("over"):
            text = f"{text} ({_over(m)})"
        if m.get("meeting_id") == ev.get("meeting_id"):
            text = _("%(mark)s ← this meeting") % {"mark": text}
        lines.append(BULLET + text)
    lines.append(_(
        "Total %(total)s against %(allowed)s allowed. Before this meeting: %(before)s; this meeting puts you "
        "%(units)s more over the limit."
    ) % {"total": number(ev["total"]), "allowed": ev["allowed"], "before": number(ev["before"]),
         "units": number(ev["units"])})
    also = ev.get("also")
    stacked = not also or bool(also.get("stacked"))
    if also:
        lines.append(_(
            "This late arrival is also charged a late fee of %(amount)s, a separate fine (“%(title)s”, same meeting)."
        ) % {"amount": money(also["amount"], currency), "title": title("late")})
        if stacked:
            lines.append(_("Version %(version)s charges both (a late fee stacks with the late's share of an absence).")
                         % {"version": ev["rules_version"]})
        else:
            lines.append(_(
                "Version %(version)s does not charge a late twice: no further fine here, but it counts as a violation "
                "toward expulsion."
            ) % {"version": ev["rules_version"]})
    if _weight(ev["amount"]):
        lines.append(_("Fine: %(units)s × %(rate)s = %(amount)s.") % {
            "units": number(ev["units"]), "rate": money(ev["rate"], currency), "amount": money(ev["amount"], currency),
        })
    elif stacked:
        lines.append(_("The rules set no fine for this: it is recorded as a warning."))
    else:
        lines.append(_("Recorded as a warning."))
    return "\n".join(lines)


def _late_text(ev: dict) -> str:
    currency = ev["currency"]
    rate = money(ev["rate"], currency)
    lines = [
        _("Late at the meeting of %(date)s.") % {"date": day(ev["date"])},
        _("Rule: version %(version)s (in force from %(date)s) fines each late arrival %(amount)s.")
        % {**_rule(ev), "amount": rate},
    ]
    also = ev.get("also")
    if also:
        charged = bool(_weight(also.get("amount")))
        text = _(
            "The same late also counts as %(weight)s of an absence and puts you over the absence limit: see "
            "“%(title)s” for this meeting (%(amount)s)."
        ) % {"weight": number(ev.get("late_weight")), "title": title(also.get("title", "absence")),
             "amount": amount_or_warning(also.get("amount"), currency)}
        lines.append(f"{text} {_('The rules charge both.') if charged else _('It is not charged twice.')}")
    lines.append(_("Fine: 1 × %(rate)s = %(amount)s.") % {"rate": rate, "amount": money(ev["amount"], currency)})
    return "\n".join(lines)


def _quota_text(ev: dict) -> str:
    currency, quota = ev["currency"], ev["quota"]
    lines = [
        ngettext(
            "Rule: version %(version)s (in force from %(date)s) asks for %(count)s referral per %(per)s; %(counts)s.",
            "Rule: version %(version)s (in force from %(date)s) asks for %(count)s referrals per %(per)s; %(counts)s.",
            quota,
        ) % {**_rule(ev), "count": quota, "per": QUOTA_PER.get(ev["quota_period"], ev["quota_period"]),
             "counts": QUALITY_WORDS.get(ev["counts"], ev["counts"])},
        _("Period: %(period)s.") % {"period": period(*ev["period"])},
    ]
    grace_until = ev.get("consent_until")
    if grace_until:
        grace = ev.get("consent_grace_days", 0)
        lines.append(ngettext(
            "Consent given up to %(date)s counts (%(count)s day after the period).",
            "Consent given up to %(date)s counts (%(count)s days after the period).",
            grace,
        ) % {"date": day(grace_until), "count": grace})
    counted = ev.get("counted", [])
    if counted:
        lines.append(_("Counted (%(count)s):") % {"count": len(counted)})
        for r in counted:
            values = {"date": day(r["date"]), "receiver": r.get("receiver", ""),
                      "state": REFERRAL_STATES.get(r["status"], r["status"])}
            if "weight" in r:
                lines.append(BULLET + _("%(date)s: to %(receiver)s: worth %(weight)s (%(why)s)") % {
                    **values, "weight": number(r["weight"]), "why": weight_why(r["why"]),
                })
            else:
                lines.append(BULLET + _("%(date)s: to %(receiver)s (%(state)s)") % values)
    else:
        lines.append(_("Counted: none."))
    others = ev.get("not_counted_referrals", [])
    if others:
        lines.append(ngettext(
            "%(count)s other referral given in the period did not count:",
            "%(count)s other referrals given in the period did not count:",
            len(others),
        ) % {"count": len(others)})
        for r in others:
            values = {"date": day(r["date"]), "receiver": r.get("receiver", ""),
                      "state": REFERRAL_STATES.get(r["status"], r["status"]), "consent": CONSENTS.get(r["consent"], r["consent"])}
            if "weight" in r:
                text = _("%(date)s: to %(receiver)s: worth nothing (%(why)s)") % {**values, "why": weight_why(r["why"])}
            elif grace_until and r.get("consented_on") and r["consent"] == "confirmed":
                text = _("%(date)s: to %(receiver)s (%(state)s; consent %(consent)s, confirmed %(confirmed)s: after the "
                         "grace)") % {**values, "confirmed": short_day(r["consented_on"])}
            else:
                text = _("%(date)s: to %(receiver)s (%(state)s; consent %(consent)s)") % values
            lines.append(BULLET + text)
    if "weighted_total" in ev:
        total = Decimal(ev["weighted_total"])
        lines.append(_("Worth %(total)s of %(quota)s: short by %(short)s.") % {
            "total": number(total), "quota": quota, "short": number(Decimal(quota) - total),
        })
    else:
        lines.append(_("%(counted)s of %(quota)s: short by %(short)s.") % {
            "counted": len(counted), "quota": quota, "short": quota - len(counted),
        })
    if _weight(ev["amount"]):
        lines.append(_("Fine: %(amount)s for the period.") % {"amount": money(ev["amount"], currency)})
    else:
        lines.append(_("The rules set no fine for this: it is recorded as a warning."))
    return "\n".join(lines)


def weight_why(why: dict) -> str:
    """Why a referral is worth what it is toward a weighted quota: "won, 2; 2nd referral of the same
    prospect: ½", in the reader's language."""
    parts = [_("%(state)s, %(weight)s") % {
        "state": REFERRAL_STATES.get(why["status"], why["status"]), "weight": number(why["base"]),
    }]
    if why.get("repeat"):
        nth, share = why["repeat"], "1/%s" % (2 ** (why["repeat"] - 1))
        inside = why.get("repeat_of") == "inside"
        if why.get("since"):  # numbered with referrals given before the period, in the rules' repeat window
            words = (_("inside referral no. %(nth)s to the same member since %(since)s: %(share)s") if inside
                     else _("referral no. %(nth)s of the same prospect since %(since)s: %(share)s"))
        else:
            words = (_("inside referral no. %(nth)s to the same member this period: %(share)s") if inside
                     else _("referral no. %(nth)s of the same prospect this period: %(share)s"))
        parts.append(words % {"nth": nth, "share": share, "since": short_day(why["since"]) if why.get("since") else ""})
    if why.get("rating"):
        parts.append(str(RATINGS.get(why["rating"], why["rating"])))
    return "; ".join(parts)


def repeat_window_words(days: int) -> str:
    """How far back a weighted quota looks for repeats, for the rules page."""
    if not days:
        return _("A repeat (the same prospect again, or inside business to the same member again) counts ½, ¼ … "
                 "when the earlier referral was given in the same period.")
    return ngettext(
        "A repeat (the same prospect again, or inside business to the same member again) counts ½, ¼ … when the "
        "earlier referral was given in the same period or up to %(count)s day before it.",
        "A repeat (the same prospect again, or inside business to the same member again) counts ½, ¼ … when the "
        "earlier referral was given in the same period or up to %(count)s days before it.", days,
    ) % {"count": days}


def fine_summary(key: str, start, end, amount, currency: str) -> str:
    """One line: "Absence over the limit, Wed, 7 Jan 2026: £10.00"."""
    return _("%(title)s, %(period)s: %(amount)s") % {
        "title": title(key), "period": period(start, end), "amount": amount_or_warning(amount, currency),
    }


def fine_notice_title(key: str, start, end, amount, currency: str) -> str:
    """The notice of a new fine: "Fine £10.00: absence over the limit (Wed, 7 Jan 2026)", or a warning."""
    values = {"what": in_sentence(key), "period": period(start, end)}
    if not Decimal(str(amount or 0)):
        return _("Warning: %(what)s (%(period)s)") % values
    return _("Fine %(amount)s: %(what)s (%(period)s)") % {**values, "amount": money(amount, currency)}


# Expulsion cases -----------------------------------------------------------------------------------


VIOLATION_HEADINGS = {  # (lates counted, absences counted, quotas missed) → what the violations are
    (True, True, False): gettext_lazy("lates and absences over the limit"),
    (True, False, False): gettext_lazy("lates over the limit"),
    (False, True, False): gettext_lazy("absences over the limit"),
    (True, True, True): gettext_lazy("lates and absences over the limit and missed quotas"),
    (True, False, True): gettext_lazy("lates over the limit and missed quotas"),
    (False, True, True): gettext_lazy("absences over the limit and missed quotas"),
    (False, False, True): gettext_lazy("missed quotas"),
}


def violation_title(item: dict) -> str:
    """A violation's title key; rows stored before keys carry the English title ("what")."""
    return item.get("title") or TITLE_OF_WORDS.get(item.get("what", ""), item.get("kind", ""))


def violation_heading(items: list[dict]) -> str:
    """What the violations are, naming lates only where lates were counted and absences only where absences
    were: a member whose counted marks are all lates never reads "absences over the limit"."""
    keys = {violation_title(v) for v in items}
    lates = bool(keys & {"lates", "lates_and_absences"})
    absences = bool(keys & {"absence", "lates_and_absences"})
    quotas = "quota" in keys
    return str(VIOLATION_HEADINGS.get((lates, absences, quotas), ""))


def case_text(ev: dict) -> str:
    """Why a case was opened: the rule, the violations weighed, and the count against the threshold."""
    threshold, items = ev["threshold"], ev.get("violations", [])
    first_day = date.fromisoformat(ev["since"]) + timedelta(days=1)
    lines = [
        ngettext(
            "Rule: version %(version)s (in force from %(date)s): %(count)s violation %(within)s makes a member an "
            "expulsion candidate.",
            "Rule: version %(version)s (in force from %(date)s): %(count)s violations %(within)s make a member an "
            "expulsion candidate.",
            threshold,
        ) % {**_rule(ev), "count": threshold, "within": within_months(ev["months"])},
        _("Violations since %(date)s (%(what)s, not waived, not weighed in an earlier case):")
        % {"date": short_day(first_day), "what": violation_heading(items)},
    ]
    for v in items:
        lines.append(BULLET + _("%(when)s: %(what)s (%(amount)s)") % {
            "when": period(v["date"], v.get("end") or v["date"]), "what": in_sentence(violation_title(v)),
            "amount": amount_or_warning(v["amount"], v["currency"]),
        })
    lines.append(ngettext(
        "%(count)s violation ≥ %(threshold)s: an admin will review the case.",
        "%(count)s violations ≥ %(threshold)s: an admin will review the case.",
        len(items),
    ) % {"count": len(items), "threshold": threshold})
    return "\n".join(lines)


def below_threshold_text(data: dict) -> str:
    """Why an open case is flagged: fewer of its violations stand than it was opened at."""
    return ngettext(
        "Only %(count)s violation of this case still stands (the others were withdrawn or refunded after a change "
        "of evidence); the case was opened at %(threshold)s.",
        "Only %(count)s violations of this case still stand (the others were withdrawn or refunded after a change "
        "of evidence); the case was opened at %(threshold)s.",
        data["standing"],
    ) % {"count": data["standing"], "threshold": data["threshold"]}


# Changes of evidence: why a standing fine was withdrawn or flagged for a refund ---------------------


def about_words(about: dict) -> str:
    """The fine's meeting or quota period, as the object of a sentence."""
    if "period" in about:
        return _("the quota period %(period)s") % {"period": period(*about["period"])}
    return _("the meeting of %(date)s") % {"date": day(about["meeting"])}


def cause_text(cause: dict) -> str:
    """Why the evidence no longer supports a fine (or supports a different one), from `changes`' cause."""
    render = _CAUSES.get(cause.get("kind"))
    text = render(cause, about_words(cause.get("about", {}))) if render else ""
    calls = cause.get("calls_for")
    if calls is not None:
        paid = cause.get("paid")
        if paid is not None:
            text += " " + _("The evidence now calls for %(amount)s, not the %(paid)s paid.") % {
                "amount": money(calls["amount"], calls["currency"]), "paid": money(paid["amount"], paid["currency"]),
            }
        elif _weight(calls["amount"]):
            text += " " + _("The evidence now calls for %(amount)s: a new fine replaces this one.") % {
                "amount": money(calls["amount"], calls["currency"]),
            }
        else:
            text += " " + _("The evidence now calls for a warning: a new fine replaces this one.")
    return text


def _leave_cause(cause: dict, what: str) -> str:
    values = {"start": short_day(cause["starts_on"]), "what": what}
    if cause.get("ends_on"):
        text = _("Leave from %(start)s to %(end)s covers %(what)s: it is excused.") % {
            **values, "end": short_day(cause["ends_on"]),
        }
    else:
        text = _("Leave from %(start)s, until further notice, covers %(what)s: it is excused.") % values
    if cause.get("leave_reason"):
        text += " " + _("(Leave: %(reason)s)") % {"reason": cause["leave_reason"]}
    return text


def _rules_cause(cause: dict, what: str) -> str:
    if cause.get("to_version") is None:
        return _("No rules version now judges %(what)s.") % {"what": what}
    return _("Rules version %(version)s (in force from %(date)s) now judges %(what)s instead of version %(old)s.") % {
        "version": cause["to_version"], "date": short_day(cause["to_from"]), "what": what,
        "old": cause["from_version"],
    }


def _meeting_cause(cause: dict, what: str) -> str:
    return _("The meeting of %(date)s is no longer closed (%(state)s): its marks are not final.") % {
        "date": day(cause["about"]["meeting"]), "state": MEETING_STATES.get(cause["status"], cause["status"]),
    }


def _correction_cause(cause: dict, what: str) -> str:
    words = []
    for c in cause.get("changes", []):
        values = {"date": day(c["date"]), "before": mark_word(c.get("from")), "after": mark_word(c.get("to"))}
        if not c.get("on"):
            words.append(_("The mark of %(date)s was corrected from %(before)s to %(after)s.") % values)
            continue
        details = _("by %(name)s, %(date)s") % {"name": c["by"], "date": short_day(c["on"])} if c.get("by") \
            else short_day(c["on"])
        if c.get("reason"):
            details = _("%(details)s: “%(reason)s”") % {"details": details, "reason": c["reason"]}
        words.append(_("The mark of %(date)s was corrected from %(before)s to %(after)s (%(details)s).")
                     % {**values, "details": details})
    return " ".join(words)


def _grace_cause(cause: dict, what: str) -> str:
    return _("%(name)s joined on %(date)s: %(what)s falls in the grace period for new members.") % {
        "name": cause.get("member", ""), "date": short_day(cause["joined_on"]), "what": what,
    }


def _recalculated_cause(cause: dict, what: str) -> str:
    diffs = cause.get("weights")
    if diffs:
        parts = []
        for d in diffs:
            text = _("%(date)s: %(mark)s now counts %(after)s (was %(before)s)") % {
                "date": day(d["date"]), "mark": mark_word(d["status"]), "after": number(d.get("to")),
                "before": number(d.get("from")),
            }
            if d.get("over"):
                text = f"{text}, {_over(d)}"
            parts.append(text)
        return _("Re-weighed with each mark judged under the rules version in force on its own day: %(changes)s.") % {
            "changes": "; ".join(parts),
        }
    if cause.get("units") is None:
        return _("The records no longer call for a fine for %(what)s.") % {"what": what}
    return _("Recalculated for %(what)s: %(title)s now %(units)s over the limit.") % {
        "what": what, "title": in_sentence(cause.get("title", "absence")), "units": number(cause["units"]),
    }


def _consent_cause(cause: dict, what: str) -> str:
    words = []
    until = cause.get("grace_until")
    for r in cause.get("referrals", []):
        values = {"receiver": r.get("receiver", ""), "date": day(r["date"])}
        if r.get("consented_on"):
            values["on"] = short_day(r["consented_on"])
            if until:
                text = _("The prospect of the referral to %(receiver)s given %(date)s confirmed consent on %(on)s, "
                         "within the grace (consent given up to %(until)s counts).")
            else:
                text = _("The prospect of the referral to %(receiver)s given %(date)s confirmed consent on %(on)s.")
        elif until:
            text = _("The prospect of the referral to %(receiver)s given %(date)s has consent on record, within the "
                     "grace (consent given up to %(until)s counts).")
        else:
            text = _("The prospect of the referral to %(receiver)s given %(date)s has consent on record.")
        words.append(text % {**values, "until": short_day(until) if until else ""})
    return " ".join(words)


def _referrals_cause(cause: dict, what: str) -> str:
    added = cause.get("referrals", [])
    if added:
        return " ".join(
            _("The referral to %(receiver)s given %(when)s, inside the period, counts (%(state)s).") % {
                "receiver": r.get("receiver", ""),
                "when": formats.format_datetime(datetime.fromisoformat(r["at"]), "yMMMEd"),
                "state": REFERRAL_STATES.get(r["status"], r["status"]),
            }
            for r in added
        )
    gone = len(cause.get("no_longer_counted", []))
    return ngettext(
        "%(count)s referral counted before no longer counts (its status or consent changed).",
        "%(count)s referrals counted before no longer count (their status or consent changed).",
        gone,
    ) % {"count": gone}


_CAUSES = {
    "leave": _leave_cause, "rules": _rules_cause, "meeting": _meeting_cause, "correction": _correction_cause,
    "grace": _grace_cause, "recalculated": _recalculated_cause, "consent": _consent_cause,
    "referrals": _referrals_cause,
}


def english():
    """A context in which words come out as the English snapshot (audit summaries, the stored text columns)."""
    return language(SNAPSHOT_LANGUAGE)
