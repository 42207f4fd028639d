"""The weekly read-out: a closed meeting's slips, its totals against the weeks before, and the email to leadership."""

import csv
import io
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from meetings import services
from meetings.models import Meeting
from meetings.readout import meeting_readout
from members.models import Notification, OutboundEmail
from referrals.models import Referral, ThankYou
from tests.factories import MembershipFactory
from tests.meetings.factories import AttendanceFactory, MeetingFactory, VisitorFactory
from tests.meetings.factories import TestimonialFactory as SaidAboutFactory  # not collected as a test class
from tests.referrals.factories import EducationCreditFactory, OneToOneFactory, ReferralFactory

pytestmark = pytest.mark.django_db

# Wednesdays at 07:00 London; the 18th was cancelled (a holiday), so the 25th's week runs from the 12th.
DAYS = [date(2026, 1, 28), date(2026, 2, 4), date(2026, 2, 11), date(2026, 2, 18), date(2026, 2, 25),
        date(2026, 3, 4), date(2026, 3, 11)]
NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)


@pytest.fixture
def week(personas):
    """Seven weekly meetings (one cancelled), the last one today; returns it and the meetings by date."""
    with time_machine.travel(NOW, tick=False):
        meetings = {}
        for day in DAYS:
            meetings[day] = MeetingFactory(
                chapter=personas.chapter, local_date=day,
                starts_at=datetime.combine(day, time(7, 0), tzinfo=personas.chapter.tz),
                status="cancelled" if day == date(2026, 2, 18) else "closed",
            )
        Meeting.objects.filter(pk=meetings[DAYS[-1]].pk).update(status="scheduled")
        yield meetings


def _at(chapter, y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=chapter.tz)


def _referral(personas, when, **kw):
    r = ReferralFactory(giver=personas.member, receiver=personas.member2, **kw)
    Referral.objects.filter(pk=r.pk).update(created_at=when)
    return r


def _thanks(personas, when, value, business_type="new"):
    r = _referral(personas, _at(personas.chapter, 2026, 1, 2))  # given long before, thanked for now
    return ThankYou.objects.create(chapter=personas.chapter, referral=r, giver=personas.member, receiver=personas.member2,
                                   value=Decimal(value), closed_on=when.date(), business_type=business_type,
                                   created_at=when)


def _fill(personas, meetings):
    c = personas.chapter
    # this week: Thu 5 Mar to Wed 11 Mar, the meeting's whole day included
    _referral(personas, _at(c, 2026, 3, 5), consent="stated")
    _referral(personas, _at(c, 2026, 3, 11, 6, 59), consent="confirmed")
    _referral(personas, _at(c, 2026, 3, 11, 23, 30), consent="not_asked")
    _referral(personas, _at(c, 2026, 3, 12, 0, 10))  # next week's
    # last week (Thu 26 Feb to Wed 4 Mar), the two weeks of the 25th (12-25 Feb), then the 11th's and the 4th's
    _referral(personas, _at(c, 2026, 3, 4, 23, 59))
    _referral(personas, _at(c, 2026, 2, 27))
    for d in (12, 16, 20, 25):
        _referral(personas, _at(c, 2026, 2, d))
    _referral(personas, _at(c, 2026, 2, 5))
    _referral(personas, _at(c, 2026, 1, 29))
    _referral(personas, _at(c, 2026, 1, 28))  # the week of the 28th: older than the four compared
    _thanks(personas, _at(c, 2026, 3, 9), "1200.00", "new")
    _thanks(personas, _at(c, 2026, 3, 10), "300.00", "repeat")
    _thanks(personas, _at(c, 2026, 3, 2), "500.00", "new")
    OneToOneFactory(initiator=personas.member, other=personas.treasurer, met_on=date(2026, 3, 6), status="confirmed")
    OneToOneFactory(initiator=personas.member2, other=personas.treasurer, met_on=date(2026, 3, 7), status="pending")
    OneToOneFactory(initiator=personas.member2, other=personas.member, met_on=date(2026, 3, 3), status="confirmed")
    EducationCreditFactory(membership=personas.member, completed_on=date(2026, 3, 10), hours=Decimal("2.5"),
                           title="Negotiation workshop")
    this = meetings[DAYS[-1]]
    VisitorFactory(meeting=this, name="Vera Visitor", business="Vera's Vans", email="vera@private.example",
                   phone="+44 7700 900999", invited_by=personas.member)
    VisitorFactory(meeting=this, name="Walt Visitor", invited_by=None)
    VisitorFactory(meeting=meetings[DAYS[-2]], name="Earlier Visitor")
    SaidAboutFactory(meeting=this, given_by=personas.member, about=personas.member2, text="Fixed our roof in a day.")
    AttendanceFactory(meeting=this, membership=personas.member, status="present")
    AttendanceFactory(meeting=this, membership=personas.member2, status="late")


def test_the_weeks_run_from_the_day_after_the_previous_held_meeting(personas, week):
    with time_machine.travel(NOW, tick=False):
        r = meeting_readout(meeting=week[DAYS[-1]])
    assert (r.week.first_day, r.week.last_day) == (date(2026, 3, 5), date(2026, 3, 11))
    spans = [(w.first_day, w.last_day) for w in r.weeks_before]
    assert spans == [(date(2026, 2, 26), date(2026, 3, 4)), (date(2026, 2, 12), date(2026, 2, 25)),
                     (date(2026, 2, 5), date(2026, 2, 11)), (date(2026, 1, 29), date(2026, 2, 4))]


def test_figures_against_last_week_and_the_average_of_four(personas, week):
    _fill(personas, week)
    with time_machine.travel(NOW, tick=False):
        r = meeting_readout(meeting=week[DAYS[-1]])
    referrals = r.figure("referrals")
    assert (referrals.this, referrals.last, referrals.average) == (3, 2, Decimal("2.00"))  # (2 + 4 + 1 + 1) / 4
    assert referrals.trend == "up"
    assert r.figure("consented").this == 2
    tyfcb = r.figure("tyfcb")
    assert (tyfcb.this_text, tyfcb.last_text, tyfcb.average_text) == ("£1,500.00", "£500.00", "£125.00")
    assert (r.figure("tyfcb_new").this, r.figure("tyfcb_repeat").this) == (Decimal("1200.00"), Decimal("300.00"))
    assert (r.figure("one_to_ones").this, r.one_to_ones_pending, r.figure("one_to_ones").last) == (1, 1, 1)
    assert (r.figure("education").this, r.figure("education_hours").this_text) == (1, "2.5")
    assert (r.figure("visitors").this, r.figure("visitors").last) == (2, 1)
    assert r.figure("testimonials").this == 1
    assert (r.figure("attending").this, r.figure("absent").this) == (2, 0)
    assert [x.consent for x in r.referrals] == ["stated", "confirmed", "not_asked"]


def test_the_page_reads_out_the_slips_without_any_prospect_or_visitor_contact(client, personas, week):
    _fill(personas, week)
    with time_machine.travel(NOW, tick=False):
        personas.login(client, "president")
        html = client.get(personas.url("meetings:read-out", week[DAYS[-1]].pk)).content.decode()
    assert 'data-testid="this-referrals">3<' in html and 'data-testid="avg-referrals">2<' in html
    assert 'data-testid="this-tyfcb">£1,500.00<' in html and 'data-testid="last-tyfcb">£500.00<' in html
    assert "Thu 5 Mar to Wed, 11 Mar 2026" in html
    assert "Vera Visitor" in html and "Fixed our roof in a day." in html and "Negotiation workshop" in html
    assert "Provisional" in html  # the meeting is not closed yet
    for secret in ("Petra Prospect", "petra@prospect.example", "900123", "vera@private.example", "900999"):
        assert secret not in html


def test_a_week_is_counted_in_the_chapters_own_timezone(personas, week):
    personas.chapter.timezone = "America/New_York"
    personas.chapter.save()
    # 03:30 UTC on the 12th is still the evening of Wednesday the 11th in New York
    _referral(personas, datetime(2026, 3, 12, 3, 30, tzinfo=UTC))
    _referral(personas, datetime(2026, 3, 5, 4, 30, tzinfo=UTC))  # the evening of the 4th there: last week
    with time_machine.travel(NOW, tick=False):
        r = meeting_readout(meeting=Meeting.objects.select_related("chapter").get(pk=week[DAYS[-1]].pk))
    assert (r.figure("referrals").this, r.figure("referrals").last) == (1, 1)


def test_a_chapters_first_meeting_compares_with_nothing(personas):
    with time_machine.travel(NOW, tick=False):
        meeting = MeetingFactory(chapter=personas.chapter, local_date=date(2026, 3, 11),
                                 starts_at=_at(personas.chapter, 2026, 3, 11, 7))
        r = meeting_readout(meeting=meeting)
    assert r.weeks_before == [] and r.figure("referrals").average is None
    assert r.week.first_day == date(2026, 3, 5)  # a cadence's length


def test_only_leadership_may_read_it_and_a_cancelled_meeting_has_none(client, personas, week):
    with time_machine.travel(NOW, tick=False):
        personas.login(client, "member")
        assert client.get(personas.url("meetings:read-out", week[DAYS[-2]].pk)).status_code == 403
        personas.login(client, "president")
        assert client.get(personas.url("meetings:read-out", week[date(2026, 2, 18)].pk)).status_code == 404


def test_the_closed_meeting_page_links_its_read_out_for_leadership(client, personas, week):
    with time_machine.travel(NOW, tick=False):
        url = personas.url("meetings:read-out", week[DAYS[-2]].pk)
        personas.login(client, "president")
        assert url in client.get(personas.url("meetings:detail", week[DAYS[-2]].pk)).content.decode()
        personas.login(client, "member")
        assert url not in client.get(personas.url("meetings:detail", week[DAYS[-2]].pk)).content.decode()


def test_the_csv_has_the_figures_and_slips_formula_safe(client, personas, week):
    _fill(personas, week)
    personas.member.user.full_name = "=HYPERLINK(\"http://evil.example\")"
    personas.member.user.save()
    with time_machine.travel(NOW, tick=False):
        personas.login(client, "president")
        response = client.get(personas.url("meetings:read-out-csv", week[DAYS[-1]].pk))
    assert response["Content-Disposition"] == 'attachment; filename="read-out-home-chapter-2026-03-11.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    figures = {r[0]: r[1:4] for r in rows if len(r) >= 4}
    assert figures["Referrals given"] == ["3", "2", "2"]
    assert figures["Closed business (TYFCB)"] == ["1500.00", "500.00", "125.00"]
    referrals = [r for r in rows if r and r[0] == "Referral"]
    assert len(referrals) == 3 and referrals[0][2].startswith("'=HYPERLINK")
    assert "Petra Prospect" not in response.content.decode()


# The email to leadership when the meeting closes ---------------------------------------------------


def _close(personas, meeting):
    with time_machine.travel(NOW, tick=False):
        services.meeting_close(meeting=Meeting.objects.get(pk=meeting.pk), by=personas.president.user)


def test_closing_tells_each_leader_once_with_the_read_out_by_email(personas, week):
    _fill(personas, week)
    _close(personas, week[DAYS[-1]])
    notices = Notification.objects.filter(kind="read_out")
    leaders = {personas.president.user_id, personas.vice_president.user_id, personas.treasurer.user_id}
    assert set(notices.values_list("user_id", flat=True)) == leaders
    emails = OutboundEmail.objects.filter(notification__kind="read_out")
    assert sorted(emails.values_list("to", flat=True)) == sorted(
        m.user.email for m in (personas.president, personas.vice_president, personas.treasurer))
    email = emails.get(to=personas.president.user.email)
    assert email.status == "queued" and "Weekly read-out" in email.subject
    assert "Referrals given: 3 / 2 / 2 (above average)" in email.body
    assert "Mona Member to Max Member" in email.body and "Vera Visitor" in email.body
    assert "£1,500.00" in email.html and "petra@prospect.example" not in email.body + email.html
    assert "vera@private.example" not in email.body + email.html
    assert reverse("meetings:read-out", args=[personas.chapter.slug, week[DAYS[-1]].pk]) in email.body


def test_closing_again_after_a_reopening_sends_nothing_new(personas, week):
    meeting = week[DAYS[-1]]
    _close(personas, meeting)
    Meeting.objects.filter(pk=meeting.pk).update(status="open", closed_at=None)  # reopened (e.g. by an admin)
    _close(personas, meeting)
    assert Notification.objects.filter(kind="read_out").count() == 3
    assert OutboundEmail.objects.filter(notification__kind="read_out").count() == 3


def test_a_leader_appointed_before_the_second_close_is_told_then(personas, week):
    meeting = week[DAYS[-1]]
    _close(personas, meeting)
    personas.member2.role = "vice_president"
    personas.vice_president.role = "member"
    personas.vice_president.save()
    personas.member2.save()
    Meeting.objects.filter(pk=meeting.pk).update(status="open", closed_at=None)
    _close(personas, meeting)
    assert Notification.objects.filter(kind="read_out", user=personas.member2.user).count() == 1
    assert Notification.objects.filter(kind="read_out").count() == 4


def test_a_leader_who_muted_read_outs_gets_the_notice_without_email(personas, week):
    user = personas.treasurer.user
    user.notification_delivery = {"read_out": "app"}
    user.save()
    _close(personas, week[DAYS[-1]])
    assert Notification.objects.filter(kind="read_out", user=user).exists()
    assert not OutboundEmail.objects.filter(to=user.email).exists()


def test_members_are_not_sent_the_read_out(personas, week):
    _close(personas, week[DAYS[-1]])
    assert not Notification.objects.filter(kind="read_out", user=personas.member.user).exists()


def test_the_emails_go_to_workers_once_the_close_commits(personas, week, django_capture_on_commit_callbacks):
    from unittest import mock

    with mock.patch("members.tasks.outbound_emails_send_task.delay") as send, \
            mock.patch("enforcement.tasks.chapter_enforce_task.delay"), \
            mock.patch("meetings.tasks.meeting_visitor_followups_task.delay"):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            _close(personas, week[DAYS[-1]])
    assert len(callbacks) == 1  # the close's one after-close callback carries the emails too
    [batch] = send.call_args.args
    assert sorted(batch) == sorted(OutboundEmail.objects.filter(notification__kind="read_out").values_list("pk", flat=True))


def test_the_close_preview_writes_no_read_out(client, personas):
    """The close page tries the close in a transaction it rolls back: no notice may survive it."""
    with time_machine.travel(NOW, tick=False):
        meeting = MeetingFactory(chapter=personas.chapter, local_date=date(2026, 3, 4),
                                 starts_at=_at(personas.chapter, 2026, 3, 4, 7))
        services.meeting_close_fines_preview(meeting=meeting, by=personas.president.user)
    assert not Notification.objects.filter(kind="read_out").exists()
    assert Meeting.objects.get(pk=meeting.pk).status == "scheduled"


def test_a_member_of_two_chapters_is_read_out_only_in_the_chapter_of_the_slip(personas, week):
    other_seat = MembershipFactory(chapter=personas.other_chapter, user=personas.member.user)
    other = ReferralFactory(giver=other_seat, receiver=personas.outsider)
    Referral.objects.filter(pk=other.pk).update(created_at=_at(personas.chapter, 2026, 3, 6))
    with time_machine.travel(NOW, tick=False):
        r = meeting_readout(meeting=week[DAYS[-1]])
    assert r.figure("referrals").this == 0
