"""Through PgBouncer in transaction pooling: what Django needs for it, and the compose service."""

from __future__ import annotations

import subprocess
import sys

import yaml

from tests.deploy.processes import production_env, production_settings
from tests.services import BASE_DIR

SERVICES = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())["services"]
PGBOUNCER_URL = "postgres://leadsgroups:pw@pgbouncer:5432/leadsgroups"


def test_through_pgbouncer_no_server_side_cursor_outlives_a_transaction(tmp_path):
    db = production_settings(tmp_path, ["DATABASES"], DATABASE_URL=PGBOUNCER_URL, DATABASE_POOLER="pgbouncer")["DATABASES"]
    default = db["default"]
    assert default["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert default["CONN_MAX_AGE"] == 60  # the connection to PgBouncer is kept; it holds no server connection
    assert default["HOST"] == "pgbouncer"


def test_straight_to_postgresql_server_side_cursors_stay(tmp_path):
    db = production_settings(tmp_path, ["DATABASES"], DATABASE_URL="postgres://u:pw@postgres:5432/leadsgroups")["DATABASES"]
    assert db["default"].get("DISABLE_SERVER_SIDE_CURSORS", False) is False


def test_an_unknown_pooler_or_sqlite_behind_one_is_refused(tmp_path):
    for url, pooler in [(PGBOUNCER_URL, "pgpool"), (f"sqlite:///{tmp_path}/db.sqlite3", "pgbouncer")]:
        result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=BASE_DIR,  # noqa: S603
                                env=production_env(tmp_path, DATABASE_URL=url, DATABASE_POOLER=pooler),
                                capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and "ImproperlyConfigured: DATABASE_POOLER=" in result.stderr, url


def test_compose_pools_in_transaction_mode():
    pgbouncer = SERVICES["pgbouncer"]
    assert pgbouncer["environment"]["POOL_MODE"] == "transaction"
    assert pgbouncer["environment"]["DB_HOST"] == "postgres"
    assert pgbouncer["healthcheck"]["test"][1] == "pg_isready"


def test_the_app_goes_through_pgbouncer_and_migrations_do_not():
    for name in ["web", "worker-default", "worker-enforcement", "worker-email", "worker-scheduling", "beat"]:
        env = SERVICES[name]["environment"]
        assert "@pgbouncer:5432/" in env["DATABASE_URL"] and env["DATABASE_POOLER"] == "pgbouncer", name
        assert SERVICES[name]["depends_on"]["pgbouncer"] == {"condition": "service_healthy"}, name
    migrate = SERVICES["migrate"]["environment"]
    assert "@postgres:5432/" in migrate["DATABASE_URL"] and not migrate["DATABASE_POOLER"]
