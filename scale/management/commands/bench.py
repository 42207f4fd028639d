"""`make bench`: seed (or reuse) a scale database and measure the sweep, the pages and the throughput."""

from django.core.management.base import BaseCommand, CommandError

from scale.bench import BenchArgs, BenchRefused, run, write


class Command(BaseCommand):
    help = "Measure enforcement, pages and throughput on a seeded scale database (PostgreSQL and Redis)."

    def add_arguments(self, parser):
        d = BenchArgs()
        parser.add_argument("--chapters", type=int, default=d.chapters)
        parser.add_argument("--weeks", type=int, default=d.weeks)
        parser.add_argument("--seed", type=int, default=d.seed)
        parser.add_argument("--out", default=d.out, help="Where the JSON goes (default: %(default)s).")
        parser.add_argument("--reuse", default="", metavar="DBNAME",
                            help="A database built by seed_scale with the same arguments (a copy: the bench writes fines).")
        parser.add_argument("--keep", action="store_true", help="Keep the database the bench created.")
        parser.add_argument("--requests", type=int, default=d.requests, help="Timed requests per page.")
        parser.add_argument("--load-seconds", type=int, default=d.load_seconds)
        parser.add_argument("--concurrency", type=int, default=d.concurrency)
        parser.add_argument("--gunicorn-workers", type=int, default=d.gunicorn_workers)

    def handle(self, *args, **o):
        bench_args = BenchArgs(
            chapters=o["chapters"], weeks=o["weeks"], seed=o["seed"], out=o["out"], reuse=o["reuse"], keep=o["keep"],
            requests=o["requests"], load_seconds=o["load_seconds"], concurrency=o["concurrency"],
            gunicorn_workers=o["gunicorn_workers"],
        )
        try:
            result = run(bench_args, log=self.stdout.write)
        except BenchRefused as exc:
            raise CommandError(str(exc)) from exc
        self._table(result)
        path = write(result, bench_args.out)
        self.stdout.write(f"Written to {path}")

    def _table(self, result: dict) -> None:
        w = self.stdout.write
        e = result["enforcement"]
        w("")
        w(f"Dataset: {result['dataset']}")
        w(f"{'enforcement':<40}{'seconds':>10}")
        for key in ("baseline_sql_seconds", "sweep_first_seconds", "sweep_seconds", "celery_sweep_seconds"):
            w(f"  {key:<38}{e[key]:>10.2f}")
        w(f"  first run issued {e['first_run_fines']} fines and {e['first_run_cases']} cases")
        w(f"{'page':<32}{'members':>8}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}{'bytes':>10}")
        for p in result["pages"]:
            w(f"  {p['name']:<30}{p['members_in_chapter'] or '':>8}{p['p50_ms']:>9.1f}{p['p95_ms']:>9.1f}"
              f"{p['queries']:>9}{p['bytes']:>10}")
        t = result["throughput"]
        w(f"throughput: dashboard {t['dashboard_rps']} req/s, bare signed-in {t['bare_auth_rps']} req/s, "
          f"referral POST {t['referral_rps']} req/s, errors {t['errors']}, lost or doubled {t['lost_or_duplicated']} "
          f"({t['concurrency']} connections, {t['seconds']} s, {t['gunicorn_workers']} gunicorn workers)")
        w(f"{'target':<44}{'value':>14}  met")
        for t in result["targets"]:
            value = t["value"] if not isinstance(t["value"], list) else (", ".join(t["value"]) or "-")
            w(f"  {t['target']:<42}{str(value):>14}  {'yes' if t['met'] else 'NO'}")
