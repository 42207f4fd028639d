from datetime import timedelta

import pytest
from celery.schedules import crontab

from ops.beat_timing import beat_period, beat_timing_text


@pytest.mark.parametrize("timing,period,text", [
    (crontab(), timedelta(minutes=1), "every minute"),
    (crontab(minute=30), timedelta(hours=1), "hourly at :30"),
    (crontab(hour=2, minute=15), timedelta(days=1), "daily at 02:15 UTC"),
    (crontab(hour="9,17", minute=0), timedelta(hours=16), "cron 0 9,17 * * * (UTC)"),  # the longer wait counts
    (crontab(hour=3, minute=0, day_of_week=1), timedelta(days=7), "cron 0 3 * * 1 (UTC)"),
    (crontab(hour=3, minute=0, day_of_week="1-5"), timedelta(days=3), "cron 0 3 * * 1-5 (UTC)"),  # over the weekend
    (crontab(hour=3, minute=0, day_of_month=1), timedelta(days=31), "cron 0 3 1 * * (UTC)"),
    (timedelta(seconds=10), timedelta(seconds=10), "every 10 seconds"),
    (timedelta(minutes=5), timedelta(minutes=5), "every 5 minutes"),
])
def test_period_and_wording(timing, period, text):
    assert beat_period(timing) == period
    assert beat_timing_text(timing) == text
