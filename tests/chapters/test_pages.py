from django.urls import reverse

from chapters.models import Chapter
from members.models import AuditEvent
from tests.factories import MembershipFactory


def test_roster_lists_members_with_classification_and_open_classifications(client, personas):
    personas.login(client, "member")
    response = client.get(personas.url("chapters:roster"))
    body = response.content.decode()
    assert "Paula President" in body and personas.member.classification.name in body
    assert "Open classifications" in body
    assert "Otto Outsider" not in body


def test_roster_shows_a_classification_offered_by_a_pending_invitation_as_reserved(client, personas):
    """Issue 3: a classification a pending invitation offers is not 'open'; it opens again when withdrawn."""
    from datetime import timedelta

    from django.utils import timezone

    from chapters.models import Classification
    from members.models import Invitation
    from members.services import invitation_create, invitation_revoke

    florist = Classification.objects.exclude(memberships__chapter=personas.chapter).order_by("name").first()
    invitation, _link = invitation_create(chapter=personas.chapter, email="new@example.com", full_name="Nia New",
                                          role="member", classification=florist, invited_by=personas.president.user)
    personas.login(client, "member")
    page = client.get(personas.url("chapters:roster"))
    assert florist not in page.context["open_classifications"]
    reserved = page.content.decode().split('data-testid="reserved-classifications"')[1].split("</p>")[0]
    assert f"{florist.name} · reserved (pending invitation)" in reserved
    assert "new@example.com" not in page.content.decode()  # members see the seat is taken, not by whom
    # the invitation form no longer offers it either (the service would refuse it)
    personas.login(client, "president")
    form = client.get(personas.url("chapters:member-invite")).context["form"]
    assert florist.pk not in [pk for pk, _label in form.fields["classification"].choices]
    # expired: open again
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))
    page = client.get(personas.url("chapters:roster"))
    assert florist in page.context["open_classifications"] and 'data-testid="reserved-classifications"' not in page.content.decode()
    # withdrawn: open again
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() + timedelta(days=1))
    assert florist not in client.get(personas.url("chapters:roster")).context["open_classifications"]
    invitation_revoke(invitation=invitation, by=personas.president.user)
    assert florist in client.get(personas.url("chapters:roster")).context["open_classifications"]


def test_roster_query_count_does_not_grow_with_the_chapter(client, personas, django_assert_max_num_queries):
    personas.login(client, "member")
    with django_assert_max_num_queries(20) as small:
        client.get(personas.url("chapters:roster"))
    MembershipFactory.create_batch(40, chapter=personas.chapter)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(personas.url("chapters:roster"))


def test_settings_change_is_saved_and_audited(client, personas):
    personas.login(client, "president")
    data = {
        "name": "Renamed", "timezone": "Europe/Paris", "cadence": "biweekly", "weekday": 1, "start_time": "07:30",
        "duration_minutes": 90, "venue": "Hotel", "meal": "breakfast", "currency": "EUR", "membership_fee": "100.00",
    }
    assert client.post(personas.url("chapters:settings"), data).status_code == 302
    chapter = Chapter.objects.get(pk=personas.chapter.pk)
    assert chapter.timezone == "Europe/Paris" and chapter.cadence == "biweekly"
    assert AuditEvent.objects.filter(action="chapter.settings_changed", chapter=chapter).exists()


def test_settings_refuse_an_unknown_timezone_and_keep_the_input(client, personas):
    personas.login(client, "president")
    data = {
        "name": "Renamed", "timezone": "Mars/Olympus", "cadence": "weekly", "weekday": 1, "start_time": "07:30",
        "duration_minutes": 90, "venue": "", "meal": "breakfast", "currency": "EUR", "membership_fee": "-5",
    }
    response = client.post(personas.url("chapters:settings"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "timezone" in errors and "membership_fee" in errors
    assert b"Mars/Olympus" in response.content
    assert Chapter.objects.get(pk=personas.chapter.pk).name == "Home Chapter"


def test_dashboard_lists_all_my_chapters(client, personas):
    MembershipFactory(user=personas.member.user, chapter=personas.other_chapter)
    personas.login(client, "member")
    body = client.get("/").content.decode()
    assert "Home Chapter" in body and "Other Chapter" in body


def test_navigation_switches_between_my_chapters(client, personas):
    MembershipFactory(user=personas.member.user, chapter=personas.other_chapter)
    personas.login(client, "member")
    body = client.get(personas.url("chapters:home")).content.decode()
    assert f'href="/c/{personas.other_chapter.slug}/"' in body


def test_region_staff_see_only_their_regions_chapters(client, personas):
    personas.login(client, "region_staff")
    body = client.get("/").content.decode()
    assert "Home Chapter" in body and "Other Chapter" not in body


def test_leadership_links_hidden_from_members(client, personas):
    personas.login(client, "member")
    body = client.get(personas.url("chapters:home")).content.decode()
    assert personas.url("chapters:settings") not in body
    personas.login(client, "president")
    body = client.get(personas.url("chapters:home")).content.decode()
    assert personas.url("chapters:settings") in body


def test_dashboard_lists_what_needs_attention_in_flat_queries(client, personas, django_assert_max_num_queries):
    from referrals.models import Referral
    from tests.enforcement.factories import FineFactory
    from tests.meetings.factories import VisitorFactory
    from tests.referrals.factories import ReferralFactory

    ReferralFactory(chapter=personas.chapter, giver=personas.member2, receiver=personas.president,
                    status=Referral.Status.GIVEN)
    FineFactory(membership=personas.president, amount="10.00", currency="GBP")
    VisitorFactory(meeting__chapter=personas.chapter)
    from members.notifications import notification_send

    notification_send(user=personas.president.user, chapter=personas.chapter, kind="fine", title="first")
    personas.login(client, "president")
    with django_assert_max_num_queries(20) as small:
        body = client.get("/").content.decode()
    attention = body.split('data-testid="attention"', 1)[1].split("</ul>", 1)[0]
    assert "1 referral received needs your action" in attention
    assert "1 unpaid fine: £10.00" in attention, attention  # money as on the fines pages
    assert "1 visitor awaits follow-up" in attention
    for n in range(4):
        ReferralFactory(chapter=personas.chapter, giver=personas.member2, receiver=personas.president)
        VisitorFactory(meeting__chapter=personas.chapter)
        notification_send(user=personas.president.user, chapter=personas.chapter, kind="fine", title=f"n{n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/")


def test_member_sees_no_leadership_items(client, personas):
    from tests.meetings.factories import VisitorFactory

    VisitorFactory(meeting__chapter=personas.chapter)
    personas.login(client, "member")
    assert "follow-up" not in client.get("/").content.decode()


def test_dashboard_never_shows_an_empty_attention_heading(client, personas):
    from members.notifications import notification_send

    notification_send(user=personas.member.user, chapter=personas.chapter, kind="fine", title="Something new")
    personas.login(client, "member")
    html = client.get("/").content.decode()
    section = html.split("<h2>Needs my attention</h2>", 1)[1].split("</section>", 1)[0]
    assert "Nothing needs you right now." in section and "Something new" in html


def test_staff_without_a_seat_get_no_referral_button_or_attendance_link(client, personas):
    personas.login(client, "org_admin")
    page = client.get(personas.url("chapters:home")).content.decode()
    assert 'data-testid="log-referral"' not in page
    assert personas.url("meetings:my-attendance") not in page
    personas.login(client, "member")
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="log-referral"' in page


def test_leadership_menu_reaches_the_meeting_settings(client, personas):
    personas.login(client, "president")
    assert personas.url("meetings:settings") in client.get(personas.url("chapters:home")).content.decode()


def test_chapter_page_lists_leadership_president_first(client, personas):
    personas.login(client, "member")
    page = client.get(personas.url("chapters:home")).content.decode()
    assert page.index("President:") < page.index("Vice-president:") < page.index("Secretary-treasurer:")


def test_settings_offer_the_timezone_as_a_list_with_the_chapters_own_chosen(client, personas):
    personas.login(client, "president")
    page = client.get(personas.url("chapters:settings")).content.decode()
    assert '<select name="timezone"' in page
    assert f'<option value="{personas.chapter.timezone}" selected>' in page
    assert '<option value="America/New_York">America/New York</option>' in page


def test_the_timezone_list_is_grouped_by_region_with_the_chapters_likely_zones_first(client, personas):
    """Issue 17: ~600 zones in one select; now the chapter's own country's zones come first, then regions."""
    from tests.factories import ChapterFactory

    chapter = personas.chapter
    chapter.timezone = "Europe/Madrid"
    chapter.save(update_fields=["timezone"])
    ChapterFactory(region=chapter.region, slug="lisbon", name="Lisbon", timezone="Europe/Lisbon")
    personas.login(client, "president")
    html = client.get(personas.url("chapters:settings")).content.decode()
    select = html.split('name="timezone"', 1)[1].split("</select>", 1)[0]
    groups = [part.split('"', 1)[0] for part in select.split('<optgroup label="')[1:]]
    assert groups[0] == "Likely for this chapter" and {"Europe", "America", "Asia"} <= set(groups)
    likely = select.split("</optgroup>", 1)[0]
    assert '<option value="Europe/Madrid" selected>' in likely and "Africa/Ceuta" in likely  # Spain's other zone
    assert "Europe/Lisbon" in likely  # another chapter of the region
    assert "Asia/Tokyo" not in likely
