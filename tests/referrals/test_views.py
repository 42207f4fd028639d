"""The referral pages: logging, inline errors, htmx status changes, privacy per role, CSV."""

import csv
import io

import pytest
from django.urls import reverse

from members.models import Membership
from referrals.models import Referral
from tests.access_matrix import IN_CHAPTER
from tests.factories import MembershipFactory
from tests.referrals.access import SEES_PROSPECT, SEES_PROSPECT_IN_CSV
from tests.referrals.factories import ReferralFactory

GOOD = {
    "receiver": "Max Member",
    "kind": "outside",
    "prospect_name": "Petra Prospect",
    "prospect_phone": "+44 7700 900123",
    "prospect_email": "",
    "consent": "stated",
    "temperature": "4",
    "notes": "Call after 5",
}


def _post(client, personas, who="member", **changes):
    personas.login(client, who)
    return client.post(personas.url("referrals:new"), {**GOOD, **changes})


def test_member_logs_a_referral_by_typing_a_name(client, personas):
    response = _post(client, personas)
    referral = Referral.objects.get()
    assert response.status_code == 302 and response.url == personas.url("referrals:detail", referral.pk)
    assert referral.receiver == personas.member2 and referral.giver == personas.member
    assert referral.temperature == 4 and referral.prospect_phone == "+44 7700 900123"


def test_receiver_can_be_found_by_classification_or_id(client, personas):
    _post(client, personas, receiver=personas.member2.classification.name)
    _post(client, personas, receiver=str(personas.president.pk), prospect_name="Second")
    assert list(Referral.objects.order_by("pk").values_list("receiver", flat=True)) == [
        personas.member2.pk,
        personas.president.pk,
    ]


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"receiver": "Mona Member"}, "receiver"),  # oneself
        ({"receiver": "Otto Outsider"}, "receiver"),  # another chapter
        ({"receiver": "999999"}, "receiver"),  # foreign id
        ({"prospect_phone": "call me", "prospect_email": ""}, "prospect_phone"),
        ({"prospect_phone": "", "prospect_email": "not-an-email"}, "prospect_email"),
        ({"prospect_phone": "", "prospect_email": ""}, "prospect_phone"),
        ({"prospect_name": ""}, "prospect_name"),
        ({"temperature": "9"}, "temperature"),
        ({"consent": ""}, "consent"),
        ({"notes": "x" * 2001}, "notes"),
    ],
)
def test_bad_input_is_refused_inline_and_nothing_typed_is_lost(client, personas, changes, field):
    response = _post(client, personas, **changes)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not Referral.objects.exists()
    assert b"Petra Prospect" in response.content or changes.get("prospect_name") == ""  # typed text is kept
    assert b"+44 7700 900123" in response.content or "prospect_phone" in changes


def test_foreign_membership_id_is_refused(client, personas):
    response = _post(client, personas, receiver=str(personas.outsider.pk))
    assert response.status_code == 422 and not Referral.objects.exists()


def test_inactive_receiver_is_refused(client, personas):
    gone = MembershipFactory(
        chapter=personas.chapter, status=Membership.Status.EXPELLED, user__full_name="Gone Guy"
    )
    response = _post(client, personas, receiver=str(gone.pk))
    assert response.status_code == 422 and not Referral.objects.exists()


def test_a_receiver_on_leave_is_named_as_on_leave(client, personas):
    MembershipFactory(chapter=personas.chapter, status=Membership.Status.ON_LEAVE, user__full_name="Lea Away")
    response = _post(client, personas, receiver="Lea Aw")
    assert response.status_code == 422 and not Referral.objects.exists()
    assert "Lea Away is on leave: pass the referral when they are back." in response.content.decode()


def test_hostile_html_is_escaped(client, personas):
    _post(client, personas, prospect_name="<script>alert(1)</script>", notes="<img src=x onerror=alert(1)>")
    referral = Referral.objects.get()
    response = client.get(personas.url("referrals:detail", referral.pk))
    assert b"<script>alert(1)" not in response.content and b"&lt;script&gt;" in response.content
    assert b"<img src=x" not in response.content


def test_global_new_goes_to_the_single_chapter(client, personas):
    personas.login(client, "member")
    response = client.get(reverse("referral-new"))
    assert response.url == personas.url("referrals:new")


def test_global_new_lets_a_two_chapter_member_choose(client, personas):
    MembershipFactory(chapter=personas.other_chapter, user=personas.member.user)
    personas.login(client, "member")
    response = client.get(reverse("referral-new"))
    assert response.status_code == 200 and b"Other Chapter" in response.content
    picked = client.get(reverse("referral-new") + "?chapter=other-chapter")
    assert picked.url == personas.url("referrals:new", chapter=personas.other_chapter)


def test_navigation_has_the_log_a_referral_button(client, personas):
    personas.login(client, "member")
    page = client.get(personas.url("chapters:home")).content.decode()
    assert f'href="{personas.url("referrals:new")}"' in page


def test_htmx_status_change_swaps_the_card(client, personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2)
    personas.login(client, "member2")
    response = client.post(
        personas.url("referrals:status", referral.pk), {"to": "accepted"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.strip().startswith(f'<article class="referral-card" id="referral-{referral.pk}"')
    assert "Accepted" in body and "<html" not in body
    referral.refresh_from_db()
    assert referral.status == "accepted"


def test_htmx_invalid_jump_shows_message_in_the_card(client, personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2)
    personas.login(client, "member2")
    response = client.post(
        personas.url("referrals:status", referral.pk), {"to": "meeting"}, HTTP_HX_REQUEST="true"
    )
    assert b"cannot become" in response.content


def test_won_page_records_value_and_shows_tyfcb(client, personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status="meeting")
    personas.login(client, "member2")
    from django.utils import timezone

    today = timezone.localdate(timezone=personas.chapter.tz).isoformat()
    bad = client.post(
        personas.url("referrals:won", referral.pk),
        {"value": "-5", "closed_on": today, "business_type": "new"},
    )
    assert bad.status_code == 422
    client.post(
        personas.url("referrals:won", referral.pk),
        {"value": "1200", "closed_on": today, "business_type": "new"},
    )
    personas.login(client, "member")
    page = client.get(personas.url("referrals:detail", referral.pk))
    assert "£1,200.00" in page.content.decode()  # the chapter's currency, in the reader's format


def test_inbox_puts_stale_and_new_first(client, personas):
    from django.utils import timezone

    done = ReferralFactory(giver=personas.member, receiver=personas.member2, status="won")
    new = ReferralFactory(giver=personas.member, receiver=personas.member2)
    stale = ReferralFactory(
        giver=personas.member, receiver=personas.member2, status="contacted", stale_since=timezone.now()
    )
    personas.login(client, "member2")
    ids = [r.pk for r in client.get(personas.url("referrals:inbox")).context["referrals"]]
    assert ids == [stale.pk, new.pk, done.pk]


def test_inbox_filters_by_status(client, personas):
    ReferralFactory(giver=personas.member, receiver=personas.member2, status="won")
    lost = ReferralFactory(giver=personas.member, receiver=personas.member2, status="lost")
    personas.login(client, "member2")
    ids = [r.pk for r in client.get(personas.url("referrals:inbox") + "?status=lost").context["referrals"]]
    assert ids == [lost.pk]


# Privacy ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who,sees",
    [
        ("member", True),
        ("member2", True),
        ("president", True),
        ("treasurer", True),
        ("org_admin", False),
        ("region_staff", False),
    ],
)
def test_prospect_contact_on_detail_page_per_role(client, personas, who, sees):
    """The referral goes from member to member2; seated leadership sees it too; a third member does
    not (below), nor do admins or region staff without a leadership seat in the chapter."""
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, notes="secret note")
    personas.login(client, who)
    content = client.get(personas.url("referrals:detail", referral.pk)).content
    for secret in (b"Petra Prospect", b"petra@prospect.example", b"7700 900123", b"secret note"):
        assert (secret in content) is sees


def test_third_member_never_sees_contact_data_anywhere(client, personas):
    third = MembershipFactory(chapter=personas.chapter, user__full_name="Theo Third")
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, notes="secret note")
    client.force_login(third.user)
    pages = [
        personas.url("referrals:detail", referral.pk),
        personas.url("referrals:chapter-list"),
        personas.url("referrals:stats"),
        personas.url("referrals:export"),
    ]
    for url in pages:
        content = client.get(url).content
        assert content, url
        for secret in (b"Petra", b"petra@prospect.example", b"7700", b"secret note"):
            assert secret not in content, (url, secret)


def test_outsider_gets_404_for_referral_and_export(client, personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2)
    personas.login(client, "outsider")
    assert client.get(personas.url("referrals:detail", referral.pk)).status_code == 404
    assert client.get(personas.url("referrals:export")).status_code == 404
    other = personas.url("referrals:detail", referral.pk, chapter=personas.other_chapter)
    assert client.get(other).status_code == 404


def _csv(client, personas):
    response = client.get(personas.url("referrals:export"))
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_has_contact_data_for_leadership_only(client, personas):
    ReferralFactory(giver=personas.member, receiver=personas.member2)
    personas.login(client, "president")
    (row,) = _csv(client, personas)
    assert row["prospect name"] == "Petra Prospect" and row["prospect email"] == "petra@prospect.example"
    personas.login(client, "vice_president")
    assert _csv(client, personas)[0]["prospect phone"] == "'+44 7700 900123"  # a leading + is neutralised


def test_csv_gives_a_third_member_counts_only(client, personas):
    third = MembershipFactory(chapter=personas.chapter)
    ReferralFactory(giver=personas.member, receiver=personas.member2, closed_value=300, status="won")
    client.force_login(third.user)
    (row,) = _csv(client, personas)
    assert row["prospect name"] == row["prospect email"] == row["prospect phone"] == ""
    assert row["status"] == "won" and row["closed value"] == "300.00"


def test_csv_gives_the_giver_and_receiver_counts_only_too(client, personas):
    """The export carries prospect contact data only for leadership, even on one's own referrals."""
    ReferralFactory(giver=personas.member, receiver=personas.member2)
    for who in ("member", "member2"):
        personas.login(client, who)
        (row,) = _csv(client, personas)
        assert row["prospect name"] == row["prospect email"] == row["prospect phone"] == ""


def test_csv_shows_a_zero_value_won_referral_as_zero(client, personas):
    ReferralFactory(giver=personas.member, receiver=personas.member2, closed_value=0, status="won")
    personas.login(client, "president")
    (row,) = _csv(client, personas)
    assert row["closed value"] == "0.00"


def test_csv_neutralises_a_formula_behind_leading_spaces(client, personas):
    ReferralFactory(giver=personas.member, receiver=personas.member2, prospect_name="  =1+1")
    personas.login(client, "president")
    (row,) = _csv(client, personas)
    assert row["prospect name"] == "'  =1+1"


def test_csv_is_formula_safe(client, personas):
    personas.member.user.full_name = '=HYPERLINK("http://evil")'
    personas.member.user.save()
    ReferralFactory(
        giver=personas.member,
        receiver=personas.member2,
        prospect_name="@SUM(A1)",
        prospect_phone="+44 1",
        prospect_email="",
    )
    personas.login(client, "president")
    (row,) = _csv(client, personas)
    assert row["giver"].startswith("'=") and row["prospect name"] == "'@SUM(A1)"
    assert row["prospect phone"] == "'+44 1"


def test_export_query_count_does_not_grow(client, personas, django_assert_max_num_queries):
    personas.login(client, "president")
    ReferralFactory.create_batch(2, giver=personas.member, receiver=personas.member2)
    with django_assert_max_num_queries(12) as small:
        client.get(personas.url("referrals:export"))
    for _ in range(15):
        ReferralFactory(giver=MembershipFactory(chapter=personas.chapter), receiver=personas.member2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(personas.url("referrals:export"))


@pytest.mark.parametrize("page", ["referrals:inbox", "referrals:chapter-list", "referrals:outbox"])
def test_list_query_count_does_not_grow(client, personas, django_assert_max_num_queries, page):
    personas.login(client, "member2")
    ReferralFactory.create_batch(2, giver=personas.member, receiver=personas.member2)
    ReferralFactory(giver=personas.member2, receiver=personas.member)
    with django_assert_max_num_queries(20) as small:
        client.get(personas.url(page))
    for _ in range(12):
        giver = MembershipFactory(chapter=personas.chapter)
        ReferralFactory(giver=giver, receiver=personas.member2)
        ReferralFactory(giver=personas.member2, receiver=giver)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(personas.url(page))


def test_phone_field_is_a_single_tel_input(client, personas):
    personas.login(client, "member")
    html = client.get(personas.url("referrals:new")).content.decode()
    start = html.rindex("<input", 0, html.index('name="prospect_phone"'))
    tag = html[start : html.index(">", start)]
    assert tag.count("type=") == 1 and 'type="tel"' in tag


def test_won_page_of_a_referral_that_cannot_be_won_says_so_up_front(client, personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status="given")
    personas.login(client, "member2")
    response = client.get(personas.url("referrals:won", referral.pk), follow=True)
    assert response.redirect_chain[-1][0] == personas.url("referrals:detail", referral.pk)
    assert "cannot be won yet; it can become: accepted" in response.content.decode()


def test_the_note_for_the_giver_reaches_the_giver_with_the_thank_you(client, personas):
    from members.models import Notification

    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status="meeting")
    personas.login(client, "member2")
    from django.utils import timezone

    today = timezone.localdate(timezone=personas.chapter.tz).isoformat()
    client.post(
        personas.url("referrals:won", referral.pk),
        {"value": "80", "closed_on": today, "business_type": "new", "note": "Thanks <b>Sam</b>!"},
    )
    notice = Notification.objects.get(user=personas.member.user, kind=Notification.Kind.THANK_YOU)
    assert "Thanks <b>Sam</b>!" in notice.body
    personas.login(client, "member")
    html = client.get(reverse("notifications")).content.decode()
    assert "Thanks &lt;b&gt;Sam&lt;/b&gt;!" in html


# The privacy rows of the permission matrix (tests/referrals/access.py) --------------------------

SECRETS = (b"Petra Prospect", b"petra@prospect.example", b"7700 900123", b"secret note")


def _matrix_referral(personas, **extra):
    return ReferralFactory(giver=personas.member, receiver=personas.president, notes="secret note", **extra)


@pytest.mark.parametrize("who", IN_CHAPTER)
def test_prospect_on_the_referral_page_per_matrix_row(client, personas, who):
    referral = _matrix_referral(personas)
    personas.login(client, who)
    content = client.get(personas.url("referrals:detail", referral.pk)).content
    for secret in SECRETS:
        assert (secret in content) is (who in SEES_PROSPECT), (who, secret)


@pytest.mark.parametrize("who", IN_CHAPTER)
def test_prospect_on_the_chapter_list_per_matrix_row(client, personas, who):
    _matrix_referral(personas, status="won", closed_value=1234)
    personas.login(client, who)
    response = client.get(personas.url("referrals:chapter-list"))
    content = response.content
    assert (b"Petra Prospect" in content) is (who in SEES_PROSPECT), who
    for secret in SECRETS[1:]:
        assert secret not in content, (who, secret)  # the list never carries contact or notes
    assert b"1,234.00" in content and b"Won" in content  # status and value for everyone


@pytest.mark.parametrize("who", IN_CHAPTER)
def test_prospect_in_the_csv_per_matrix_row(client, personas, who):
    _matrix_referral(personas, status="won", closed_value=300)
    personas.login(client, who)
    (row,) = _csv(client, personas)
    sees = who in SEES_PROSPECT_IN_CSV
    assert (row["prospect name"] == "Petra Prospect") is sees, who
    assert (row["prospect email"] == "petra@prospect.example") is sees, who
    assert (row["prospect phone"] != "") is sees, who
    assert row["status"] == "won" and row["closed value"] == "300.00"


@pytest.mark.parametrize("who", ["org_admin", "region_staff"])
def test_oversight_sees_no_prospect_on_stats_or_inbox_pages(client, personas, who):
    _matrix_referral(personas)
    personas.login(client, who)
    for url in (personas.url("referrals:stats"), personas.url("referrals:chapter-list")):
        content = client.get(url).content
        for secret in SECRETS:
            assert secret not in content, (url, secret)


def test_an_admin_with_a_leadership_seat_in_the_chapter_sees_the_prospect(client, personas):
    """The rule is about the seat: an admin who is also the chapter's secretary-treasurer sees it."""
    MembershipFactory(
        chapter=personas.chapter, user=personas.org_admin, role=Membership.Role.SECRETARY_TREASURER
    )
    referral = _matrix_referral(personas)
    personas.login(client, "org_admin")
    assert b"Petra Prospect" in client.get(personas.url("referrals:detail", referral.pk)).content
    assert _csv(client, personas)[0]["prospect name"] == "Petra Prospect"


def test_an_admin_with_a_plain_seat_sees_only_their_own_referrals_prospects(client, personas):
    MembershipFactory(chapter=personas.chapter, user=personas.region_staff)
    referral = _matrix_referral(personas)
    personas.login(client, "region_staff")
    assert b"Petra Prospect" not in client.get(personas.url("referrals:detail", referral.pk)).content
    assert _csv(client, personas)[0]["prospect name"] == ""


@pytest.mark.parametrize("who", ["org_admin", "region_staff"])
def test_oversight_erases_a_prospect_without_seeing_it(client, personas, who):
    from members.models import AuditEvent

    referral = _matrix_referral(personas)
    personas.login(client, who)
    detail = client.get(personas.url("referrals:detail", referral.pk)).content.decode()
    assert "can erase the prospect's data on request without seeing it" in detail
    assert personas.url("referrals:erase", referral.pk) in detail
    page = client.get(personas.url("referrals:erase", referral.pk)).content
    for secret in SECRETS:
        assert secret not in page, secret
    assert b"name, email and phone, and the giver's notes about them" in page
    response = client.post(
        personas.url("referrals:erase", referral.pk), {"reason": "The prospect wrote to head office"}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.is_erased and referral.prospect_name == referral.notes == ""
    event = AuditEvent.objects.get(action="referral.prospect_erased", target_id=str(referral.pk))
    assert event.actor == personas.user(who)
    after = client.get(personas.url("referrals:detail", referral.pk)).content.decode()
    assert "Erased" in after and "erase the prospect" not in after.lower().split("erased")[-1]


def test_the_django_admin_does_not_show_prospect_data(client, personas):
    referral = _matrix_referral(personas, decline_reason="Petra Prospect moved away")
    personas.org_admin.is_superuser = True  # as the demo's organisation admin, who is also the Django admin
    personas.org_admin.save()
    personas.login(client, "org_admin")
    response = client.get(reverse("admin:referrals_referral_change", args=[referral.pk]))
    assert response.status_code == 200
    for secret in (*SECRETS, b"Petra"):
        assert secret not in response.content, secret
    assert b"Held: name, email, phone, notes" in response.content
    from django.contrib import admin

    from referrals.admin import ReferralEventInline

    inline = ReferralEventInline(Referral, admin.site)
    assert not inline.has_add_permission(response.wsgi_request, referral)  # history is not typed in


def _erasure(client, personas, contact, action="count", reference="REQ-2026-17"):
    return client.post(
        personas.url("referrals:erase-find"), {"reference": reference, "contact": contact, "action": action}
    )


@pytest.mark.parametrize("who", ["org_admin", "region_staff", "president"])
def test_erasure_request_counts_the_referrals_holding_the_contact_without_showing_them(
    client, personas, who
):
    """An admin, who sees no prospects, learns only how many referrals hold the contact a request gave."""
    from members.models import AuditEvent

    by_email = _matrix_referral(personas, prospect_phone="")
    by_phone = _matrix_referral(personas, prospect_email="", prospect_phone="+44 (7700) 900-123")
    ReferralFactory(
        giver=personas.member2, receiver=personas.member, prospect_email="else@x.example", prospect_phone="0123 456789"
    )
    _matrix_referral(personas, prospect_erased_at="2026-01-01T00:00Z")  # already erased: not counted
    personas.login(client, who)
    assert personas.url("referrals:erase-find") in client.get(personas.url("referrals:chapter-list")).content.decode()
    response = _erasure(client, personas, " PETRA@prospect.example ")
    assert response.status_code == 200 and response.context["count"] == 1
    content = response.content
    assert b"1 referral holds this contact" in content
    for secret in (b"Petra Prospect", b"secret note", b"else@x.example", b"Mona Member", b"Max Member"):
        assert secret not in content, secret
    for referral in (by_email, by_phone):  # no link to either referral
        assert personas.url("referrals:detail", referral.pk).encode() not in content
        assert personas.url("referrals:erase", referral.pk).encode() not in content
    assert _erasure(client, personas, "447700900123").context["count"] == 1  # a phone's digits, however typed
    assert _erasure(client, personas, "nobody@x.example").context["count"] == 0
    events = AuditEvent.objects.filter(action="referral.erasure_request_counted").order_by("pk")
    assert [e.after["referrals_matched"] for e in events] == [1, 1, 0]
    event = events[0]
    assert event.actor == personas.user(who) and event.chapter == personas.chapter
    assert event.reason == "Erasure request REQ-2026-17"
    for e in events:  # the contact itself is not kept
        assert "petra" not in str(e.before) + str(e.after) + e.summary + e.reason
        assert "7700" not in str(e.after) + e.summary + e.reason


@pytest.mark.parametrize("who", ["org_admin", "president"])
def test_erasure_request_erases_every_referral_holding_the_contact_in_one_action(client, personas, who):
    from members.models import AuditEvent

    first = _matrix_referral(personas)
    second = ReferralFactory(giver=personas.member2, receiver=personas.member)  # same prospect, another giver
    other = ReferralFactory(giver=personas.member2, receiver=personas.member, prospect_email="else@x.example",
                            prospect_phone="0123 456789", prospect_name="Else Where")
    personas.login(client, who)
    page = _erasure(client, personas, "petra@prospect.example").content.decode()
    assert "2 referrals hold this contact" in page and "Erase the prospect data of all 2 referrals" in page
    response = _erasure(client, personas, "petra@prospect.example", action="erase")
    assert response.status_code == 302 and response.url == personas.url("referrals:erase-find")
    for referral in (first, second):
        referral.refresh_from_db()
        assert referral.is_erased and referral.prospect_name == referral.prospect_email == referral.notes == ""
        event = AuditEvent.objects.get(action="referral.prospect_erased", target_id=str(referral.pk))
        assert event.actor == personas.user(who) and event.reason == "Erasure request REQ-2026-17"
        assert referral.events.get(action="erased").note == "Erasure request REQ-2026-17"
    other.refresh_from_db()
    assert not other.is_erased and other.prospect_name == "Else Where"
    summary = AuditEvent.objects.get(action="referral.erasure_request_erased")
    assert sorted(summary.after["referrals_erased"]) == sorted([first.pk, second.pk])
    assert summary.reason == "Erasure request REQ-2026-17" and summary.chapter == personas.chapter
    after = client.get(response.url).content.decode()
    assert "Erasure request REQ-2026-17: prospect data erased from 2 referrals." in after
    # done twice (a double tap): nothing more to erase, and it says so
    _erasure(client, personas, "petra@prospect.example", action="erase")
    assert "nothing was erased" in client.get(response.url).content.decode()
    assert AuditEvent.objects.filter(action="referral.prospect_erased").count() == 2


@pytest.mark.parametrize(
    "reference,contact",
    [
        ("", "petra@prospect.example"),
        ("REQ-1", "77"),
        ("REQ-1", ""),
        ("Asked by PETRA@prospect.example", "petra@prospect.example"),
        ("Call back on +44 7700 900123", "+44 (7700) 900-123"),
    ],
)
def test_erasure_request_needs_a_reference_without_the_contact_and_a_full_contact(
    client, personas, reference, contact
):
    from members.models import AuditEvent

    referral = _matrix_referral(personas)
    personas.login(client, "org_admin")
    for action in ("count", "erase"):
        response = _erasure(client, personas, contact, action=action, reference=reference)
        assert response.status_code == 422 and response.context["count"] is None
    referral.refresh_from_db()
    assert not referral.is_erased
    assert not AuditEvent.objects.filter(action__startswith="referral.erasure").exists()


def test_the_erasure_page_takes_no_contact_from_the_address_bar(client, personas):
    _matrix_referral(personas)
    personas.login(client, "org_admin")
    response = client.get(personas.url("referrals:erase-find"), {"contact": "petra@prospect.example"})
    assert response.status_code == 200 and response.context["count"] is None
    assert b"petra@prospect.example" not in response.content  # the contact goes in a POST, never a URL


def test_a_plain_member_has_no_erasure_request_page(client, personas):
    referral = _matrix_referral(personas)
    personas.login(client, "member")
    assert personas.url("referrals:erase-find") not in client.get(personas.url("referrals:chapter-list")).content.decode()
    assert client.get(personas.url("referrals:erase-find")).status_code == 403
    assert _erasure(client, personas, "petra@prospect.example", action="erase").status_code == 403
    referral.refresh_from_db()
    assert not referral.is_erased


def test_the_chapter_list_pages_through_every_referral_keeping_the_filter(client, personas):
    from referrals.views import REFERRALS_PER_PAGE

    ReferralFactory.create_batch(REFERRALS_PER_PAGE + 5, giver=personas.member, receiver=personas.member2)
    personas.login(client, "president")
    first = client.get(personas.url("referrals:chapter-list") + "?status=given").content.decode()
    assert first.count('<article class="referral-card') == REFERRALS_PER_PAGE
    assert f"Page 1 of 2 ({REFERRALS_PER_PAGE + 5} referrals)" in first and "status=given&amp;page=2" in first
    second = client.get(personas.url("referrals:chapter-list") + "?status=given&page=2").content.decode()
    assert second.count('<article class="referral-card') == 5


def test_others_read_an_inside_referral_as_the_givers_own_business(client, personas):
    ReferralFactory(giver=personas.member, receiver=personas.member2, kind="inside")
    personas.login(client, "member2")
    assert "Inside (the giver&#x27;s own business)" in client.get(personas.url("referrals:inbox")).content.decode()
    personas.login(client, "member")
    assert "Inside (business from me)" in client.get(personas.url("referrals:new")).content.decode()
