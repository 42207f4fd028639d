"""The member directory: what a chapter sees of each member, as each member chose; search; who may look."""

import pytest
from django.urls import reverse

from members.models import Profile
from members.services import profile_directory_update
from tests.directory.photos import give_photo
from tests.factories import ClassificationFactory, MembershipFactory

pytestmark = pytest.mark.django_db

SHARED = {"phone": "chapters", "email": "chapters", "website": "chapters", "photo": "chapters"}
HIDDEN = {"phone": "hidden", "email": "hidden", "website": "hidden", "photo": "hidden"}


def _card(membership, *, visibility, phone="+44 7700 900111", website="https://mona.example", referral=""):
    user = membership.user
    user.phone, user.business_name = phone, "Mona's Mortgages"
    user.save()
    return profile_directory_update(user=user, website=website, ideal_referral=referral, visibility=visibility)


def _directory(client, personas, who, chapter=None, q=""):
    personas.login(client, who)
    url = personas.url("directory:chapter", chapter=chapter) + (f"?q={q}" if q else "")
    return client.get(url)


def test_a_member_sees_what_another_member_shares(client, personas):
    _card(personas.member, visibility=SHARED, referral="Young families buying their first home")
    html = _directory(client, personas, "member2").content.decode()
    assert "Mona Member" in html and "Mona&#x27;s Mortgages" in html
    assert personas.member.classification.name in html
    assert "Young families buying their first home" in html
    assert 'href="tel:+447700900111"' in html and f'href="mailto:{personas.member.user.email}"' in html
    assert 'href="https://mona.example"' in html


@pytest.mark.parametrize("who", ["member2", "president", "region_staff", "org_admin"])
def test_hidden_fields_are_shown_to_nobody_leadership_and_oversight_included(client, personas, who):
    _card(personas.member, visibility=HIDDEN, referral="Landlords")
    give_photo(personas.member, visibility="hidden")
    html = _directory(client, personas, who).content.decode()
    assert "Mona Member" in html and "Mona&#x27;s Mortgages" in html and "Landlords" in html  # always shown
    assert "7700" not in html and personas.member.user.email not in html and "mona.example" not in html
    assert reverse("directory:photo", args=[personas.chapter.slug, personas.member.pk]) not in html


def test_each_field_has_its_own_choice(client, personas):
    _card(personas.member, visibility={"phone": "hidden", "email": "chapters", "website": "hidden", "photo": "hidden"})
    html = _directory(client, personas, "member2").content.decode()
    assert personas.member.user.email in html
    assert "7700" not in html and "mona.example" not in html


def test_contacts_are_hidden_until_the_member_shares_them(client, personas):
    """Phone and email were given for the account, not the directory: a member who never chose shares neither."""
    user = personas.member.user
    user.phone = "+44 7700 900222"
    user.save()
    assert not Profile.objects.filter(user=user).exists()
    html = _directory(client, personas, "member2").content.decode()
    assert "Mona Member" in html and "7700" not in html and user.email not in html


def test_a_member_sees_their_own_card_as_the_chapter_does(client, personas):
    _card(personas.member, visibility=HIDDEN)
    html = _directory(client, personas, "member").content.decode()
    assert "7700" not in html and "Edit my card" in html


@pytest.mark.parametrize("who", ["outsider", "other_region_staff"])
def test_another_chapter_gets_404_for_the_directory_and_its_photos(client, personas, who):
    _card(personas.member, visibility=SHARED)
    give_photo(personas.member)
    assert _directory(client, personas, who).status_code == 404
    photo = personas.url("directory:photo", personas.member.pk)
    assert client.get(photo).status_code == 404
    # The outsider's own chapter's slug with this chapter's seat: still nothing.
    own = reverse("directory:photo", args=[personas.other_chapter.slug, personas.member.pk])
    assert client.get(own).status_code == 404


def test_a_seat_of_another_chapter_is_not_in_this_directory(client, personas):
    html = _directory(client, personas, "outsider", chapter=personas.other_chapter).content.decode()
    assert "Otto Outsider" in html and "Mona Member" not in html


def test_a_departed_member_leaves_the_directory(client, personas):
    _card(personas.member, visibility=SHARED)
    give_photo(personas.member)
    personas.member.status = "resigned"
    personas.member.save()
    assert "Mona Member" not in _directory(client, personas, "member2").content.decode()
    assert client.get(personas.url("directory:photo", personas.member.pk)).status_code == 404


# Search -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["mona", "MORTGAGES", "first+home", "families+young"])
def test_search_finds_by_name_business_and_ideal_referral_words(client, personas, q):
    _card(personas.member, visibility=SHARED, referral="Young families buying their first home")
    html = _directory(client, personas, "member2", q=q).content.decode()
    assert "Mona Member" in html and "Max Member" not in html


def test_search_finds_by_classification(client, personas):
    personas.member.classification = ClassificationFactory(name="Solar installer")
    personas.member.save()
    html = _directory(client, personas, "member2", q="solar").content.decode()
    assert "Mona Member" in html and "Paula President" not in html


def test_search_never_matches_a_hidden_contact(client, personas):
    """Which card matches must not reveal a hidden phone or email either."""
    _card(personas.member, visibility=HIDDEN, phone="+44 7700 900333")
    for q in ("900333", personas.member.user.email.split("@")[0]):
        html = _directory(client, personas, "member2", q=q).content.decode()
        assert "Mona Member" not in html and "No member matches" in html


def test_search_across_chapters_covers_every_seat_of_the_person_and_nothing_else(client, personas):
    other_seat = MembershipFactory(chapter=personas.other_chapter, user=personas.member.user)
    MembershipFactory(chapter=personas.other_chapter, user__full_name="Mina Elsewhere")
    third = MembershipFactory(user__full_name="Mina Stranger")  # a chapter Mona has no seat in
    personas.login(client, "member")
    html = client.get(reverse("directory-search") + "?q=mina").content.decode()
    assert "Mina Elsewhere" in html and "Mina Stranger" not in html
    assert reverse("directory:chapter", args=[personas.other_chapter.slug]) in html
    assert third.chapter.name not in html
    # Searching a name finds its seat in each chapter, each with its chapter named.
    html = client.get(reverse("directory-search") + "?q=mona").content.decode()
    assert html.count('data-testid="dir-card"') == 2 and personas.other_chapter.name in html
    assert other_seat.classification.name in html


def test_the_directory_is_reachable_from_the_navigation(client, personas):
    personas.login(client, "member")
    html = client.get(personas.url("chapters:home")).content.decode()
    assert f'href="{personas.url("directory:chapter")}"' in html
    assert f'href="{reverse("directory-search")}"' in html


def test_the_roster_search_does_not_match_emails_for_members(client, personas):
    """The roster is open to members: searching it by a hidden email must not find its owner."""
    personas.login(client, "member2")
    local = personas.member.user.email.split("@")[0]
    html = client.get(personas.url("chapters:roster") + f"?q={local}").content.decode()
    assert "Mona Member" not in html
    personas.login(client, "president")  # leadership manages seats by email
    html = client.get(personas.url("chapters:members") + f"?q={local}").content.decode()
    assert "Mona Member" in html
