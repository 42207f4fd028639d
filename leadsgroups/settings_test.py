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
