"""A meeting reminder as data, and its words in the reader's language (registered in members/notice_texts.py).

The reminder's facts are kept when it is written (the meeting, the member's standing that day, what
waits for them) so that it reads the same, in whichever language, whenever it is opened later.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from enforcement import selectors
from enforcement.explain import REFERRAL_STATES
from enforcement.periods import Period

MESSAGE_KEY = "enforcement.reminder"


def _period(p: Period | None) -> list[str] | None:
    return [p.start.isoformat(), p.end.isoformat()] if p else None


def _period_back(value) -> Period | None:
    return Period(date.fromisoformat(value[0]), date.fromisoformat(value[1])) if value else None


def reminder_params(context: dict) -> dict:
    """The facts of one member's reminder (`selectors.reminder_contexts`), as JSON: no words."""
    chapter, s = context["chapter"], context["standing"]
    return {
        "meeting": context["meeting"].pk, "chapter": chapter.name, "timezone": chapter.timezone,
        "starts": context["starts"].isoformat(), "venue": context["venue"] or "",
        "membership": context["membership"].pk,
        "presentations": [{k: p[k] for k in ("kind", "who", "topic", "presenter_id")}
                          for p in context["presentations"]],
        "standing": {
            "absences": str(s.absences), "absences_allowed": s.absences_allowed, "window": _period(s.window),
            "referrals": s.referrals, "quota": s.quota, "quota_period": _period(s.quota_period),
            "open_fines": str(s.open_fines), "open_fines_count": s.open_fines_count, "currency": s.currency,
            "has_rules": s.has_rules, "lates_count": s.lates_count,
        },
        "waiting": [{"giver": r["giver"], "date": r["local_date"].isoformat(), "status": r["status"]}
                    for r in context["waiting"]],
        "one_to_ones": [{"with": o["with"], "met_on": o["met_on"].isoformat()} for o in context["one_to_ones"]],
    }


def reminder_text(params: dict) -> tuple[str, str | None]:
    """Title and in-app text in the active language; the body stays stored when its facts were not kept
    (a reminder written before notices were data: its meeting is known, the standing that day is not)."""
    tz = zoneinfo.ZoneInfo(params["timezone"])
    chapter = SimpleNamespace(name=params["chapter"], timezone=params["timezone"], tz=tz)
    starts = datetime.fromisoformat(params["starts"]).astimezone(tz)
    title = selectors.reminder_title({"chapter": chapter, "starts": starts})
    if "standing" not in params:
        return title, None
    s = params["standing"]
    standing = selectors.Standing(
        absences=Decimal(s["absences"]), absences_allowed=s["absences_allowed"], window=_period_back(s["window"]),
        referrals=s["referrals"], quota=s["quota"], quota_period=_period_back(s["quota_period"]), quota_words="",
        open_fines=Decimal(s["open_fines"]), open_fines_count=s["open_fines_count"], currency=s["currency"],
        has_rules=s["has_rules"], lates_count=s["lates_count"],
    )
    presentations = [
        {**p, "label": selectors.SLOT_LABELS.get(p["kind"], p["kind"]), "slot": selectors.SLOTS.get(p["kind"], p["kind"])}
        for p in params["presentations"]
    ]
    context = {
        "in_app": True, "chapter": chapter, "starts": starts, "venue": params["venue"], "standing": standing,
        "presentations": presentations,
        "presenting": [p for p in presentations if p["presenter_id"] == params["membership"]],
        "waiting": [{"giver": r["giver"], "local_date": date.fromisoformat(r["date"]),
                     "state": REFERRAL_STATES.get(r["status"], r["status"])} for r in params["waiting"]],
        "one_to_ones": [{"with": o["with"], "met_on": date.fromisoformat(o["met_on"])} for o in params["one_to_ones"]],
    }
    return title, render_to_string("emails/reminder.txt", context).strip()


# Fines and cases: their explanation is data already (enforcement/explain.py); the notice keeps it -----------

FINE = "enforcement.fine"
FINE_WITHDRAWN = "enforcement.fine_withdrawn"
FINE_REFUND_FLAGGED = "enforcement.fine_refund_flagged"
FINE_REFUND_DECIDED = "enforcement.fine_refund_decided"
CASE_BELOW_THRESHOLD = "enforcement.case_below_threshold"
CASE_OPENED = "enforcement.case_opened"  # params["to"]: "member", "president" or "decider"


def _fine_facts(fine) -> dict:
    return {"fine": fine.pk, "start": fine.period_start.isoformat(), "amount": str(fine.amount),
            "currency": fine.currency}


def fine_params(fine) -> dict:
    """A new fine: what it is for and why, as the fine keeps it (its kind and evidence)."""
    return {**_fine_facts(fine), "end": fine.period_end.isoformat(), "kind": fine.kind, "evidence": fine.evidence}


def fine_text(p: dict) -> tuple[str, str | None]:
    from enforcement import explain

    title = explain.fine_notice_title(explain.title_key(p["kind"], p["evidence"]), date.fromisoformat(p["start"]),
                                      date.fromisoformat(p["end"]), Decimal(p["amount"]), p["currency"])
    return title, explain.fine_text(p["kind"], p["evidence"]) if explain.structured(p["evidence"]) else None


def fine_withdrawn_params(fine) -> dict:
    return {**_fine_facts(fine), "title_key": fine.title_key, "cause": fine.withdrawn_cause}


def fine_withdrawn_text(p: dict) -> tuple[str, str | None]:
    from enforcement import explain

    title = _("Withdrawn: %(what)s (%(amount)s, %(date)s)") % {
        "what": explain.in_sentence(p["title_key"]), "date": explain.short_day(date.fromisoformat(p["start"])),
        "amount": explain.amount_or_warning(Decimal(p["amount"]), p["currency"]),
    }
    if not explain.structured(p["cause"]):
        return title, None
    return title, explain.cause_text(p["cause"]) + "\n\n" + _(
        "You owe nothing for it; it no longer counts toward expulsion.")


def fine_refund_flagged_params(fine, name: str) -> dict:
    return {**_fine_facts(fine), "name": name, "cause": fine.refund_flag_cause}


def fine_refund_flagged_text(p: dict) -> tuple[str, str | None]:
    from enforcement import explain

    title = _("Refund to decide: %(name)s, %(amount)s paid (%(date)s)") % {
        "name": p["name"], "amount": explain.money(Decimal(p["amount"]), p["currency"]),
        "date": explain.short_day(date.fromisoformat(p["start"])),
    }
    if not explain.structured(p["cause"]):
        return title, None
    return title, explain.cause_text(p["cause"]) + "\n\n" + _(
        "Decide on the fine's page: refund it, or keep it with a reason.")


def fine_refund_decided_params(fine, *, refunded: bool, reason: str) -> dict:
    return {**_fine_facts(fine), "refunded": refunded, "reason": reason}  # the reason: the leader's words


def fine_refund_decided_text(p: dict) -> tuple[str, str]:
    from enforcement import explain

    values = {"amount": explain.money(Decimal(p["amount"]), p["currency"]),
              "date": explain.short_day(date.fromisoformat(p["start"]))}
    title = (_("Paid fine refunded: %(amount)s (%(date)s)") if p["refunded"]
             else _("Paid fine kept: %(amount)s (%(date)s)")) % values
    return title, p["reason"] or _("The evidence no longer supports it; the chapter refunds what you paid.")


def case_below_threshold_params(case, cause: dict) -> dict:
    return {"case": case.pk, "name": case.membership.display_name, "cause": cause}


def case_below_threshold_text(p: dict) -> tuple[str, str]:
    from enforcement import explain

    return (_("Case below its threshold: %(name)s") % {"name": p["name"]},
            explain.below_threshold_text(p["cause"]) + "\n\n" + _("Review the case: dismissing it may be due."))


def case_opened_params(case, candidate, to: str) -> dict:
    return {"case": case.pk, "to": to, "name": candidate.membership.display_name, "evidence": candidate.evidence,
            "deadline": case.appeal_deadline.isoformat(), "timezone": case.chapter.timezone}


def case_opened_text(p: dict) -> tuple[str, str]:
    from enforcement import explain
    from leadsgroups.formats import format_datetime

    explained = explain.case_text(p["evidence"])
    deadline = format_datetime(datetime.fromisoformat(p["deadline"]), tz=zoneinfo.ZoneInfo(p["timezone"]))
    name = p["name"]
    if p["to"] == "member":
        return _("Your membership is under review"), explained + "\n\n" + _(
            "You may write an appeal on the case page until %(deadline)s; an admin decides after that, with a "
            "written reason."
        ) % {"deadline": deadline}
    if p["to"] == "president":
        return _("Expulsion case opened: %(name)s") % {"name": name}, explained
    return _("Expulsion case to decide: %(name)s") % {"name": name}, explained + "\n\n" + _(
        "%(name)s may appeal until %(deadline)s (%(timezone)s); you can decide after that, or earlier if they "
        "waive it."
    ) % {"name": name, "deadline": deadline, "timezone": p["timezone"]}


CASE_RECOMMENDED = "enforcement.case_recommended"  # params["to"]: "member" or "overseer"
CASE_APPEALED = "enforcement.case_appealed"
CASE_READY = "enforcement.case_ready"
CASE_DECIDED = "enforcement.case_decided"  # params["to"]: "member" or "president"
PROBATION_LIFTED = "enforcement.probation_lifted"  # params["to"]: "member" or "president"


def case_recommended_text(p: dict) -> tuple[str, str]:
    from enforcement.models import ExpulsionCase

    recommendation = ExpulsionCase.Recommendation(p["recommendation"]).label
    body = f"{p['by']}: {recommendation}.\n{p['note']}"  # the president's words, as typed
    if p["to"] == "member":
        return _("The president has recommended on your case"), body
    return _("Recommendation on the case of %(name)s: %(recommendation)s") % {
        "name": p["name"], "recommendation": recommendation}, body


def case_appealed_text(p: dict) -> tuple[str, str]:
    return (_("%(name)s appealed the expulsion case") % {"name": p["name"]},
            p["text"] + ("\n\n" + _("The member asked for a decision without waiting for the deadline.")
                         if p["waive_rest"] else ""))


def case_ready_text(p: dict) -> tuple[str, str]:
    return (_("The case of %(name)s is ready for a decision") % {"name": p["name"]},
            _("%(name)s will not appeal (further); the case may be decided now.") % {"name": p["name"]})


def case_decided_text(p: dict) -> tuple[str, str]:
    from enforcement import explain
    from enforcement.models import ExpulsionCase
    from enforcement.review import DECISION_TITLES

    Decision = ExpulsionCase.Decision
    to_member, decision = p["to"] == "member", p["decision"]
    values = {"name": p["name"], "chapter": p["chapter"]}
    if decision == Decision.EXPEL:
        words = (_("Your membership of %(chapter)s has ended: you are expelled.") if to_member else
                 _("The membership of %(name)s in %(chapter)s has ended (expelled); the classification is open to a "
                   "new member.")) % values
    elif decision == Decision.PROBATION:
        values["date"] = explain.short_day(date.fromisoformat(p["probation_until"]))
        head = _("You are on probation until %(date)s.") if to_member else _("%(name)s is on probation until %(date)s.")
        words = f"{head % values}\n" + _("Conditions: %(conditions)s") % {"conditions": p["conditions"]}
    elif to_member:
        words = _("Your case is dismissed; your membership continues as before.")
    else:
        words = _("The case of %(name)s is dismissed; the membership continues as before.") % values
    body = words + "\n\n" + _("Reason: %(reason)s") % {"reason": p["reason"]}  # the decider's words, as typed
    if to_member:
        return str(DECISION_TITLES[decision]), body
    return _("Case of %(name)s decided: %(decision)s") % {"name": p["name"], "decision": explain.DECISIONS[decision]}, body


def probation_lifted_text(p: dict) -> tuple[str, str]:
    from enforcement import explain

    ended = {"name": p["name"], "date": explain.short_day(date.fromisoformat(p["date"]))}
    if p["to"] == "member":
        return (_("Your probation has ended"),
                _("Your probation ended on %(date)s; your membership is active again.") % ended)
    return (_("Probation of %(name)s has ended") % ended,
            _("The probation of %(name)s ended on %(date)s; the membership is active again.") % ended)


LEAVE_RECORDED = "enforcement.leave_recorded"
LEAVE_CORRECTED = "enforcement.leave_corrected"
LEAVE_STATUS = "enforcement.leave_status"


def leave_span(starts_on: date, ends_on: date | None) -> str:
    """"1 Feb 2026 – 28 Feb 2026", or "from 1 Feb 2026, open-ended", in the active language."""
    from enforcement import explain

    if ends_on is None:
        return _("from %(date)s, open-ended") % {"date": explain.short_day(starts_on)}
    return _("%(start)s – %(end)s") % {"start": explain.short_day(starts_on), "end": explain.short_day(ends_on)}


def _span_of(start: str, end: str | None) -> str:
    return leave_span(date.fromisoformat(start), date.fromisoformat(end) if end else None)


def _leave_body() -> str:
    return _("Meetings and referral quota periods inside your leave are excused (a quota period that overlaps it, "
             "even partly, is excused); the time before and after it is judged as usual.")


def leave_params(leave, **more) -> dict:
    return {"leave": leave.pk, "start": leave.starts_on.isoformat(),
            "end": leave.ends_on.isoformat() if leave.ends_on else None, **more}


def leave_recorded_text(p: dict) -> tuple[str, str]:
    return _("Leave recorded: %(span)s") % {"span": _span_of(p["start"], p["end"])}, _leave_body()


def leave_corrected_text(p: dict) -> tuple[str, str]:
    return (_("Leave corrected: %(span)s") % {"span": _span_of(p["start"], p["end"])},
            _("Was %(span)s. Reason: %(reason)s") % {"span": _span_of(p["was_start"], p["was_end"]),
                                                     "reason": p["reason"]} + "\n\n" + _leave_body())


def leave_status_text(p: dict) -> tuple[str, str]:
    return ((_("You are on leave in %(chapter)s") if p["on_leave"] else _("You are back from leave in %(chapter)s"))
            % {"chapter": p["chapter"]}, _("As recorded by chapter leadership."))
