"""The demo: each pattern once, in Riverside, and nothing else flagged in any chapter; a rerun changes nothing."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command

from integrity.models import IntegrityFlag, ProspectFingerprint
from referrals.models import Referral

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("moment", [datetime(2026, 6, 3, 9, 0, tzinfo=UTC), datetime(2027, 3, 28, 0, 30, tzinfo=UTC)])
def test_the_demo_holds_each_pattern_once_and_reruns_change_nothing(moment):
    """On a Wednesday, and on the night Europe's clocks change."""
    with time_machine.travel(moment, tick=False):
        _the_demo_holds_each_pattern_once_and_reruns_change_nothing()


def _the_demo_holds_each_pattern_once_and_reruns_change_nothing():
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    flags = IntegrityFlag.objects.select_related("chapter")
    assert sorted((f.chapter.slug, f.kind, f.status) for f in flags) == sorted(
        ("riverside", kind, "open") for kind in IntegrityFlag.Kind.values
    )
    ring = flags.get(kind="ring")
    assert all(m["inside"] * 100 >= 60 * m["given"] for m in ring.figures["members"])
    repeat = flags.get(kind="repeat_prospect")
    assert (repeat.figures["count"], repeat.figures["by"]) == (3, ["email", "phone"])
    assert flags.get(kind="substitute").figures["name"] == "Morgan Standish"
    before = sorted(flags.values_list("pk", "evidence_changed_at"))
    counts = (Referral.objects.count(), ProspectFingerprint.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert sorted(IntegrityFlag.objects.values_list("pk", "evidence_changed_at")) == before
    assert (Referral.objects.count(), ProspectFingerprint.objects.count()) == counts
