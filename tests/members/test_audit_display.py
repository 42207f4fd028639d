"""The audit trail reads as words: field labels, choice labels, names, readable dates; times in the chapter's zone."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.audit import audit_record
from members.models import AuditEvent, Membership, Notification
from tests.audit_time import audit_rewrite
from tests.factories import ChapterFactory, RegionFactory


def _at(event, moment):
    audit_rewrite(event, created_at=moment)


def _status_change(personas, n=1):
    m = personas.member
    for _ in range(n):
        audit_record(
            actor=personas.president.user, action="membership.changed", target=m, chapter=personas.chapter,
            summary=f"{m.user}: changed", reason="Away for work",
            before={"role": Membership.Role.VICE_PRESIDENT, "status": Membership.Status.ACTIVE},
            after={"role": Membership.Role.MEMBER, "status": Membership.Status.ON_LEAVE},
        )


def _cell(html):
    """The before → after cells of the page."""
    import re

    return " | ".join(re.findall(r'data-label="Before → after"><small>(.*?)</small>', html, re.S))


@pytest.mark.parametrize("who,url", [("president", "chapter"), ("org_admin", "global")])
def test_before_and_after_show_field_and_choice_labels(client, personas, who, url):
    _status_change(personas)
    personas.login(client, who)
    html = client.get(personas.url("chapters:audit") if url == "chapter" else reverse("audit")).content.decode()
    cell = _cell(html)
    assert "Role: Vice-president → Member" in cell and "Status: Active → On leave" in cell
    assert "on_leave" not in cell and "vice_president" not in cell and "status:" not in cell


def test_a_region_stored_as_an_id_shows_its_name_and_times_and_dates_read(client, personas):
    north = RegionFactory(name="North Region")
    chapter = personas.chapter
    chapter.timezone = "America/New_York"
    chapter.save()
    audit_record(
        actor=personas.org_admin, action="chapter.settings_changed", target=chapter, chapter=chapter,
        summary="Changed chapter settings", before={"region": None, "weekday": 2, "start_time": "07:00:00"},
        after={"region": north.pk, "weekday": 3, "start_time": "07:30:00"},
    )
    case_event = audit_record(
        actor=personas.org_admin, action="case.decided", target=personas.member, chapter=chapter, summary="x",
    )
    audit_rewrite(case_event, target_type="enforcement.expulsioncase", after={
        "decision": "probation", "membership_status": "probation", "probation_until": "2027-03-03",
    }, before={"status": "open"})
    audit_record(
        actor=personas.member.user, action="case.appealed", target=personas.member, chapter=chapter, summary="y",
        after={"appealed_at": datetime(2026, 3, 2, 3, 30, 5, tzinfo=UTC), "waived_rest": True, "chars": 94},
    )
    audit_rewrite(AuditEvent.objects.filter(action="case.appealed"), target_type="enforcement.expulsioncase")
    personas.login(client, "org_admin")
    cell = _cell(client.get(reverse("audit")).content.decode())
    assert "Region: — → North Region" in cell
    assert "Weekday: Wednesday → Thursday" in cell and "Start time: 07:00 → 07:30" in cell
    assert "Status: was Open" in cell and "Decision: Probation" in cell and "Membership status: Probation" in cell
    assert "Probation until: 3 Mar 2027" in cell
    assert "Appealed at: 1 Mar 2026, 22:30" in cell  # in New York's time, as the row's own time
    assert "Asked for a decision before the deadline: yes" in cell and "Appeal length (characters): 94" in cell


def test_rules_changes_use_the_rules_page_labels(client, personas):
    from enforcement.models import ChapterRules

    rules = ChapterRules(chapter=personas.chapter, number=1, effective_from=date(2026, 1, 1))
    rules.pk = 1
    audit_record(
        actor=personas.president.user, action="rules.version_created", target=rules, chapter=personas.chapter,
        summary="Rules version 2", before={"quota_counts": "all", "fine_absence": "10.00"},
        after={"quota_counts": "consented", "fine_absence": "15.00"},
    )
    personas.login(client, "president")
    cell = _cell(client.get(personas.url("chapters:audit")).content.decode())
    assert "What counts toward the quota: " in cell and "quota_counts" not in cell
    assert "Fine per absence over the limit: 10.00 → 15.00" in cell


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who,url", [("president", "chapter"), ("org_admin", "global")])
def test_labels_cost_no_query_per_row(client, personas, who, url):
    north = RegionFactory(name="North Region")

    def settings_change():
        audit_record(actor=personas.org_admin, action="chapter.settings_changed", target=personas.chapter,
                     chapter=personas.chapter, summary="Moved region", before={"region": None},
                     after={"region": north.pk})

    _status_change(personas, 2)
    settings_change()
    personas.login(client, who)
    target = personas.url("chapters:audit") if url == "chapter" else reverse("audit")
    three = _queries(client, target)
    _status_change(personas, 3)
    settings_change()
    settings_change()
    assert AuditEvent.objects.count() == 8
    assert _queries(client, target) == three


def test_the_global_page_shows_each_row_in_its_chapters_zone_and_the_rest_in_utc(client, personas):
    berlin = ChapterFactory(region=personas.chapter.region, name="Berlin Chapter", timezone="Europe/Berlin")
    moment = datetime(2026, 12, 3, 22, 17, tzinfo=UTC)
    _at(audit_record(actor=None, action="a.berlin", target=berlin, chapter=berlin, summary="In Berlin"), moment)
    personas.chapter.timezone = "America/New_York"
    personas.chapter.save()
    _at(audit_record(actor=None, action="a.ny", target=personas.chapter, chapter=personas.chapter,
                     summary="In New York"), moment)
    _at(audit_record(actor=None, action="a.none", target=personas.member.user, summary="Nowhere"), moment)
    personas.login(client, "org_admin")
    html = client.get(reverse("audit")).content.decode()
    assert "3 Dec 2026, 23:17 CET" in html and "Europe/Berlin" in html
    assert "3 Dec 2026, 17:17 EST" in html and "America/New_York" in html
    assert "3 Dec 2026, 22:17 UTC" in html
    assert "each chapter's local time" in html


def test_the_notification_centre_shows_times_in_the_chapters_zone(client, personas):
    personas.chapter.timezone = "America/New_York"
    personas.chapter.save()
    user = personas.member.user
    moment = datetime(2026, 12, 3, 22, 17, tzinfo=UTC)
    Notification.objects.create(user=user, chapter=personas.chapter, kind="fine", title="Chapter notice",
                                created_at=moment)
    Notification.objects.create(user=user, kind="invitation", title="No chapter notice", created_at=moment)
    personas.login(client, "member")
    html = client.get(reverse("notifications")).content.decode()
    assert "3 Dec 2026, 17:17 EST" in html and 'title="America/New_York"' in html
    assert "3 Dec 2026, 22:17 UTC" in html
    assert "22:17 UTC · Home Chapter" not in html


def test_a_membership_change_is_summarised_and_notified_in_words(personas):
    from members.services import membership_change

    m = personas.vice_president
    membership_change(membership=m, by=personas.president.user, role=Membership.Role.MEMBER,
                      status=Membership.Status.ON_LEAVE, reason="Away for work")
    event = AuditEvent.objects.get(action="membership.changed", target_id=str(m.pk))
    assert event.summary == f"{m.user}: Role: Vice-president → Member, Status: Active → On leave"
    notice = Notification.objects.get(user=m.user, kind="membership")
    assert "on_leave" not in notice.body and "vice_president" not in notice.body


def test_the_member_page_history_reads_in_words_and_chapter_time_without_unchanged_values(client, personas):
    from members.services import membership_change

    personas.chapter.timezone = "America/New_York"
    personas.chapter.save()
    m = personas.member
    membership_change(membership=m, by=personas.president.user, status=Membership.Status.ON_LEAVE, reason="Away")
    event = AuditEvent.objects.get(action="membership.changed", target_id=str(m.pk))
    _at(event, datetime(2026, 12, 3, 22, 17, tzinfo=UTC))
    personas.login(client, "president")
    html = client.get(reverse("chapters:member-edit", args=[personas.chapter.slug, m.pk])).content.decode()
    assert "3 Dec 2026, 17:17 EST" in html
    assert "Status: Active → On leave" in html and "Role: Member → Member" not in html


def test_a_decision_reads_as_the_case_going_from_open_to_decided(client, personas):
    from enforcement import review
    from tests.enforcement.factories import ExpulsionCaseFactory

    case = ExpulsionCaseFactory(membership=personas.member, appeal_waived_at=datetime(2026, 1, 1, tzinfo=UTC))
    review.case_decide(case=case, by=personas.org_admin, decision="dismiss", reason="Absences were excused.")
    personas.login(client, "president")
    cell = _cell(client.get(personas.url("chapters:audit")).content.decode())
    assert "Status: Open → Decided" in cell and "Decision: Dismiss" in cell
