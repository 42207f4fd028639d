"""The weekly read-out: a meeting's week of slips, and its totals against the weeks before.

A meeting's week is the days since the chapter's previous held meeting, up to and including the
meeting's own day, in the chapter's timezone (a cancelled meeting holds no week: its days fall to
the next meeting). Each slip counts in the week of the date it carries: a referral and a thank-you
for closed business (TYFCB) on the day they were recorded, a one-to-one on the day it took place
(once the other member confirmed it), an education credit on the day it was completed. Visitors,
testimonials and attendance belong to the meeting itself. So every slip is read out once, and a
slip backdated into a week already read out shows on that week's page.

Figures are aggregated in the database, one statement per kind of slip for all five weeks at once;
only this week's slips are read as rows. Prospects' names and contact details are never read.

When a meeting closes, each of the chapter's leaders gets the read-out as a notification and an
email (a row of the outbox, written in the close's transaction, sent by a worker). It goes once per
leader and meeting (the notification's dedupe key): closing the meeting again, e.g. after it was
reinstated, sends nothing new; the page always shows the figures as they stand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadsgroups.formats import format_date, format_money, format_number
from leadsgroups.i18n import for_user
from meetings.models import Attendance, Meeting, Testimonial, Visitor

WEEKS_BEFORE = 4  # the read-out compares the week with the average of this many weeks before it
DEDUPE_PREFIX = "readout:"
# Each figure's name, lazy: one read-out is rendered in the language of each leader it goes to.
LABELS = {
    "referrals": gettext_lazy("Referrals given"),
    "consented": gettext_lazy("of which the prospect consented"),
    "tyfcb_count": gettext_lazy("Thank-yous for closed business"),
    "tyfcb": gettext_lazy("Closed business (TYFCB)"),
    "tyfcb_new": gettext_lazy("new business"),
    "tyfcb_repeat": gettext_lazy("repeat business"),
    "one_to_ones": gettext_lazy("One-to-ones (confirmed)"),
    "visitors": gettext_lazy("Visitors"),
    "education": gettext_lazy("Education credits (CEUs)"),
    "education_hours": gettext_lazy("hours of education"),
    "testimonials": gettext_lazy("Testimonials"),
    "attending": gettext_lazy("Members attending (present, late or substitute)"),
    "absent": gettext_lazy("Absences"),
}


@dataclass(frozen=True)
class Week:
    """A meeting's week: its days (chapter time) and the same as an aware range for recorded times."""

    meeting_id: int
    meeting_date: date
    first_day: date
    last_day: date  # the meeting's own day
    since: datetime
    until: datetime  # exclusive: the midnight after the meeting's day

    @property
    def days(self) -> int:
        return max((self.last_day - self.first_day).days + 1, 0)


@dataclass(frozen=True)
class Figure:
    """One line of the totals: this week, last week, and the average of the weeks before."""

    key: str
    label: str  # lazy: the read-out is rendered in each reader's language
    this: Decimal
    last: Decimal | None  # None: no week before
    average: Decimal | None
    weeks_averaged: int
    currency: str = ""  # set for money
    indent: bool = False  # a part of the line above (e.g. the consented share of referrals)

    def _show(self, value: Decimal | None) -> str:
        """The value as the reader's locale writes it: money with the chapter's currency, counts grouped."""
        if value is None:
            return "—"
        if self.currency:
            return format_money(value, self.currency)
        if value != value.to_integral_value():
            value = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)  # an average: one decimal reads aloud
            return format_number(value, 1)
        return format_number(value, 0)

    def plain(self, value: Decimal | None) -> str:
        """The value for a spreadsheet: money to the cent, counts as they are ("" for no value)."""
        if value is None:
            return ""
        return str(value.quantize(Decimal("0.01"))) if self.currency or value != value.to_integral_value() else str(int(value))

    @property
    def this_text(self) -> str:
        return self._show(self.this)

    @property
    def last_text(self) -> str:
        return self._show(self.last)

    @property
    def average_text(self) -> str:
        return self._show(self.average)

    @property
    def trend(self) -> str:
        """"up", "down" or "same" against the average ("" without weeks to compare with)."""
        if self.average is None:
            return ""
        if self.this > self.average:
            return "up"
        return "down" if self.this < self.average else "same"

    @property
    def trend_text(self) -> str:
        return {"up": _("above average"), "down": _("below average"), "same": _("as usual"), "": ""}[self.trend]


@dataclass
class ReadOut:
    meeting: Meeting
    week: Week
    weeks_before: list[Week]
    figures: list[Figure]
    referrals: list = field(default_factory=list)
    thank_yous: list = field(default_factory=list)
    one_to_ones: list = field(default_factory=list)
    one_to_ones_pending: int = 0
    visitors: list = field(default_factory=list)
    education: list = field(default_factory=list)
    testimonials: list = field(default_factory=list)
    attendance: dict = field(default_factory=dict)

    @property
    def is_final(self) -> bool:
        return self.meeting.is_closed

    @property
    def currency(self) -> str:
        return self.meeting.chapter.currency

    @property
    def weeks_before_text(self) -> str:
        """The dates of the meetings compared with ("4 Mar, 25 Feb"), in the active language."""
        return ", ".join(format_date(w.meeting_date, "MMMd") for w in self.weeks_before)

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


def readout_weeks(*, meeting: Meeting, before: int = WEEKS_BEFORE) -> list[Week]:
    """The meeting's week and up to `before` weeks of the held meetings before it, newest first (one query)."""
    chapter = meeting.chapter
    earlier = list(
        chapter.meetings.exclude(status=Meeting.Status.CANCELLED)
        .filter(starts_at__lt=meeting.starts_at)
        .order_by("-starts_at")
        .values_list("pk", "local_date")[: before + 1]
    )
    held = [(meeting.pk, meeting.local_date), *earlier]
    # The oldest week has no meeting before it in the list: it is one cadence long.
    cadence = timedelta(days=14 if chapter.cadence == chapter.Cadence.BIWEEKLY else 7)
    tz = chapter.tz
    weeks = []
    for i, (pk, day) in enumerate(held[: before + 1]):
        first = held[i + 1][1] + timedelta(days=1) if i + 1 < len(held) else day - cadence + timedelta(days=1)
        weeks.append(Week(
            meeting_id=pk, meeting_date=day, first_day=first, last_day=day,
            since=datetime.combine(first, time.min, tzinfo=tz),
            until=datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz),
        ))
    return weeks


def _by_week(model, *, chapter, weeks: list[Week], when: str, is_date: bool, measures: dict) -> list[dict]:
    """Each measure for each week, in one aggregate statement. `measures`: name → (aggregate class, field, filter)."""
    def in_week(w: Week) -> Q:
        if is_date:
            return Q(**{f"{when}__gte": w.first_day, f"{when}__lte": w.last_day})
        return Q(**{f"{when}__gte": w.since, f"{when}__lt": w.until})

    oldest, newest = weeks[-1], weeks[0]
    span = Q(**({f"{when}__gte": oldest.first_day, f"{when}__lte": newest.last_day} if is_date
                else {f"{when}__gte": oldest.since, f"{when}__lt": newest.until}))
    aggregates = {}
    for i, w in enumerate(weeks):
        for name, (agg, column, condition) in measures.items():
            aggregates[f"{name}_{i}"] = agg(column, filter=in_week(w) & condition)
    row = model.objects.filter(span, chapter=chapter).aggregate(**aggregates)
    return [{name: row[f"{name}_{i}"] or 0 for name in measures} for i in range(len(weeks))]


def _per_meeting(weeks: list[Week]) -> list[dict]:
    """Visitors, testimonials and attendance of each week's meeting, in one statement."""
    def count(model, **extra):
        return Coalesce(Subquery(
            model.objects.filter(meeting=OuterRef("pk"), **extra).order_by().values("meeting")
            .annotate(n=Count("pk")).values("n")
        ), 0)

    S = Attendance.Status
    rows = Meeting.objects.filter(pk__in=[w.meeting_id for w in weeks]).annotate(
        n_visitors=count(Visitor), n_testimonials=count(Testimonial),
        n_attending=count(Attendance, status__in=[S.PRESENT, S.LATE, S.SUBSTITUTE]),
        n_absent=count(Attendance, status=S.ABSENT),
        n_medical=count(Attendance, status=S.MEDICAL),
    ).values("pk", "n_visitors", "n_testimonials", "n_attending", "n_absent", "n_medical")
    by_id = {r["pk"]: r for r in rows}
    return [
        {k: by_id.get(w.meeting_id, {}).get(f"n_{k}", 0) for k in ("visitors", "testimonials", "attending", "absent", "medical")}
        for w in weeks
    ]


def _figure(key, label, values: list, *, currency: str = "", indent: bool = False) -> Figure:
    values = [Decimal(v) for v in values]
    before = values[1:]
    average = (sum(before, Decimal(0)) / len(before)) if before else None
    if average is not None:
        average = average.quantize(Decimal("0.01"))
    return Figure(key=key, label=label, this=values[0], last=before[0] if before else None, average=average,
                  weeks_averaged=len(before), currency=currency, indent=indent)


def meeting_readout(*, meeting: Meeting) -> ReadOut:
    """The read-out of a (not cancelled) meeting: its figures against the weeks before, and its slips."""
    from referrals.models import EducationCredit, OneToOne, Referral, ThankYou

    chapter = meeting.chapter
    weeks = readout_weeks(meeting=meeting)
    week = weeks[0]
    referrals = _by_week(Referral, chapter=chapter, weeks=weeks, when="created_at", is_date=False, measures={
        "given": (Count, "pk", Q()),
        "consented": (Count, "pk", Q(consent__in=Referral.CONSENTED)),
    })
    thanks = _by_week(ThankYou, chapter=chapter, weeks=weeks, when="created_at", is_date=False, measures={
        "count": (Count, "pk", Q()),
        "value": (Sum, "value", Q()),
        "new": (Sum, "value", Q(business_type=Referral.BusinessType.NEW)),
        "repeat": (Sum, "value", Q(business_type=Referral.BusinessType.REPEAT)),
    })
    ones = _by_week(OneToOne, chapter=chapter, weeks=weeks, when="met_on", is_date=True, measures={
        "confirmed": (Count, "pk", Q(status=OneToOne.Status.CONFIRMED)),
        "pending": (Count, "pk", Q(status=OneToOne.Status.PENDING)),
    })
    ceus = _by_week(EducationCredit, chapter=chapter, weeks=weeks, when="completed_on", is_date=True, measures={
        "count": (Count, "pk", Q()),
        "hours": (Sum, "hours", Q()),
    })
    met = _per_meeting(weeks)
    currency = chapter.currency

    def col(rows, name):
        return [r[name] for r in rows]

    figures = [
        _figure("referrals", LABELS["referrals"], col(referrals, "given")),
        _figure("consented", LABELS["consented"], col(referrals, "consented"), indent=True),
        _figure("tyfcb_count", LABELS["tyfcb_count"], col(thanks, "count")),
        _figure("tyfcb", LABELS["tyfcb"], col(thanks, "value"), currency=currency),
        _figure("tyfcb_new", LABELS["tyfcb_new"], col(thanks, "new"), currency=currency, indent=True),
        _figure("tyfcb_repeat", LABELS["tyfcb_repeat"], col(thanks, "repeat"), currency=currency, indent=True),
        _figure("one_to_ones", LABELS["one_to_ones"], col(ones, "confirmed")),
        _figure("visitors", LABELS["visitors"], col(met, "visitors")),
        _figure("education", LABELS["education"], col(ceus, "count")),
        _figure("education_hours", LABELS["education_hours"], col(ceus, "hours"), indent=True),
        _figure("testimonials", LABELS["testimonials"], col(met, "testimonials")),
        _figure("attending", LABELS["attending"], col(met, "attending")),
        _figure("absent", LABELS["absent"], col(met, "absent")),
    ]
    readout = ReadOut(meeting=meeting, week=week, weeks_before=weeks[1:], figures=figures,
                      one_to_ones_pending=ones[0]["pending"], attendance=met[0])
    _slips(readout, chapter=chapter)
    return readout


def _slips(readout: ReadOut, *, chapter) -> None:
    """This week's slips as rows, with the members' names and nothing of the prospects."""
    from referrals.models import EducationCredit, OneToOne, Referral, ThankYou

    w, meeting = readout.week, readout.meeting
    names = ("giver__user__full_name", "giver__user__email", "receiver__user__full_name", "receiver__user__email")
    readout.referrals = list(
        Referral.objects.filter(chapter=chapter, created_at__gte=w.since, created_at__lt=w.until)
        .select_related("giver__user", "receiver__user")
        .only("pk", "created_at", "kind", "temperature", "consent", "status", "chapter_id", *names)
        .order_by("created_at", "pk")
    )
    readout.thank_yous = list(
        ThankYou.objects.filter(chapter=chapter, created_at__gte=w.since, created_at__lt=w.until)
        .select_related("giver__user", "receiver__user")
        .only("pk", "created_at", "value", "business_type", "closed_on", *names)
        .order_by("created_at", "pk")
    )
    readout.one_to_ones = list(
        OneToOne.objects.filter(chapter=chapter, status=OneToOne.Status.CONFIRMED,
                                met_on__gte=w.first_day, met_on__lte=w.last_day)
        .select_related("initiator__user", "other__user")
        .only("pk", "met_on", "initiator__user__full_name", "initiator__user__email",
              "other__user__full_name", "other__user__email")
        .order_by("met_on", "pk")
    )
    readout.education = list(
        EducationCredit.objects.filter(chapter=chapter, completed_on__gte=w.first_day, completed_on__lte=w.last_day)
        .select_related("membership__user")
        .only("pk", "completed_on", "title", "hours", "membership__user__full_name", "membership__user__email")
        .order_by("completed_on", "pk")
    )
    # A visitor's email and phone are leadership's follow-up, not part of what is read out.
    readout.visitors = list(
        Visitor.objects.filter(meeting=meeting).select_related("invited_by__user", "classification")
        .only("pk", "name", "business", "classification__name", "invited_by__user__full_name",
              "invited_by__user__email")
        .order_by("name", "pk")
    )
    readout.testimonials = list(
        Testimonial.objects.filter(meeting=meeting).select_related("given_by__user", "about__user")
        .order_by("pk")
    )


# The email to leadership -------------------------------------------------------------------------


def readout_url(meeting: Meeting) -> str:
    return reverse("meetings:read-out", args=[meeting.chapter.slug, meeting.pk])


def readout_summary(readout: ReadOut) -> str:
    """A few lines of figures for the notification (the email carries the whole read-out), in the active language."""
    lines = []
    for key in ("referrals", "tyfcb", "one_to_ones", "visitors", "education", "testimonials", "attending"):
        f = readout.figure(key)
        values = {"label": f.label, "this": f.this_text, "last": f.last_text, "average": f.average_text}
        if f.average is not None:
            lines.append(_("%(label)s: %(this)s; last week %(last)s, average %(average)s") % values)
        else:
            lines.append(_("%(label)s: %(this)s") % values)
    return "\n".join(lines)


@dataclass(frozen=True)
class ReadOutMessage:
    """The read-out's notification and email in one language."""

    title: str
    summary: str
    subject: str
    text: str
    html: str


def readout_message(readout: ReadOut, *, url: str) -> ReadOutMessage:
    """The notification's title and summary and the email, in the active language and its formats."""
    chapter = readout.meeting.chapter
    title = _("Weekly read-out: the meeting of %(date)s") % {"date": format_date(readout.meeting.local_date, "yMMMEd")}
    context = {"r": readout, "chapter": chapter, "site_url": settings.SITE_URL, "url": url,
               "org": settings.ORGANISATION_NAME, "LANGUAGE_CODE": translation.get_language()}
    return ReadOutMessage(
        title=title, summary=readout_summary(readout), subject=f"[{chapter}] {title}",
        text=render_to_string("emails/readout.txt", context), html=render_to_string("emails/readout.html", context),
    )


def meeting_readout_notify(*, meeting: Meeting) -> list[int]:
    """Tell each of the chapter's leaders the meeting's read-out: a notification and an outbox email each.

    Call inside the transaction that closes the meeting; returns the ids of the emails written, for the
    caller to hand to workers once committed (the outbox's sweep sends any whose task is lost). A leader
    already told about this meeting is not told again.
    """
    from chapters.selectors import chapter_leadership
    from meetings import notices
    from members.models import Notification, OutboundEmail
    from members.notifications import notification_delivery_fields
    from members.outbox import email_queue

    chapter = meeting.chapter
    key = f"{DEDUPE_PREFIX}{meeting.pk}"
    leaders = list(chapter_leadership(chapter=chapter))
    told = set(Notification.objects.filter(dedupe_key=key, user__in=[m.user_id for m in leaders])
               .values_list("user_id", flat=True))
    to_tell = [m for m in leaders if m.user_id not in told]
    if not to_tell:
        return []
    readout = meeting_readout(meeting=meeting)
    url = readout_url(meeting)
    params = notices.read_out_params(readout)
    by_language: dict[str, ReadOutMessage] = {}  # the figures are read once; the words once per language
    email_ids = []
    for leader in to_tell:
        user = leader.user
        with for_user(user):  # each leader reads it in their own language
            language = translation.get_language()
            if language not in by_language:
                by_language[language] = readout_message(readout, url=url)
        message = by_language[language]
        delivery = notification_delivery_fields(user=user, kind=Notification.Kind.READ_OUT)  # app, email, digest, off
        wanted = delivery["email_wanted"]
        try:
            with transaction.atomic():
                notice = Notification.objects.create(
                    user=user, chapter=chapter, kind=Notification.Kind.READ_OUT, title=message.title,
                    body=message.summary, url=url, dedupe_key=key, **delivery,
                    message_key=notices.READ_OUT, params=params,  # worded again in the reader's language
                )
                if wanted:
                    email = email_queue(
                        kind=OutboundEmail.Kind.NOTIFICATION, to=user.email, subject=message.subject,
                        body=message.text, html=message.html, chapter=chapter, notification=notice, queue=False,
                    )
                    email_ids.append(email.pk)
        except IntegrityError:
            continue  # told meanwhile (another close of the same meeting): once is enough
    return email_ids
