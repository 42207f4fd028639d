"""Stale referrals: marked once, the receiver reminded once per stale spell; safe to rerun."""

from datetime import timedelta

from django.utils import timezone

from members.models import Notification
from referrals import services
from referrals.models import Referral
from referrals.tasks import referrals_mark_stale_task, referrals_stale_sweep
from tests.referrals.factories import ReferralFactory


def _age(referral, days):
    Referral.objects.filter(pk=referral.pk).update(status_changed_at=timezone.now() - timedelta(days=days))


def _reminders(personas):
    return Notification.objects.filter(
        user=personas.member2.user, kind=Notification.Kind.STALE_REFERRAL
    ).count()


def test_old_open_referral_is_marked_stale_and_receiver_reminded_once(personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2)
    fresh = ReferralFactory(giver=personas.member, receiver=personas.member2)
    closed = ReferralFactory(giver=personas.member, receiver=personas.member2, status="won")
    _age(referral, 15)
    _age(fresh, 13)
    _age(closed, 30)
    assert referrals_mark_stale_task(personas.chapter.pk) == 1
    assert referrals_mark_stale_task(personas.chapter.pk) == 0  # rerun changes nothing
    assert _reminders(personas) == 1
    referral.refresh_from_db()
    fresh.refresh_from_db()
    closed.refresh_from_db()
    assert referral.stale_since is not None and fresh.stale_since is None and closed.stale_since is None


def test_a_new_stale_spell_reminds_again(personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2)
    _age(referral, 15)
    services.referrals_mark_stale(chapter_id=personas.chapter.pk)
    services.referral_move(referral=referral, by=personas.member2, to="accepted")
    referral.refresh_from_db()
    assert referral.stale_since is None
    later = timezone.now() + timedelta(days=15)
    assert services.referrals_mark_stale(chapter_id=personas.chapter.pk, now=later) == 1
    assert _reminders(personas) == 2


def test_sweep_fans_out_per_chapter(personas, monkeypatch):
    queued = []
    monkeypatch.setattr(referrals_mark_stale_task, "delay", queued.append)
    _age(ReferralFactory(giver=personas.member, receiver=personas.member2), 20)
    _age(ReferralFactory(giver=personas.member2, receiver=personas.member), 20)
    assert referrals_stale_sweep() == 1
    assert queued == [personas.chapter.pk]


def _reminder(personas):
    return Notification.objects.get(user=personas.member2.user, kind=Notification.Kind.STALE_REFERRAL)


def test_the_reminder_names_the_referral_and_only_steps_it_can_take(personas):
    """A referral past 'accepted' cannot be declined: the reminder must not tell the receiver to."""
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status="meeting")
    _age(referral, 15)
    services.referrals_mark_stale(chapter_id=personas.chapter.pk)
    notice = _reminder(personas)
    assert f"#{referral.pk}" in notice.title
    assert "No update for 14 days: it is still “Meeting held”." in notice.body
    assert "won with its value, or mark it lost" in notice.body and "decline" not in notice.body


def test_a_new_referral_gone_stale_is_to_accept_or_decline(personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status="given")
    _age(referral, 15)
    services.referrals_mark_stale(chapter_id=personas.chapter.pk)
    assert "Accept it, or decline it with a reason." in _reminder(personas).body


def test_a_receiver_who_left_is_not_chased_but_the_referral_is_marked(personas):
    from members.models import Membership

    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status="accepted")
    Membership.objects.filter(pk=personas.member2.pk).update(status=Membership.Status.RESIGNED)
    _age(referral, 15)
    assert services.referrals_mark_stale(chapter_id=personas.chapter.pk) == 1
    referral.refresh_from_db()
    assert referral.stale_since is not None and _reminders(personas) == 0
