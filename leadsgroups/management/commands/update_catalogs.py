"""`make messages`: extract every marked string into locale/<lang>/LC_MESSAGES/*.po, then compile.

New strings arrive untranslated (existing translations are kept, strings no longer in the code are
dropped); translate them in the .po files and run it again. `make check-messages` then passes.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from leadsgroups import catalogs
from leadsgroups.management.commands.check_catalogs import extract


class Command(BaseCommand):
    help = "Update the translation catalogues in locale/ from the code, and compile them."

    def handle(self, *args, **options):
        catalogs.LOCALE.mkdir(exist_ok=True)
        extract(catalogs.LOCALE, list(settings.TRANSLATED_LANGUAGES))
        for path in catalogs.compile_all():
            self.stdout.write(f"compiled {path.relative_to(catalogs.ROOT)}")
