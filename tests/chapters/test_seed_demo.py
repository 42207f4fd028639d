from django.core.management import call_command

from chapters.demo import LAST_DE
from chapters.models import Chapter, Region, RegionStaff
from directory.demo import IDEAL_REFERRALS_DE
from enforcement.models import ChapterRules, Fine
from integrity.demo import COLLEAGUE_FIRST_DE, INSIDE_AS_OUTSIDE
from meetings.models import Attendance, Meeting, Testimonial, Visitor
from members.models import Membership, Profile, User
from referrals.demo import PROSPECTS_DE
from referrals.models import EducationCredit, OneToOne, Referral, ThankYou


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
    # What its members wrote is in German, the reports' earlier history too: notes, reasons, courses, testimonials,
    # visitors, prospects, substitutes, leavers and directory cards.
    notes = set(Referral.objects.filter(chapter=berlin).exclude(notes="").values_list("notes", flat=True))
    assert notes == {"Braucht es vor Quartalsende.", "Nach 17 Uhr anrufen.", "Meinen Namen erwähnen."}
    assert set(Referral.objects.filter(chapter=berlin).exclude(decline_reason="")
               .values_list("decline_reason", flat=True)) == {"Hat bereits einen Anbieter"}
    assert set(Referral.objects.filter(chapter=berlin).exclude(prospect_name="")
               .values_list("prospect_name", flat=True)) <= set(PROSPECTS_DE) | set(INSIDE_AS_OUTSIDE)
    assert set(OneToOne.objects.filter(chapter=berlin).values_list("notes", flat=True)) <= {
        "", "Kaffee; etwas über die besten Kunden erfahren."}
    titles = set(EducationCredit.objects.filter(chapter=berlin).values_list("title", flat=True))
    assert {"Networking, das funktioniert", "Empfehlungen geben und bekommen"} <= titles
    assert "Networking that works" not in titles and "Referral skills" not in titles
    texts = set(Testimonial.objects.filter(meeting__chapter=berlin).values_list("text", flat=True))
    assert "Hat sich vom ersten Anruf bis zur letzten Rechnung um meinen Kunden gekümmert." in texts
    assert "Looked after my client from the first call to the last invoice." not in texts
    visitors = set(Visitor.objects.filter(meeting__chapter=berlin).values_list("business", flat=True))
    assert "Lind Buchhaltung" in visitors and "Lind Bookkeeping" not in visitors
    substitutes = Attendance.objects.filter(meeting__chapter=berlin, status="substitute").values_list(
        "substitute_name", flat=True)
    assert substitutes and all(name.split()[0] in COLLEAGUE_FIRST_DE for name in substitutes)
    leavers = set(berlin.memberships.filter(status="resigned").values_list("status_note", flat=True))
    assert leavers == {"Beruflich in eine andere Stadt gezogen.", "Ausgetreten: Das Geschäft wurde geschlossen."}
    ideals = set(Profile.objects.filter(user__memberships__chapter=berlin).exclude(ideal_referral="")
                 .values_list("ideal_referral", flat=True))
    assert ideals and ideals <= set(IDEAL_REFERRALS_DE.values())
    assert set(ChapterRules.objects.filter(chapter=berlin).values_list("reason", flat=True)) == {
        "Regeln aus dem bisherigen Regelbuch auf Papier übernommen."}
    assert Fine.objects.filter(chapter=berlin).exists()
    # The English-speaking chapters keep their people and words.
    assert not User.objects.filter(memberships__chapter__slug="riverside", language="de").exists()
    assert not Referral.objects.filter(chapter__slug="riverside", notes="Meinen Namen erwähnen.").exists()
