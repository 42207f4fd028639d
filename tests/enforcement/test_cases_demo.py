"""The demo leaves the review queue with a case in each stage, made through the review services."""

from django.core.management import call_command
from django.utils import timezone

from enforcement.models import ExpulsionCase
from members.models import AuditEvent


def _stages():
    now = timezone.now()
    cases = list(ExpulsionCase.objects.order_by("pk"))
    return {
        "awaiting": [c.pk for c in cases if c.appeal_open(now)],
        "ready": [c.pk for c in cases if c.is_open and c.appealed_at and c.decidable(now)],
        "decided": [c.pk for c in cases if c.status == "decided"],
    }


def test_seed_demo_leaves_a_case_in_each_stage_and_is_idempotent(db):
    call_command("seed_demo")
    stages = _stages()
    assert all(len(v) == 1 for v in stages.values()), stages
    decided = ExpulsionCase.objects.get(pk=stages["decided"][0])
    assert decided.decision == "probation" and decided.membership.status == "probation"
    assert decided.decision_reason and decided.probation_conditions and decided.recommendation
    for action in ("case.recommended", "case.appealed", "case.decided"):
        assert AuditEvent.objects.filter(action=action).exists(), action
    events = AuditEvent.objects.count()
    call_command("seed_demo")
    assert _stages() == stages
    assert AuditEvent.objects.count() == events
