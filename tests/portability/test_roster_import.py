"""Roster import: a preview that writes nothing, each broken line's reason, invitations on confirmation, never twice."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chapters.models import Classification
from members.models import AuditEvent, Invitation, Membership, OutboundEmail
from members.services import invitation_create
from portability import roster_import
from tests.factories import ClassificationFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def professions(db):
    return {name: ClassificationFactory(name=name) for name in ("Accountant", "Plumber", "Florist", "Roofer", "Dentist")}


def _outcomes(result):
    return {r.line: (r.outcome, " ".join(r.notes)) for r in result.rows}


BROKEN = """name,email,classification,role
Ada Lovelace,ada@example.org,Accountant,member
Bad Email,not-an-email,,member
Unknown Role,role@example.org,,chairman
Ada Again,ADA@example.org,,member
Mona Member,{member_email},,member
Taken Seat,taken@example.org,Plumber,member
No Such,nosuch@example.org,Astronaut,member
Second Accountant,second@example.org,Accountant,
Offered Seat,offered@example.org,Florist,member
,noname@example.org,Roofer,vice-president
Pres One,p1@example.org,,president
Pres Two,p2@example.org,,President
Already Invited,invited@example.org,,member
"""


def _broken(p, professions):
    MembershipFactory(chapter=p.chapter, classification=professions["Plumber"], user__full_name="Pete Plumber")
    invitation_create(chapter=p.chapter, email="florist@example.org", full_name="", role="member",
                      classification=professions["Florist"], invited_by=p.president.user)
    invitation_create(chapter=p.chapter, email="invited@example.org", full_name="", role="member",
                      classification=None, invited_by=p.president.user)
    return BROKEN.format(member_email=p.member.user.email)


def test_the_preview_says_what_each_line_would_do_and_why(personas, professions):
    text = _broken(personas, professions)
    before = (Invitation.objects.count(), OutboundEmail.objects.count(), AuditEvent.objects.count())
    result = roster_import.roster_preview(chapter=personas.chapter, text=text, can_appoint=True)
    got = _outcomes(result)
    assert got[2] == ("invite", "")
    assert got[3][0] == "error" and "“not-an-email” is not an email address" in got[3][1]
    assert got[4][0] == "error" and "Unknown role “chairman”" in got[4][1]
    assert got[5][0] == "error" and "Line 2 already has this email" in got[5][1]  # emails compare in any case
    assert got[6] == ("skip", "Already a member of the chapter: nothing to do.")
    assert got[7][0] == "error" and "Pete Plumber holds the classification Plumber" in got[7][1]
    assert got[8][0] == "error" and "Unknown classification “Astronaut”" in got[8][1]
    assert got[9][0] == "error" and "Line 2 already takes the classification Accountant" in got[9][1]
    assert got[10][0] == "error" and "The open invitation to florist@example.org offers the classification Florist" in got[10][1]
    assert got[11] == ("invite", "")  # no name is fine; an officer's role for a president who may appoint
    assert got[12] == ("invite", "")
    assert got[13][0] == "error" and "Line 12 already invites a president" in got[13][1]
    assert got[14][0] == "skip" and "Already invited: the invitation is open until" in got[14][1]
    assert (result.to_invite, result.skipped, result.failed) == (3, 2, 8)
    # Nothing written: no invitation, no email, no audit event.
    assert (Invitation.objects.count(), OutboundEmail.objects.count(), AuditEvent.objects.count()) == before


def test_a_leader_who_may_not_appoint_officers_cannot_import_them(personas, professions):
    result = roster_import.roster_preview(chapter=personas.chapter, can_appoint=False,
                                          text="Vic,vic@example.org,,vice-president\nMo,mo@example.org,,member\n")
    assert _outcomes(result) == {1: ("error", "Only the president or an admin invites officers."), 2: ("invite", "")}


def test_confirming_invites_through_the_invitation_service(personas, professions, django_capture_on_commit_callbacks):
    text = _broken(personas, professions)
    before = Invitation.objects.count()
    with django_capture_on_commit_callbacks(execute=False):
        result = roster_import.roster_import(chapter=personas.chapter, text=text, by=personas.president.user,
                                             can_appoint=True)
    assert result.imported and result.to_invite == 3
    new = Invitation.objects.order_by("pk")[before:]
    assert [(i.email, i.full_name, i.role, i.classification and i.classification.name) for i in new] == [
        ("ada@example.org", "Ada Lovelace", "member", "Accountant"),
        ("noname@example.org", "", "vice_president", "Roofer"),
        ("p1@example.org", "Pres One", "president", None),
    ]
    assert all(i.emails.get().kind == "invitation" for i in new)  # each has its outbox email, as the form's do
    assert AuditEvent.objects.filter(action="invitation.created").count() == before + 3
    summary = AuditEvent.objects.get(action="roster.imported")
    assert summary.actor == personas.president.user and summary.after == {"invited": 3, "skipped": 2, "errors": 8}


def test_importing_the_same_file_again_invites_nobody_twice(personas, professions):
    text = "Ada,ada@example.org,Accountant,member\nBob,bob@example.org,,member\n"
    roster_import.roster_import(chapter=personas.chapter, text=text, by=personas.president.user, can_appoint=True)
    again = roster_import.roster_import(chapter=personas.chapter, text=text, by=personas.president.user, can_appoint=True)
    assert [r.outcome for r in again.rows] == ["skip", "skip"]
    assert Invitation.objects.filter(chapter=personas.chapter).count() == 2


def test_a_line_that_became_invalid_since_the_preview_is_not_invited(personas, professions):
    text = "Ada,ada@example.org,Accountant,member\n"
    assert roster_import.roster_preview(chapter=personas.chapter, text=text, can_appoint=True).to_invite == 1
    MembershipFactory(chapter=personas.chapter, classification=professions["Accountant"], user__full_name="Quick")
    result = roster_import.roster_import(chapter=personas.chapter, text=text, by=personas.president.user,
                                         can_appoint=True)
    assert result.rows[0].outcome == "error" and "Quick holds the classification" in result.rows[0].notes[0]
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("data", [
    "Zoë Müller;zoe@example.org;Dentist;Member\r\n".encode(),
    "\ufeffZoë Müller;zoe@example.org;Dentist;Member\r\n".encode("utf-8"),  # Excel's UTF-8 with a BOM
    "Zoë Müller;zoe@example.org;Dentist;Member\r\n".encode("cp1252"),  # Excel's "CSV" on Windows
    "Zoë Müller;zoe@example.org;Dentist;Member\r\n".encode("latin-1"),
    "Zoë Müller\tzoe@example.org\tDentist\tMember\n".encode(),  # pasted from a spreadsheet
    "Zoë Müller,zoe@example.org,Dentist,Member\n".encode(),
])
def test_encodings_and_delimiters(personas, professions, data):
    [row] = roster_import.roster_parse(roster_import.roster_text_decode(data))
    assert (row.name, row.email, row.classification_text, row.role_text) == ("Zoë Müller", "zoe@example.org", "Dentist", "Member")


def test_headings_in_any_order_and_language_choose_the_columns(personas, professions):
    rows = roster_import.roster_parse("E-Mail;Rolle;Name\nzoe@example.org;Präsident;Zoë\n")
    assert [(r.name, r.email, r.role_text, r.classification_text) for r in rows] == [("Zoë", "zoe@example.org", "Präsident", "")]


def test_role_names_are_understood_in_several_spellings(personas):
    result = roster_import.roster_preview(chapter=personas.chapter, can_appoint=True, text=(
        "A,a@example.org,,Vice President\nB,b@example.org,,secretary_treasurer\nC,c@example.org,,MEMBER\n"))
    assert [r.role for r in result.rows] == ["vice_president", "secretary_treasurer", "member"]


def test_empty_too_big_and_too_long_rosters_are_refused(personas, settings):
    with pytest.raises(ValidationError, match="No lines to import"):
        roster_import.roster_parse("\n  \n")
    settings.ROSTER_IMPORT_MAX_ROWS = 2
    with pytest.raises(ValidationError, match="more than 2 lines"):
        roster_import.roster_parse("a,a@x.org\nb,b@x.org\nc,c@x.org\n")
    settings.ROSTER_IMPORT_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="larger than"):
        roster_import.roster_parse("x" * 101)


def test_the_confirmation_imports_the_text_that_was_previewed_only(personas):
    token = roster_import.roster_token(chapter=personas.chapter, text="Ada,ada@example.org")
    assert roster_import.roster_token_text(chapter=personas.chapter, token=token) == "Ada,ada@example.org"
    with pytest.raises(ValidationError, match="too old or was changed"):
        roster_import.roster_token_text(chapter=personas.chapter, token=token[:-2] + "xx")
    with pytest.raises(ValidationError, match="another chapter"):
        roster_import.roster_token_text(chapter=personas.other_chapter, token=token)


# The page ---------------------------------------------------------------------------------------------


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_the_page_previews_an_upload_then_confirms(client, personas, professions, django_capture_on_commit_callbacks):
    personas.login(client, "president")
    url = personas.url("portability:roster-import")
    data = "name;email;classification;role\nAda;ada@example.org;Accountant;member\nBad;bad;;member\n".encode("cp1252")
    html = client.post(url, {"file": _upload("roster.csv", data)}).content.decode()
    assert 'data-outcome="invite"' in html and 'data-outcome="error"' in html
    assert "Will be invited" in html and "“bad” is not an email address" in html
    assert "Nothing has been written yet" in html and not Invitation.objects.exists()
    token = html.split('name="token" value="', 1)[1].split('"', 1)[0]
    with django_capture_on_commit_callbacks(execute=True):
        html = client.post(url, {"token": token}).content.decode()
    assert "1 invitation sent." in html
    assert list(Invitation.objects.values_list("email", flat=True)) == ["ada@example.org"]
    assert list(OutboundEmail.objects.values_list("kind", "to")) == [("invitation", "ada@example.org")]


def test_pasted_lines_work_like_a_file(client, personas):
    personas.login(client, "vice_president")
    html = client.post(personas.url("portability:roster-import"),
                       {"text": "Ada Lovelace, ada@example.org, , member"}).content.decode()
    assert 'id="line-1" data-outcome="invite"' in html


def test_a_file_over_the_limit_is_refused_on_the_page(client, personas, settings):
    settings.ROSTER_IMPORT_MAX_BYTES = 1024
    personas.login(client, "president")
    response = client.post(personas.url("portability:roster-import"), {"file": _upload("big.csv", b"a,b@c.org\n" * 200)})
    assert response.status_code == 422 and "larger than 1 KB" in response.content.decode()


def test_a_preview_with_nothing_to_invite_offers_no_confirmation(client, personas):
    personas.login(client, "president")
    html = client.post(personas.url("portability:roster-import"),
                       {"text": f"Mona,{personas.member.user.email},,member"}).content.decode()
    assert 'name="token"' not in html and "No line can be invited" in html


def test_the_preview_in_german(client, personas, professions):
    user = personas.president.user
    user.language = "de"
    user.save(update_fields=["language"])
    personas.login(client, "president")
    html = client.post(personas.url("portability:roster-import"),
                       {"text": "Ada,ada@example.org,Accountant,member\nBad,bad,,chairman"}).content.decode()
    assert "Vorschau" in html and "Wird eingeladen" in html and "Nicht importiert" in html
    assert "ist keine E-Mail-Adresse" in html and "Unbekannte Rolle" in html


def test_an_expired_invitation_does_not_stop_a_new_one(personas):
    invitation, _ = invitation_create(chapter=personas.chapter, email="late@example.org", full_name="", role="member",
                                      classification=None, invited_by=personas.president.user)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))
    result = roster_import.roster_import(chapter=personas.chapter, text="Late,late@example.org", by=personas.president.user,
                                         can_appoint=True)
    assert result.rows[0].outcome == "invite"
    assert Invitation.objects.filter(email="late@example.org", revoked_at__isnull=True, accepted_at__isnull=True).count() == 1


def test_classifications_are_matched_by_name_in_any_case(personas, professions):
    result = roster_import.roster_preview(chapter=personas.chapter, text="Ada,ada@example.org,accountant",
                                          can_appoint=True)
    assert result.rows[0].classification == Classification.objects.get(name="Accountant")
    assert Membership.objects.filter(chapter=personas.chapter, classification__name="Accountant").count() == 0


def test_bytes_no_windows_encoding_knows_still_decode_as_latin_1():
    assert roster_import.roster_text_decode(b"Ren\xe9 \x81") == "René \x81"
