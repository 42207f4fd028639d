from django.core.management import call_command

from chapters.demo import LAST_DE
from chapters.models import Chapter, Region, RegionStaff
from enforcement.models import Fine
from meetings.models import Attendance, Meeting
from members.models import Membership, User
from referrals.models import Referral, ThankYou


def test_seed_demo_builds_the_organisation_and_duplicates_nothing_on_rerun(db, capsys):
    call_command("seed_demo")
    counts = (User.objects.count(), Membership.objects.count(), Chapter.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Membership.objects.count(), Chapter.objects.count()) == counts
    assert Region.objects.count() == 2 and Chapter.objects.count() == 5
    for chapter in Chapter.objects.all():
        seated = chapter.memberships.filter(status__in=Membership.SEATED_STATUSES).count()
        assert 20 <= seated <= 31
        assert chapter.memberships.filter(role="president").count() == 1
    assert User.objects.filter(is_org_admin=True).exists() and RegionStaff.objects.exists()
    out = capsys.readouterr().out
    assert "admin@demo.leadsgroups.org" in out and "demo-pass-2026" in out
    assert "reads in German (Berlin Mitte)" in out and "president.berlin-mitte@demo.leadsgroups.org" in out


def test_the_demo_has_a_german_speaking_chapter_with_a_history_of_its_own(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    berlin = Chapter.objects.get(slug="berlin-mitte")
    assert (berlin.timezone, berlin.currency, berlin.language) == ("Europe/Berlin", "EUR", "de")
    people = User.objects.filter(memberships__chapter=berlin)
    assert people.exists() and not people.exclude(language="de").exists()
    seated = list(berlin.memberships.filter(status__in=Membership.SEATED_STATUSES).select_related("user"))
    assert all(m.user.full_name.split()[-1] in LAST_DE for m in seated)
    assert all(m.user.full_name.split()[-1] in m.user.business_name for m in seated)  # "Fotograf Weber GmbH"
    assert not people.filter(phone__startswith="+44").exists()
    assert Meeting.objects.filter(chapter=berlin, status=Meeting.Status.CLOSED).count() >= 10
    assert Attendance.objects.filter(meeting__chapter=berlin).exists()
    assert ThankYou.objects.filter(chapter=berlin).exists()
    # The referrals step's notes are the members' own words, in German (reports' earlier history, written
    # through the referrals demo outside the chapter's language, still has English ones).
    notes = set(Referral.objects.filter(chapter=berlin).exclude(notes="").values_list("notes", flat=True))
    assert {"Braucht es vor Quartalsende.", "Nach 17 Uhr anrufen.", "Meinen Namen erwähnen."} <= notes
    assert Fine.objects.filter(chapter=berlin).exists()
    # The English-speaking chapters keep their people and words.
    assert not User.objects.filter(memberships__chapter__slug="riverside", language="de").exists()
    assert not Referral.objects.filter(chapter__slug="riverside", notes="Meinen Namen erwähnen.").exists()
