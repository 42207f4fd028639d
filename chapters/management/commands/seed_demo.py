from django.core.management.base import BaseCommand
from django.db import transaction

from chapters.demo import DEMO_PASSWORD, people_speak_their_chapters_language, seed_people


class Command(BaseCommand):
    help = ("Create the demo organisation (2 regions, 5 chapters, one of them German-speaking, their members and "
            "history). Safe to run again.")

    def handle(self, *args, **options):
        with transaction.atomic():
            world = seed_people()
            for step in self._steps():
                step(world=world, stdout=self.stdout)
            people_speak_their_chapters_language(world=world)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in with any of these (password below):"))
        width = max(len(label) for label, _ in world.logins)
        for label, email in world.logins:
            self.stdout.write(f"  {label:<{width}}  {email}")
        self.stdout.write(f"  Password for every demo login: {DEMO_PASSWORD}")

    def _steps(self):
        """Each app's demo history, in the order they build on each other."""
        from directory.demo import step as directory_step
        from enforcement.demo import step as enforcement_step
        from integrity.demo import step as integrity_step
        from meetings import demo as meetings_demo
        from referrals.demo import seed_referrals
        from reports.demo import step as reports_step

        # Meetings and referrals first, then the half-year before them (reports' trends): enforcement
        # evaluates the whole history, and the read-out reads out the last meeting; integrity checks it all.
        return [meetings_demo.step, seed_referrals, reports_step, enforcement_step, integrity_step, directory_step]
