"""What each person reads through the API: what their pages show them, nothing more."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from members.models import Notification, Profile
from members.notifications import notification_send
from referrals.models import ThankYou
from tests.access_matrix import IN_CHAPTER
from tests.api.conftest import url
from tests.enforcement.factories import ExpulsionCaseFactory, FineFactory
from tests.factories import MembershipFactory
from tests.meetings.factories import AttendanceFactory, MeetingFactory
from tests.referrals.access import SEES_PROSPECT
from tests.referrals.factories import ReferralFactory

PROSPECT = {"name": "Petra Prospect", "email": "petra@prospect.example", "phone": "+44 7700 900123",
            "notes": "Call after 5"}


@pytest.fixture
def referral(personas):
    """Given by `member` to `president`: the giver, the receiver and seated leadership see the prospect."""
    return ReferralFactory(giver=personas.member, receiver=personas.president, notes="Call after 5")


# Referrals: the prospect only for who may see it -------------------------------------------------


@pytest.mark.parametrize("who", IN_CHAPTER)
def test_the_prospect_is_there_only_for_those_who_may_see_it(personas, api, referral, who):
    token = api.token(personas.user(who))
    one = api.get(url("referral_detail", personas.chapter, referral_id=referral.pk), token).json()
    listed = api.get(url("referral_list", personas.chapter), token).json()["items"]
    expected = PROSPECT if who in SEES_PROSPECT else None
    assert one["prospect"] == expected
    assert [r["prospect"] for r in listed] == [expected]
    assert one["giver"] == {"membership_id": personas.member.pk, "name": "Mona Member"}  # counts and names: everyone


def test_a_member_who_neither_gave_nor_received_it_sees_no_prospect(personas, api, referral):
    bystander = MembershipFactory(chapter=personas.chapter)
    body = api.get(url("referral_detail", personas.chapter, referral_id=referral.pk), api.token(bystander)).json()
    assert body["prospect"] is None and body["status"] == "given"
    assert "Petra" not in str(body) and "prospect.example" not in str(body)


def test_an_erased_prospect_is_gone_for_everyone(personas, api, referral):
    from chapters.access import access_for
    from referrals.services import referral_prospect_erase

    referral_prospect_erase(referral=referral, access=access_for(personas.president.user, personas.chapter),
                            reason="The prospect phoned the president")
    body = api.get(url("referral_detail", personas.chapter, referral_id=referral.pk),
                   api.token(personas.president)).json()
    assert body["prospect_erased"] is True
    assert body["prospect"] == {"name": "", "email": "", "phone": "", "notes": ""}


def test_my_received_and_given_referrals(personas, api, referral):
    other = ReferralFactory(giver=personas.member2, receiver=personas.treasurer)
    token = api.token(personas.president)
    received = api.get(url("referral_list", personas.chapter) + "?box=received", token).json()
    given = api.get(url("referral_list", personas.chapter) + "?box=given", token).json()
    everything = api.get(url("referral_list", personas.chapter), token).json()
    assert [r["id"] for r in received["items"]] == [referral.pk] and given["count"] == 0
    assert {r["id"] for r in everything["items"]} == {referral.pk, other.pk}


def test_an_overseer_without_a_seat_has_no_inbox(personas, api, referral):
    response = api.get(url("referral_list", personas.chapter) + "?box=received", api.token(personas.region_staff))
    assert response.status_code == 403


def test_a_won_referral_shows_its_value_as_a_decimal_in_the_chapter_s_currency(personas, api):
    won = ReferralFactory(giver=personas.member, receiver=personas.president, status="won",
                          closed_value=Decimal("1250.5"), closed_on=date(2026, 3, 2), business_type="new")
    ThankYou.objects.create(chapter=personas.chapter, referral=won, giver=personas.member, receiver=personas.president,
                            value=Decimal("1250.5"), closed_on=date(2026, 3, 2), business_type="new")
    token = api.token(personas.member2)
    body = api.get(url("referral_detail", personas.chapter, referral_id=won.pk), token).json()
    assert (body["closed_value"], body["currency"], body["closed_on"]) == ("1250.50", "GBP", "2026-03-02")
    thanks = api.get(url("thank_you_list", personas.chapter), token).json()["items"]
    assert thanks == [{"id": won.thank_you.pk, "referral_id": won.pk,
                       "giver": {"membership_id": personas.member.pk, "name": "Mona Member"},
                       "receiver": {"membership_id": personas.president.pk, "name": "Paula President"},
                       "value": "1250.50", "currency": "GBP", "closed_on": "2026-03-02", "business_type": "new"}]


def test_another_chapter_s_referral_is_404_under_my_chapter(personas, api):
    theirs = ReferralFactory(giver=personas.outsider, receiver=MembershipFactory(chapter=personas.other_chapter))
    response = api.get(url("referral_detail", personas.chapter, referral_id=theirs.pk), api.token(personas.president))
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_an_id_beyond_a_bigint_is_422_not_an_error(personas, api):
    response = api.get(url("referral_detail", personas.chapter, referral_id=2**64), api.token(personas.member))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "referral_id"]


def test_the_referral_list_costs_the_same_whatever_its_length(personas, api, django_assert_num_queries):
    token = api.token(personas.president)
    ReferralFactory.create_batch(2, giver=personas.member, receiver=personas.president)
    api.get(url("referral_list", personas.chapter), token)  # the token's first use is written once
    # token and user, the chapter, the seat, region staff (no region role), the count, the page
    with django_assert_num_queries(6):
        assert api.get(url("referral_list", personas.chapter), token).json()["count"] == 2
    ReferralFactory.create_batch(8, giver=personas.member2, receiver=personas.member)
    with django_assert_num_queries(6):
        assert api.get(url("referral_list", personas.chapter), token).json()["count"] == 10


# Paging ---------------------------------------------------------------------------------------------


def test_lists_come_a_page_at_a_time(personas, api):
    ReferralFactory.create_batch(5, giver=personas.member, receiver=personas.president)
    token = api.token(personas.member)
    first = api.get(url("referral_list", personas.chapter) + "?page_size=2", token).json()
    last = api.get(url("referral_list", personas.chapter) + "?page_size=2&page=3", token).json()
    beyond = api.get(url("referral_list", personas.chapter) + "?page_size=2&page=9", token).json()
    assert (first["count"], len(first["items"]), len(last["items"]), beyond["items"]) == (5, 2, 1, [])
    too_big = api.get(url("referral_list", personas.chapter) + "?page_size=500", token)
    assert too_big.status_code == 422 and too_big.json()["detail"][0]["loc"] == ["query", "page_size"]


# Chapters and the directory --------------------------------------------------------------------------


def test_my_chapters_with_my_standing_in_each(personas, api):
    president = {c["slug"]: c for c in api.get(url("chapter_list"), api.token(personas.president)).json()["items"]}
    staff = {c["slug"]: c for c in api.get(url("chapter_list"), api.token(personas.region_staff)).json()["items"]}
    outsider = api.get(url("chapter_list"), api.token(personas.outsider)).json()["items"]
    assert set(president) == {"home-chapter"}
    assert (president["home-chapter"]["my_role"], president["home-chapter"]["is_leadership"],
            president["home-chapter"]["is_oversight"]) == ("president", True, False)
    assert president["home-chapter"]["my_membership_id"] == personas.president.pk
    assert (staff["home-chapter"]["my_role"], staff["home-chapter"]["is_oversight"]) == (None, True)
    assert [c["slug"] for c in outsider] == ["other-chapter"]


def test_the_directory_shows_only_what_each_person_shares(personas, api):
    Profile.objects.create(user=personas.member2.user, phone_visibility="hidden", email_visibility="chapters",
                           website="https://max.example", website_visibility="hidden")
    personas.member2.user.phone = "+44 20 7946 0000"
    personas.member2.user.save(update_fields=["phone"])
    for who in ("president", "org_admin", "member"):  # leadership and admins see the same card
        card = api.get(url("member_detail", personas.chapter, membership_id=personas.member2.pk),
                       api.token(personas.user(who))).json()
        assert (card["name"], card["phone"], card["email"], card["website"]) == (
            "Max Member", "", personas.member2.user.email, ""), who
    names = [c["name"] for c in api.get(url("member_list", personas.chapter) + "?q=max",
                                        api.token(personas.member)).json()["items"]]
    assert names == ["Max Member"]


def test_a_departed_member_is_not_in_the_directory(personas, api):
    gone = MembershipFactory(chapter=personas.chapter, status="resigned")
    response = api.get(url("member_detail", personas.chapter, membership_id=gone.pk), api.token(personas.member))
    assert response.status_code == 404


# Meetings ------------------------------------------------------------------------------------------------


@pytest.fixture
def meeting(personas):
    meeting = MeetingFactory(chapter=personas.chapter, local_date=date(2026, 3, 4),
                             starts_at=datetime(2026, 3, 4, 7, tzinfo=UTC), status="closed")
    AttendanceFactory(meeting=meeting, membership=personas.member, status="late")
    AttendanceFactory(meeting=meeting, membership=personas.president, status="present")
    return meeting


def test_a_member_reads_the_counts_and_their_own_mark(personas, api, meeting):
    body = api.get(url("meeting_detail", personas.chapter, meeting_id=meeting.pk), api.token(personas.member)).json()
    assert body["my_mark"] == "late" and body["status"] == "closed"
    assert (body["counts"]["late"], body["counts"]["present"], body["counts"]["attending"]) == (1, 1, 2)
    roll = api.get(url("meeting_attendance", personas.chapter, meeting_id=meeting.pk), api.token(personas.member))
    assert roll.status_code == 403  # the whole roll call is leadership's


def test_leadership_reads_the_roll_call(personas, api, meeting):
    rows = api.get(url("meeting_attendance", personas.chapter, meeting_id=meeting.pk),
                   api.token(personas.vice_president)).json()
    marks = {r["name"]: r["status"] for r in rows}
    assert marks["Mona Member"] == "late" and marks["Paula President"] == "present"


def test_meetings_filtered_by_status_and_date(personas, api, meeting):
    MeetingFactory(chapter=personas.chapter, local_date=date(2026, 3, 11),
                   starts_at=datetime(2026, 3, 11, 7, tzinfo=UTC))
    token = api.token(personas.member)
    closed = api.get(url("meeting_list", personas.chapter) + "?status=closed", token).json()["items"]
    later = api.get(url("meeting_list", personas.chapter) + "?from_date=2026-03-05", token).json()["items"]
    assert [m["id"] for m in closed] == [meeting.pk]
    assert [m["local_date"] for m in later] == ["2026-03-11"]


# Fines, cases, notifications ----------------------------------------------------------------------------


def test_a_member_reads_their_own_fines_only(personas, api):
    mine, theirs = FineFactory(membership=personas.member), FineFactory(membership=personas.member2)
    token = api.token(personas.member)
    assert [f["id"] for f in api.get(url("fine_mine", personas.chapter), token).json()["items"]] == [mine.pk]
    assert api.get(url("fine_detail", personas.chapter, fine_id=mine.pk), token).json()["amount"] == "10.00"
    assert api.get(url("fine_detail", personas.chapter, fine_id=theirs.pk), token).status_code == 404
    everyone = api.get(url("fine_list", personas.chapter), api.token(personas.treasurer)).json()["items"]
    assert {f["id"] for f in everyone} == {mine.pk, theirs.pk}


def test_cases_are_decided_by_overseers_only(personas, api):
    case = ExpulsionCaseFactory(membership=personas.member)
    decides = {who: api.get(url("case_detail", personas.chapter, case_id=case.pk),
                            api.token(personas.user(who))).json()["can_decide"]
               for who in ("member", "president", "region_staff", "org_admin")}
    assert decides == {"member": False, "president": False, "region_staff": True, "org_admin": True}
    queue = api.get(url("case_queue"), api.token(personas.region_staff)).json()["items"]
    assert [(c["id"], c["chapter"], c["can_decide"]) for c in queue] == [(case.pk, "home-chapter", True)]
    assert api.get(url("case_queue"), api.token(personas.other_region_staff)).json()["items"] == []
    assert api.get(url("case_queue"), api.token(personas.president)).status_code == 403


def test_a_member_reads_only_their_own_case(personas, api):
    theirs = ExpulsionCaseFactory(membership=personas.member2)
    response = api.get(url("case_detail", personas.chapter, case_id=theirs.pk), api.token(personas.member))
    assert response.status_code == 404


def test_notifications_are_one_s_own(personas, api):
    notification_send(user=personas.member.user, kind="fine", title="A fine for you", email=False,
                      chapter=personas.chapter)
    read = notification_send(user=personas.member.user, kind="fine", title="Read already", email=False)
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now() - timedelta(hours=1))
    notification_send(user=personas.president.user, kind="fine", title="Not yours", email=False)
    token = api.token(personas.member)
    titles = [n["title"] for n in api.get(url("notification_list"), token).json()["items"]]
    unread = api.get(url("notification_list") + "?unread=true", token).json()["items"]
    assert sorted(titles) == ["A fine for you", "Read already"]
    assert [(n["title"], n["chapter"]) for n in unread] == [("A fine for you", "home-chapter")]
