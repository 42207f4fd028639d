"""The audit trail pages: searchable by who, what and why, in the chapter's time, before/after on a phone too."""

from datetime import UTC, datetime

from django.urls import reverse

from members.audit import audit_record
from tests.audit_time import audit_rewrite


def _event(personas, *, actor, reason="", created_at=None, after=None):
    e = audit_record(
        actor=actor, action="fine.waived", target=personas.member, chapter=personas.chapter,
        summary="Fine of Mona Member waived", before={"status": "open"}, after=after or {"status": "waived"},
        reason=reason,
    )
    if created_at is not None:
        audit_rewrite(e, created_at=created_at)
    return e


def test_chapter_audit_finds_an_act_by_the_actor_name_and_by_the_reason(client, personas):
    _event(personas, actor=personas.org_admin, reason="Family emergency, paid in kind")
    personas.login(client, "president")
    url = personas.url("chapters:audit")
    for q in ("olga", "Olga Admin", "emergency", personas.org_admin.email, "fine.waived"):
        response = client.get(url, {"q": q})
        assert "Fine of Mona Member waived" in response.content.decode(), q
    assert "Fine of Mona Member waived" not in client.get(url, {"q": "nobody-said-this"}).content.decode()


def test_global_audit_finds_an_act_by_the_actor_name(client, personas):
    _event(personas, actor=personas.president.user)
    personas.login(client, "org_admin")
    response = client.get(reverse("audit"), {"q": "paula"})
    assert "Fine of Mona Member waived" in response.content.decode()


def test_region_staff_of_another_region_do_not_see_the_chapter_events(client, personas):
    _event(personas, actor=personas.president.user)
    personas.login(client, "other_region_staff")
    assert "Fine of Mona Member waived" not in client.get(reverse("audit")).content.decode()


def test_before_and_after_are_not_hidden_on_a_phone(client, personas):
    _event(personas, actor=personas.president.user)
    personas.login(client, "president")
    html = client.get(personas.url("chapters:audit")).content.decode()
    assert 'data-label="Before → after"' in html
    assert "hide-sm" not in html


def test_chapter_audit_shows_times_in_the_chapter_timezone(client, personas):
    personas.chapter.timezone = "America/New_York"
    personas.chapter.save()
    _event(personas, actor=personas.president.user, created_at=datetime(2026, 3, 2, 3, 30, tzinfo=UTC))
    personas.login(client, "president")
    html = client.get(personas.url("chapters:audit")).content.decode()
    assert "1 Mar 2026, 22:30" in html  # 03:30 UTC is the evening before in New York


def test_recorded_datetimes_read_to_the_second_with_their_offset(personas):
    e = _event(personas, actor=None, after={"appealed_at": datetime(2026, 3, 2, 12, 0, 5, 123456, tzinfo=UTC)})
    assert e.after == {"appealed_at": "2026-03-02 12:00:05+00:00"}
