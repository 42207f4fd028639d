"""`make run`'s last word: once web, worker and beat are up, the URL and the demo logins.

Run by honcho beside them (Procfile.dev). It waits for /healthz to answer 200 (database and
broker), for the worker to answer a ping, and for the outbox to hold no email due (the demo's
emails, sent as the worker starts, would otherwise scroll the logins away); then it prints, and
stays: honcho stops every process when one ends.
"""

import signal
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

LOGINS_MARKER = "Sign in with any of these"


def web_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own local server
            return response.status == 200
    except OSError:
        return False


def worker_ready() -> bool:
    from leadsgroups.celery import app

    try:
        return bool(app.control.ping(timeout=1))
    except Exception:  # noqa: BLE001 - broker not there yet
        return False


def outbox_settled() -> bool:
    from members.models import OutboundEmail

    return not OutboundEmail.objects.filter(status__in=OutboundEmail.PENDING, next_attempt_at__lte=timezone.now()).exists()


def demo_logins(seed_log: Path) -> list[str]:
    """The logins seed_demo printed (its output is kept in var/seed_demo.log by `make run`)."""
    try:
        lines = seed_log.read_text().splitlines()
    except OSError:
        return []
    start = next((i for i, line in enumerate(lines) if LOGINS_MARKER in line), None)
    return [] if start is None else [line for line in lines[start + 1:] if line.strip()]


def banner(*, base: str, logins: list[str]) -> str:
    lines = [
        "",
        "=" * 72,
        f"  Leadsgroups is ready: {base}/",
        "",
    ]
    if logins:
        lines += ["  Demo logins:", *logins, ""]
    else:
        lines += ["  No demo logins found: `python manage.py seed_demo` creates them.", ""]
    lines += [
        f"  Emails sent (nothing leaves this machine): {base}/dev/outbox/  (sign in as the organisation admin)",
        f"  Background work (beat entries, last runs): {base}/admin/ops/taskrun/",
        "  Ctrl-C stops the web server, the worker and beat.",
        "=" * 72,
    ]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Wait until the development web server and worker are up, then print the URL and the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--timeout", type=float, default=120, help="Seconds to wait for web and worker.")
        parser.add_argument("--settle", type=float, default=30, help="Seconds to wait for due emails to go out.")
        parser.add_argument("--seed-log", default=str(settings.VAR_DIR / "seed_demo.log"))
        parser.add_argument("--exit", action="store_true", help="Exit after printing instead of staying.")

    def handle(self, *args, port, timeout, settle, seed_log, exit, **options):
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        waiting = {"web server": lambda: web_ready(f"{base}/healthz"), "worker": worker_ready}
        while waiting and time.monotonic() < deadline:
            waiting = {name: check for name, check in waiting.items() if not check()}
            if waiting:
                time.sleep(0.5)
        if waiting:
            self.stderr.write(f"Still not answering after {timeout:.0f} s: {', '.join(waiting)}. See the lines above.")
        # The demo's emails go out in the first seconds: the logins come after their lines.
        settled_by = time.monotonic() + settle
        while time.monotonic() < settled_by and not outbox_settled():
            time.sleep(0.5)
        if settle:
            time.sleep(0.5)  # the last email's log line first
        self.stdout.write(banner(base=base, logins=demo_logins(Path(seed_log))))
        self.stdout.flush()
        if not exit:
            signal.pause()  # until honcho stops us with the others
