"""The professions that do well in leads groups: every install starts with these classifications.

Their names are stored in English (the migration that seeds them, and the slugs, use these) and shown
in the reader's language (chapters.models.Classification.label); one a chapter adds is shown as written.
"""

from django.utils.translation import gettext_noop

PROFESSIONS = [
    gettext_noop("Accountant"), gettext_noop("Architect"), gettext_noop("Attorney"), gettext_noop("Banker"),
    gettext_noop("Business coach"), gettext_noop("Caterer"), gettext_noop("Chiropractor"),
    gettext_noop("Cleaning services"), gettext_noop("Commercial real estate agent"),
    gettext_noop("Computer consultant"), gettext_noop("Copywriter"), gettext_noop("Dentist"),
    gettext_noop("Electrician"), gettext_noop("Event planner"), gettext_noop("Financial consultant"),
    gettext_noop("Florist"), gettext_noop("Graphic designer"), gettext_noop("HR consultant"),
    gettext_noop("Insurance agent"), gettext_noop("Interior designer"), gettext_noop("IT support"),
    gettext_noop("Landscaper"), gettext_noop("Marketing consultant"), gettext_noop("Mortgage broker"),
    gettext_noop("Mover"), gettext_noop("Personal trainer"), gettext_noop("Photographer"),
    gettext_noop("Physiotherapist"), gettext_noop("Plumber"), gettext_noop("Printer"),
    gettext_noop("Real estate agent"), gettext_noop("Recruiter"), gettext_noop("Roofer"),
    gettext_noop("Signage maker"), gettext_noop("Solicitor"), gettext_noop("Travel agent"),
    gettext_noop("Veterinarian"), gettext_noop("Videographer"), gettext_noop("Web developer"),
    gettext_noop("Wealth manager"),
]
PROFESSION_NAMES = frozenset(PROFESSIONS)
