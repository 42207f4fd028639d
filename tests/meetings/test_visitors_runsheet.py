from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from meetings import models as meeting_models
from meetings import selectors, services
from meetings.models import ChapterMeetingSettings, Presentation, Visitor
from members.models import AuditEvent, Membership, User
from tests.factories import ClassificationFactory
from tests.meetings.factories import MeetingFactory, PresentationFactory, VisitorFactory

pytestmark = pytest.mark.django_db


def test_leader_adds_a_visitor_credited_to_the_inviting_member(client, personas):
    meeting = MeetingFactory(chapter=personas.chapter)
    personas.login(client, "president")
    response = client.post(personas.url("meetings:visitor-add", meeting.pk), {
        "visitor-name": "Vera Visitor", "visitor-business": "Vera's Bakes", "visitor-email": "Vera@Example.com",
        "visitor-invited_by": personas.member.pk,
    })
    assert response.status_code == 302
    visitor = Visitor.objects.get()
    assert visitor.invited_by == personas.member and visitor.email == "vera@example.com"
    assert visitor.follow_up == Visitor.FollowUp.NEW


def test_visitor_form_errors_keep_what_was_typed(client, personas):
    meeting = MeetingFactory(chapter=personas.chapter)
    personas.login(client, "president")
    response = client.post(personas.url("meetings:visitor-add", meeting.pk), {
        "visitor-name": "", "visitor-business": "Typed Business Ltd", "visitor-email": "not-an-email",
    })
    assert response.status_code == 200
    assert b"Typed Business Ltd" in response.content and b"Enter a valid email address" in response.content
    assert not Visitor.objects.exists()


def test_visitor_in_a_held_classification_is_flagged(personas):
    meeting = MeetingFactory(chapter=personas.chapter)
    held = VisitorFactory(meeting=meeting, classification=personas.member.classification)
    free = VisitorFactory(meeting=meeting, classification=ClassificationFactory())
    flagged = {v.pk: v for v in selectors.meeting_visitors(meeting=meeting)}
    assert flagged[held.pk].classification_held and not flagged[free.pk].classification_held


def test_visitor_past_the_allowed_visits_is_flagged(personas):
    assert not ChapterMeetingSettings.objects.exists()  # the default: two visits
    meetings = [MeetingFactory(chapter=personas.chapter) for _ in range(3)]
    VisitorFactory(meeting=meetings[0], name="Repeat Rita", email="rita@example.com")
    VisitorFactory(meeting=meetings[1], name="Rita R.", email="RITA@example.com")  # same email
    third = VisitorFactory(meeting=meetings[2], name="R. Rita", email="rita@example.com")
    other = VisitorFactory(meeting=meetings[2], name="Someone Else", email="else@example.com")
    flagged = {v.pk: v for v in selectors.meeting_visitors(meeting=meetings[2])}
    assert flagged[third.pk].visit_number == 3 and flagged[third.pk].over_visit_limit
    assert flagged[other.pk].visit_number == 1 and not flagged[other.pk].over_visit_limit
    by_name = VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), name="repeat RITA", email="")
    (flagged,) = [v for v in selectors.meeting_visitors(meeting=by_name.meeting)]
    assert flagged.visit_number == 2  # the same name as the first visit


def test_visits_in_another_chapter_do_not_count(personas):
    VisitorFactory(meeting=MeetingFactory(chapter=personas.other_chapter), email="x@example.com")
    VisitorFactory(meeting=MeetingFactory(chapter=personas.other_chapter), email="x@example.com")
    mine = VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), email="x@example.com")
    (flagged,) = selectors.meeting_visitors(meeting=mine.meeting)
    assert flagged.visit_number == 1


def test_follow_up_list_shows_only_visitors_awaiting_follow_up(client, personas):
    meeting = MeetingFactory(chapter=personas.chapter)
    waiting = VisitorFactory(meeting=meeting, name="Walt Waiting", follow_up="interested")
    VisitorFactory(meeting=meeting, name="Nora Nope", follow_up="not_interested")
    VisitorFactory(meeting=MeetingFactory(chapter=personas.other_chapter), name="Olly Other")
    personas.login(client, "president")
    html = client.get(personas.url("meetings:visitors")).content.decode()
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "Walt Waiting" in table and "Nora Nope" not in table and "Olly Other" not in html
    response = client.post(personas.url("meetings:visitor-edit", waiting.pk), {"follow_up": "thanked", "notes": "Called"})
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.follow_up, waiting.notes) == ("thanked", "Called")


def test_converting_a_visitor_makes_an_applicant_and_keeps_the_link(client, personas):
    classification = ClassificationFactory(name="Bakery")
    visitor = VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), name="Vera Visitor",
                             email="vera@example.com", classification=classification)
    personas.login(client, "president")
    assert client.post(personas.url("meetings:visitor-convert", visitor.pk)).status_code == 302
    visitor.refresh_from_db()
    membership = visitor.applicant_membership
    assert membership.status == Membership.Status.APPLICANT and membership.chapter == personas.chapter
    assert membership.user == User.objects.get(email="vera@example.com") and membership.user.full_name == "Vera Visitor"
    assert membership.classification == classification and visitor.follow_up == "applied"
    assert AuditEvent.objects.filter(action="visitor.converted").exists()
    # Converting again changes nothing.
    assert services.visitor_convert(visitor=visitor, by=personas.president.user) == membership
    assert Membership.objects.filter(user__email="vera@example.com").count() == 1


def test_converting_needs_an_email_and_refuses_a_seated_member(personas):
    visitor = VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), email="")
    with pytest.raises(ValidationError):
        services.visitor_convert(visitor=visitor, by=personas.president.user)
    visitor.email = personas.member.user.email
    visitor.save()
    with pytest.raises(ValidationError):
        services.visitor_convert(visitor=visitor, by=personas.president.user)


def test_leadership_fills_the_rota_and_members_see_when_they_are_next(client, personas):
    upcoming = MeetingFactory(chapter=personas.chapter, local_date=date.today() + timedelta(days=400))
    personas.login(client, "president")
    response = client.post(personas.url("meetings:rota"), {
        "meeting": upcoming.pk, "presenter": personas.member.pk, "kind": "feature", "topic": "Floristry for events",
    })
    assert response.status_code == 302
    assert Presentation.objects.get().presenter == personas.member
    client.force_login(personas.member.user)
    html = client.get(personas.url("meetings:rota")).content.decode()
    assert "You are next" in html and "Floristry for events" in html
    assert client.post(personas.url("meetings:rota"), {}).status_code == 403


def test_rota_refuses_a_duplicate_slot_with_an_inline_error(client, personas):
    meeting = MeetingFactory(chapter=personas.chapter)
    PresentationFactory(meeting=meeting, presenter=personas.member, kind="education")
    personas.login(client, "president")
    response = client.post(personas.url("meetings:rota"), {
        "meeting": meeting.pk, "presenter": personas.member.pk, "kind": "education", "topic": "Typed topic",
    })
    assert response.status_code == 200 and b"already has this slot" in response.content
    assert b"Typed topic" in response.content


def test_meeting_page_shows_the_agenda_with_run_sheet_and_testimonials(client, personas):
    meeting = MeetingFactory(chapter=personas.chapter)
    PresentationFactory(meeting=meeting, presenter=personas.member, kind="education", topic="Cash flow")
    PresentationFactory(meeting=meeting, presenter=personas.member2, kind="feature", topic="Our new van")
    personas.login(client, "president")
    response = client.post(personas.url("meetings:testimonial-add", meeting.pk), {
        "testimonial-given_by": personas.member.pk, "testimonial-about": personas.member2.pk,
        "testimonial-text": "Max fixed our boiler the same day.",
    })
    assert response.status_code == 302 and meeting_models.Testimonial.objects.count() == 1
    html = client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    agenda = html.split('id="agenda"', 1)[1].split("</section>", 1)[0]
    for label in ("Open networking", "Education moment", "Member pitches", "Feature presentations",
                  "Visitors introduce themselves", "Referral passing", "Testimonials", "Announcements"):
        assert label in agenda
    assert "Cash flow" in agenda and "Our new van" in agenda and "1 recorded" in agenda
    # the testimonials themselves come with their section, when it is opened
    body = client.get(personas.url("meetings:testimonials", meeting.pk), HTTP_HX_REQUEST="true").content.decode()
    assert "Mona Member about Max Member" in body and "<html" not in body


def test_testimonial_about_oneself_is_refused(client, personas):
    meeting = MeetingFactory(chapter=personas.chapter)
    personas.login(client, "president")
    response = client.post(personas.url("meetings:testimonial-add", meeting.pk), {
        "testimonial-given_by": personas.member.pk, "testimonial-about": personas.member.pk,
        "testimonial-text": "Self praise",
    })
    assert response.status_code == 200 and b"about another member" in response.content


def test_chapter_allows_more_visits_before_applying(client, personas):
    meetings = [MeetingFactory(chapter=personas.chapter) for _ in range(4)]
    for m in meetings:
        VisitorFactory(meeting=m, name="Repeat Rita", email="rita@example.com")
    personas.login(client, "president")
    html = client.get(personas.url("meetings:visitors")).content.decode()
    # Rita is listed once, at her latest visit
    assert "may attend 2 times before applying" in html and html.count("should apply") == 1
    assert selectors.meeting_visitors(meeting=meetings[2])[0].over_visit_limit  # visit 3 of 2 allowed
    settings_url = personas.url("meetings:settings")
    assert f'href="{settings_url}"' in html
    response = client.post(settings_url, {"max_visits_before_applying": "3"})
    assert response.status_code == 302
    assert ChapterMeetingSettings.objects.get(chapter=personas.chapter).max_visits_before_applying == 3
    html = client.get(personas.url("meetings:visitors")).content.decode()
    assert "may attend 3 times before applying" in html and html.count("should apply") == 1  # visit 4
    assert not selectors.meeting_visitors(meeting=meetings[2])[0].over_visit_limit  # visit 3 of 3 allowed
    flagged = {v.visit_number: v.over_visit_limit for v in selectors.meeting_visitors(meeting=meetings[3])}
    assert flagged == {4: True}
    detail = client.get(personas.url("meetings:detail", meetings[3].pk)).content.decode()
    assert "past 3 visits, should apply" in detail
    event = AuditEvent.objects.get(action="meeting_settings.changed")
    assert event.before == {"max_visits_before_applying": 2} and event.after == {"max_visits_before_applying": 3}
    assert event.actor == personas.president.user and event.chapter == personas.chapter


def test_another_chapters_setting_does_not_apply(personas):
    services.meeting_settings_update(chapter=personas.other_chapter, by=personas.outsider.user,
                                     max_visits_before_applying=5)
    meetings = [MeetingFactory(chapter=personas.chapter) for _ in range(3)]
    visitors = [VisitorFactory(meeting=m, name="Repeat Rita", email="rita@example.com") for m in meetings]
    flagged = {v.pk: v for v in selectors.meeting_visitors(meeting=meetings[2])}
    assert flagged[visitors[2].pk].over_visit_limit  # this chapter still allows two


@pytest.mark.parametrize("value,error", [("0", "greater than or equal to 1"), ("21", "less than or equal to 20"),
                                         ("lots", "Enter a whole number")])
def test_meeting_settings_refuse_bad_values_and_keep_them(client, personas, value, error):
    personas.login(client, "vice_president")
    response = client.post(personas.url("meetings:settings"), {"max_visits_before_applying": value})
    html = response.content.decode()
    assert response.status_code == 200 and error in html and f'value="{value}"' in html
    assert not ChapterMeetingSettings.objects.exists()


def test_settings_page_shows_the_default_without_writing_it(client, personas):
    personas.login(client, "treasurer")
    html = client.get(personas.url("meetings:settings")).content.decode()
    assert 'name="max_visits_before_applying"' in html and 'value="2"' in html
    assert not ChapterMeetingSettings.objects.exists()


def test_member_cannot_change_meeting_settings(client, personas):
    personas.login(client, "member")
    assert client.post(personas.url("meetings:settings"), {"max_visits_before_applying": "9"}).status_code == 403
    assert not ChapterMeetingSettings.objects.exists()


def test_follow_up_lists_a_returning_visitor_once_at_the_latest_visit(client, personas):
    from datetime import UTC, datetime

    def visit(day, **kwargs):
        return VisitorFactory(meeting=MeetingFactory(
            chapter=personas.chapter, starts_at=datetime(2026, 3, day, 7, tzinfo=UTC)), **kwargs)

    visit(4, name="Abi Stone", email="abi@example.com")
    visit(11, name="Abi Stone", email="ABI@example.com", follow_up="thanked")
    latest = visit(18, name="Abi Stone", email="abi@example.com")
    cancelled = VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter, status="cancelled"), name="Cal Cancel")
    personas.login(client, "president")
    html = client.get(personas.url("meetings:visitors")).content.decode()
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert table.count("Abi Stone") == 1 and f"/visitors/{latest.pk}/" in table and "Visit 3" in table
    assert cancelled.name not in table
    attention = client.get("/").content.decode().split('data-testid="attention"', 1)[1].split("</ul>", 1)[0]
    assert "1 visitor awaits follow-up" in attention  # the dashboard counts the people the page lists
    services.visitor_follow_up(visitor=latest, by=personas.president.user, follow_up="not_interested", notes="")
    html = client.get(personas.url("meetings:visitors")).content.decode()
    assert "Abi Stone" not in html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "follow-up" not in client.get("/").content.decode().split('data-testid="attention"', 1)[-1].split("</ul>")[0]


def test_a_visitor_recorded_without_email_gets_one_on_the_follow_up_page_and_converts(client, personas):
    visitor = VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter), name="Nell Noemail", email="")
    personas.login(client, "president")
    url = personas.url("meetings:visitor-edit", visitor.pk)
    assert 'name="email"' in client.get(url).content.decode()
    response = client.post(url, {"follow_up": "interested", "email": " Nell@Example.com ", "phone": "0700 900", "notes": ""})
    assert response.status_code == 302
    visitor.refresh_from_db()
    assert (visitor.email, visitor.phone, visitor.follow_up) == ("nell@example.com", "0700 900", "interested")
    assert client.post(personas.url("meetings:visitor-convert", visitor.pk)).status_code == 302
    visitor.refresh_from_db()
    assert visitor.applicant_membership.user.email == "nell@example.com"
