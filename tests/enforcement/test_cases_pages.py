"""Case pages and the review queue: the evidence, the forms each person gets, the flow, flat query counts."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from enforcement import review, services
from enforcement.models import ExpulsionCase
from meetings.models import Attendance
from members.models import Membership
from tests.enforcement.factories import (
    AttendanceFactory,
    ChapterRulesFactory,
    ExpulsionCaseFactory,
    FineFactory,
    MeetingFactory,
    ReferralFactory,
)
from tests.factories import ChapterFactory, MembershipFactory

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ABSENT_ON = [date(2026, 1, 7), date(2026, 1, 21), date(2026, 2, 4)]


@pytest.fixture
def opened(personas, time_machine):
    """Mona (member) absent three times with one allowed: two fines, and a case at two violations."""
    time_machine.move_to(NOW)
    Membership.objects.filter(chapter=personas.chapter).update(joined_on=date(2024, 1, 1))
    ChapterRulesFactory(chapter=personas.chapter, absences_allowed=1, expulsion_violations=2, expulsion_months=6)
    for i in range(8):
        day = date(2026, 1, 7) + timedelta(days=7 * i)
        meeting = MeetingFactory(chapter=personas.chapter, local_date=day)
        status = Attendance.Status.ABSENT if day in ABSENT_ON else Attendance.Status.PRESENT
        AttendanceFactory(meeting=meeting, membership=personas.member, status=status)
    ReferralFactory(giver=personas.member, receiver=personas.member2, at=datetime(2026, 2, 10, 9, tzinfo=UTC))
    result = services.chapter_enforce(chapter=personas.chapter, now=NOW)
    [case] = result.cases
    return case


def case_url(personas, case, name="enforcement:case-detail"):
    return personas.url(name, case.pk)


def test_case_page_lays_out_the_evidence(client, personas, opened):
    personas.login(client, "org_admin")
    html = client.get(case_url(personas, opened)).content.decode()
    for day in ("Wed, 7 Jan 2026", "Wed, 21 Jan 2026", "Wed, 4 Feb 2026"):
        assert day in html  # each missed meeting with its date
    assert "8 meetings held" in html
    assert html.count("in this case") >= 2  # the two fines that opened it
    assert "to Max Member" in html  # the referral given in the period
    assert "appeal until" in html


def test_the_member_gets_the_appeal_form_not_the_decision(client, personas, opened):
    personas.login(client, "member")
    html = client.get(case_url(personas, opened)).content.decode()
    assert 'id="appeal-form"' in html and 'id="waive-form"' in html
    assert 'id="decide-form"' not in html and 'id="recommend-form"' not in html


def test_after_an_appeal_the_member_can_still_say_they_have_said_all(client, personas, opened):
    personas.login(client, "member")
    client.post(case_url(personas, opened, "enforcement:case-appeal"), {"text": "I was ill."})
    html = client.get(case_url(personas, opened)).content.decode()
    assert 'id="appeal-form"' not in html and 'id="waive-form"' in html
    assert "I have said all I want to say: the case may be decided now" in html
    personas.login(client, "org_admin")
    assert 'id="waive-form"' not in client.get(case_url(personas, opened)).content.decode()
    personas.login(client, "member")
    assert client.post(case_url(personas, opened, "enforcement:case-waive")).status_code == 302
    opened.refresh_from_db()
    assert opened.appeal_waived_at is not None and opened.decidable(timezone.now())
    assert 'id="waive-form"' not in client.get(case_url(personas, opened)).content.decode()


def test_no_waive_form_once_the_deadline_has_passed(client, personas, opened, time_machine):
    time_machine.move_to(NOW + timedelta(days=15))
    personas.login(client, "member")
    html = client.get(case_url(personas, opened)).content.decode()
    assert 'id="waive-form"' not in html and 'id="appeal-form"' not in html


def test_the_president_gets_the_recommendation_form_only(client, personas, opened):
    personas.login(client, "president")
    html = client.get(case_url(personas, opened)).content.decode()
    assert 'id="recommend-form"' in html
    assert 'id="appeal-form"' not in html and 'id="decide"' not in html


def test_the_admin_sees_the_deadline_before_it_passes_and_the_form_after(client, personas, opened, time_machine):
    personas.login(client, "region_staff")
    html = client.get(case_url(personas, opened)).content.decode()
    assert 'id="decide-form"' not in html and "You can decide after that" in html
    time_machine.move_to(NOW + timedelta(days=15))
    personas.login(client, "region_staff")  # the session of 15 days ago has expired
    html = client.get(case_url(personas, opened)).content.decode()
    assert 'id="decide-form"' in html and 'id="appeal-form"' not in html


@pytest.mark.parametrize("who", ["outsider", "other_region_staff"])
def test_people_outside_the_chapter_cannot_open_the_case(client, personas, opened, who):
    personas.login(client, who)
    assert client.get(case_url(personas, opened)).status_code == 404
    assert client.post(case_url(personas, opened, "enforcement:case-decide"),
                       {"decision": "expel", "reason": "x"}).status_code == 404


def test_another_member_cannot_open_the_case(client, personas, opened):
    client.force_login(personas.member2.user)
    assert client.get(case_url(personas, opened)).status_code == 404


def test_member_appeals_then_admin_decides_through_the_pages(client, personas, opened):
    personas.login(client, "member")
    response = client.post(case_url(personas, opened, "enforcement:case-appeal"),
                           {"text": "My mother was in hospital.", "waive_rest": "on"})
    assert response.status_code == 302
    assert "My mother was in hospital." in client.get(case_url(personas, opened)).content.decode()
    personas.login(client, "org_admin")
    response = client.post(case_url(personas, opened, "enforcement:case-decide"),
                           {"decision": "probation", "reason": "Genuine emergency.",
                            "probation_until": "2026-06-30", "conditions": "No further absence."})
    assert response.status_code == 302
    opened.refresh_from_db()
    assert opened.decision == "probation" and opened.decided_by == personas.org_admin
    assert Membership.objects.get(pk=personas.member.pk).status == "probation"
    personas.login(client, "member")
    html = client.get(case_url(personas, opened)).content.decode()
    assert "Decision: Probation" in html and "Genuine emergency." in html and "30 Jun 2026" in html


def test_a_decision_before_the_deadline_is_refused_and_keeps_what_was_typed(client, personas, opened):
    personas.login(client, "org_admin")
    response = client.post(case_url(personas, opened, "enforcement:case-decide"),
                           {"decision": "expel", "reason": "Three strikes, typed carefully."})
    assert response.status_code == 422
    html = response.content.decode()
    assert "may appeal until" in html and "Three strikes, typed carefully." in html
    assert ExpulsionCase.objects.get(pk=opened.pk).status == "open"


def test_probation_without_an_end_date_is_an_inline_error(client, personas, opened, time_machine):
    time_machine.move_to(NOW + timedelta(days=15))
    personas.login(client, "org_admin")
    response = client.post(case_url(personas, opened, "enforcement:case-decide"),
                           {"decision": "probation", "reason": "Kept my words.", "conditions": "Attend."})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Give the last day of probation." in html and "Kept my words." in html


def test_a_probation_ending_in_9999_is_an_inline_error(client, personas, opened, time_machine):
    time_machine.move_to(NOW + timedelta(days=15))
    personas.login(client, "org_admin")
    page = client.get(case_url(personas, opened)).content.decode()
    assert 'max="2028-03-17"' in page  # 2 years from 17 Mar 2026: the date picker stops there
    response = client.post(case_url(personas, opened, "enforcement:case-decide"),
                           {"decision": "probation", "reason": "Kept my words.", "probation_until": "9999-12-31",
                            "conditions": "Attend."})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Probation may last at most 2 years: end it by 17 Mar 2028." in html and "Kept my words." in html
    assert ExpulsionCase.objects.get(pk=opened.pk).status == "open"


def test_the_president_cannot_decide_through_the_page(client, personas, opened, time_machine):
    time_machine.move_to(NOW + timedelta(days=15))
    personas.login(client, "president")
    response = client.post(case_url(personas, opened, "enforcement:case-decide"), {"decision": "expel", "reason": "x"})
    assert response.status_code == 403


def test_an_empty_appeal_is_an_inline_error(client, personas, opened):
    personas.login(client, "member")
    response = client.post(case_url(personas, opened, "enforcement:case-appeal"), {"text": ""})
    assert response.status_code == 422 and 'id="id_text_error"' in response.content.decode()


# The queue ----------------------------------------------------------------------------------------


@pytest.fixture
def spread(personas):
    """Cases in the personas' chapter (region A), in another region, and one decided."""
    home_old = ExpulsionCaseFactory(membership=personas.member)
    home_new = ExpulsionCaseFactory(membership=personas.member2)
    elsewhere = ExpulsionCaseFactory(membership=MembershipFactory(chapter=personas.other_chapter))
    decided = ExpulsionCaseFactory(membership=personas.vice_president, status="decided", decision="dismiss")
    now = timezone.now()
    for case, age in ((home_old, 40), (home_new, 3), (elsewhere, 20), (decided, 60)):
        ExpulsionCase.objects.filter(pk=case.pk).update(
            opened_at=now - timedelta(days=age), appeal_deadline=now - timedelta(days=age) + timedelta(days=14)
        )
    return {"home_old": home_old, "home_new": home_new, "elsewhere": elsewhere, "decided": decided}


def queue_ids(client, **params):
    response = client.get(reverse("case-queue"), params)
    assert response.status_code == 200
    return [row["case"].pk for row in response.context["rows"]]


def test_org_admin_sees_every_open_case_oldest_first(client, personas, spread):
    personas.login(client, "org_admin")
    assert queue_ids(client) == [spread["home_old"].pk, spread["elsewhere"].pk, spread["home_new"].pk]


def test_region_staff_see_their_regions_cases_only(client, personas, spread):
    personas.login(client, "region_staff")
    assert queue_ids(client) == [spread["home_old"].pk, spread["home_new"].pk]
    personas.login(client, "other_region_staff")
    assert queue_ids(client) == []
    # and filtering by another region's chapter shows nothing of it
    personas.login(client, "region_staff")
    assert queue_ids(client, chapter=personas.other_chapter.pk) == []


@pytest.mark.parametrize("who", ["member", "president", "outsider"])
def test_people_who_oversee_nothing_are_refused_the_queue(client, personas, who):
    personas.login(client, who)
    assert client.get(reverse("case-queue")).status_code == 403


def test_queue_filters(client, personas, spread):
    personas.login(client, "org_admin")
    assert queue_ids(client, chapter=personas.other_chapter.pk) == [spread["elsewhere"].pk]
    assert queue_ids(client, region=personas.chapter.region_id) == [spread["home_old"].pk, spread["home_new"].pk]
    assert queue_ids(client, age=30) == [spread["home_old"].pk]
    assert queue_ids(client, status="decided") == [spread["decided"].pk]
    assert len(queue_ids(client, status="all")) == 4
    assert queue_ids(client, stage="appeal") == [spread["home_new"].pk]
    assert queue_ids(client, stage="ready") == [spread["home_old"].pk, spread["elsewhere"].pk]
    assert queue_ids(client, age="junk", status="junk") == queue_ids(client)  # bad input falls back


def test_queue_row_shows_violations_and_appeal(client, personas, spread):
    case = spread["home_new"]
    ExpulsionCase.objects.filter(pk=case.pk).update(
        evidence={"violations": [{"kind": "absence"}, {"kind": "absence"}, {"kind": "quota"}]},
    )
    review.case_appeal(case=case, by=personas.member2.user, text="Please.")
    personas.login(client, "org_admin")
    html = client.get(reverse("case-queue")).content.decode()
    row = html[html.index(f'id="queue-case-{case.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "2 absences over the limit, 1 referral quota missed" in row and "Appealed" in row and "Home Chapter" in row


def _queue_queries(client, django_assert_max_num_queries, n):
    with django_assert_max_num_queries(n) as captured:
        client.get(reverse("case-queue"))
    return len(captured.captured_queries)


def test_queue_query_count_does_not_grow_with_cases(client, personas, spread, django_assert_max_num_queries):
    personas.login(client, "org_admin")
    small = _queue_queries(client, django_assert_max_num_queries, 20)
    for i in range(12):
        chapter = ChapterFactory()
        ExpulsionCaseFactory(membership=MembershipFactory(chapter=chapter))
    large = _queue_queries(client, django_assert_max_num_queries, 20)
    assert large == small


def test_case_page_query_count_does_not_grow_with_the_record(client, personas, opened, django_assert_max_num_queries):
    personas.login(client, "org_admin")
    with django_assert_max_num_queries(40) as small:
        client.get(case_url(personas, opened))
    for i in range(10):
        day = date(2025, 11, 5) + timedelta(days=i)
        FineFactory(membership=personas.member, period_start=day, rules=opened.rules)
        ReferralFactory(giver=personas.member, receiver=personas.member2, at=datetime(2026, 1, 10 + i, tzinfo=UTC))
        meeting = MeetingFactory(chapter=personas.chapter, local_date=date(2025, 12, 1) + timedelta(days=i))
        AttendanceFactory(meeting=meeting, membership=personas.member, status=Attendance.Status.ABSENT)
        ExpulsionCaseFactory(membership=personas.member, rules=opened.rules, status="decided", decision="dismiss")
    with django_assert_max_num_queries(40) as large:
        client.get(case_url(personas, opened))
    assert len(large.captured_queries) == len(small.captured_queries)


def test_case_page_title_is_plain_text(client, personas):
    from tests.enforcement.factories import ExpulsionCaseFactory

    case = ExpulsionCaseFactory(membership=personas.member)
    personas.login(client, "org_admin")
    html = client.get(case.get_absolute_url()).content.decode()
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and "Mona Member" in title
    assert html.count('id="decide"') <= 1


def test_case_times_read_in_the_chapters_timezone(client, personas):
    """03:30 UTC on 2 March is the evening of 1 March in New York: the case, queue and standing say 1 March."""
    personas.chapter.timezone = "America/New_York"
    personas.chapter.save()
    opened = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)
    case = ExpulsionCaseFactory(
        membership=personas.member, appeal_deadline=opened + timedelta(days=14),
        appealed_at=opened + timedelta(hours=1), appeal_text="I was ill.",
    )
    ExpulsionCase.objects.filter(pk=case.pk).update(opened_at=opened)  # auto_now_add ignores a given value
    personas.login(client, "org_admin")
    page = client.get(case.get_absolute_url()).content.decode()
    assert "opened 1 March 2026" in page
    assert "Written 1 Mar 2026, 23:30" in page  # 04:30 UTC
    assert "1 Mar 2026" in client.get(reverse("case-queue")).content.decode()
    assert "1 Mar 2026" in client.get(personas.url("enforcement:cases")).content.decode()
    standing = client.get(personas.url("enforcement:standing-member", personas.member.pk)).content.decode()
    assert "since 1 Mar 2026" in standing


def test_queue_counts_violations_in_words_and_stacks_on_a_phone(client, personas):
    from enforcement.review_selectors import queue_rows

    violations = [{"kind": "absence"}] * 3 + [{"kind": "quota"}]
    case = ExpulsionCaseFactory(membership=personas.member, evidence={"violations": violations})
    [row] = queue_rows([case], now=timezone.now())
    assert row["violations"] == "3 absences over the limit, 1 referral quota missed"
    personas.login(client, "org_admin")
    html = client.get(reverse("case-queue")).content.decode()
    assert 'class="stack-sm"' in html and 'data-label="Stage"' in html


def test_waiving_the_appeal_is_behind_a_second_step_that_says_it_cannot_be_undone(client, personas, opened):
    personas.login(client, "member")
    html = client.get(case_url(personas, opened)).content.decode()
    waive = html[html.index('<details id="waive">'):]
    waive = waive[:waive.index("</details>")]
    assert 'id="waive-form"' in waive and "This cannot be undone." in waive


@pytest.mark.parametrize("who", ["member", "org_admin"])
def test_a_passed_deadline_is_not_offered_as_still_open(client, personas, opened, time_machine, who):
    time_machine.move_to(NOW + timedelta(days=15))
    personas.login(client, who)
    html = client.get(case_url(personas, opened)).content.decode()
    assert "has passed without an appeal" in html
    assert "may write an appeal until" not in html


def test_chapter_case_list_stacks_on_a_phone_and_does_not_offer_a_passed_deadline(
    client, personas, opened, time_machine
):
    personas.login(client, "president")
    html = client.get(personas.url("enforcement:cases")).content.decode()
    assert 'class="stack-sm"' in html and 'data-label="Appeal"' in html and "open until" in html
    time_machine.move_to(NOW + timedelta(days=15))
    personas.login(client, "president")
    html = client.get(personas.url("enforcement:cases")).content.decode()
    assert "open until" not in html and "passed" in html


@pytest.mark.parametrize("who,sees", [("org_admin", True), ("region_staff", True), ("other_region_staff", False),
                                      ("president", False)])
def test_cases_ready_for_a_decision_need_the_overseers_attention(client, personas, who, sees):
    case = ExpulsionCaseFactory(membership=personas.member2)
    review.case_appeal_waive(case=case, by=personas.member2.user)
    ExpulsionCaseFactory(membership=personas.member)  # still within its appeal time: not ready
    personas.login(client, who)
    html = client.get(reverse("dashboard")).content.decode()
    assert ("1 expulsion case ready for your decision" in html) is sees
    if sees:
        assert f"{reverse('case-queue')}?stage=ready&amp;chapter={personas.chapter.pk}" in html


def test_the_evidence_says_what_counted_as_means(client, personas, opened):
    personas.login(client, "org_admin")
    html = client.get(case_url(personas, opened)).content.decode()
    assert "no fine has weighed it yet" in html
