from datetime import date, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from members.models import Notification, OutboundEmail
from members.notifications import notification_send
from members.outbox import emails_due_ids
from members.tasks import outbox_sweep
from tests.outbox import outbox_flush


def test_notice_and_its_email_are_rows_first_and_the_send_is_queued_after_commit(
    personas, django_capture_on_commit_callbacks
):
    with mock.patch("members.tasks.outbound_email_send_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            n = notification_send(user=personas.member.user, kind="fine", title="A fine", chapter=personas.chapter)
            delay.assert_not_called()  # nothing leaves before the transaction commits
    email = OutboundEmail.objects.get(notification=n)
    assert (email.kind, email.to, email.status) == ("notification", personas.member.user.email, "queued")
    assert len(callbacks) == 1
    delay.assert_called_once_with(email.pk)


def test_a_broker_outage_does_not_fail_the_caller(personas, django_capture_on_commit_callbacks):
    with mock.patch("members.tasks.outbound_email_send_task.delay", side_effect=ConnectionError("down")):
        with django_capture_on_commit_callbacks(execute=True):
            n = notification_send(user=personas.member.user, kind="fine", title="A fine")
    n.refresh_from_db()
    assert n.email_sent_at is None
    assert OutboundEmail.objects.get(notification=n).status == "queued"  # the periodic sweep will send it


def test_email_goes_out_once_with_text_and_html(personas):
    n = notification_send(user=personas.member.user, kind="fine", title="Fine <b>issued</b>", body="Because.")
    assert outbox_flush() == 1
    assert outbox_flush() == 0  # a second run sends nothing
    assert len(mail.outbox) == 1
    html = mail.outbox[0].alternatives[0][0]
    assert "Fine &lt;b&gt;issued&lt;/b&gt;" in html
    n.refresh_from_db()
    assert n.email_sent_at is not None


def test_kinds_set_to_the_app_stay_in_app_only(personas):
    user = personas.member.user
    user.notification_delivery = {"reminder": "app"}
    user.save()
    n = notification_send(user=user, kind="reminder", title="Meeting tomorrow")
    assert not n.email_wanted
    assert not OutboundEmail.objects.exists()
    assert outbox_flush() == 0
    assert mail.outbox == []


def test_dedupe_key_makes_a_rerun_change_nothing(personas):
    first = notification_send(user=personas.member.user, kind="reminder", title="x", dedupe_key="reminder:1")
    second = notification_send(user=personas.member.user, kind="reminder", title="x", dedupe_key="reminder:1")
    assert first is not None and second is None
    assert Notification.objects.count() == 1


def test_sweep_requeues_unsent_email_whose_task_was_lost(personas):
    n = notification_send(user=personas.member.user, kind="fine", title="x")
    email = OutboundEmail.objects.get(notification=n)
    assert emails_due_ids() == [email.pk]
    with mock.patch("members.tasks.outbound_email_send_task.delay") as delay:
        assert outbox_sweep() == 1
    delay.assert_called_once_with(email.pk)


def test_the_sweep_gives_notices_from_before_the_outbox_their_email(personas):
    old = Notification.objects.create(user=personas.member.user, kind="fine", title="Old fine", email_wanted=True,
                                      created_at=timezone.now() - timedelta(minutes=5))
    reminder = Notification.objects.create(user=personas.member.user, kind="reminder", title="Tomorrow",
                                           email_wanted=True, created_at=timezone.now() - timedelta(minutes=5))
    with mock.patch("members.tasks.outbound_email_send_task.delay"):
        assert outbox_sweep() == 1
        assert outbox_sweep() == 1  # still due (the task was mocked), but no second row
    assert OutboundEmail.objects.get(notification=old).subject.endswith("Old fine")
    assert not OutboundEmail.objects.filter(notification=reminder).exists()  # reminders build their own


def test_unread_count_in_navigation_and_mark_read(client, personas):
    notification_send(user=personas.member.user, kind="fine", title="First")
    notification_send(user=personas.member.user, kind="fine", title="Second")
    personas.login(client, "member")
    assert 'data-testid="unread-count">2<' in client.get(reverse("notifications")).content.decode()
    client.post(reverse("notifications-read"))
    assert "unread-count" not in client.get(reverse("notifications")).content.decode()


def test_one_cannot_mark_another_persons_notifications(client, personas):
    n = notification_send(user=personas.member2.user, kind="fine", title="Theirs")
    personas.login(client, "member")
    client.post(reverse("notifications-read"), {"id": [n.pk]})
    n.refresh_from_db()
    assert n.read_at is None


def test_profile_saves_and_links_to_the_notification_settings(client, personas):
    personas.login(client, "member")
    assert reverse("notification-settings") in client.get(reverse("profile")).content.decode()
    response = client.post(reverse("profile"), {"full_name": "Mona M", "business_name": "", "phone": ""})
    assert response.status_code == 302
    user = personas.member.user
    user.refresh_from_db()
    assert user.full_name == "Mona M" and user.notification_delivery == {}


# The notification centre ----------------------------------------------------------------------


def test_opening_a_notice_marks_it_read_and_follows_its_link(client, personas):
    n = notification_send(user=personas.member.user, kind="fine", title="A fine", url="/c/home-chapter/fines/mine/")
    personas.login(client, "member")
    response = client.get(reverse("notification-open", args=[n.pk]))
    assert response.status_code == 302 and response.url == "/c/home-chapter/fines/mine/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_the_centre_and_the_dashboard_link_through_the_open_view(client, personas):
    n = notification_send(user=personas.member.user, kind="fine", title="A fine", url="/somewhere/")
    personas.login(client, "member")
    opener = reverse("notification-open", args=[n.pk])
    assert f'href="{opener}"' in client.get(reverse("notifications")).content.decode()
    assert f'href="{opener}"' in client.get(reverse("dashboard")).content.decode()


def test_nobody_opens_another_persons_notice(client, personas):
    n = notification_send(user=personas.member.user, kind="fine", title="A fine", url="/")
    personas.login(client, "member2")
    assert client.get(reverse("notification-open", args=[n.pk])).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_an_offsite_link_is_not_followed(client, personas):
    n = notification_send(user=personas.member.user, kind="fine", title="A fine", url="//evil.example/")
    personas.login(client, "member")
    response = client.get(reverse("notification-open", args=[n.pk]))
    assert response.url.startswith(reverse("notifications"))


def test_unread_only_keeps_to_unread_on_the_next_page(client, personas):
    for i in range(31):
        notification_send(user=personas.member.user, kind="fine", title=f"Fine {i}")
    personas.login(client, "member")
    html = client.get(reverse("notifications"), {"unread": "1"}).content.decode()
    assert "?unread=1&amp;page=2" in html


def test_unread_count_in_the_navigation_drops_when_a_notice_is_opened(client, personas):
    n = notification_send(user=personas.member.user, kind="fine", title="A fine", url="/")
    notification_send(user=personas.member.user, kind="fine", title="Another", url="/")
    personas.login(client, "member")
    assert 'data-testid="unread-count">2<' in client.get(reverse("notifications")).content.decode()
    client.get(reverse("notification-open", args=[n.pk]))
    assert 'data-testid="unread-count">1<' in client.get(reverse("notifications")).content.decode()


def test_a_notice_of_a_chapter_the_person_left_opens_their_case_letter(client, personas):
    from enforcement import review
    from tests.enforcement.factories import ExpulsionCaseFactory, FineFactory

    fine = FineFactory(membership=personas.member)
    n = notification_send(user=personas.member.user, kind="fine", title="A fine", chapter=personas.chapter,
                          url=personas.url("enforcement:fine-detail", fine.pk))
    case = ExpulsionCaseFactory(membership=personas.member)
    review.case_appeal_waive(case=case, by=personas.member.user)
    review.case_decide(case=case, by=personas.org_admin, decision="expel", reason="Nine absences and no appeal.")
    personas.login(client, "member")
    response = client.get(reverse("notification-open", args=[n.pk]))
    assert response.url == reverse("my-case", args=[case.pk])


def test_a_notice_of_a_chapter_the_person_left_without_a_case_says_why(client, personas):
    from members.services import membership_change

    n = notification_send(user=personas.member.user, kind="fine", title="A fine", chapter=personas.chapter,
                          url=personas.url("enforcement:my-fines"))
    membership_change(membership=personas.member, by=personas.president.user, status="resigned", reason="Moved.")
    personas.login(client, "member")
    response = client.get(reverse("notification-open", args=[n.pk]), follow=True)
    assert "no longer have a seat in Home Chapter" in response.content.decode()


@pytest.mark.parametrize("who", ["member", "vice_president"])
def test_a_visitor_follow_up_notice_opens_for_whoever_brought_the_visitor(client, personas, who):
    """The follow-up list is for leadership; a member who brought the visitor is sent to the meeting."""
    from meetings import services as meeting_services
    from tests.meetings.factories import MeetingFactory, VisitorFactory

    meeting = MeetingFactory(chapter=personas.chapter, local_date=date(2026, 3, 4))
    VisitorFactory(meeting=meeting, invited_by=getattr(personas, who), name="Vera Visitor")
    meeting_services.meeting_close(meeting=meeting, by=personas.president.user)
    assert meeting_services.meeting_visitor_followups(meeting=meeting) == 1
    notice = Notification.objects.get(user=getattr(personas, who).user, title__contains="Vera Visitor")
    personas.login(client, who)
    assert client.get(notice.url).status_code == 200


def test_the_email_links_through_the_open_view_so_reading_it_there_counts(personas, settings):
    n = notification_send(user=personas.member.user, kind="fine", title="A fine", url="/c/home-chapter/fines/mine/")
    assert outbox_flush() == 1
    link = settings.SITE_URL + reverse("notification-open", args=[n.pk])
    assert link in mail.outbox[0].body and link in mail.outbox[0].alternatives[0][0]
