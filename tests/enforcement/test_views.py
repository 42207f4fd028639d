"""Enforcement pages: rules and their history, the preview, fines, cases."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from enforcement.models import ChapterRules, Fine
from members.models import AuditEvent
from tests.enforcement.factories import (
    AttendanceFactory,
    ChapterRulesFactory,
    ExpulsionCaseFactory,
    FineFactory,
    MeetingFactory,
)
from tests.factories import MembershipFactory


def _today(chapter):
    return timezone.now().astimezone(chapter.tz).date()


def _form(chapter, **changes):
    data = {k: ChapterRules._meta.get_field(k).get_default() for k in ChapterRules.RULE_FIELDS}
    data.update(effective_from=_today(chapter).isoformat(), reason="Start of the year")
    data.update(changes)
    if not data["exempt_on_leave"]:
        data.pop("exempt_on_leave")
    return data


def test_rules_page_reads_in_plain_language_with_history(client, personas):
    ChapterRulesFactory(chapter=personas.chapter, number=1, effective_from=date(2025, 1, 1), fine_absence=Decimal("10"))
    ChapterRulesFactory(chapter=personas.chapter, number=2, effective_from=date(2025, 6, 1), absences_allowed=2,
                        reason="Stricter")
    personas.login(client, "member")
    html = client.get(personas.url("enforcement:rules")).content.decode()
    assert "Version 2, in force since 1 June 2025" in html
    assert "Up to 2 absences in any rolling 6 months." in html
    assert "A late arrival counts as 0.5 of an absence." in html
    assert "Version 1 · from 1 Jan 2025" in html and "Stricter" in html
    assert "Change the rules" not in html


def test_leadership_changes_the_rules_as_a_new_version(client, personas):
    personas.login(client, "president")
    response = client.post(personas.url("enforcement:rules-edit"), _form(personas.chapter, absences_allowed=4))
    assert response.status_code == 302
    rules = ChapterRules.objects.get(chapter=personas.chapter)
    assert (rules.number, rules.absences_allowed, rules.created_by) == (1, 4, personas.president.user)
    assert AuditEvent.objects.filter(action="rules.version_created", chapter=personas.chapter).exists()
    html = client.get(personas.url("enforcement:rules")).content.decode()
    assert "Up to 4 absences" in html


def test_bad_rules_get_inline_errors_and_keep_what_was_typed(client, personas):
    personas.login(client, "president")
    past = (_today(personas.chapter) - timedelta(days=3)).isoformat()
    response = client.post(
        personas.url("enforcement:rules-edit"),
        _form(personas.chapter, effective_from=past, absences_allowed=9, fine_absence="99.00", reason="Typed reason"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "cannot start in the past" in html
    assert "Your organisation allows at most 6." in html
    assert "at most £50.00" in html
    assert 'value="Typed reason"' in html and 'value="99.00"' in html
    assert not ChapterRules.objects.exists()


def test_rules_in_force_from_9999_is_an_inline_error(client, personas):
    personas.login(client, "president")
    response = client.post(
        personas.url("enforcement:rules-edit"), _form(personas.chapter, effective_from="9999-12-31", reason="Typo")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "A new version may start at most 12 months ahead" in html and 'value="Typo"' in html
    assert not ChapterRules.objects.exists()


def test_saving_the_rules_unchanged_says_nothing_changed(client, personas):
    personas.login(client, "president")
    assert client.post(personas.url("enforcement:rules-edit"), _form(personas.chapter)).status_code == 302
    response = client.post(personas.url("enforcement:rules-edit"), _form(personas.chapter, reason="Just checking"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing changed: these are the rules of version 1" in html and 'value="Just checking"' in html
    assert ChapterRules.objects.filter(chapter=personas.chapter).count() == 1


def _history(personas, absences=5):
    ChapterRulesFactory(chapter=personas.chapter, number=1, effective_from=date(2024, 1, 1), absences_allowed=1)
    for m in (personas.member, personas.member2):
        m.joined_on = date(2024, 1, 1)
        m.save()
    today = _today(personas.chapter)
    for i in range(absences):
        meeting = MeetingFactory(chapter=personas.chapter, local_date=today - timedelta(days=7 * (i + 1)))
        AttendanceFactory(meeting=meeting, membership=personas.member, status="absent")


def test_preview_shows_who_would_be_fined_and_why_and_changes_nothing(client, personas):
    _history(personas, absences=3)
    personas.login(client, "vice_president")
    html = client.get(personas.url("enforcement:preview")).content.decode()
    assert "Mona Member" in html and "Total 2 against 1 allowed" in html
    assert "Would become expulsion candidates" in html
    assert not Fine.objects.exists()


def test_a_member_sees_own_fines_and_balance_only(client, personas):
    rules = ChapterRulesFactory(chapter=personas.chapter)
    FineFactory(membership=personas.member, rules=rules, amount=Decimal("10.00"))
    FineFactory(membership=personas.member, rules=rules, amount=Decimal("5.00"), status="paid")
    FineFactory(membership=personas.member2, rules=rules, amount=Decimal("7.00"))
    personas.login(client, "member")
    response = client.get(personas.url("enforcement:my-fines"))
    html = response.content.decode()
    assert "£10.00" in html and "£5.00" in html and "£7.00" not in html
    assert response.context["totals"]["open"] == Decimal("10.00")


def test_a_member_cannot_open_another_members_fine_or_case(client, personas):
    fine = FineFactory(membership=personas.member)
    case = ExpulsionCaseFactory(membership=personas.member, rules=fine.rules)
    personas.login(client, "member2")
    assert client.get(personas.url("enforcement:fine-detail", fine.pk)).status_code == 404
    assert client.get(personas.url("enforcement:case-detail", case.pk)).status_code == 404
    personas.login(client, "member")
    assert "Absent on the day" in client.get(personas.url("enforcement:fine-detail", fine.pk)).content.decode()
    assert client.get(personas.url("enforcement:case-detail", case.pk)).status_code == 200


def test_waiving_over_htmx_swaps_the_status_block(client, personas):
    fine = FineFactory(membership=personas.member)
    personas.login(client, "treasurer")
    url = personas.url("enforcement:fine-resolve", fine.pk)
    response = client.post(url, {"status": "waived", "reason": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and "Say why the fine is waived." in response.content.decode()
    response = client.post(url, {"status": "waived", "reason": "Snowed in"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and html.strip().startswith('<section id="fine-status">')
    assert "Waived" in html and "Snowed in" in html
    assert Fine.objects.get(pk=fine.pk).status == "waived"


def test_a_refused_resolve_over_htmx_returns_the_status_fragment_with_the_error(client, personas):
    """htmx swaps 422 responses (base.html): the body must be the #fine-status fragment the form targets."""
    fine = FineFactory(membership=personas.member)
    personas.login(client, "treasurer")
    page = client.get(personas.url("enforcement:fine-detail", fine.pk)).content.decode()
    assert 'hx-target="#fine-status" hx-swap="outerHTML"' in page
    response = client.post(personas.url("enforcement:fine-resolve", fine.pk), {"status": "waived", "reason": " "},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    html = response.content.decode().strip()
    assert html.startswith('<section id="fine-status">') and html.endswith("</section>") and "<html" not in html
    assert 'id="fine-resolve-form"' in html and 'hx-target="#fine-status"' in html
    assert '<ul class="errorlist" id="id_reason_error"><li>Say why the fine is waived.</li></ul>' in html
    assert '<option value="waived" selected>' in html  # what was chosen is kept
    assert Fine.objects.get(pk=fine.pk).status == "open"


def test_resolving_a_fine_another_officer_resolved_shows_why_over_htmx(client, personas):
    fine = FineFactory(membership=personas.member)
    Fine.objects.filter(pk=fine.pk).update(status="paid", resolved_at=timezone.now())
    personas.login(client, "treasurer")
    response = client.post(personas.url("enforcement:fine-resolve", fine.pk), {"status": "paid"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    html = response.content.decode().strip()
    assert html.startswith('<section id="fine-status">')
    assert 'id="fine-status-error"' in html and "This fine is no longer unpaid" in html
    assert "Paid" in html and "<form" not in html


def test_marking_paid_without_javascript_redirects(client, personas):
    fine = FineFactory(membership=personas.member)
    personas.login(client, "treasurer")
    response = client.post(personas.url("enforcement:fine-resolve", fine.pk), {"status": "paid"})
    assert response.status_code == 302 and Fine.objects.get(pk=fine.pk).status == "paid"


def test_rules_link_in_the_chapter_navigation(client, personas):
    personas.login(client, "member")
    html = client.get(personas.url("chapters:home")).content.decode()
    assert personas.url("enforcement:rules") in html and personas.url("enforcement:my-fines") in html
    assert f'href="{personas.url("enforcement:fines")}"' not in html


@pytest.mark.parametrize("page", ["enforcement:fines", "enforcement:cases", "enforcement:preview"])
def test_leadership_lists_do_not_grow_queries_with_the_chapter(client, personas, django_assert_max_num_queries, page):
    _history(personas, absences=4)

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(personas.url(page)).status_code == 200
        return len(ctx.captured_queries)

    from enforcement.services import chapter_enforce

    personas.login(client, "president")
    chapter_enforce(chapter=personas.chapter)
    small = count()
    for _ in range(15):  # fifteen more members, each with a fine, a case and absences
        m = MembershipFactory(chapter=personas.chapter, joined_on=date(2024, 1, 1))
        for meeting in personas.chapter.meetings.all():
            AttendanceFactory(meeting=meeting, membership=m, status="absent")
    chapter_enforce(chapter=personas.chapter)
    assert Fine.objects.filter(chapter=personas.chapter).count() > 40
    with django_assert_max_num_queries(small):
        client.get(personas.url(page))


def test_my_fines_queries_are_flat(client, personas, django_assert_max_num_queries):
    rules = ChapterRulesFactory(chapter=personas.chapter)
    FineFactory(membership=personas.member, rules=rules)
    personas.login(client, "member")
    client.get(personas.url("enforcement:my-fines"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(personas.url("enforcement:my-fines"))
    FineFactory.create_batch(20, membership=personas.member, rules=rules)
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        client.get(personas.url("enforcement:my-fines"))
