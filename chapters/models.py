import zoneinfo
from datetime import time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


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
        raise ValidationError(f"“{value}” is not a known timezone (use a name like Europe/London).")


class Region(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RegionStaff(models.Model):
    """A person who oversees every chapter of a region (area or regional director)."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="region_roles")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region", "user"], name="chapters_regionstaff_unique")]
        verbose_name_plural = "region staff"

    def __str__(self) -> str:
        return f"{self.user} ({self.region})"


class Classification(models.Model):
    """A profession; a chapter seats one active member per classification."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Chapter(models.Model):
    class Cadence(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        BIWEEKLY = "biweekly", "Every two weeks"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    class Meal(models.TextChoices):
        BREAKFAST = "breakfast", "Breakfast"
        LUNCH = "lunch", "Lunch"
        DINNER = "dinner", "Dinner"
        NONE = "none", "No meal"

    class Status(models.TextChoices):
        FORMING = "forming", "Forming"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="chapters")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True, help_text="Used in the chapter's web addresses.")
    timezone = models.CharField(max_length=64, default="Europe/London", validators=[validate_timezone])
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.WEDNESDAY)
    start_time = models.TimeField(default=time(7, 0), help_text="Local time in the chapter's timezone.")
    duration_minutes = models.PositiveSmallIntegerField(
        default=90, validators=[MinValueValidator(15), MaxValueValidator(12 * 60)], help_text="15 minutes to 12 hours."
    )
    venue = models.CharField(max_length=200, blank=True)
    meal = models.CharField(max_length=10, choices=Meal.choices, default=Meal.BREAKFAST)
    currency = models.CharField(max_length=3, default="GBP", validators=[validate_currency])
    language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default="en-gb",
        help_text="What people without an account read in: prospects' consent emails and page, invitations, visitors.",
    )
    membership_fee = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))]
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("chapters:home", args=[self.slug])

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)
