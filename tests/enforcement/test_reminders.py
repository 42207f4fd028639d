"""Weekly reminders: the day before, at the chapter's reminder hour, once per member per meeting."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from enforcement import services
from members.models import Membership, Notification
from referrals.models import Referral
from tests.enforcement.factories import FineFactory, MeetingFactory, ReferralFactory

MEETING_DAY = date(2026, 3, 4)  # a Wednesday


@pytest.fixture
def setup(world, settings):
    settings.ENFORCEMENT_REMINDER_HOUR = 17
    ann, bob = world.member("Ann Able"), world.member("Bob Baker")
    world.member("Lee Leave", status=Membership.Status.ON_LEAVE)
    world.chapter.venue = "The Riverside Hotel"
    world.chapter.save()
    world.rules(absences_allowed=3, referral_quota=2)
    world.meeting(date(2026, 2, 11), {"Ann Able": "absent", "Bob Baker": "present"})
    world.meeting(date(2026, 2, 18), {"Ann Able": "late", "Bob Baker": "present"})
    meeting = MeetingFactory(chapter=world.chapter, local_date=MEETING_DAY, status="scheduled", venue="",
                             starts_at=datetime.combine(MEETING_DAY, time(7, 0), tzinfo=world.chapter.tz))
    ReferralFactory(giver=bob, receiver=ann, at=world.at(date(2026, 3, 2)), status=Referral.Status.GIVEN)
    ReferralFactory(giver=bob, receiver=ann, at=world.at(date(2026, 3, 1)), status=Referral.Status.WON)  # done
    ReferralFactory(giver=ann, receiver=bob, at=world.at(date(2026, 3, 2)))
    FineFactory(membership=ann, rules=world.chapter.rules_versions.get(), amount=Decimal("10.00"))
    return world, meeting


def _at(world, day, hour):
    return datetime.combine(day, time(hour, 5), tzinfo=world.chapter.tz)


def test_reminders_go_out_the_day_before_once_the_reminder_hour_has_come(setup):
    world, meeting = setup
    assert services.chapter_send_reminders(chapter=world.chapter, now=_at(world, date(2026, 3, 3), 16)) == 0
    assert services.chapter_send_reminders(chapter=world.chapter, now=_at(world, date(2026, 3, 2), 18)) == 0
    assert services.chapter_send_reminders(chapter=world.chapter, now=_at(world, date(2026, 3, 3), 17)) == 2
    assert set(Notification.objects.filter(kind="reminder").values_list("user__full_name", flat=True)) == {
        "Ann Able", "Bob Baker"
    }  # not the member on leave


def test_a_reminder_is_sent_once_per_member_per_meeting(setup):
    world, meeting = setup
    now = _at(world, date(2026, 3, 3), 17)
    services.chapter_send_reminders(chapter=world.chapter, now=now)
    assert services.chapter_send_reminders(chapter=world.chapter, now=_at(world, date(2026, 3, 3), 20)) == 0
    assert Notification.objects.filter(kind="reminder", dedupe_key=f"reminder:{meeting.pk}").count() == 2


def test_reminder_says_when_where_the_standing_and_what_waits(setup):
    world, meeting = setup
    services.chapter_send_reminders(chapter=world.chapter, now=_at(world, date(2026, 3, 3), 17))
    notice = Notification.objects.get(kind="reminder", user__full_name="Ann Able")
    assert notice.title == f"Tomorrow: {world.chapter.name}, Wed 4 Mar at 07:00"
    body = notice.body
    assert "Wednesday 4 March at 07:00, at The Riverside Hotel" in body
    assert "Lates and absences: 1.5 counted, 3 allowed" in body
    assert "Referrals: 1 of 2 referrals (1 Mar 2026 – 31 Mar 2026)" in body
    assert "Fines: 1 unpaid, £10.00 in all" in body
    assert "Referrals waiting for you (1)" in body and "From Bob Baker, 2 Mar: given" in body


def test_reminder_email_has_text_and_html_parts(setup, django_capture_on_commit_callbacks):
    world, meeting = setup
    with django_capture_on_commit_callbacks() as callbacks:
        services.chapter_send_reminders(chapter=world.chapter, now=_at(world, date(2026, 3, 3), 17))
    assert len(callbacks) == 2
    notice = Notification.objects.get(kind="reminder", user__full_name="Ann Able")
    with time_machine.travel(_at(world, date(2026, 3, 3), 17), tick=False):  # the task runs moments later
        assert services.reminder_email_send(notification_id=notice.pk) is True
        assert services.reminder_email_send(notification_id=notice.pk) is False  # claimed and sent: never twice
    [message] = mail.outbox
    assert message.to == [notice.user.email]
    assert "meets tomorrow" in message.body and "Lates and absences: 1.5 counted, 3 allowed" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and "<strong>Wednesday 4 March at 07:00</strong>" in html
    assert "Turn off reminder emails" in html


def test_members_who_turned_off_reminder_email_still_get_the_notice(setup, django_capture_on_commit_callbacks):
    world, meeting = setup
    user = world.members["Ann Able"].user
    user.notification_delivery = {"reminder": "app"}
    user.save()
    with django_capture_on_commit_callbacks() as callbacks:
        services.chapter_send_reminders(chapter=world.chapter, now=_at(world, date(2026, 3, 3), 17))
    notice = Notification.objects.get(kind="reminder", user=user)
    assert notice.email_wanted is False
    assert len(callbacks) == 1  # Bob's email only
    assert services.reminder_email_send(notification_id=notice.pk) is False
    assert mail.outbox == []


def test_the_hourly_sweep_finds_chapters_whose_hour_has_come(setup):
    world, meeting = setup
    from tests.factories import ChapterFactory

    ChapterFactory(timezone="America/New_York")  # no meeting tomorrow
    assert services.chapters_due_reminders(now=_at(world, date(2026, 3, 3), 16)) == []
    assert services.chapters_due_reminders(now=_at(world, date(2026, 3, 3), 17)) == [world.chapter.pk]
    assert services.chapters_due_reminders(now=_at(world, date(2026, 3, 3), 23)) == [world.chapter.pk]


def test_reminder_lists_the_run_sheet_and_one_to_ones_to_confirm(setup):
    from meetings.models import Presentation
    from referrals.models import OneToOne

    world, meeting = setup
    ann = Membership.objects.get(user__full_name="Ann Able")
    bob = Membership.objects.get(user__full_name="Bob Baker")
    Presentation.objects.create(meeting=meeting, presenter=ann, kind=Presentation.Kind.FEATURE, topic="Tax <tips>")
    OneToOne.objects.create(chapter=world.chapter, initiator=bob, other=ann, met_on=date(2026, 2, 27))
    services.chapter_send_reminders(chapter=world.chapter, now=_at(world, date(2026, 3, 3), 17))
    ann_body = Notification.objects.get(kind="reminder", user=ann.user).body
    assert "You are presenting: feature presentation (Tax <tips>)." in ann_body
    assert "One-to-ones to confirm (1)" in ann_body and "With Bob Baker on 27 Feb" in ann_body
    bob_body = Notification.objects.get(kind="reminder", user=bob.user).body
    assert "Feature presentation: Ann Able" in bob_body and "You are presenting" not in bob_body
    assert "One-to-ones to confirm" not in bob_body


@pytest.mark.parametrize("tz,day,utc", [
    ("America/New_York", date(2026, 3, 4), "12:30"),  # EST: UTC-5
    ("Europe/London", date(2026, 7, 8), "06:30"),  # British summer time: UTC+1
])
def test_reminder_body_and_email_give_the_local_start(world, tz, day, utc):
    world.chapter.timezone = tz
    world.chapter.save()
    world.member("Ann Able")
    meeting = MeetingFactory(chapter=world.chapter, local_date=day, status="scheduled", venue="",
                             starts_at=datetime.combine(day, time(7, 30), tzinfo=world.chapter.tz))
    now = datetime.combine(date.fromordinal(day.toordinal() - 1), time(18), tzinfo=world.chapter.tz)
    with time_machine.travel(now, tick=False):
        assert services.meeting_send_reminders(meeting=meeting, now=now) == 1
        notice = Notification.objects.get(kind="reminder")
        assert services.reminder_email_send(notification_id=notice.pk) is True
    weekday = f"{day:%A} {day.day} {day:%B}"
    assert "at 07:30" in notice.title
    assert f"{weekday} at 07:30" in notice.body and utc not in notice.body
    email = mail.outbox[-1]
    html = email.alternatives[0][0]
    assert f"{weekday} at 07:30" in email.body and utc not in email.body
    assert f"{weekday} at 07:30" in html and utc not in html


# A reminder is worded in the reader's language when shown, not when written (issue 14) ---------------


def _notifications_page(client, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/notifications/").content.decode()
    return html, len(queries)


def test_a_reminder_written_in_english_reads_in_german_once_the_member_switches(setup, client):
    world, meeting = setup
    user = world.members["Ann Able"].user
    user.language = "en-gb"
    user.save()
    services.chapter_send_reminders(chapter=world.chapter, now=_at(world, date(2026, 3, 3), 17))
    notice = Notification.objects.get(kind="reminder", user=user)
    assert notice.title == f"Tomorrow: {world.chapter.name}, Wed 4 Mar at 07:00"  # the snapshot, as written
    assert notice.message_key == "enforcement.reminder" and notice.params["meeting"] == meeting.pk

    english, english_queries = _notifications_page(client, user)
    assert f"Tomorrow: {world.chapter.name}, Wed 4 Mar at 07:00" in english
    user.language = "de"
    user.save()
    german, german_queries = _notifications_page(client, user)
    assert f"Morgen: {world.chapter.name}, Mi., 4. März um 07:00" in german
    assert "trifft sich morgen, Mi., 4. März um 07:00, in The Riverside Hotel." in german
    assert "1,5 gezählt, 3 erlaubt (04.09.2025 – 03.03.2026)" in german and "Von Bob Baker, 2. März: übergeben" in german
    assert "Ihr Stand" in german and "1 unbezahlt, insgesamt 10,00\xa0£" in german
    assert "Tomorrow:" not in german and "Your standing" not in german
    assert german_queries == english_queries  # worded from the row's own facts: no query per notice


def test_a_notice_without_a_key_shows_its_stored_words_and_costs_no_more_queries(setup, client):
    world, meeting = setup
    user = world.members["Ann Able"].user
    services.chapter_send_reminders(chapter=world.chapter, now=_at(world, date(2026, 3, 3), 17))
    user.language = "de"
    user.save()
    _, keyed_queries = _notifications_page(client, user)
    Notification.objects.filter(user=user).update(message_key="", params={}, title="Old words", body="As written")
    html, plain_queries = _notifications_page(client, user)
    assert "Old words" in html and "As written" in html and "Morgen:" not in html
    assert plain_queries == keyed_queries


def test_the_migration_gives_a_reminder_written_the_old_way_its_key(setup, client):
    from importlib import import_module

    from django.apps import apps

    world, meeting = setup
    user = world.members["Ann Able"].user
    old = Notification.objects.create(
        user=user, chapter=world.chapter, kind="reminder", dedupe_key=f"reminder:{meeting.pk}",
        title="Tomorrow: old words", body="Your standing, in English as written",
    )
    gone = Notification.objects.create(
        user=user, chapter=world.chapter, kind="reminder", dedupe_key="reminder:999999", title="Meeting gone",
    )
    import_module("members.migrations.0014_reminder_notices_as_data").forwards(apps, None)
    old.refresh_from_db()
    gone.refresh_from_db()
    assert old.message_key == "enforcement.reminder"
    assert old.params["meeting"] == meeting.pk and old.params["starts"] == meeting.starts_at.isoformat()
    assert gone.message_key == "" and gone.params == {}

    user.language = "de"
    user.save()
    html, _ = _notifications_page(client, user)
    assert f"Morgen: {world.chapter.name}, Mi., 4. März um 07:00" in html  # the title, from the meeting
    assert "Your standing, in English as written" in html  # that day's standing is not recoverable: kept
    assert "Meeting gone" in html
