"""Leave is judged as it was: a member back from leave is not fined for the time spent on leave.

The evaluation re-derives every ended period on each run, so it must know when a member was on
leave (from the audit trail of status changes), not only whether they are on leave now.
"""

from datetime import date, datetime

from enforcement.models import ChapterRules, Fine
from enforcement.selectors import member_standings
from members.models import AuditEvent, Membership
from members.services import membership_change
from tests.audit_time import audit_rewrite
from tests.enforcement.conftest import D, amounts
from tests.enforcement.factories import ReferralFactory

QUOTA = Fine.Kind.QUOTA
ABS = Fine.Kind.ABSENCE


def _change(world, name, status, when: datetime):
    """Change the status through the real service, then date its audit event `when` (audit rows refuse updates)."""
    membership_change(membership=world.members[name], by=None, status=status, reason="Leave")
    event = AuditEvent.objects.filter(action="membership.changed").order_by("-pk").first()
    audit_rewrite(event, created_at=when)  # PostgreSQL's trigger refuses a plain UPDATE
    world.members[name].refresh_from_db()


def test_quota_months_spent_on_leave_are_not_fined_after_the_member_returns(world):
    world.member("Ann")
    bob = world.member("Bob")
    world.rules(effective_from=date(2025, 12, 1), absences_allowed=9, referral_quota=1,
                quota_period=ChapterRules.QuotaPeriod.MONTH, fine_quota=D("5.00"))
    for year, month in ((2025, 12), (2026, 1), (2026, 2), (2026, 3)):  # Bob meets the quota every month
        ReferralFactory(giver=bob, receiver=world.members["Ann"], at=world.at(date(year, month, 10)))
    ReferralFactory(giver=world.members["Ann"], receiver=bob, at=world.at(date(2025, 12, 10)))
    _change(world, "Ann", Membership.Status.ON_LEAVE, world.at(date(2025, 12, 28)))
    assert amounts(world.evaluate(date(2026, 2, 2)), QUOTA) == []  # on leave: January exempt
    _change(world, "Ann", Membership.Status.ACTIVE, world.at(date(2026, 2, 3)))
    # Back on 3 Feb: January (all on leave) is still exempt; so is February (on leave for part of it);
    # March, with no referral, is fined.
    findings = amounts(world.evaluate(date(2026, 4, 2)), QUOTA)
    assert findings == [("Ann", QUOTA, date(2026, 3, 1), D("5.00"))]


def test_meetings_missed_while_on_leave_are_not_fined_after_the_member_returns(world):
    world.member("Ann")
    world.rules(effective_from=date(2025, 12, 1), absences_allowed=1)
    world.meeting(date(2026, 1, 7), {"Ann": "absent"})
    _change(world, "Ann", Membership.Status.ON_LEAVE, world.at(date(2026, 1, 10)))
    world.meeting(date(2026, 1, 14), {"Ann": "absent"})  # marked absent while on leave
    world.meeting(date(2026, 1, 21), {"Ann": "absent"})
    _change(world, "Ann", Membership.Status.ACTIVE, world.at(date(2026, 1, 25)))
    assert amounts(world.evaluate(date(2026, 1, 26)), ABS) == []
    ann = world.members["Ann"]
    standing = member_standings(chapter=world.chapter, memberships=[ann], today=date(2026, 1, 26))[ann.pk]
    assert standing.absences == 1  # the standing page counts as the evaluation does: 7 Jan only
    world.meeting(date(2026, 1, 28), {"Ann": "absent"})
    # The 28 Jan absence is her second counted one (7 Jan, 28 Jan): over the limit of 1.
    assert [f[2] for f in amounts(world.evaluate(date(2026, 1, 29)), ABS)] == [date(2026, 1, 28)]


def test_leave_with_no_recorded_change_still_exempts_by_the_current_status(world):
    world.member("Ann", status=Membership.Status.ON_LEAVE)
    world.rules(effective_from=date(2025, 12, 1), absences_allowed=1, referral_quota=1, fine_quota=D("5.00"))
    world.weekly(date(2026, 1, 7), ["A", "A", "A"])
    assert world.evaluate(date(2026, 2, 2)).findings == []
