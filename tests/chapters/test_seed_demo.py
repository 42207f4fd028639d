from django.core.management import call_command

from chapters.models import Chapter, Region, RegionStaff
from members.models import Membership, User


def test_seed_demo_builds_the_organisation_and_duplicates_nothing_on_rerun(db, capsys):
    call_command("seed_demo")
    counts = (User.objects.count(), Membership.objects.count(), Chapter.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Membership.objects.count(), Chapter.objects.count()) == counts
    assert Region.objects.count() == 2 and Chapter.objects.count() == 4
    for chapter in Chapter.objects.all():
        seated = chapter.memberships.filter(status__in=Membership.SEATED_STATUSES).count()
        assert 20 <= seated <= 31
        assert chapter.memberships.filter(role="president").count() == 1
    assert User.objects.filter(is_org_admin=True).exists() and RegionStaff.objects.exists()
    out = capsys.readouterr().out
    assert "admin@demo.leadsgroups.org" in out and "demo-pass-2026" in out
