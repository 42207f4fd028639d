from django.core.management import call_command

from enforcement.models import ChapterRules, ExpulsionCase, Fine


def test_seed_demo_sets_rules_and_the_real_evaluation_issues_fines_and_a_case(db, capsys):
    call_command("seed_demo")
    assert ChapterRules.objects.filter(chapter__slug="riverside").count() == 2
    fines = Fine.objects.count()
    assert fines > 0
    assert ExpulsionCase.objects.filter(status="open").exists()
    for fine in Fine.objects.all():
        assert fine.explanation.startswith("Rule: version") and fine.evidence["rules_id"] == fine.rules_id
    call_command("seed_demo")  # again: nothing new
    assert Fine.objects.count() == fines
    call_command("enforce", "--dry-run")
    assert "would issue 0 fines, 0 cases" in capsys.readouterr().out


def test_enforce_command_prints_what_it_issued(db, capsys):
    call_command("seed_demo")
    deleted = Fine.objects.filter(chapter__slug="riverside").count()
    assert deleted
    Fine.objects.filter(chapter__slug="riverside").delete()
    capsys.readouterr()
    call_command("enforce", "--chapter", "riverside")
    out = capsys.readouterr().out
    assert f"riverside: issued {deleted} fine{'s' if deleted != 1 else ''}" in out and "Absence over the limit" in out
