"""Each chapter event becomes a delivery for the endpoints that chose it, once, from the service that causes it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from enforcement import services as enforcement_services
from meetings import services as meeting_services
from members.models import Membership
from referrals import services as referral_services
from tests.enforcement.conftest import World
from tests.factories import ChapterFactory
from tests.meetings.factories import AttendanceFactory, meeting_started
from webhooks.events import emit
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def _endpoint(chapter, events, **kw):
    return WebhookEndpoint.objects.create(chapter=chapter, url="https://93.184.215.14/hook", events=events,
                                          secret="whsec_x", **kw)


def _give(p):
    return referral_services.referral_give(chapter=p.chapter, giver=p.member, receiver=p.member2, kind="outside",
                                           prospect_name="Petra", prospect_email="petra@example.com", consent="stated")


def test_only_the_endpoints_that_chose_the_event_get_it(personas):
    given = _endpoint(personas.chapter, ["referral.given"])
    _endpoint(personas.chapter, ["fine.issued"])
    _endpoint(personas.chapter, ["referral.given"], is_active=False)
    _endpoint(personas.other_chapter, ["referral.given"])
    _give(personas)
    assert list(WebhookDelivery.objects.values_list("endpoint", "event")) == [(given.pk, "referral.given")]


def test_a_won_referral_tells_its_value_and_not_its_prospect(personas):
    _endpoint(personas.chapter, ["referral.won"])
    referral = _give(personas)
    for step in ("accepted", "contacted"):
        referral_services.referral_move(referral=referral, by=personas.member2, to=step)
    assert not WebhookDelivery.objects.exists()  # moves on the way are not subscribed
    referral_services.referral_move(referral=referral, by=personas.member2, to="won", value=Decimal("1250.00"),
                                    closed_on=timezone.localdate(timezone=personas.chapter.tz), business_type="new")
    d = WebhookDelivery.objects.get()
    data = d.payload["referral"]
    assert (d.event, data["status"], data["closed_value"], data["currency"]) == ("referral.won", "won", "1250.00", "GBP")
    assert "Petra" not in str(d.payload) and "petra@example.com" not in str(d.payload)


def test_a_closed_meeting_tells_its_attendance(personas):
    _endpoint(personas.chapter, ["meeting.closed"])
    Membership.objects.filter(chapter=personas.chapter).update(joined_on=date(2020, 1, 1))
    meeting = meeting_started(personas.chapter)
    AttendanceFactory(meeting=meeting, membership=personas.member, status="present")
    AttendanceFactory(meeting=meeting, membership=personas.member2, status="late")
    meeting_services.meeting_close(meeting=meeting, by=personas.president.user)
    meeting_services.meeting_close(meeting=meeting, by=personas.president.user)  # closing twice changes nothing
    d = WebhookDelivery.objects.get()
    assert d.payload["meeting"]["id"] == meeting.pk
    # The three officers nobody marked are recorded absent by the close.
    assert d.payload["meeting"]["attendance"] == {"present": 1, "late": 1, "absent": 3, "medical": 0, "substitute": 0}


def test_a_fine_issued_by_enforcement_is_told_once(db):
    world = World(ChapterFactory(slug="fines", currency="GBP"))
    _endpoint(world.chapter, ["fine.issued"])
    world.member("Ann")
    world.rules(absences_allowed=3, fine_absence=Decimal("10.00"))
    for i in range(5):
        world.meeting(date(2026, 1, 7) + timedelta(days=7 * i), {"Ann": "absent"})
    now = world.at(date(2026, 2, 10))
    fines = enforcement_services.chapter_enforce(chapter=world.chapter, now=now).fines
    enforcement_services.chapter_enforce(chapter=world.chapter, now=now)  # a rerun issues nothing new
    payloads = sorted((d.payload["fine"] for d in WebhookDelivery.objects.all()), key=lambda f: f["id"])
    assert [(f["id"], f["amount"], f["currency"], f["member"]["name"]) for f in payloads] == [
        (fine.pk, "10.00", "GBP", "Ann") for fine in sorted(fines, key=lambda f: f.pk)
    ]


def test_the_sweeps_bulk_fines_are_told_for_each_chapter(db):
    """`fines_issue` writes a batch of chapters' fines at once: their deliveries too, per chapter's endpoints."""
    from enforcement.sweep import chapters_enforce

    worlds = []
    for n in range(2):
        world = World(ChapterFactory(slug=f"bulk-{n}", currency="EUR"))
        world.member(f"Member {n}")
        world.rules(absences_allowed=1, fine_absence=Decimal("5.00"))
        for i in range(3):
            world.meeting(date(2026, 1, 7) + timedelta(days=7 * i), {f"Member {n}": "absent"})
        worlds.append(world)
    only = _endpoint(worlds[1].chapter, ["fine.issued"])
    chapters_enforce(chapter_ids=[w.chapter.pk for w in worlds], today=date(2026, 2, 2))
    deliveries = list(WebhookDelivery.objects.all())
    assert deliveries and {d.endpoint_id for d in deliveries} == {only.pk}
    assert {d.payload["fine"]["member"]["name"] for d in deliveries} == {"Member 1"}


def test_emitting_again_for_the_same_cause_delivers_once(personas):
    _endpoint(personas.chapter, ["referral.given"])
    referral = _give(personas)
    assert emit("referral.given", [referral]) == 0  # a retried task, say: nothing new
    assert WebhookDelivery.objects.count() == 1


def test_a_chapter_without_endpoints_costs_one_query(personas, django_assert_num_queries):
    referral = _give(personas)
    with django_assert_num_queries(1):  # its endpoints (none)
        assert emit("referral.given", [referral]) == 0


def test_an_unknown_event_is_a_programming_error(personas):
    with pytest.raises(ValueError):
        emit("referral.lost", [])


def test_payload_of_a_member_who_left_still_names_them(personas):
    _endpoint(personas.chapter, ["referral.given"])
    referral = _give(personas)
    Membership.objects.filter(pk=personas.member.pk).update(status="resigned")
    d = WebhookDelivery.objects.get()
    assert d.payload["referral"]["giver"]["name"] == "Mona Member" and referral.pk == d.payload["referral"]["id"]
