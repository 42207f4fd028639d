from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

# Leadership may start the roll call this long before a meeting starts, to mark arrivals at the venue.
ROLL_CALL_OPENS_BEFORE = timedelta(hours=2)
# A visitor may usually attend this many times before applying (DOMAIN.md); chapters may change it.
DEFAULT_MAX_VISITS_BEFORE_APPLYING = 2
MAX_VISITS_LIMIT = 20


class Meeting(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        OPEN = "open", "Roll call open"  # opens up to 2 hours before the start, so not "in progress"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    class Kind(models.TextChoices):
        REGULAR = "regular", "Regular"
        ONE_OFF = "one_off", "One-off"

    chapter = models.ForeignKey("chapters.Chapter", on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    starts_at = models.DateTimeField(help_text="Stored in UTC; shown in the chapter's timezone.")
    local_date = models.DateField(help_text="The meeting's date in the chapter's timezone.")
    scheduled_date = models.DateField(
        null=True, blank=True,
        help_text="The schedule slot a regular meeting was created for; stays put when the meeting is moved.",
    )
    duration_minutes = models.PositiveSmallIntegerField(default=90)
    venue = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    cancel_reason = models.CharField(max_length=300, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
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
        return f"{self.chapter} — {self.local_date:%a %d %b %Y}"

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
        PRESENT = "present", "Present"
        ABSENT = "absent", "Absent"
        LATE = "late", "Late"
        MEDICAL = "medical", "Medical"
        SUBSTITUTE = "substitute", "Substitute"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    membership = models.ForeignKey("members.Membership", on_delete=models.CASCADE, related_name="attendances")
    status = models.CharField(max_length=12, choices=Status.choices)
    substitute_name = models.CharField(max_length=150, blank=True)
    substitute_business = models.CharField(max_length=150, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "membership"], name="meetings_attendance_one_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.membership} at {self.meeting}: {self.get_status_display()}"


class Visitor(models.Model):
    """A guest at one meeting, credited to the member who invited them."""

    class FollowUp(models.TextChoices):
        NEW = "new", "Not yet contacted"
        THANKED = "thanked", "Thanked"
        INTERESTED = "interested", "Interested"
        APPLIED = "applied", "Applied"
        NOT_INTERESTED = "not_interested", "Not interested"

    # Statuses that still need someone to act: the follow-up list shows these.
    AWAITING = (FollowUp.NEW, FollowUp.THANKED, FollowUp.INTERESTED)

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="visitors")
    name = models.CharField(max_length=150)
    business = models.CharField(max_length=150, blank=True)
    classification = models.ForeignKey(
        "chapters.Classification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    invited_by = models.ForeignKey(
        "members.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="visitors_invited",
        help_text="The member credited with the visit.",
    )
    follow_up = models.CharField(max_length=16, choices=FollowUp.choices, default=FollowUp.NEW)
    notes = models.TextField(blank=True)
    applicant_membership = models.ForeignKey(
        "members.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits",
        help_text="The applicant seat this visitor became.",
    )
    invitation = models.ForeignKey(
        "members.Invitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The invitation sent instead of a seat: the visitor already had an account, which only they may use.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting__starts_at", "name"]
        indexes = [models.Index(fields=["follow_up"], name="meetings_visitor_follow_up")]

    def __str__(self) -> str:
        return f"{self.name} at {self.meeting}"

    @property
    def awaits_follow_up(self) -> bool:
        return self.follow_up in self.AWAITING


class Presentation(models.Model):
    """A slot on a meeting's run sheet: a feature presentation or the education moment."""

    class Kind(models.TextChoices):
        FEATURE = "feature", "Feature presentation"
        EDUCATION = "education", "Education moment"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="presentations")
    presenter = models.ForeignKey("members.Membership", on_delete=models.CASCADE, related_name="presentations")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FEATURE)
    topic = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting__starts_at", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "presenter", "kind"], name="meetings_presentation_once_per_kind",
                violation_error_message="This member already has this slot at the meeting.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.presenter} at {self.meeting}"


class Testimonial(models.Model):
    """Something a member said at a meeting about another member's work."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="testimonials")
    given_by = models.ForeignKey("members.Membership", on_delete=models.CASCADE, related_name="testimonials_given")
    about = models.ForeignKey("members.Membership", on_delete=models.CASCADE, related_name="testimonials_received")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting__starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(given_by=models.F("about")), name="meetings_testimonial_not_about_oneself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_by} about {self.about}"


class CalendarFeed(models.Model):
    """A person's private calendar address: whoever holds the token sees their meetings."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True, help_text="When the token was last (re)issued.")

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


class ChapterMeetingSettings(models.Model):
    """A chapter's own meeting settings; a chapter without a row uses the defaults."""

    chapter = models.OneToOneField("chapters.Chapter", on_delete=models.CASCADE, related_name="meeting_settings")
    max_visits_before_applying = models.PositiveSmallIntegerField(
        "Visits before applying", default=DEFAULT_MAX_VISITS_BEFORE_APPLYING,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_VISITS_LIMIT)],
        help_text="How many times a visitor may attend before they should apply; the next visit is flagged.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "chapter meeting settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(max_visits_before_applying__gte=1, max_visits_before_applying__lte=MAX_VISITS_LIMIT),
                name="meetings_settings_max_visits_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Meeting settings of {self.chapter}"
