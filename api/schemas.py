"""What the API sends and accepts: typed schemas, from which the OpenAPI document is generated.

Money is a decimal string in the chapter's currency ("1250.00"), never a float; times are ISO 8601
in UTC, dates local to the chapter. Choice fields list their values, so clients (and schemathesis)
know them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

# The largest id a path or body may name (a database bigint): beyond it, 422 rather than an overflow.
MAX_ID = 2**63 - 1
# A chapter's slug, as its pages' addresses use it.
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"

Role = Literal["member", "president", "vice_president", "secretary_treasurer"]
ReferralStatus = Literal["given", "accepted", "contacted", "meeting", "won", "lost", "declined", "prospect_declined"]
Mark = Literal["present", "absent", "late", "medical", "substitute"]


# Errors ------------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, for a person to read.")


class FieldErrorOut(Schema):
    loc: list[str | int] = Field(description="Where: [\"body\", field], [\"query\", name] or [\"path\", name].")
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[FieldErrorOut]


# Paging -------------------------------------------------------------------------------------------


class PageIn(Schema):
    page: int = Field(1, ge=1, le=100_000, description="1 for the first page.")
    page_size: int = Field(50, ge=1, le=100)


class PageOut(Schema):
    count: int = Field(description="How many items there are in all.")
    page: int
    page_size: int


def page_of(item: type[Schema]) -> type[PageOut]:
    """`{count, page, page_size, items: [item…]}`, named after the item (ReferralPage, FinePage…)."""
    name = item.__name__.removesuffix("Out") + "Page"
    return type(name, (PageOut,), {"__annotations__": {"items": list[item]}, "__module__": __name__})


# The caller ---------------------------------------------------------------------------------------


class TokenOut(Schema):
    name: str
    prefix: str = Field(description="The token's first characters, as the token page shows them.")
    scope: Literal["read", "write"]
    expires_at: datetime


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    language: str = Field(description="The person's chosen language; empty follows the browser.")
    token: TokenOut


# Chapters and members -----------------------------------------------------------------------------


class ChapterOut(Schema):
    slug: str
    name: str
    region: str | None
    timezone: str
    cadence: Literal["weekly", "biweekly"]
    weekday: int = Field(ge=0, le=6, description="0 is Monday.")
    # A local time has no offset, which JSON Schema's "time" format requires: plain "HH:MM".
    start_time: str = Field(pattern=r"^[0-2][0-9]:[0-5][0-9]$", description="Local time in the chapter's timezone.")
    duration_minutes: int
    venue: str
    meal: Literal["breakfast", "lunch", "dinner", "none"]
    currency: str = Field(description="ISO 4217 code of every amount of the chapter.")
    language: str
    status: Literal["forming", "active", "closed"]
    my_membership_id: int | None = Field(description="The caller's seat in the chapter, if they have one.")
    my_role: Role | None
    is_leadership: bool = Field(description="The caller leads the chapter (or oversees it).")
    is_oversight: bool = Field(description="The caller is region staff of the chapter or an organisation admin.")


class MemberOut(Schema):
    """A seat as the chapter's member directory shows it: contact fields only where the person shares them."""

    membership_id: int
    name: str
    business: str
    classification: str
    role: Role
    ideal_referral: str
    phone: str = Field(description="Empty unless the person shares it with their chapters.")
    email: str = Field(description="Empty unless the person shares it with their chapters.")
    website: str = Field(description="Empty unless the person shares it with their chapters.")
    is_me: bool


class MemberRef(Schema):
    membership_id: int
    name: str


# Meetings and attendance --------------------------------------------------------------------------


class MeetingOut(Schema):
    id: int
    kind: Literal["regular", "one_off"]
    local_date: date
    starts_at: datetime
    duration_minutes: int
    venue: str
    status: Literal["scheduled", "open", "closed", "cancelled"]
    cancel_reason: str
    closed_at: datetime | None


class AttendanceCountsOut(Schema):
    expected: int
    unmarked: int
    attending: int = Field(description="Present, late and substitutes.")
    present: int
    late: int
    absent: int
    medical: int
    substitute: int


class MeetingDetailOut(MeetingOut):
    counts: AttendanceCountsOut = Field(description="Provisional until the meeting is closed.")
    my_mark: Mark | None = Field(description="The caller's own mark at this meeting.")


class AttendanceOut(Schema):
    membership_id: int
    name: str
    on_leave: bool
    status: Mark | None = Field(description="None: not marked yet.")
    substitute_name: str
    substitute_business: str
    recorded_at: datetime | None


class MarkIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"status": "present"},
                                                        {"status": "substitute", "substitute_name": "Sam Stand-in",
                                                         "substitute_business": "Stand-in Ltd"}]}}

    status: Mark
    substitute_name: str = Field("", max_length=150, description="Required for a substitute.")
    substitute_business: str = Field("", max_length=150)


class CorrectionIn(MarkIn):
    model_config = {"json_schema_extra": {"examples": [{"status": "late", "reason": "Arrived at 7:20, after the pitches"}]}}

    reason: str = Field(max_length=300, description="Why the closed meeting's mark changes (audited).")


# Referrals, TYFCB, one-to-ones --------------------------------------------------------------------


class ProspectOut(Schema):
    name: str
    email: str
    phone: str
    notes: str = Field(description="The giver's notes about the prospect.")


class ReferralOut(Schema):
    id: int
    created_at: datetime
    giver: MemberRef
    receiver: MemberRef
    kind: Literal["inside", "outside"]
    status: ReferralStatus
    status_changed_at: datetime
    next_statuses: list[ReferralStatus] = Field(description="Where the receiver may move it now.")
    temperature: int = Field(ge=1, le=5)
    consent: Literal["confirmed", "stated", "not_asked", "declined"]
    closed_value: str | None = Field(description="Decimal, in the chapter's currency; set when won.")
    currency: str
    closed_on: date | None
    business_type: Literal["new", "repeat", ""]
    is_stale: bool
    prospect_erased: bool
    prospect: ProspectOut | None = Field(
        description="Only for the giver, the receiver and the chapter's seated leadership; null for everyone else."
    )


class ReferralIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"receiver_id": 41, "kind": "outside", "prospect_name": "Petra Prospect", "prospect_phone": "+44 7700 900123",
         "consent": "stated", "temperature": 4, "notes": "Wants a quote for the roof before the winter"},
        {"receiver_id": 43, "kind": "inside", "temperature": 5},
    ]}}

    receiver_id: int = Field(ge=1, le=MAX_ID, description="The receiver's membership id (see /members).")
    kind: Literal["inside", "outside"] = "outside"
    prospect_name: str = Field("", max_length=150)
    prospect_email: str = Field("", max_length=254)
    prospect_phone: str = Field("", max_length=40)
    consent: Literal["stated", "not_asked", ""] = Field(
        "", description="Did the prospect agree to be contacted? Required for an outside referral."
    )
    temperature: int = Field(3, ge=1, le=5)
    notes: str = Field("", max_length=2000)


class ReferralMoveIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"to": "accepted", "note": "Calling her today"},
        {"to": "declined", "reason": "Outside my area"},
        {"to": "won", "value": "2400.00", "closed_on": "2026-03-02", "business_type": "new", "note": "Thank you!"},
    ]}}

    to: ReferralStatus
    note: str = Field("", max_length=300)
    reason: str = Field("", max_length=300, description="Required to decline.")
    value: str | None = Field(None, max_length=20, description="Won: the value of the business closed (decimal).")
    closed_on: date | None = Field(None, description="Won: the date the business closed.")
    business_type: Literal["new", "repeat", ""] = Field("", description="Won: new or repeat business.")


class ThankYouOut(Schema):
    id: int
    referral_id: int
    giver: MemberRef = Field(description="Who gave the referral: the TYFCB is credited to them.")
    receiver: MemberRef = Field(description="Who closed the business.")
    value: str
    currency: str
    closed_on: date
    business_type: Literal["new", "repeat"]


class OneToOneOut(Schema):
    id: int
    initiator: MemberRef
    other: MemberRef
    met_on: date
    status: Literal["pending", "confirmed", "declined"]
    notes: str
    answered_at: datetime | None


class OneToOneIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"other_id": 41, "met_on": "2026-03-02",
                                                        "notes": "Coffee at the station"}]}}

    other_id: int = Field(ge=1, le=MAX_ID, description="The other member's membership id.")
    met_on: date
    notes: str = Field("", max_length=2000)


# Fines, cases, notifications ---------------------------------------------------------------------


class FineOut(Schema):
    id: int
    member: MemberRef
    kind: Literal["absence", "late", "quota"]
    status: Literal["open", "paid", "waived", "withdrawn", "refunded"]
    amount: str
    currency: str
    period_start: date
    period_end: date
    meeting_id: int | None
    explanation: str
    created_at: datetime
    resolved_at: datetime | None
    resolution_reason: str
    withdrawn_reason: str
    refund_pending: bool


class CaseOut(Schema):
    id: int
    chapter: str = Field(description="The chapter's slug.")
    member: MemberRef
    status: Literal["open", "decided"]
    opened_at: datetime
    explanation: str
    appeal_deadline: datetime | None
    appealed_at: datetime | None
    appeal_text: str
    recommendation: Literal["keep", "probation", "expel", ""]
    decision: Literal["expel", "probation", "dismiss", ""]
    decision_reason: str
    decided_at: datetime | None
    probation_until: date | None
    can_decide: bool = Field(description="The caller may decide this case.")


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str = Field(description="The app page it is about (a path), or empty.")
    chapter: str | None = Field(description="The chapter's slug.")
    created_at: datetime
    read_at: datetime | None
