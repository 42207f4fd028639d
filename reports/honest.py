"""The reports' switch between all activity and the chapter's honest figures (without flagged activity).

`?flagged=exclude` leaves out the referrals, TYFCB, one-to-ones and attendance marks that are evidence of an
open or confirmed integrity flag (integrity.selectors.flagged_activity); flags reviewed as a false alarm
leave their rows in. Only those who see the chapter's flags (leadership, oversight) get the switch: to a
member it would tell which of their rows were flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from integrity.selectors import FlaggedActivity, flagged_activity, flagged_activity_counts

PARAM, EXCLUDE = "flagged", "exclude"


@dataclass
class Switch:
    """The switch's state on a page: whether flagged activity is left out, and what the page says about it."""

    exclude: bool
    counts: dict[str, int]
    flags_url: str

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def keep(self) -> dict[str, str]:
        """The GET parameter that carries the choice into links (CSV, sorting, pages, other reports)."""
        return {PARAM: EXCLUDE} if self.exclude else {}

    @property
    def rows_words(self) -> str:
        """"4 referrals, 1 TYFCB, 0 one-to-ones and 2 attendance marks", in the reader's language."""
        c = self.counts
        return _("%(referrals)s, %(thank_yous)s, %(one_to_ones)s and %(attendances)s") % {
            "referrals": ngettext("%(count)s referral", "%(count)s referrals", c["referrals"]) % {
                "count": c["referrals"]},
            "thank_yous": ngettext("%(count)s TYFCB", "%(count)s TYFCB", c["thank_yous"]) % {"count": c["thank_yous"]},
            "one_to_ones": ngettext("%(count)s one-to-one", "%(count)s one-to-ones", c["one_to_ones"]) % {
                "count": c["one_to_ones"]},
            "attendances": ngettext("%(count)s attendance mark", "%(count)s attendance marks", c["attendances"]) % {
                "count": c["attendances"]},
        }


def wants_exclude(request) -> bool:
    return request.GET.get(PARAM) == EXCLUDE


def switch_for(request, chapter) -> Switch | None:
    """The switch for a page of `chapter`'s reports (one query: the counts), or None for who may not use it."""
    if not request.access.is_leadership:
        return None
    return Switch(exclude=wants_exclude(request), counts=flagged_activity_counts(chapter=chapter),
                  flags_url=reverse("integrity:flags", args=[chapter.slug]) + "?show=all")


def leave_out_for(chapter, exclude: bool) -> FlaggedActivity | None:
    """The flagged rows to leave out of `chapter`'s figures (subqueries: no query), or None for all activity."""
    return flagged_activity(chapter_ids=[chapter.pk]) if exclude else None


def csv_suffix(exclude: bool) -> str:
    """Part of a CSV's file name, so an export says which figures it holds."""
    return "-without-flagged" if exclude else ""
