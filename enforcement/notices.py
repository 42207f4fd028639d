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
