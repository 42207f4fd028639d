"""The settable clock of the system tests: processes live at the file's time, production refuses it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from leadsgroups.clock import ClockMiddleware, clock_file, clock_read, clock_write


def test_a_request_runs_at_the_time_in_the_file(tmp_path, monkeypatch, settings):
    path = tmp_path / "now"
    clock_write(path, datetime(2027, 3, 28, 0, 30, tzinfo=UTC))
    monkeypatch.setenv("LEADSGROUPS_CLOCK_FILE", str(path))
    seen = ClockMiddleware(lambda request: timezone.now())(None)
    assert datetime(2027, 3, 28, 0, 30, tzinfo=UTC) <= seen < datetime(2027, 3, 28, 0, 31, tzinfo=UTC)
    clock_write(path, datetime(2027, 12, 31, 23, 59, tzinfo=UTC))  # the next request sees the new time
    assert ClockMiddleware(lambda request: timezone.now())(None).date().isoformat() == "2027-12-31"


def test_production_settings_refuse_the_clock(tmp_path, monkeypatch, settings):
    settings.DEBUG = False
    settings.TESTING = False
    monkeypatch.setenv("LEADSGROUPS_CLOCK_FILE", str(tmp_path / "now"))
    with pytest.raises(ImproperlyConfigured, match="tests and development only"):
        clock_file()


def test_a_time_without_offset_is_refused(tmp_path):
    path = tmp_path / "now"
    path.write_text("2027-03-28T00:30:00")
    with pytest.raises(ImproperlyConfigured, match="offset"):
        clock_read(path)


def test_the_clock_ticks_from_its_last_write_for_every_reader(tmp_path):
    import time

    path = tmp_path / "now"
    clock_write(path, datetime(2027, 3, 1, 10, 0, tzinfo=UTC))
    time.sleep(0.2)
    first = clock_read(path)
    assert timedelta(seconds=0.2) <= first - datetime(2027, 3, 1, 10, 0, tzinfo=UTC) < timedelta(seconds=5)
    assert clock_read(path) >= first  # a later reader never goes back in time
