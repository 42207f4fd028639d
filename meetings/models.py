from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

# Leadership may start the roll call this long before a meeting starts, to mark arrivals at the venue.
ROLL_CALL_OPENS_BEFORE = timedelta(hours=2)
# A visitor may usually attend this many times before applying (DOMAIN.md); chapters may change it.
DEFAULT_MAX_VISITS_BEFORE_APPLYING = 2
MAX_VISITS_LIMIT = 20


# A slot's and a mark's name inside a sentence ("your feature presentation moves", "the mark is already late"):
# lowercase in English, while each language writes its nouns and adjectives as it does (German nouns keep
# their capital), so these are words of their own rather than the labels lowercased.
SLOT_IN_SENTENCE = {
    "feature": pgettext_lazy("slot in a sentence", "feature presentation"),
    "education": pgettext_lazy("slot in a sentence", "education moment"),
}
MARK_IN_SENTENCE = {
    "present": pgettext_lazy("mark in a sentence", "present"),
    "absent": pgettext_lazy("mark in a sentence", "absent"),
    "late": pgettext_lazy("mark in a sentence", "late"),
    "medical": pgettext_lazy("mark in a sentence", "medical"),
    "substitute": pgettext_lazy("mark in a sentence", "substitute"),
}

# PALMS: each mark's one-letter code (the roll call's buttons, the report's grid and CSV), a word of
# each language so that no two marks share a letter (German: Anwesend and Abwesend).
MARK_CODES = {
    "present": pgettext_lazy("attendance code, one letter", "P"),
    "absent": pgettext_lazy("attendance code, one letter", "A"),
    "late": pgettext_lazy("attendance code, one letter", "L"),
    "medical": pgettext_lazy("attendance code, one letter", "M"),
    "substitute": pgettext_lazy("attendance code, one letter", "S"),
}


def mark_codes() -> dict[str, str]:
    """Each mark's code in the active language."""
    return {status: str(code) for status, code in MARK_CODES.items()}


class Meeting(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("meeting status", "Scheduled")
        # opens up to 2 hours before the start, so not "in progress"
        OPEN = "open", pgettext_lazy("meeting status", "Roll call open")
        CLOSED = "closed", pgettext_lazy("meeting status", "Closed")
        CANCELLED = "cancelled", pgettext_lazy("meeting status", "Cancelled")

    class Kind(models.TextChoices):
        REGULAR = "regular", pgettext_lazy("meeting kind", "Regular")
        ONE_OFF = "one_off", pgettext_lazy("meeting kind", "One-off")

    chapter = models.ForeignKey("chapters.Chapter", on_delete=models.CASCADE, related_name="meetings",
                                verbose_name=_("chapter"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    starts_at = models.DateTimeField(_("starts at"), help_text=_("Stored in UTC; shown in the chapter's timezone."))
    local_date = models.DateField(_("date"), help_text=_("The meeting's date in the chapter's timezone."))
    scheduled_date = models.DateField(
        _("scheduled date"), null=True, blank=True,
        help_text=_("The schedule slot a regular meeting was created for; stays put when the meeting is moved."),
    )
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=90)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("closed by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["chapter", "scheduled_date"],
                condition=Q(kind="regular"),
                name="meetings_meeting_one_per_schedule_slot",
            ),
        ]
        indexes = [
            models.Index(fields=["chapter", "local_date"], name="meetings_meeting_ch_date"),
            models.Index(fields=["starts_at", "-id"], name="meetings_meeting_starts"),  # the admin's list (-pk breaks ties)
        ]

    def __str__(self) -> str:
        from leadsgroups.formats import format_date

        return f"{self.chapter} — {format_date(self.local_date, 'yMMMEd')}"

    def get_absolute_url(self) -> str:
        return reverse("meetings:detail", args=[self.chapter.slug, self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def counts_for_attendance(self) -> bool:
        return self.status != self.Status.CANCELLED

    @property
    def roll_call_opens_at(self):
        return self.starts_at - ROLL_CALL_OPENS_BEFORE

    @property
    def roll_call_is_open(self) -> bool:
        """Marks may be recorded: from shortly before the start (closed and cancelled aside)."""
        return timezone.now() >= self.roll_call_opens_at

    @property
    def has_started(self) -> bool:
        """A meeting can be closed once it has started, never ahead of time."""
        return timezone.now() >= self.starts_at

    @property
    def has_ended(self) -> bool:
        return timezone.now() >= self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def day_has_passed(self) -> bool:
        """The meeting's date is before today in the chapter's timezone."""
        return self.local_date < timezone.localdate(timezone=self.chapter.tz)


class Attendance(models.Model):
    """One member's PALMS mark at one meeting."""

    class Status(models.TextChoices):
        PRESENT = "present", pgettext_lazy("attendance mark", "Present")
        ABSENT = "absent", pgettext_lazy("attendance mark", "Absent")
        LATE = "late", pgettext_lazy("attendance mark", "Late")
        MEDICAL = "medical", pgettext_lazy("attendance mark", "Medical")
        SUBSTITUTE = "substitute", pgettext_lazy("attendance mark", "Substitute")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances",
                                verbose_name=_("meeting"))
    membership = models.ForeignKey("members.Membership", on_delete=models.CASCADE, related_name="attendances",
                                   verbose_name=_("member"))
    status = models.CharField(_("mark"), max_length=12, choices=Status.choices)
    substitute_name = models.CharField(_("substitute's name"), max_length=150, blank=True)
    substitute_business = models.CharField(_("substitute's business"), max_length=150, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        verbose_name = _("attendance mark")
        verbose_name_plural = _("attendance marks")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "membership"], name="meetings_attendance_one_per_member"),
        ]

    def __str__(self) -> str:
        return gettext("%(member)s at %(meeting)s: %(mark)s") % {
            "member": self.membership, "meeting": self.meeting, "mark": self.get_status_display()}


class Visitor(models.Model):
    """A guest at one meeting, credited to the member who invited them."""

    class FollowUp(models.TextChoices):
        NEW = "new", _("Not yet contacted")
        THANKED = "thanked", pgettext_lazy("visitor follow-up", "Thanked")
        INTERESTED = "interested", pgettext_lazy("visitor follow-up", "Interested")
        APPLIED = "applied", pgettext_lazy("visitor follow-up", "Applied")
        NOT_INTERESTED = "not_interested", pgettext_lazy("visitor follow-up", "Not interested")

    # Statuses that still need someone to act: the follow-up list shows these.
    AWAITING = (FollowUp.NEW, FollowUp.THANKED, FollowUp.INTERESTED)

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="visitors", verbose_name=_("meeting"))
    name = models.CharField(_("name"), max_length=150)
    business = models.CharField(_("business"), max_length=150, blank=True)
    classification = models.ForeignKey(
        "chapters.Classification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("classification"),
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    invited_by = models.ForeignKey(
        "members.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="visitors_invited",
        verbose_name=_("invited by"), help_text=_("The member credited with the visit."),
    )
    follow_up = models.CharField(_("follow-up"), max_length=16, choices=FollowUp.choices, default=FollowUp.NEW)
    notes = models.TextField(_("notes"), blank=True)
    applicant_membership = models.ForeignKey(
        "members.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits",
        verbose_name=_("applicant seat"), help_text=_("The applicant seat this visitor became."),
    )
    invitation = models.ForeignKey(
        "members.Invitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("invitation"),
        help_text=_("The invitation sent instead of a seat: the visitor already had an account, which only they "
                    "may use."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")
        ordering = ["meeting__starts_at", "name"]
        indexes = [models.Index(fields=["follow_up"], name="meetings_visitor_follow_up")]

    def __str__(self) -> str:
        return gettext("%(name)s at %(meeting)s") % {"name": self.name, "meeting": self.meeting}

    @property
    def awaits_follow_up(self) -> bool:
        return self.follow_up in self.AWAITING


class Presentation(models.Model):
    """A slot on a meeting's run sheet: a feature presentation or the education moment."""

    class Kind(models.TextChoices):
        FEATURE = "feature", _("Feature presentation")
        EDUCATION = "education", _("Education moment")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="presentations",
                                verbose_name=_("meeting"))
    presenter = models.ForeignKey("members.Membership", on_delete=models.CASCADE, related_name="presentations",
                                  verbose_name=_("presenter"))
    kind = models.CharField(_("slot"), max_length=10, choices=Kind.choices, default=Kind.FEATURE)
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("presentation")
        verbose_name_plural = _("presentations")
        ordering = ["meeting__starts_at", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "presenter", "kind"], name="meetings_presentation_once_per_kind",
                violation_error_message=_("This member already has this slot at the meeting."),
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(slot)s: %(presenter)s at %(meeting)s") % {
            "slot": self.get_kind_display(), "presenter": self.presenter, "meeting": self.meeting}

    @property
    def kind_in_sentence(self) -> str:
        return str(SLOT_IN_SENTENCE[self.kind])


class Testimonial(models.Model):
    """Something a member said at a meeting about another member's work."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="testimonials",
                                verbose_name=_("meeting"))
    given_by = models.ForeignKey("members.Membership", on_delete=models.CASCADE, related_name="testimonials_given",
                                 verbose_name=_("given by"))
    about = models.ForeignKey("members.Membership", on_delete=models.CASCADE, related_name="testimonials_received",
                              verbose_name=_("about"))
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("testimonial")
        verbose_name_plural = _("testimonials")
        ordering = ["meeting__starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(given_by=models.F("about")), name="meetings_testimonial_not_about_oneself"
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(given_by)s about %(about)s") % {"given_by": self.given_by, "about": self.about}


class CalendarFeed(models.Model):
    """A person's private calendar address: whoever holds the token sees their meetings."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed",
                                verbose_name=_("person"))
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("issued at"), auto_now=True, help_text=_("When the token was last (re)issued."))

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return gettext("Calendar feed of %(person)s") % {"person": self.user}


class ChapterMeetingSettings(models.Model):
    """A chapter's own meeting settings; a chapter without a row uses the defaults."""

    chapter = models.OneToOneField("chapters.Chapter", on_delete=models.CASCADE, related_name="meeting_settings",
                                   verbose_name=_("chapter"))
    max_visits_before_applying = models.PositiveSmallIntegerField(
        _("Visits before applying"), default=DEFAULT_MAX_VISITS_BEFORE_APPLYING,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_VISITS_LIMIT)],
        help_text=_("How many times a visitor may attend before they should apply; the next visit is flagged."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("chapter meeting settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_visits_before_applying__gte=1, max_visits_before_applying__lte=MAX_VISITS_LIMIT),
                name="meetings_settings_max_visits_in_range",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Meeting settings of %(chapter)s") % {"chapter": self.chapter}
