"""Settings for the test suite: the real settings with TESTING on (fast hasher, locmem email)."""

import os
import tempfile

os.environ.setdefault("TESTING", "1")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Keep the filesystem broker's queue and any files away from the developer's var/.
os.environ.setdefault("LEADSGROUPS_VAR_DIR", tempfile.mkdtemp(prefix="leadsgroups-test-"))  # Playwright's sync API beside live_server

from leadsgroups.settings import *  # noqa: E402,F403

# Many tests sign in again and again; the rate limits have a test of their own that turns them back on.
ACCOUNT_RATE_LIMITS = False

# Under pytest-xdist (`-n 2`) each worker gets a Redis database of its own (15, 14, …, counting down
# from the one given), so the real Celery workers the integration tests start take only their own
# run's tasks. PostgreSQL test databases are per worker already (pytest-django suffixes them).
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
# The processes those tests start inherit the environment: they take the URL as given, not shifted again.
if (_xdist_worker.startswith("gw") and CELERY_BROKER_URL.startswith(("redis://", "rediss://"))  # noqa: F405
        and not os.environ.get("LEADSGROUPS_BROKER_PER_WORKER")):
    _base, _, _db = CELERY_BROKER_URL.rpartition("/")  # noqa: F405
    CELERY_BROKER_URL = f"{_base}/{(int(_db or 0) - int(_xdist_worker[2:])) % 16}"
    os.environ["CELERY_BROKER_URL"] = CELERY_BROKER_URL  # Celery reads the variable before the settings
    os.environ["LEADSGROUPS_BROKER_PER_WORKER"] = "1"
