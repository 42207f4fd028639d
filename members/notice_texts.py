"""A notice's words, rendered from its structured content in the reader's language when it is shown.

A notice written with a `message_key` keeps its facts in `params` (ids, counts, ISO dates, amounts and
currency); the function registered for the key words them in the active language with its formats.
Its stored `title` and `body` are the snapshot written at creation (the email that went out) and are
shown as written for a notice without a key, or when a key's facts cannot be worded.

The registry names functions by dotted path, so members need not import the apps that write notices.
A function takes the params and returns (title, body); either may be None to keep the stored words.
"""

from __future__ import annotations

import logging

from django.utils.module_loading import import_string
from django.utils.translation import get_language

log = logging.getLogger(__name__)

REGISTRY = {
    "enforcement.reminder": "enforcement.notices.reminder_text",
    "enforcement.fine": "enforcement.notices.fine_text",
    "enforcement.fine_withdrawn": "enforcement.notices.fine_withdrawn_text",
    "enforcement.fine_refund_flagged": "enforcement.notices.fine_refund_flagged_text",
    "enforcement.fine_refund_decided": "enforcement.notices.fine_refund_decided_text",
    "enforcement.case_below_threshold": "enforcement.notices.case_below_threshold_text",
    "enforcement.case_opened": "enforcement.notices.case_opened_text",
    "enforcement.case_recommended": "enforcement.notices.case_recommended_text",
    "enforcement.case_appealed": "enforcement.notices.case_appealed_text",
    "enforcement.case_ready": "enforcement.notices.case_ready_text",
    "enforcement.case_decided": "enforcement.notices.case_decided_text",
    "enforcement.probation_lifted": "enforcement.notices.probation_lifted_text",
    "enforcement.leave_recorded": "enforcement.notices.leave_recorded_text",
    "enforcement.leave_corrected": "enforcement.notices.leave_corrected_text",
    "enforcement.leave_status": "enforcement.notices.leave_status_text",
    "meetings.run_sheet": "meetings.notices.run_sheet_text",
    "meetings.visitor_follow_up": "meetings.notices.visitor_follow_up_text",
    "meetings.read_out": "meetings.notices.read_out_text",
    "members.invitation_accepted": "members.notices.invitation_accepted_text",
    "members.presidency_handed_over": "members.notices.presidency_handed_over_text",
    "members.membership_changed": "members.notices.membership_changed_text",
    "referrals.received": "referrals.notices.received_text",
    "referrals.status": "referrals.notices.status_text",
    "referrals.thank_you": "referrals.notices.thank_you_text",
    "referrals.stale": "referrals.notices.stale_text",
    "referrals.consent": "referrals.notices.consent_text",
    "referrals.one_to_one": "referrals.notices.one_to_one_text",
}


def render(message_key: str, params: dict, title: str, body: str) -> tuple[str, str]:
    """(title, body) in the active language; the stored words where there is no key or its facts fail."""
    if not message_key:
        return title, body
    try:
        worded = import_string(REGISTRY[message_key])(params or {})
    except Exception:  # noqa: BLE001 - a notice must always show: an unknown key or broken facts fall back
        log.exception("Notice text %r could not be worded; its stored words are shown", message_key)
        return title, body
    new_title, new_body = worded
    return new_title if new_title is not None else title, new_body if new_body is not None else body


def notice_text(notice) -> tuple[str, str]:
    """A Notification, or the dict the dashboard caches of one (with the same field names)."""
    if isinstance(notice, dict):
        return render(notice.get("message_key", ""), notice.get("params", {}), notice.get("title", ""),
                      notice.get("body", ""))
    language = get_language()
    cached = getattr(notice, "_notice_text", None)
    if cached is None or cached[0] != language:  # a page shows its title and body: worded once
        cached = (language, render(notice.message_key, notice.params, notice.title, notice.body))
        notice._notice_text = cached
    return cached[1]


def worded(message_key: str, params: dict) -> dict:
    """A new notice's key, facts and words now in the active language (its stored snapshot and email):
    the arguments of `notification_send`. A wording that fails here fails the write, never a page."""
    title, body = import_string(REGISTRY[message_key])(params)
    return {"title": str(title), "body": str(body or ""), "message_key": message_key, "params": params}
