"""Leave is judged by its recorded dates: a member back from leave is not fined for the time spent on
leave, and a member on leave now is still judged for the time before it began.

(Before leave had dates it was read from the audit trail of status changes; migration 0007 turned
that history into leave rows, tested in test_leave.py.)
"""

from datetime import date

from enforcement.models import ChapterRules, Fine
from enforcement.selectors import member_standings
from members.models import Membership
from tests.enforcement.conftest import D, amounts
from tests.enforcement.factories import ReferralFactory

QUOTA = Fine.Kind.QUOTA
ABS = Fine.Kind.ABSENCE


def test_quota_months_spent_on_leave_are_not_fined_after_the_member_returns(world):
    world.member("Ann")
    bob = world.member("Bob")
    world.rules(effective_from=date(2025, 12, 1), absences_allowed=9, referral_quota=1,
                quota_period=ChapterRules.QuotaPeriod.MONTH, fine_quota=D("5.00"))
    for year, month in ((2025, 12), (2026, 1), (2026, 2), (2026, 3)):  # Bob meets the quota every month
        ReferralFactory(giver=bob, receiver=world.members["Ann"], at=world.at(date(year, month, 10)))
    ReferralFactory(giver=world.members["Ann"], receiver=bob, at=world.at(date(2025, 12, 10)))
    world.leave("Ann", date(2025, 12, 28), date(2026, 2, 2))
    # January (all on leave) is excused; so is February (on leave for part of it: excused in full);
    # March, with no referral, is fined.
    findings = amounts(world.evaluate(date(2026, 4, 2)), QUOTA)
    assert findings == [("Ann", QUOTA, date(2026, 3, 1), D("5.00"))]


def test_meetings_missed_while_on_leave_are_not_fined_after_the_member_returns(world):
    world.member("Ann")
    world.rules(effective_from=date(2025, 12, 1), absences_allowed=1)
    world.meeting(date(2026, 1, 7), {"Ann": "absent"})
    world.leave("Ann", date(2026, 1, 10), date(2026, 1, 24))
    world.meeting(date(2026, 1, 14), {"Ann": "absent"})  # marked absent while on leave
    world.meeting(date(2026, 1, 21), {"Ann": "absent"})
    assert amounts(world.evaluate(date(2026, 1, 26)), ABS) == []
    ann = world.members["Ann"]
    standing = member_standings(chapter=world.chapter, memberships=[ann], today=date(2026, 1, 26))[ann.pk]
    assert standing.absences == 1  # the standing page counts as the evaluation does: 7 Jan only
    world.meeting(date(2026, 1, 28), {"Ann": "absent"})
    # The 28 Jan absence is her second counted one (7 Jan, 28 Jan): over the limit of 1.
    assert [f[2] for f in amounts(world.evaluate(date(2026, 1, 29)), ABS)] == [date(2026, 1, 28)]


def test_a_member_on_leave_now_is_still_judged_for_before_the_leave_began(world):
    """Hand count: absent 7, 14, 21 Jan with 1 allowed → 14 and 21 Jan over the limit; leave from 1 Feb
    (open-ended, so on leave 'now') excuses 4 Feb only."""
    world.member("Ann", status=Membership.Status.ON_LEAVE)
    world.rules(effective_from=date(2025, 12, 1), absences_allowed=1, referral_quota=1, fine_quota=D("5.00"),
                fine_absence=D("10.00"))
    world.weekly(date(2026, 1, 7), ["A", "A", "A", "P", "A"])  # 7, 14, 21, 28 Jan, 4 Feb
    world.leave("Ann", date(2026, 2, 1))
    found = amounts(world.evaluate(date(2026, 2, 10)))
    assert found == [
        ("Ann", QUOTA, date(2025, 12, 1), D("5.00")),  # December: no referral, not on leave
        ("Ann", QUOTA, date(2026, 1, 1), D("5.00")),  # January: no referral, not on leave
        ("Ann", ABS, date(2026, 1, 14), D("10.00")),
        ("Ann", ABS, date(2026, 1, 21), D("10.00")),
    ]
