from django.core.management.base import BaseCommand, CommandError

from chapters.models import Chapter
from enforcement.services import chapter_enforce
from enforcement.sweep import sweep


def plural(count: int, word: str) -> str:
    """A count in a console line (English, as the log is): "1 fine", "2 fines"."""
    return f"{count} {word if count == 1 else word + 's'}"


class Command(BaseCommand):
    help = (
        "Run the enforcement sweep now (every due chapter, in batches: the same as the Celery beat task); "
        "or judge one chapter in full (--chapter), or print what every chapter's full evaluation calls for (--dry-run)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chapter", help="Slug of one chapter, judged in full (default: the due chapters).")
        parser.add_argument("--dry-run", action="store_true", help="Print what would be issued; change nothing.")

    def handle(self, *args, chapter=None, dry_run=False, **options):
        if not chapter and not dry_run:
            done = sweep()
            self.stdout.write(self.style.SUCCESS(
                f"Done: {plural(done['chapters'], 'chapter')} due, judged in {done['batches']} batch{'es' if done['batches'] != 1 else ''}; "
                f"issued {plural(done['fines'], 'fine')}, withdrew {done['withdrawn']}, "
                f"opened {plural(done['cases'], 'case')}."
            ))
            return
        chapters = Chapter.objects.filter(status=Chapter.Status.ACTIVE).order_by("slug")
        if chapter:
            chapters = Chapter.objects.filter(slug=chapter)
            if not chapters.exists():
                raise CommandError(f"No chapter with slug {chapter!r}.")
        verb = "would issue" if dry_run else "issued"
        totals = [0, 0]
        for c in chapters:
            result = chapter_enforce(chapter=c, dry_run=dry_run)
            findings = result.evaluation.findings if dry_run else result.fines
            cases = result.evaluation.cases if dry_run else result.cases
            self.stdout.write(
                f"{c.slug}: {verb} {plural(len(findings), 'fine')}, {plural(len(cases), 'case')}; "
                f"{result.evaluation.already_issued} already issued"
            )
            if dry_run:
                for f in findings:
                    self.stdout.write(f"  fine  {f.membership.display_name}: {f.summary}")
            else:
                for fine in result.fines:
                    what = "warning" if fine.is_warning else f"{fine.amount} {fine.currency}"
                    self.stdout.write(
                        f"  fine  #{fine.pk} {fine.membership.display_name}: {fine.get_kind_display()}, "
                        f"{fine.period_start}: {what}"
                    )
            for w in result.evaluation.withdrawals:
                verb_w = "would withdraw" if dry_run else "withdrawn"
                self.stdout.write(f"  {verb_w}  #{w.fine.pk} {w.fine.membership.display_name}: {w.reason}")
            for flag in result.evaluation.refund_flags:
                self.stdout.write(f"  refund to decide  #{flag.fine.pk} {flag.fine.membership.display_name}: {flag.reason}")
            for case in cases:
                self.stdout.write(f"  case  {case.membership.display_name}" + ("" if dry_run else f" (#{case.pk})"))
            totals[0] += len(findings)
            totals[1] += len(cases)
        self.stdout.write(self.style.SUCCESS(f"Done: {verb} {plural(totals[0], 'fine')} and {plural(totals[1], 'case')}."))
