"""Meeting notices as data, and their words in the reader's language (registered in members/notice_texts.py).

Each notice keeps its facts (ids, names as they were, ISO dates, slot codes) so that it reads in
whichever language its reader uses when it is opened.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from django.utils.translation import gettext as _

from leadsgroups.formats import format_date
from meetings.models import SLOT_IN_SENTENCE

RUN_SHEET = "meetings.run_sheet"
VISITOR_FOLLOW_UP = "meetings.visitor_follow_up"


def run_sheet_params(*, meeting, presentation, target) -> dict:
    """A presenter's notice of a cancelled meeting: their slot moved to `target`, or off (target None)."""
    return {
        "meeting": meeting.pk, "date": meeting.local_date.isoformat(), "reason": meeting.cancel_reason,
        "presentation": presentation.pk, "kind": presentation.kind, "topic": presentation.topic,
        "target": target.pk if target else None, "target_date": target.local_date.isoformat() if target else None,
    }


def run_sheet_text(p: dict) -> tuple[str, str]:
    day = date.fromisoformat(p["date"])
    values = {
        "slot": str(SLOT_IN_SENTENCE.get(p["kind"], p["kind"])), "reason": p["reason"],
        "when": format_date(day, "yMMMEd"), "day": format_date(day, "MMMEd"),
    }
    if p["target"] is None:
        title = _("Meeting of %(day)s cancelled: your %(slot)s is off") % values
        body = _("The meeting of %(when)s is cancelled (%(reason)s), so your %(slot)s there does not take place. "
                 "Leadership will give you a new date on the rota.") % values
        return title, body
    target = date.fromisoformat(p["target_date"])
    values.update(target_day=format_date(target, "MMMEd"), target_date=format_date(target, "full"), topic=p["topic"])
    title = _("Your %(slot)s moves to %(target_day)s") % values
    if p["topic"]:
        body = _("The meeting of %(when)s is cancelled (%(reason)s). Your %(slot)s (“%(topic)s”) moves to the next "
                 "meeting, %(target_date)s.") % values
    else:
        body = _("The meeting of %(when)s is cancelled (%(reason)s). Your %(slot)s moves to the next meeting, "
                 "%(target_date)s.") % values
    return title, body


def visitor_follow_up_params(visitor, chapter) -> dict:
    return {"visitor": visitor.pk, "name": visitor.name, "chapter": str(chapter),
            "date": visitor.meeting.local_date.isoformat()}


def visitor_follow_up_text(p: dict) -> tuple[str, str]:
    values = {"name": p["name"], "chapter": p["chapter"], "date": format_date(date.fromisoformat(p["date"]))}
    return (_("Follow up with your visitor %(name)s") % values,
            _("%(name)s visited %(chapter)s on %(date)s. Thank them and ask whether they would like to apply.") % values)


READ_OUT = "meetings.read_out"
READ_OUT_LINES = ("referrals", "tyfcb", "one_to_ones", "visitors", "education", "testimonials", "attending")


def read_out_params(readout) -> dict:
    """The figures of the notice's lines (this week, last week, the average; money with its currency)."""
    def plain(value):
        return None if value is None else str(value)

    figures = {}
    for key in READ_OUT_LINES:
        f = readout.figure(key)
        figures[key] = {"this": plain(f.this), "last": plain(f.last), "average": plain(f.average),
                        "weeks": f.weeks_averaged, "currency": f.currency}
    return {"meeting": readout.meeting.pk, "date": readout.meeting.local_date.isoformat(), "figures": figures}


def read_out_text(p: dict) -> tuple[str, str]:
    from decimal import Decimal

    from meetings.readout import LABELS, Figure, readout_summary

    def value(v):
        return None if v is None else Decimal(v)

    figures = [] if "figures" not in p else [
        Figure(key=key, label=LABELS[key], this=Decimal(f["this"]), last=value(f["last"]),
               average=value(f["average"]), weeks_averaged=f["weeks"], currency=f["currency"])
        for key, f in p["figures"].items()
    ]
    title = _("Weekly read-out: the meeting of %(date)s") % {"date": format_date(date.fromisoformat(p["date"]), "yMMMEd")}
    if "figures" not in p:  # a read-out told before notices were data: its figures stay as written
        return title, None
    return title, readout_summary(SimpleNamespace(figure=lambda key: next(f for f in figures if f.key == key)))
