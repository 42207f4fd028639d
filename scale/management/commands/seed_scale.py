"""Build a realistic organisation of any size on PostgreSQL, fast: `seed_scale --chapters 1100 --weeks 52`."""

from django.core.management.base import BaseCommand, CommandError

from scale.seeding import DEMO_PASSWORD, SeedRefused, seed_scale


class Command(BaseCommand):
    help = "Fill an empty PostgreSQL database with N chapters and W weeks of meetings, marks, referrals and more."

    def add_arguments(self, parser):
        parser.add_argument("--chapters", type=int, default=1100)
        parser.add_argument("--weeks", type=int, default=52)
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same arguments, same day: same data.")

    def handle(self, *args, chapters, weeks, seed, **options):
        self.stdout.write(f"Building {chapters} chapters × {weeks} weeks (seed {seed}) …")
        try:
            result = seed_scale(chapters=chapters, weeks=weeks, seed=seed, log=self.stdout.write)
        except SeedRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Built in {result.seconds:.1f} s. Rows:")
        for name, count in result.counts.items():
            self.stdout.write(f"  {name:<18}{count:>12,}")
        self.stdout.write(
            f"Chapters for demos: {result.big_chapter} ({result.members_big} seats), "
            f"{result.small_chapter} ({result.members_small} seats)"
        )
        self.stdout.write(f"Logins (password {DEMO_PASSWORD}):")
        for who, email in result.logins.items():
            self.stdout.write(f"  {who:<36}{email}")
