from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from enforcement import demo
from enforcement.models import ChapterRules, ExpulsionCase, Fine, Leave
from members.models import AuditEvent, Invitation, Membership, Notification, OutboundEmail


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


def test_seed_demo_shows_what_a_change_of_evidence_does_and_an_undelivered_invitation(db, client, capsys):
    """A newcomer's `make run` shows issue 10's pages with something on them, made through the real services."""
    call_command("seed_demo")
    out = capsys.readouterr().out

    # a correction to medical withdrew an unpaid fine, with the correction's reason, and told the member
    withdrawn = Fine.objects.get(withdrawn_reason__contains=demo.WITHDRAW_REASON)
    assert withdrawn.status == Fine.Status.WITHDRAWN and withdrawn.withdrawn_cause["kind"] == "correction"
    assert "was corrected from " in withdrawn.withdrawn_reason and " to medical" in withdrawn.withdrawn_reason
    assert withdrawn.replaced_by is None  # the only fine of its member: nothing replaces it
    assert Notification.objects.filter(user=withdrawn.membership.user, dedupe_key=f"fine-withdrawn:{withdrawn.pk}").exists()

    # the same for a paid fine: a refund for the president or treasurer to decide, on the fine's page
    flagged = Fine.objects.get(refund_flag_reason__contains=demo.REFUND_REASON)
    assert flagged.status == Fine.Status.PAID and flagged.refund_flagged_at and not flagged.refund_decision
    president = Membership.objects.get(chapter=flagged.chapter, role="president")
    assert f"President with a refund to decide ({flagged.chapter.name})" in out and president.user.email in out
    client.force_login(president.user)
    page = client.get(reverse("enforcement:fine-detail", args=[flagged.chapter.slug, flagged.pk])).content.decode()
    assert "Refund to decide" in page and "Record the decision" in page

    # a back-dated leave, recorded by leadership with its reason: the seat is on leave, the standing page says so
    leave = Leave.objects.get(reason=demo.LEAVE_REASON)
    today = timezone.now().astimezone(leave.chapter.tz).date()
    assert leave.chapter.slug == "riverside" and leave.starts_on < today < leave.ends_on
    assert leave.membership.status == Membership.Status.ON_LEAVE and leave.created_by is not None
    assert AuditEvent.objects.filter(action="leave.recorded", target_id=str(leave.pk), summary__contains="back-dated")
    client.force_login(leave.membership.user)
    standing = client.get(reverse("enforcement:standing", args=["riverside"])).content.decode()
    assert "You are on leave" in standing and demo.LEAVE_REASON.replace("'", "&#x27;") in standing

    # an invitation whose email the server refused, failed after every try: listed as failed, with the answer
    invitation = Invitation.objects.get(email=demo.UNDELIVERED[0])
    email = invitation.emails.get()
    assert email.status == OutboundEmail.Status.FAILED and email.attempts == settings.OUTBOX_MAX_ATTEMPTS
    assert "550" in email.last_error and "Recipient address rejected" in email.last_error
    client.force_login(Membership.objects.get(chapter__slug="riverside", role="president").user)
    members = client.get(reverse("chapters:members", args=["riverside"])).content.decode()
    assert demo.UNDELIVERED[0] in members and 'data-testid="email-status">Email failed<' in members

    # idempotent: a second run adds none of these again
    counts = (Fine.objects.count(), Leave.objects.count(), Invitation.objects.count(), OutboundEmail.objects.count(),
              AuditEvent.objects.count(), Notification.objects.count())
    call_command("seed_demo")
    assert (Fine.objects.count(), Leave.objects.count(), Invitation.objects.count(), OutboundEmail.objects.count(),
            AuditEvent.objects.count(), Notification.objects.count()) == counts
