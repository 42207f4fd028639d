"""How a chapter scores its members (the scorecard's ladders and bands), and the bounds an admin puts on it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# The defaults of DOMAIN.md "Scorecards" (100 points over 6 months): [threshold, points] from the
# smallest threshold up. Absences and lates: at most that many; the rest: at least that much.
DEFAULT_LADDERS = {
    "absences": [["0", 15], ["1", 10], ["2", 5]],
    "lates": [["0", 5]],  # never late
    "referrals": [["0.5", 5], ["0.75", 10], ["1", 15], ["1.2", 20]],  # given, a week
    "visitors": [["0.05", 5], ["0.1", 10], ["0.15", 15], ["0.2", 20]],  # invited, a week (1 in 20 weeks … 1 in 5)
    "one_to_ones": [],  # shown, not scored, unless the chapter gives it points
    "education": [["0.1", 5], ["0.25", 10], ["0.5", 15]],  # hours a week
    "testimonials": [["1", 5], ["2", 10]],  # given, in the range
    "tyfcb": [["500", 5], ["2000", 10], ["5000", 15]],  # closed business, in the chapter's currency
}


def _default(key):
    def make():
        return [list(step) for step in DEFAULT_LADDERS[key]]

    make.__name__ = f"default_{key}_ladder"
    make.__qualname__ = make.__name__
    return make


# Migrations refer to these by name.
default_absences_ladder = _default("absences")
default_lates_ladder = _default("lates")
default_referrals_ladder = _default("referrals")
default_visitors_ladder = _default("visitors")
default_one_to_ones_ladder = _default("one_to_ones")
default_education_ladder = _default("education")
default_testimonials_ladder = _default("testimonials")
default_tyfcb_ladder = _default("tyfcb")

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class ScorecardLimits(models.Model):
    """Bounds an admin sets on what chapter leadership may choose for the scorecard; one row per region plus
    one organisation-wide default (as enforcement's RulesLimits), so a scorecard cannot be made meaningless."""

    region = models.OneToOneField(
        "chapters.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="scorecard_limits",
        help_text=_("Empty: the organisation-wide default, used for chapters whose region has no row."),
    )
    component_points_max = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(100)],
        help_text=_("The most of the 100 points any one figure may carry."),
    )
    green_from_min = models.PositiveSmallIntegerField(
        default=60, validators=PERCENT, help_text=_("Green may not start below this score."),
    )
    absences_with_points_max = models.PositiveSmallIntegerField(
        default=4, help_text=_("The most absences (in the range) that may still earn points."),
    )
    referrals_full_min = models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal("0.50"), validators=[MinValueValidator(Decimal("0"))],
        help_text=_("The referrals a week that earn a chapter's full referral points may not be set below this."),
    )

    class Meta:
        verbose_name = verbose_name_plural = _("scorecard limits")
        constraints = [
            models.UniqueConstraint(
                fields=["region"], condition=Q(region__isnull=True), name="reports_scorecardlimits_one_default"
            ),
        ]

    def __str__(self) -> str:
        return _("Scorecard limits for %(region)s") % {"region": self.region or _("every region")}


class ScorecardRules(models.Model):
    """A chapter's scorecard: each figure's ladder, what counts, and the bands. A chapter without a row
    scores by the defaults. Not versioned: a scorecard is worked out when it is read, over any range."""

    class ReferralsCount(models.TextChoices):
        ALL = "all", _("Every referral given")
        CONSENTED = "consented", _("Only referrals whose prospect consented")

    class TyfcbCounts(models.TextChoices):
        GIVEN = "given", _("Business closed from the member's referrals (credited to the giver)")
        RECEIVED = "received", _("Business the member closed from referrals received")
        BOTH = "both", _("Both")

    class TyfcbBusiness(models.TextChoices):
        ALL = "all", _("New and repeat business")
        NEW = "new", _("New business only")

    chapter = models.OneToOneField("chapters.Chapter", on_delete=models.CASCADE, related_name="scorecard_rules")
    absences = models.JSONField(_("Absences"), default=default_absences_ladder, blank=True)
    lates = models.JSONField(_("Never late"), default=default_lates_ladder, blank=True)
    referrals = models.JSONField(_("Referrals given"), default=default_referrals_ladder, blank=True)
    visitors = models.JSONField(_("Visitors invited"), default=default_visitors_ladder, blank=True)
    one_to_ones = models.JSONField(_("One-to-ones"), default=default_one_to_ones_ladder, blank=True)
    education = models.JSONField(_("Education"), default=default_education_ladder, blank=True)
    testimonials = models.JSONField(_("Testimonials given"), default=default_testimonials_ladder, blank=True)
    tyfcb = models.JSONField("TYFCB", default=default_tyfcb_ladder, blank=True)  # the same word in every language
    referrals_count = models.CharField(_("Referrals that count"), max_length=10, choices=ReferralsCount.choices,
                                       default=ReferralsCount.ALL)
    tyfcb_counts = models.CharField(_("TYFCB that counts"), max_length=10, choices=TyfcbCounts.choices,
                                    default=TyfcbCounts.GIVEN)
    tyfcb_business = models.CharField(_("TYFCB business"), max_length=10, choices=TyfcbBusiness.choices,
                                      default=TyfcbBusiness.ALL)
    green_from = models.PositiveSmallIntegerField(_("Green from (points)"), default=70, validators=PERCENT)
    amber_from = models.PositiveSmallIntegerField(_("Amber from (points)"), default=50, validators=PERCENT)
    red_from = models.PositiveSmallIntegerField(_("Red from (points; grey below)"), default=30, validators=PERCENT,
                                                help_text=_("Below this: grey."))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    LADDER_FIELDS = ("absences", "lates", "referrals", "visitors", "one_to_ones", "education", "testimonials", "tyfcb")
    RULE_FIELDS = (*LADDER_FIELDS, "referrals_count", "tyfcb_counts", "tyfcb_business", "green_from", "amber_from",
                   "red_from")

    class Meta:
        verbose_name = verbose_name_plural = _("scorecard rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(green_from__gt=models.F("amber_from"), amber_from__gt=models.F("red_from")),
                name="reports_scorecardrules_bands_ordered",
            ),
        ]

    def __str__(self) -> str:
        return _("Scorecard of %(chapter)s") % {"chapter": self.chapter}
