"""Fail when the translation catalogues are out of date or incomplete (CI; `make check-messages`).

Django's makemessages extracts the strings into a scratch copy of locale/ (the committed files are not
touched); the check then compares. Two kinds of failure, each listed with the files the string is in:

* a string in the code that the committed catalogues lack: run `make messages`, then translate;
* a German, French or Spanish entry untranslated or fuzzy (settings.TRANSLATED_LANGUAGES).
"""

import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from leadsgroups import catalogs

# What makemessages reads: the apps and templates, not the virtualenv, vendored code, tests or output.
IGNORE = [".venv", "node_modules", "var", "staticfiles", "static/vendor", "tests", "bench", "locale", "deploy"]


def extract(locale_dir: Path, languages: list[str]) -> None:
    """makemessages for both domains into ``locale_dir`` (which holds the existing .po to merge into)."""
    with override_settings(LOCALE_PATHS=[str(locale_dir)]):
        common = dict(locale=languages, ignore_patterns=IGNORE, no_obsolete=True, add_location="file",
                      verbosity=0)
        call_command("makemessages", domain="django", extensions=["html", "txt", "py"], **common)
        call_command("makemessages", domain="djangojs", extensions=["js"], **common)


class Command(BaseCommand):
    help = "Check that locale/ has every string of the code, translated, in each translated language."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=40, help="How many problems to list per catalogue.")

    def handle(self, *args, limit, **options):
        languages = list(settings.TRANSLATED_LANGUAGES)
        failures = []
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            if catalogs.LOCALE.exists():
                shutil.copytree(catalogs.LOCALE, scratch, dirs_exist_ok=True)
            extract(scratch, languages)
            for lang in languages:
                for domain in catalogs.DOMAINS:
                    fresh_path = scratch / lang / "LC_MESSAGES" / f"{domain}.po"
                    if not fresh_path.exists():
                        continue  # no string of this domain anywhere
                    fresh = catalogs.read(fresh_path)
                    committed_path = catalogs.LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"
                    committed = catalogs.read(committed_path) if committed_path.exists() else []
                    missing = catalogs.keys(fresh) - catalogs.keys(committed)
                    found = [f"not in the catalogue (run `make messages`): {m[1]!r}" for m in sorted(missing, key=str)]
                    found += catalogs.problems(fresh)
                    if found:
                        failures.append(f"locale/{lang}/LC_MESSAGES/{domain}.po: {len(found)} problem(s)")
                        failures += ["  " + line for line in found[:limit]]
                        if len(found) > limit:
                            failures.append(f"  … and {len(found) - limit} more")
        if failures:
            raise CommandError("Translation catalogues are incomplete:\n" + "\n".join(failures))
        self.stdout.write(f"Catalogues complete for {', '.join(languages)}.")
