"""The timezone choices of a chapter's settings: grouped by region, the chapter's likely zones first.

One select of ~600 zones made a president scroll past Africa and America to reach Europe/London.
The likely zones are the current one, the others of its country (tzdata's zone1970.tab) and those
of the region's other chapters; the rest follow under their region ("Europe", "America", …).
"""

from __future__ import annotations

import zoneinfo
from functools import cache
from importlib import resources

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


@cache
def _countries() -> dict[str, tuple[str, ...]]:
    """Zone → the country codes it serves, from tzdata (empty if the table is missing)."""
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone1970.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return {}
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            codes, _coordinates, zone = line.split("\t")[:3]
            found[zone] = tuple(codes.split(","))
    return found


def _label(zone: str) -> str:
    return zone.replace("_", " ")


def likely_zones(current: str, neighbours: set[str]) -> list[str]:
    """The current zone, the other zones of its country, and the zones of nearby chapters."""
    countries = _countries()
    mine = set(countries.get(current, ()))
    same_country = {zone for zone, codes in countries.items() if mine & set(codes)}
    return sorted({current, *same_country, *neighbours} - {""}, key=lambda z: (z != current, z))


def timezone_choices(current: str, neighbours: set[str] = frozenset()) -> list:
    """Optgroups for a Select: the likely zones, then every zone under its region."""
    zones = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    likely = likely_zones(current, neighbours) if current else []
    groups: dict[str, list] = {}
    for zone in zones:
        region = zone.split("/", 1)[0] if "/" in zone else pgettext("timezone region", "Other")
        groups.setdefault(region, []).append((zone, _label(zone)))
    choices = []
    if likely:
        choices.append((_("Likely for this chapter"), [(z, _label(z)) for z in likely]))
    choices += [(region, options) for region, options in groups.items()]
    return choices
