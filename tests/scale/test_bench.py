"""`manage.py bench` at a tiny size on PostgreSQL and Redis: it runs end to end and its JSON has every key."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.services import BASE_DIR, database_url, redis_client

PAGES = {
    "member dashboard", "roll call (open meeting)", "closed meeting", "attendance report, 6 months",
    "leadership members list", "referral stats", "my attendance", "referral list",
    "chapter health", "a member's scorecard", "member directory", "dashboard traffic lights",
}


@pytest.mark.celery_worker
def test_bench_runs_at_a_tiny_size_and_writes_every_key(tmp_path):
    url = database_url()
    redis_client()
    out = tmp_path / "bench.json"
    env = {**os.environ, "DATABASE_URL": url, "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
           "DJANGO_SETTINGS_MODULE": "leadsgroups.settings", "LEADSGROUPS_VAR_DIR": str(tmp_path / "var")}
    env.pop("TESTING", None)
    run = subprocess.run(
        [sys.executable, "manage.py", "bench", "--chapters", "2", "--weeks", "3", "--out", str(out),
         "--requests", "2", "--load-seconds", "1", "--concurrency", "2", "--gunicorn-workers", "1"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())

    assert result["dataset"]["chapters"] == 2
    assert min(result["dataset"][k] for k in ("memberships", "attendance_rows", "referrals")) > 0
    e = result["enforcement"]
    for key in ("sweep_first_seconds", "sweep_seconds", "celery_sweep_seconds", "baseline_sql_seconds"):
        assert e[key] > 0, key
    assert e["first_run_fines"] >= 0 and e["first_run_cases"] >= 0

    pages = result["pages"]
    sizes = {p["members_in_chapter"] for p in pages if p["members_in_chapter"]}
    assert sizes == {10, 150}
    assert {p["name"] for p in pages if p["members_in_chapter"] == 150} == PAGES
    assert {"org admin dashboard", "oversight: cases list", "organisation overview"} <= {p["name"] for p in pages}
    for p in pages:
        assert 0 < p["p50_ms"] <= p["p95_ms"] and p["queries"] > 0 and p["bytes"] > 0, p

    t = result["throughput"]
    assert t["dashboard_rps"] > 0 and t["bare_auth_rps"] > 0 and t["referral_rps"] > 0
    assert t["errors"] == 0 and t["lost_or_duplicated"] == 0
    assert t["concurrency"] == 2 and t["seconds"] == 1 and t["gunicorn_workers"] == 1 and t["load_tool"]

    assert result["machine"]["cores"] >= 1 and result["machine"]["postgres"]
    assert result["started_at"] and "git_commit" in result and result["arguments"]["chapters"] == 2
    assert len(result["targets"]) == 9 and all(isinstance(x["met"], bool) for x in result["targets"])
    assert "target" in run.stdout and "met" in run.stdout  # the table


def test_bench_refuses_sqlite(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "leadsgroups.settings", "LEADSGROUPS_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    run = subprocess.run([sys.executable, "manage.py", "bench", "--chapters", "1", "--weeks", "1",
                          "--out", str(tmp_path / "x.json")],
                         cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "PostgreSQL" in run.stderr
    assert not (tmp_path / "x.json").exists()


@pytest.mark.django_db
def test_the_bare_signed_in_view_is_not_served_by_default(client, personas):
    personas.login(client, "member")
    assert not settings.BENCH_ENDPOINTS
    assert client.get("/bench/bare-auth/", secure=True).status_code == 404
