import zoneinfo
from datetime import time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from chapters.professions import PROFESSION_NAMES


def validate_currency(value: str) -> None:
    """An ISO 4217 code of a currency in use (EUR, GBP, USD…), not any three letters."""
    from leadsgroups.formats import is_iso_currency

    if not is_iso_currency(value):
        raise ValidationError(
            _("“%(code)s” is not a currency code in use (ISO 4217, such as EUR, GBP or USD)."),
            params={"code": value}, code="currency",
        )


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(zone)s” is not a known timezone (use a name like Europe/London)."),
            params={"zone": value}, code="timezone",
        )


class Region(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RegionStaff(models.Model):
    """A person who oversees every chapter of a region (area or regional director)."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="region_roles"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region", "user"], name="chapters_regionstaff_unique")]
        verbose_name = _("region staff member")
        verbose_name_plural = _("region staff")

    def __str__(self) -> str:
        return f"{self.user} ({self.region})"


class Classification(models.Model):
    """A profession; a chapter seats one active member per classification."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)

    class Meta:
        verbose_name = _("classification")
        verbose_name_plural = _("classifications")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the reader's language: the starting professions are translated, others as written."""
        return gettext(self.name) if self.name in PROFESSION_NAMES else self.name


# "Weekly on Wednesdays": the day a chapter meets on, as each language says a weekly habit
# ("mittwochs", "le mercredi", "los miércoles").
MEETS_ON = [
    pgettext_lazy("meets", "on Mondays"), pgettext_lazy("meets", "on Tuesdays"),
    pgettext_lazy("meets", "on Wednesdays"), pgettext_lazy("meets", "on Thursdays"),
    pgettext_lazy("meets", "on Fridays"), pgettext_lazy("meets", "on Saturdays"), pgettext_lazy("meets", "on Sundays"),
]


class Chapter(models.Model):
    class Cadence(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        BIWEEKLY = "biweekly", _("Every two weeks")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    class Meal(models.TextChoices):
        BREAKFAST = "breakfast", _("Breakfast")
        LUNCH = "lunch", _("Lunch")
        DINNER = "dinner", _("Dinner")
        NONE = "none", _("No meal")

    class Status(models.TextChoices):
        FORMING = "forming", pgettext_lazy("chapter status", "Forming")
        ACTIVE = "active", pgettext_lazy("chapter status", "Active")
        CLOSED = "closed", pgettext_lazy("chapter status", "Closed")

    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT, related_name="chapters"
    )
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True, help_text=_("Used in the chapter's web addresses."))
    timezone = models.CharField(_("timezone"), max_length=64, default="Europe/London", validators=[validate_timezone])
    cadence = models.CharField(_("cadence"), max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, default=Weekday.WEDNESDAY)
    start_time = models.TimeField(
        _("start time"), default=time(7, 0), help_text=_("Local time in the chapter's timezone.")
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"), default=90, validators=[MinValueValidator(15), MaxValueValidator(12 * 60)],
        help_text=_("15 minutes to 12 hours."),
    )
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    meal = models.CharField(_("meal"), max_length=10, choices=Meal.choices, default=Meal.BREAKFAST)
    currency = models.CharField(_("currency"), max_length=3, default="GBP", validators=[validate_currency])
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en-gb",
        help_text=_("What people without an account read in: prospects' consent emails and page, invitations, "
                    "visitors."),
    )
    membership_fee = models.DecimalField(
        _("membership fee"), max_digits=10, decimal_places=2, default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("chapters:home", args=[self.slug])

    @property
    def meets_on(self) -> str:
        """The meeting day as a habit: "on Wednesdays"."""
        return str(MEETS_ON[self.weekday])

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)
