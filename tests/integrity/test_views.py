"""The pages: leadership's list (open, reviewed, closed, paged), a flag's evidence and its review (audited), the
thresholds (audited, the chapter checked again), and the overseers' list across chapters."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrity.models import IntegrityFlag, IntegrityRules
from integrity.services import chapter_integrity_check
from members.models import AuditEvent
from tests.integrity.builders import Activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def ring(personas, now):
    """Mona and Max passed seven referrals between them: one open ring flag in the personas' chapter."""
    a = Activity(personas.chapter, now=now)
    a.members.update({"Mona Member": personas.member, "Max Member": personas.member2})
    a.referrals("Mona Member", "Max Member", 4)
    a.referrals("Max Member", "Mona Member", 3, days=20)
    chapter_integrity_check(chapter=personas.chapter)
    return IntegrityFlag.objects.get(chapter=personas.chapter, kind="ring")


def test_the_list_shows_open_flags_in_words(client, personas, ring):
    personas.login(client, "vice_president")
    html = client.get(personas.url("integrity:flags")).content.decode()
    assert "Referral ring" in html
    assert "Mona Member and Max Member passed 7 referrals among themselves." in html
    assert "7 rows" in html and "Open (1)" in html


def test_the_list_filters_by_status(client, personas, ring):
    IntegrityFlag.objects.filter(pk=ring.pk).update(status="reviewed", outcome="warned", note="Told them.")
    personas.login(client, "president")
    assert "No open flags." in client.get(personas.url("integrity:flags")).content.decode()
    html = client.get(personas.url("integrity:flags"), {"show": "reviewed"}).content.decode()
    assert f'id="flag-{ring.pk}"' in html and "Warned" in html


def test_the_list_is_paged(client, personas, ring):
    IntegrityFlag.objects.bulk_create([
        IntegrityFlag(chapter=personas.chapter, kind="tyfcb_round", key=str(n), figures={}) for n in range(30)
    ])
    personas.login(client, "president")
    first = client.get(personas.url("integrity:flags")).content.decode()
    second = client.get(personas.url("integrity:flags"), {"show": "open", "page": 2}).content.decode()
    assert first.count('data-testid="flag-row"') == 25 and second.count('data-testid="flag-row"') == 6
    assert "Page 2 of 2 (31 flags)" in second


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_ten_times_the_flags(client, personas, ring):
    personas.login(client, "president")
    one = _queries(client, personas.url("integrity:flags"))
    for n in range(10):
        flag = IntegrityFlag.objects.create(chapter=personas.chapter, kind="ring", key=f"x{n}",
                                            figures={"members": [{"id": personas.member.pk, "inside": 3, "given": 3}]})
        flag.memberships.set([personas.member, personas.member2])
    assert _queries(client, personas.url("integrity:flags")) == one


def test_the_detail_costs_the_same_queries_for_three_times_the_evidence(client, personas, ring, now):
    personas.login(client, "president")
    seven = _queries(client, personas.url("integrity:detail", ring.pk))
    a = Activity(personas.chapter, now=now)
    a.members.update({"Mona Member": personas.member, "Max Member": personas.member2})
    a.referrals("Mona Member", "Max Member", 14, days=40)
    chapter_integrity_check(chapter=personas.chapter)
    assert ring.evidence.count() == 21
    assert _queries(client, personas.url("integrity:detail", ring.pk)) == seven


def test_the_detail_shows_the_evidence_and_the_thresholds(client, personas, ring):
    personas.login(client, "treasurer")
    html = client.get(personas.url("integrity:detail", ring.pk)).content.decode()
    assert "Mona Member: 4 of the 4 referrals they gave went to the others (100%)." in html
    assert "Flagged from 6 referrals among them, each giving at least 60% of theirs to the others." in html
    assert "Looked at the last 180 days." in html
    assert html.count("Mona Member → Max Member") == 4 and html.count("Max Member → Mona Member") == 3
    assert 'data-testid="review-form"' in html


def test_a_review_is_recorded_and_audited(client, personas, ring):
    personas.login(client, "president")
    response = client.post(personas.url("integrity:review", ring.pk),
                           {"outcome": "warned", "note": "Spoke to both: spread your referrals."})
    assert response.status_code == 302
    ring.refresh_from_db()
    assert (ring.status, ring.outcome, ring.reviewed_by) == ("reviewed", "warned", personas.president.user)
    event = AuditEvent.objects.get(action="integrity.flag_reviewed")
    assert event.chapter == personas.chapter and event.reason == "Spoke to both: spread your referrals."
    assert (event.before["status"], event.after["outcome"]) == ("open", "warned")
    html = client.get(personas.url("integrity:detail", ring.pk)).content.decode()
    assert "Warned, by Paula President on" in html and "Change the review" in html
    assert "Spoke to both: spread your referrals." in client.get(personas.url("chapters:audit")).content.decode()


def test_a_review_needs_a_note(client, personas, ring):
    personas.login(client, "president")
    response = client.post(personas.url("integrity:review", ring.pk), {"outcome": "false_alarm", "note": " "})
    assert response.status_code == 422
    ring.refresh_from_db()
    assert ring.status == "open" and not AuditEvent.objects.filter(action="integrity.flag_reviewed").exists()


def test_a_leader_named_by_a_flag_does_not_review_it(client, personas, ring, now):
    ring.memberships.add(personas.vice_president)
    personas.login(client, "vice_president")
    html = client.get(personas.url("integrity:detail", ring.pk)).content.decode()
    assert 'data-testid="names-you"' in html and 'data-testid="review-form"' not in html
    response = client.post(personas.url("integrity:review", ring.pk), {"outcome": "false_alarm", "note": "Mine."})
    assert response.status_code == 403
    personas.login(client, "region_staff")
    assert client.post(personas.url("integrity:review", ring.pk),
                       {"outcome": "false_alarm", "note": "Checked: partners."}).status_code == 302


def test_a_closed_flag_is_not_reviewed(client, personas, ring):
    IntegrityFlag.objects.filter(pk=ring.pk).update(status="closed")
    personas.login(client, "president")
    response = client.post(personas.url("integrity:review", ring.pk), {"outcome": "warned", "note": "Late."})
    assert response.status_code == 422
    assert "This flag is closed" in response.content.decode()


def test_thresholds_are_saved_audited_and_the_chapter_checked_again(
    client, personas, ring, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr("integrity.tasks.chapter_integrity_task.delay", sent.append)
    personas.login(client, "president")
    data = {name: getattr(IntegrityRules(), name) for name in IntegrityRules.THRESHOLD_FIELDS}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(personas.url("integrity:rules"), {**data, "ring_min_referrals": 8})
    assert response.status_code == 302
    assert IntegrityRules.objects.get(chapter=personas.chapter).ring_min_referrals == 8
    event = AuditEvent.objects.get(action="integrity.rules_changed")
    assert (event.before, event.after) == ({"ring_min_referrals": 6}, {"ring_min_referrals": 8})
    assert sent == [personas.chapter.pk]
    html = client.get(personas.url("integrity:rules")).content.decode()
    assert "Default: 6" in html and "Last changed by Paula President" in html


def test_thresholds_out_of_range_are_refused(client, personas):
    personas.login(client, "president")
    data = {name: getattr(IntegrityRules(), name) for name in IntegrityRules.THRESHOLD_FIELDS}
    response = client.post(personas.url("integrity:rules"), {**data, "ring_min_share": 0, "window_days": 2000})
    assert response.status_code == 200
    assert not IntegrityRules.objects.exists()


def test_overseers_see_the_flags_of_their_regions_chapters_only(client, personas, ring, now):
    elsewhere = Activity(personas.other_chapter, now=now)
    elsewhere.referrals("A", "B", 4)
    elsewhere.referrals("B", "A", 3, days=20)
    chapter_integrity_check(chapter=personas.other_chapter)
    personas.login(client, "region_staff")
    html = client.get(reverse("integrity-queue")).content.decode()
    assert f'id="flag-{ring.pk}"' in html and "Home Chapter" in html and "Other Chapter" not in html
    personas.login(client, "org_admin")
    html = client.get(reverse("integrity-queue")).content.decode()
    assert html.count('data-testid="flag-row"') == 2
    personas.login(client, "other_region_staff")
    assert 'data-testid="flag-row"' not in client.get(reverse("integrity-queue")).content.decode()


def test_leadership_finds_the_flags_in_the_chapter_menu(client, personas):
    personas.login(client, "vice_president")
    assert personas.url("integrity:flags") in client.get(personas.url("chapters:home")).content.decode()
    personas.login(client, "member")
    assert personas.url("integrity:flags") not in client.get(personas.url("chapters:home")).content.decode()
