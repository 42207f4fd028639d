"""Read replicas for report pages (README "Scaling out": "Read replicas").

With REPLICA_DATABASE_URL set, the `replica` alias points at a PostgreSQL streaming replica and
the report pages (settings.REPLICA_REPORT_VIEWS: attendance report, referral stats, the CSV
exports) read the domain's tables from it. Everything else stays on `default`:

- every write, and every migration (the replica is read-only; it copies the primary);
- sessions, the signed-in user and allauth's rows (a replica a second behind must not sign
  anyone out or forget a password just changed);
- any read inside a transaction on `default` (it may just have written what it reads);
- every other page: a member who just saved something sees it at once.

A report a second or two behind the primary is fine; a page that shows what was just saved is
not, so only the listed report views opt in. `replica_reads()` marks such a scope by hand
(e.g. a management command producing a big export).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
# Tables a report reads; the user, sessions and sign-in rows are left out on purpose (see above).
REPLICA_APPS = {"chapters", "meetings", "referrals", "enforcement", "members"}
PRIMARY_ONLY_MODELS = {"members.user"}

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


def replica_configured() -> bool:
    return settings.REPLICA_READS and REPLICA in settings.DATABASES


@contextmanager
def replica_reads():
    """Within this block, reads of the domain's tables go to the replica (when there is one)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class ReplicaRouter:
    """Writes and migrations on `default`; reads inside `replica_reads()` on `replica`."""

    def db_for_read(self, model, **hints):
        if not (_replica_reads.get() and replica_configured()):
            return None  # the default database
        if model._meta.app_label not in REPLICA_APPS or model._meta.label_lower in PRIMARY_ONLY_MODELS:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # this transaction may just have written what it reads
        return REPLICA

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # both aliases hold the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaReportsMiddleware:
    """GET requests of the report views in settings.REPLICA_REPORT_VIEWS read through `replica_reads()`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in ("GET", "HEAD") or not replica_configured():
            return None
        match = request.resolver_match
        if match is None or match.view_name not in settings.REPLICA_REPORT_VIEWS:
            return None
        with replica_reads():
            response = view_func(request, *view_args, **view_kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()  # a template response renders (and queries) here, in the scope
        return response
