"""The incremental sweep: only due chapters are judged (dirty, or their next due day has come), in batches
whose query count does not grow with chapters or members; day after day it issues what a full run would."""

import re
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest

from enforcement import services, tasks
from enforcement.models import ChapterEvaluationState, ChapterRules, Fine, SweepRun
from enforcement.sweep import chapters_due, chapters_enforce, sweep
from meetings.models import Attendance
from meetings.services import attendance_correct
from tests.enforcement.conftest import D, World
from tests.enforcement.factories import ReferralFactory
from tests.factories import ChapterFactory

WEEK = ChapterRules.QuotaPeriod.WEEK
MEETING = ChapterRules.QuotaPeriod.MEETING


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def chapter_world(n: int = 0, *, members: int = 2, quota_period=WEEK, **rules) -> World:
    w = World(ChapterFactory(slug=f"sweep-{n}", timezone="Europe/London", currency="GBP"))
    w.rules(effective_from=date(2026, 1, 1), absences_allowed=1, fine_absence=D("10"), referral_quota=1,
            quota_period=quota_period, fine_quota=D("5"), expulsion_violations=50, **rules)
    for i in range(members):
        w.member(f"M{n}-{i}")
    return w


def standing(w: World) -> set:
    return set(Fine.objects.filter(chapter=w.chapter).exclude(status=Fine.Status.WITHDRAWN)
               .values_list("membership_id", "kind", "period_start", "amount"))


def state(w: World) -> ChapterEvaluationState:
    return ChapterEvaluationState.objects.get(chapter=w.chapter)


@pytest.mark.parametrize("chapters", [1, 50])
def test_a_sweep_with_nothing_due_runs_a_constant_number_of_queries(db, chapters, django_assert_max_num_queries):
    for n in range(chapters):
        c = ChapterFactory(slug=f"quiet-{n}")
        ChapterEvaluationState.objects.create(chapter=c, evaluated_on=date(2026, 3, 2), next_due_on=date(2026, 3, 9))
    with django_assert_max_num_queries(3):  # the due chapters (none), the run recorded
        done = sweep(now=noon(date(2026, 3, 4)))
    assert done["chapters"] == 0 and done["batches"] == 0
    assert SweepRun.objects.get().finished_at is not None


def test_a_chapter_never_judged_is_due_and_then_waits_for_its_next_due_day(db):
    w = chapter_world()
    w.weekly(date(2026, 1, 7), ["A", "A"], who="M0-0")
    done = sweep(now=noon(date(2026, 1, 21)))  # a Wednesday
    assert done["chapters"] == 1 and done["fines"] > 0
    assert state(w).evaluated_on == date(2026, 1, 21)
    assert state(w).next_due_on == date(2026, 1, 26)  # Monday: the week of 19 Jan is judged
    assert sweep(now=noon(date(2026, 1, 22)))["chapters"] == 0


def test_a_dirty_chapter_is_judged_by_the_next_sweep(db):
    w = chapter_world()
    sweep(now=noon(date(2026, 1, 21)))
    for day in (date(2026, 1, 14), date(2026, 1, 21)):
        Attendance.objects.create(meeting=w.meeting(day), membership=w.members["M0-1"], status="absent")
    assert sweep(now=noon(date(2026, 1, 22)))["chapters"] == 0  # written behind the services' back: not seen
    ChapterEvaluationState.mark_dirty(w.chapter.pk)
    done = sweep(now=noon(date(2026, 1, 22)))
    assert done["chapters"] == 1
    assert (w.members["M0-1"].pk, Fine.Kind.ABSENCE, date(2026, 1, 21), D("10.00")) in standing(w)
    assert state(w).dirty_since is None


def test_a_lost_immediate_task_is_caught_by_the_next_sweep(db, django_capture_on_commit_callbacks):
    w = chapter_world(members=3)
    pres = w.members["M0-2"]
    meetings = w.weekly(date(2026, 1, 7), ["P", "A"], who="M0-0")
    sweep(now=noon(date(2026, 1, 21)))
    assert not Fine.objects.filter(kind=Fine.Kind.ABSENCE).exists()
    with mock.patch("enforcement.tasks.chapter_enforce_task.delay", side_effect=ConnectionError("broker down")):
        with django_capture_on_commit_callbacks(execute=True):
            attendance_correct(meeting=meetings[0], membership=w.members["M0-0"], status=Attendance.Status.ABSENT,
                               by=pres.user, reason="Was absent after all")
    assert state(w).dirty_since is not None
    assert sweep(now=noon(date(2026, 1, 21)) + timedelta(hours=1))["chapters"] == 1
    assert Fine.objects.filter(kind=Fine.Kind.ABSENCE, membership=w.members["M0-0"]).count() == 1


def test_next_due_on_makes_the_chapter_due_on_the_day_its_quota_week_is_judged(db):
    w = chapter_world(members=1)
    sweep(now=noon(date(2026, 1, 7)))  # Wednesday
    assert not Fine.objects.filter(kind=Fine.Kind.QUOTA, period_start=date(2026, 1, 5)).exists()
    for day in (date(2026, 1, 10), date(2026, 1, 11)):  # Saturday, Sunday: not due
        assert sweep(now=noon(day))["chapters"] == 0
    done = sweep(now=datetime(2026, 1, 12, 0, 30, tzinfo=UTC))  # Monday, just after midnight in London
    assert done["chapters"] == 1
    assert Fine.objects.filter(kind=Fine.Kind.QUOTA, period_start=date(2026, 1, 5)).count() == 1
    assert state(w).next_due_on == date(2026, 1, 19)


def test_next_due_on_waits_for_the_consent_grace(db):
    w = chapter_world(members=1, quota_counts=ChapterRules.QuotaCounts.CONSENTED, consent_grace_days=3)
    sweep(now=noon(date(2026, 1, 7)))
    assert state(w).next_due_on == date(2026, 1, 15)  # the week of 5 Jan, judged after 3 days of grace
    assert sweep(now=noon(date(2026, 1, 14)))["chapters"] == 0
    assert sweep(now=noon(date(2026, 1, 15)))["fines"] == 1
    assert state(w).next_due_on == date(2026, 1, 22)


def test_next_due_on_makes_the_chapter_due_the_day_after_a_meeting_with_a_per_meeting_quota(db):
    w = chapter_world(members=1, quota_period=MEETING)
    w.meeting(date(2026, 1, 14), status="scheduled")
    sweep(now=noon(date(2026, 1, 12)))
    assert state(w).next_due_on == date(2026, 1, 15)


def test_next_due_on_comes_when_a_leave_ends_or_a_version_starts(db):
    w = chapter_world(members=1)
    w.leave("M0-0", date(2026, 1, 1), date(2026, 1, 8))
    sweep(now=noon(date(2026, 1, 6)))
    assert state(w).next_due_on == date(2026, 1, 9)
    w.rules(effective_from=date(2026, 1, 10), absences_allowed=2)
    ChapterEvaluationState.mark_dirty(w.chapter.pk)
    sweep(now=noon(date(2026, 1, 9)))
    assert state(w).next_due_on == date(2026, 1, 10)


def test_day_after_day_the_sweep_issues_exactly_what_a_full_run_does(db):
    w = chapter_world(members=3, late_weight=D("0.5"), fine_late=D("2"))
    a, b, c = (w.members[f"M0-{i}"] for i in range(3))
    first = date(2026, 1, 7)
    w.weekly(first, ["A", "P", "L", "L", "A", "P", "A", "P"], who="M0-0")
    w.weekly(first + timedelta(days=1), ["L", "L", "A", "P", "S", "S", "P", "A"], who="M0-1", step=7)
    for i in range(8):
        ReferralFactory(giver=a if i % 2 else b, receiver=c, at=w.at(first + timedelta(days=7 * i)))
    day = date(2026, 1, 5)
    while day <= date(2026, 3, 2):
        sweep(now=noon(day))
        day += timedelta(days=1)
    by_sweep = standing(w)
    again = services.chapter_enforce(chapter=w.chapter, now=noon(date(2026, 3, 2)))
    assert again.fines == [] and again.withdrawn == []  # a full run finds everything done
    assert standing(w) == by_sweep and len(by_sweep) > 5


def _batch_world(n: int, members: int, first: int = 100) -> list[int]:
    """`n` chapters of `members` members, each absent twice and giving one referral: fines of both kinds."""
    ids = []
    for i in range(n):
        w = chapter_world(first + i, members=members)
        names = list(w.members)
        for day, status in ((date(2026, 1, 7), "absent"), (date(2026, 1, 14), "absent"), (date(2026, 1, 21), "late")):
            w.meeting(day, dict.fromkeys(names, status))
        for j, name in enumerate(names):
            ReferralFactory(giver=w.members[name], receiver=w.members[names[j - 1]], at=w.at(date(2026, 1, 8)))
        ids.append(w.chapter.pk)
    return ids


@pytest.mark.parametrize("dirty", [True, False])
def test_a_batch_query_count_does_not_grow_with_chapters_or_members(db, dirty, django_assert_max_num_queries):
    small, large = _batch_world(2, 2), _batch_world(6, 5, first=110)
    first = date(2026, 2, 2)
    today = first if dirty else first + timedelta(days=1)  # judged in full again, or only what came due since
    for ids in (small, large):
        chapters_enforce(chapter_ids=ids, today=first)  # the first run writes
        for pk in ids:
            if dirty:
                ChapterEvaluationState.mark_dirty(pk)
    counts = []
    for ids in (small, large):
        with django_assert_max_num_queries(16) as captured:
            result = chapters_enforce(chapter_ids=ids, today=today)
        assert result.chapters == len(ids)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], (counts, [q["sql"][:60] for q in captured.captured_queries])


def test_due_chapters_are_found_on_their_own_local_day(db):
    london = ChapterFactory(slug="london", timezone="Europe/London")
    la = ChapterFactory(slug="la", timezone="America/Los_Angeles")
    for c in (london, la):
        ChapterEvaluationState.objects.create(chapter=c, evaluated_on=date(2026, 3, 1), next_due_on=date(2026, 3, 2))
    now = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 3:00 in London, still 1 March in Los Angeles
    assert chapters_due(now=now) == [(date(2026, 3, 2), [london.pk])]
    assert chapters_due(now=now + timedelta(hours=6)) == [(date(2026, 3, 2), [london.pk, la.pk])]


def test_the_beat_task_records_a_run_that_its_batches_finish(db, settings):
    settings.ENFORCEMENT_SWEEP_BATCH = 2
    worlds = [chapter_world(200 + i, members=1) for i in range(5)]
    with mock.patch("enforcement.tasks.enforce_batch.delay") as delay:
        assert tasks.enforcement_sweep() == 3
    run = SweepRun.objects.get()
    assert (run.batches, run.batches_done, run.finished_at) == (3, 0, None)
    for call in delay.call_args_list:
        tasks.enforce_batch(*call.args)
        tasks.enforce_batch(*call.args)  # delivered twice: counted once, nothing judged twice
    run.refresh_from_db()
    assert (run.batches, run.batches_done, run.chapters) == (3, 3, 5) and run.finished_at is not None
    assert all(state(w).evaluated_on for w in worlds)


def test_fines_issued_in_bulk_have_every_side_effect_of_one_by_one(db, django_capture_on_commit_callbacks):
    from members.models import AuditEvent, Notification, OutboundEmail

    def side_effects(w):
        fines = list(Fine.objects.filter(chapter=w.chapter).order_by("membership_id", "kind", "period_start"))
        return (
            [(f.membership_id, f.kind, f.period_start, f.amount, f.explanation, f.evidence) for f in fines],
            sorted(AuditEvent.objects.filter(chapter=w.chapter, action="fine.issued").values_list("summary", "after")),
            sorted(Notification.objects.filter(chapter=w.chapter, kind="fine").values_list("title", "body", "email_wanted")),
            sorted(OutboundEmail.objects.filter(chapter=w.chapter).values_list("to", "subject", "body", "html")),
        )

    one, many = _batch_world(1, 3, first=300), _batch_world(1, 3, first=301)
    with mock.patch("enforcement.tasks.chapter_enforce_task.delay"), \
            mock.patch("members.tasks.outbound_email_send_task.delay") as send, \
            mock.patch("members.tasks.outbound_emails_send_task.delay") as send_batch:
        def queued():  # one by one, or in batches
            return send.call_count + sum(len(call.args[0]) for call in send_batch.call_args_list)

        with django_capture_on_commit_callbacks(execute=True):
            services.chapter_enforce(chapter=ChapterFactory._meta.model.objects.get(pk=one[0]), now=noon(date(2026, 2, 2)))
        sent_one = queued()
        with django_capture_on_commit_callbacks(execute=True):
            chapters_enforce(chapter_ids=many, today=date(2026, 2, 2), now=noon(date(2026, 2, 2)))
        assert queued() - sent_one == sent_one > 0  # every email's send queued
        assert len({pk for call in send_batch.call_args_list for pk in call.args[0]}) == queued() - sent_one
    a, b = (side_effects(World(ChapterFactory._meta.model.objects.get(pk=pk))) for pk in (one[0], many[0]))

    def plain(rows):  # names, ids and links differ between the two chapters; nothing else may
        return sorted(re.sub(r"\d+", "#", repr(row)) for row in rows)

    assert len(a[0]) > 3
    assert [plain(x) for x in a] == [plain(x) for x in b]


@pytest.mark.parametrize(
    ("counts", "to", "dirty"),
    [
        (ChapterRules.QuotaCounts.MEETING, "meeting", True),  # now counts: the week's quota fine must go
        (ChapterRules.QuotaCounts.WON, "meeting", False),  # still does not count toward a won-only quota
        (ChapterRules.QuotaCounts.ALL, "meeting", False),  # every referral counts whatever its status
    ],
)
def test_a_referral_moving_on_rejudges_its_chapter_only_when_it_changes_what_counts(
    db, time_machine, django_capture_on_commit_callbacks, counts, to, dirty
):
    """Week of Mon 5 Jan: Ann gave one referral, which Bob contacted; under a quota that counts referrals
    that reached a meeting, Ann is fined £5 when the week is judged. Bob then records the meeting:
    the chapter is marked dirty and the next sweep withdraws the fine. Under other quotas the move is
    no evidence, and the chapter is not re-judged."""
    from referrals import services as referral_services
    from referrals.models import Referral

    time_machine.move_to(noon(date(2026, 1, 3)), tick=False)
    w = chapter_world(members=0, quota_counts=counts)
    ann, bob = w.member("Ann"), w.member("Bob")
    referral = ReferralFactory(giver=ann, receiver=bob, at=w.at(date(2026, 1, 6)), status=Referral.Status.CONTACTED)
    ReferralFactory(giver=bob, receiver=ann, at=w.at(date(2026, 1, 7)), status=Referral.Status.WON)
    sweep(now=noon(date(2026, 1, 13)))
    fined = Fine.objects.filter(membership=ann, kind=Fine.Kind.QUOTA).exclude(status=Fine.Status.WITHDRAWN)
    assert fined.exists() == (counts != ChapterRules.QuotaCounts.ALL)
    time_machine.move_to(noon(date(2026, 1, 14)), tick=False)
    with django_capture_on_commit_callbacks(execute=False):
        referral_services.referral_move(referral=referral, by=bob, to=to)
    state = ChapterEvaluationState.objects.get(chapter=w.chapter)
    assert (state.dirty_since is not None) == dirty
    sweep(now=noon(date(2026, 1, 14)))
    assert fined.exists() == (counts == ChapterRules.QuotaCounts.WON)


@pytest.mark.parametrize("body", ["", "Plain.", "Two\nlines & <b>tags</b>\r\nand \"quotes\" 'too'"])
@pytest.mark.parametrize("url", ["", "/fines/1/"])
def test_the_bulk_emails_are_byte_identical_to_notification_send(db, settings, body, url):
    from members.models import OutboundEmail
    from members.notifications import notification_send
    from tests.factories import UserFactory

    settings.ORGANISATION_NAME = "Leads & <Co>"
    user = UserFactory(email="ann@example.com")
    with mock.patch("members.tasks.outbound_email_send_task.delay"):
        n = notification_send(user=user, kind="fine", title="Fine €25: <late> & \"absent\"", body=body, url=url)
    email = OutboundEmail.objects.get(notification=n)
    assert services.notification_email_parts(n) == (email.body, email.html)


def _case_world(n: int, president_admin) -> World:
    """A chapter whose three members (one the president) cross a threshold of two violations in January."""
    w = World(ChapterFactory(slug=f"cases-{n}", timezone="Europe/London", currency="GBP"))
    w.rules(effective_from=date(2026, 1, 1), absences_allowed=0, fine_absence=D("10"), expulsion_violations=2)
    w.member("Pat", role="president", user=president_admin) if president_admin else w.member("Pat", role="president")
    w.member("Ann")
    w.member("Bob")
    for day in (date(2026, 1, 7), date(2026, 1, 14), date(2026, 1, 21)):
        w.meeting(day, dict.fromkeys(w.members, "absent"))
    return w


@pytest.mark.parametrize("president_decides", [False, True])
def test_cases_opened_in_bulk_have_every_side_effect_of_one_by_one(db, django_capture_on_commit_callbacks,
                                                                    president_decides):
    """A batch's cases in a few statements: the same cases, fines weighed, audit events, notices (each
    person told once per case, a president who also decides too) and emails as one case at a time."""
    from enforcement.models import ExpulsionCase
    from members.models import AuditEvent, Notification, OutboundEmail
    from tests.factories import UserFactory

    UserFactory(full_name="Olivia Admin", is_org_admin=True)
    admin = (lambda: UserFactory(full_name="Pat", is_org_admin=True)) if president_decides else (lambda: None)
    one, many = _case_world(1, admin()), [_case_world(2, admin()), _case_world(3, admin())]

    def side_effects(w):
        cases = ExpulsionCase.objects.filter(chapter=w.chapter)
        return (
            [(c.membership.user.full_name, c.explanation, c.evidence, c.fines.count(), c.status) for c in cases],
            list(AuditEvent.objects.filter(chapter=w.chapter, action="case.opened").values_list("summary", "after")),
            list(Notification.objects.filter(chapter=w.chapter, kind="case")
                 .values_list("user__full_name", "title", "body", "url", "email_wanted", "dedupe_key")),
            list(OutboundEmail.objects.filter(chapter=w.chapter, notification__kind="case")
                 .values_list("to", "subject", "body", "html")),
        )

    with mock.patch("enforcement.tasks.chapter_enforce_task.delay"), \
            mock.patch("members.tasks.outbound_email_send_task.delay") as send, \
            mock.patch("members.tasks.outbound_emails_send_task.delay") as send_batch:
        with django_capture_on_commit_callbacks(execute=True):
            services.chapter_enforce(chapter=one.chapter, now=noon(date(2026, 2, 2)))
        assert send.call_count > 0 and send_batch.call_count == 0
        with django_capture_on_commit_callbacks(execute=True):
            result = chapters_enforce(chapter_ids=[w.chapter.pk for w in many], today=date(2026, 2, 2),
                                      now=noon(date(2026, 2, 2)))
    assert result.counts["cases"] == 6
    queued = [pk for call in send_batch.call_args_list for pk in call.args[0]]
    assert sorted(queued) == sorted(OutboundEmail.objects.filter(chapter__in=[w.chapter for w in many])
                                    .values_list("pk", flat=True))

    def plain(rows):  # ids, dates of the deadline and links differ between the chapters; nothing else may
        return sorted(re.sub(r"\d+", "#", repr(row)) for row in rows)

    a = side_effects(one)
    assert len(a[0]) == 3
    if not president_decides:  # member, president (unless the case is theirs), the admin
        assert len(a[2]) == 2 + 3 + 3
    for w in many:
        assert [plain(x) for x in side_effects(w)] == [plain(x) for x in a]


def test_a_first_run_writing_fines_and_cases_runs_the_same_queries_for_more_chapters(
    db, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """Fines, cases, their audit events, notices and emails are written per batch, not per chapter or member."""
    from chapters.models import RegionStaff
    from tests.factories import UserFactory

    UserFactory(is_org_admin=True)
    # Three chapters' fines fit in one of SQLite's bulk inserts (999 parameters); PostgreSQL has no such cut.
    small = [_case_world(10 + i, None) for i in range(1)]
    large = [_case_world(20 + i, None) for i in range(3)]
    UserFactory(is_org_admin=True)
    for w in large[:2]:  # some regions have staff, the others fall to the admins
        RegionStaff.objects.create(region_id=w.chapter.region_id, user=UserFactory())
    counts = []
    with mock.patch("members.tasks.outbound_emails_send_task.delay") as send_batch:
        for worlds in (small, large):
            with django_assert_max_num_queries(40) as captured, django_capture_on_commit_callbacks(execute=True):
                result = chapters_enforce(chapter_ids=[w.chapter.pk for w in worlds], today=date(2026, 2, 2),
                                          now=noon(date(2026, 2, 2)))
            assert result.counts["cases"] == 3 * len(worlds)
            counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts
    assert send_batch.call_count == 4  # fine emails and case emails, a batch each per run
