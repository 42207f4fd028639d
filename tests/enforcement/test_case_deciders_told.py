"""An expulsion case that opens is a notice (and an email) for the people who decide it, not only a dashboard line."""

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest

from enforcement import review, services
from enforcement.models import ExpulsionCase
from members.models import Membership, Notification
from tests.enforcement.conftest import D
from tests.factories import RegionStaffFactory, UserFactory

JAN7 = date(2026, 1, 7)
NOW = datetime(2026, 2, 10, 12, tzinfo=UTC)


def _history(world):
    """Ann: 5 absences, 2 over a limit of 3, and a case at 2 violations."""
    world.member("Ann")
    world.member("Pres", role=Membership.Role.PRESIDENT)
    world.rules(absences_allowed=3, fine_absence=D("10.00"), expulsion_violations=2)
    for i in range(5):
        world.meeting(JAN7 + timedelta(days=7 * i), {"Ann": "absent"})


def _told(case):
    return set(Notification.objects.filter(kind="case", dedupe_key=f"case:{case.pk}").values_list("user", flat=True))


def test_the_region_staff_are_told_with_an_email_after_commit(world, django_capture_on_commit_callbacks):
    _history(world)
    staff = RegionStaffFactory(region=world.chapter.region, user__full_name="Rita Region").user
    # A case cannot be kept from email (members/delivery.py REQUIRED): a stored "app" is not obeyed.
    muted = RegionStaffFactory(region=world.chapter.region, user__notification_delivery={"case": "app"}).user
    gone = RegionStaffFactory(region=world.chapter.region, user__is_active=False).user
    elsewhere = RegionStaffFactory().user
    admin = UserFactory(is_org_admin=True)
    with django_capture_on_commit_callbacks() as callbacks:
        [case] = services.chapter_enforce(chapter=world.chapter, now=NOW).cases
    ann, pres = world.members["Ann"].user, world.members["Pres"].user
    assert _told(case) == {ann.pk, pres.pk, staff.pk, muted.pk}
    assert gone.pk not in _told(case) and elsewhere.pk not in _told(case) and admin.pk not in _told(case)
    notice = Notification.objects.get(user=staff, dedupe_key=f"case:{case.pk}")
    assert notice.title == "Expulsion case to decide: Ann"
    assert notice.url == case.get_absolute_url() and notice.chapter == world.chapter
    assert "may appeal until" in notice.body and "Europe/London" in notice.body
    assert notice.email_wanted
    assert Notification.objects.get(user=muted, dedupe_key=f"case:{case.pk}").email_wanted
    # 2 fines + the member's, the president's, Rita's and the other staff's case notices: 6 emails, after commit
    assert len(callbacks) == 6
    services.chapter_enforce(chapter=world.chapter, now=NOW)  # a rerun tells nobody twice
    assert Notification.objects.filter(dedupe_key=f"case:{case.pk}").count() == 4


def test_a_chapter_without_a_region_tells_the_organisation_admins(world):
    world.chapter.region = None
    world.chapter.save()
    _history(world)
    admin = UserFactory(is_org_admin=True)
    retired = UserFactory(is_org_admin=True, is_active=False)
    [case] = services.chapter_enforce(chapter=world.chapter, now=NOW).cases
    assert admin.pk in _told(case) and retired.pk not in _told(case)


def test_a_region_without_staff_falls_to_the_organisation_admins(world):
    _history(world)
    admin = UserFactory(is_org_admin=True)
    [case] = services.chapter_enforce(chapter=world.chapter, now=NOW).cases
    assert admin.pk in _told(case)


def test_region_staff_whose_own_case_it_is_are_not_told_to_decide_it(world):
    _history(world)
    RegionStaffFactory(region=world.chapter.region, user=world.members["Ann"].user)
    [case] = services.chapter_enforce(chapter=world.chapter, now=NOW).cases
    assert Notification.objects.filter(user=world.members["Ann"].user, dedupe_key=f"case:{case.pk}").count() == 1
    assert Notification.objects.get(user=world.members["Ann"].user, dedupe_key=f"case:{case.pk}").title == (
        "Your membership is under review"
    )


def test_the_deciders_notice_is_undone_with_the_case(world):
    """The notices are rows in the case's transaction: a crash after the case opened leaves neither."""
    _history(world)
    staff = RegionStaffFactory(region=world.chapter.region).user
    real = services.case_open

    def open_then_crash(**kwargs):
        real(**kwargs)
        raise RuntimeError("worker killed")

    with mock.patch("enforcement.services.case_open", side_effect=open_then_crash):
        with pytest.raises(RuntimeError):
            services.chapter_enforce(chapter=world.chapter, now=NOW)
    assert not ExpulsionCase.objects.exists() and not Notification.objects.filter(user=staff).exists()


def test_waiving_the_appeal_tells_the_region_staff(world):
    _history(world)
    staff = RegionStaffFactory(region=world.chapter.region).user
    [case] = services.chapter_enforce(chapter=world.chapter, now=NOW).cases
    review.case_appeal_waive(case=case, by=world.members["Ann"].user, now=NOW)
    notice = Notification.objects.get(user=staff, dedupe_key=f"case-waived:{case.pk}")
    assert notice.title == "The case of Ann is ready for a decision" and notice.email_wanted


def test_deciders_are_fetched_once_per_chapter_not_per_case(world):
    """Two cases opened in one run share one look-up of the deciders."""
    world.member("Ann")
    world.member("Cid")
    world.rules(absences_allowed=3, fine_absence=D("10.00"), expulsion_violations=2)
    for i in range(5):
        world.meeting(JAN7 + timedelta(days=7 * i), {"Ann": "absent", "Cid": "absent"})
    staff = RegionStaffFactory(region=world.chapter.region).user
    with mock.patch("enforcement.services.case_deciders", wraps=services.case_deciders) as deciders:
        cases = services.chapter_enforce(chapter=world.chapter, now=NOW).cases
    assert len(cases) == 2 and deciders.call_count == 1
    assert Notification.objects.filter(user=staff, kind="case").count() == 2
