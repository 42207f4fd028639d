"""Explanations stored as data and worded in the reader's language (issue 14): the same fine in English and in
German with the same figures, rows written before the data were migrated and still read, and notices and
reminders in each recipient's language whoever's action sent them."""

import importlib
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core import mail
from django.utils import translation

from enforcement import explain, review, services
from enforcement.models import ExpulsionCase, Fine
from meetings.services import attendance_correct
from members.models import Membership, Notification
from referrals.models import Referral
from tests.enforcement.conftest import World
from tests.enforcement.factories import (
    AttendanceFactory,
    ExpulsionCaseFactory,
    FineFactory,
    MeetingFactory,
    ReferralFactory,
)
from tests.factories import ChapterFactory, UserFactory

D = Decimal
EUR30 = "30,00\xa0€"  # German, French and Spanish write a no-break space before the sign
JAN7 = date(2026, 1, 7)
FEB10 = datetime(2026, 2, 10, 12, tzinfo=UTC)
migration = importlib.import_module("enforcement.migrations.0011_explanations_as_data")


def _berlin():
    """A Berlin chapter in euros: one absence in six months allowed, €30.00 for each beyond it."""
    w = World(ChapterFactory(slug="berlin", name="Berlin Mitte", timezone="Europe/Berlin", currency="EUR",
                             language="de"))
    w.member("Anna Schmidt", user__language="de")
    w.member("Claire Martin", user__language="fr")
    w.member("Ed English", user__language="en-gb")
    w.rules(effective_from=date(2025, 1, 1), currency="EUR", absences_allowed=1, fine_absence=D("30.00"))
    for day, anna, claire in [(JAN7, "absent", "absent"), (date(2026, 1, 14), "present", "absent"),
                              (date(2026, 1, 21), "absent", "present")]:
        w.meeting(day, {"Anna Schmidt": anna, "Claire Martin": claire, "Ed English": "present"})
    return w


def test_a_fines_explanation_reads_in_english_and_in_german_with_the_same_figures(db):
    w = _berlin()
    services.chapter_enforce(chapter=w.chapter, now=FEB10)
    fine = Fine.objects.get(membership=w.members["Anna Schmidt"])
    with translation.override("en-gb"):
        english = fine.explained
    with translation.override("de"):
        german = fine.explained
    assert "  • Wed, 21 Jan 2026: absent = 1 ← this meeting" in english
    assert "Total 2 against 1 allowed." in english and "Fine: 1 × €30.00 = €30.00." in english
    assert "  • Mi., 21. Jan. 2026: abwesend = 1 ← dieses Treffen" in german
    assert "Insgesamt 2 bei 1 erlaubten." in german and f"Strafgebühr: 1 × {EUR30} = {EUR30}." in german
    assert "in jedem gleitenden Zeitraum von 6 Monaten" in german and "absent" not in german
    # The stored text is the English snapshot, the very words English readers see; the data holds the figures.
    assert fine.explanation == english
    assert (fine.evidence["v"], fine.evidence["total"], fine.evidence["units"], fine.evidence["amount"]) == (
        2, "2", "1", "30.00")


def test_the_fine_page_reads_in_the_language_of_whoever_opens_it(client, db):
    w = _berlin()
    services.chapter_enforce(chapter=w.chapter, now=FEB10)
    fine = Fine.objects.get(membership=w.members["Anna Schmidt"])
    client.force_login(w.members["Anna Schmidt"].user)
    german = client.get(fine.get_absolute_url()).content.decode()
    assert '<html lang="de"' in german
    assert "<h1>Abwesenheit über dem Limit</h1>" in german and f"<strong>{EUR30}</strong>" in german
    assert f"Strafgebühr: 1 × {EUR30} = {EUR30}." in german and "<h2>Warum</h2>" in german
    client.force_login(w.members["Ed English"].user)
    w.members["Ed English"].role = Membership.Role.PRESIDENT  # leadership reads every fine of the chapter
    w.members["Ed English"].save()
    english = client.get(fine.get_absolute_url()).content.decode()
    assert "<h1>Absence over the limit</h1>" in english and "Fine: 1 × €30.00 = €30.00." in english


def test_each_member_is_told_of_a_fine_in_their_own_language(db):
    w = _berlin()
    services.chapter_enforce(chapter=w.chapter, now=FEB10)  # two fines: the batch's bulk notices
    anna = Notification.objects.get(user=w.members["Anna Schmidt"].user, kind="fine")
    claire = Notification.objects.get(user=w.members["Claire Martin"].user, kind="fine")
    assert anna.title == f"Strafgebühr {EUR30}: Abwesenheit über dem Limit (Mi., 21. Jan. 2026)"
    assert f"Strafgebühr: 1 × {EUR30} = {EUR30}." in anna.body
    assert claire.title == f"Amende de {EUR30} : absence au-delà de la limite (mer. 14 janv. 2026)"
    assert f"Amende : 1 × {EUR30} = {EUR30}." in claire.body


def test_a_members_notice_is_in_their_language_although_a_french_admin_decided(db, django_capture_on_commit_callbacks):
    w = _berlin()
    anna = w.members["Anna Schmidt"]
    admin = UserFactory(is_org_admin=True, full_name="Camille Admin", language="fr")
    case = ExpulsionCaseFactory(membership=anna, rules=w.chapter.rules_versions.get(),
                                appeal_deadline=datetime(2026, 1, 1, tzinfo=UTC))
    with translation.override("fr"):  # the admin's request is in French
        review.case_decide(case=case, by=admin, decision=ExpulsionCase.Decision.PROBATION,
                           reason="Drei Fehltermine ohne Nachricht.", probation_until=date(2026, 6, 30),
                           conditions="Jedes Treffen besuchen.", now=datetime(2026, 2, 10, 12, tzinfo=UTC))
    notice = Notification.objects.get(user=anna.user, dedupe_key=f"case-decided:{case.pk}")
    assert notice.title == "Entscheidung in Ihrem Verfahren: Bewährung"
    assert notice.body == ("Sie sind bis 30.06.2026 auf Bewährung.\nAuflagen: Jedes Treffen besuchen.\n\n"
                           "Grund: Drei Fehltermine ohne Nachricht.")  # the admin's words, as typed


def test_the_reminder_email_to_a_german_member_is_german(db, settings):
    settings.ENFORCEMENT_REMINDER_HOUR = 17
    w = _berlin()
    anna = w.members["Anna Schmidt"]
    day = date(2026, 3, 4)
    MeetingFactory(chapter=w.chapter, local_date=day, status="scheduled", venue="Café Einstein",
                   starts_at=datetime.combine(day, time(19, 5), tzinfo=w.chapter.tz))
    ReferralFactory(giver=w.members["Ed English"], receiver=anna, at=w.at(date(2026, 3, 2)),
                    status=Referral.Status.GIVEN)
    FineFactory(membership=anna, rules=w.chapter.rules_versions.get(), amount=D("30.00"), currency="EUR")
    now = datetime.combine(date(2026, 3, 3), time(17, 5), tzinfo=w.chapter.tz)
    with translation.override("en-gb"):  # the beat's worker runs in the site's language
        services.chapter_send_reminders(chapter=w.chapter, now=now)
    notice = Notification.objects.get(kind="reminder", user=anna.user)
    assert notice.title == "Morgen: Berlin Mitte, Mi., 4. März um 19:05"
    with time_machine.travel(now, tick=False), translation.override("en-gb"):
        assert services.reminder_email_send(notification_id=notice.pk) is True
    [message] = mail.outbox
    assert message.subject == "[Berlin Mitte] Morgen: Berlin Mitte, Mi., 4. März um 19:05"
    assert message.body.startswith("Guten Tag Anna,\n\nBerlin Mitte trifft sich morgen, Mi., 4. März um 19:05, "
                                   "in Café Einstein.")
    assert f"- Strafgebühren: 1 unbezahlt, insgesamt {EUR30}" in message.body
    assert "Von Ed English, 2. März: übergeben" in message.body
    html, _ = message.alternatives[0]
    assert '<html lang="de">' in html and "Ihr Stand" in html and "Erinnerungs-E-Mails abschalten" in html
    for english in ("Hello", "meets tomorrow", "Your standing", "Fines", "unpaid"):
        assert english not in message.body


# Rows written before explanations were data ----------------------------------------------------------


def _history(w: World):
    """Absences, a substitute beyond its allowance, a late that stacks a fee with its share of an absence, a
    missed quota with a referral that did not count, cases; then corrections that replace an unpaid fine
    with a smaller one and flag a paid one for a refund (the evidence now calls for less than was paid)."""
    ann, bob, cat = w.member("Ann"), w.member("Bob"), w.member("Cat")
    w.rules(effective_from=date(2025, 12, 1), absences_allowed=1, fine_absence=D("10.00"), fine_late=D("2.00"),
            late_weight=D("0.5"), substitutes_allowed=0, late_fee_stacks_with_absence=True, referral_quota=1,
            quota_counts="won", fine_quota=D("5.00"), expulsion_violations=3)
    meetings = w.weekly(JAN7, ["A", "A", "L", "S"], who="Ann")
    for meeting, status in zip(meetings, ["absent", "absent", "present", "present"], strict=True):
        AttendanceFactory(meeting=meeting, membership=bob, status=status)  # the same meetings as Ann's
        AttendanceFactory(meeting=meeting, membership=cat, status="present")
    ReferralFactory(giver=cat, receiver=ann, at=w.at(date(2026, 1, 20)), status=Referral.Status.GIVEN,
                    consent=Referral.Consent.NOT_ASKED)
    services.chapter_enforce(chapter=w.chapter, now=FEB10)
    services.fine_resolve(fine=Fine.objects.get(membership=bob, kind="absence"), by=None, status=Fine.Status.PAID)
    for m in (ann, bob):  # both came late on 7 Jan, not absent: their 14 Jan fines fall to £5
        attendance_correct(meeting=meetings[0], membership=m, status="late", by=None, reason="Came in at 7:20.")
    services.chapter_enforce(chapter=w.chapter, now=FEB10)
    return meetings


def _as_before(fine: Fine) -> dict:
    """The row as the code before explanations-as-data wrote it: evidence without the words' facts, English
    notes instead of allowances, causes without what they concern or call for."""

    def evidence(ev, kind):
        ev = {k: v for k, v in ev.items() if k not in (
            "v", "rules_from", "meeting_id" if kind == "absence" else "", "date" if kind == "absence" else "",
            "window_kind", "window_months", "window_start_month", "late_weight", "quota_period", "consent_grace_days",
        )}
        for m in ev.get("marks", []):
            over = m.pop("over", None)
            m["note"] = f"{m['status']} {over['count']} of {over['allowed']} allowed: a full absence" if over else ""
        if "also" in ev:
            ev["also"] = {k: v for k, v in ev["also"].items() if k != "title"}
        for key in ("counted", "not_counted_referrals"):
            for r in ev.get(key, []):
                r.pop("receiver", None)
                r.pop("consented_on", None)
        return ev

    def cause(c):
        if not c:
            return c
        c = {k: v for k, v in c.items() if k not in ("v", "about", "calls_for", "paid", "to_from", "leave_reason",
                                                     "member", "referrals", "grace_until")}
        for change in c.get("changes", []):
            change.pop("on", None)
        return c

    return {"evidence": evidence(fine.evidence, fine.kind), "withdrawn_cause": cause(fine.withdrawn_cause),
            "refund_flag_cause": cause(fine.refund_flag_cause)}


def _words(fine: Fine) -> tuple:
    return (fine.explained, fine.withdrawn_explained, fine.refund_flag_explained)


def test_old_rows_are_rebuilt_from_what_they_store_and_read_as_before_in_any_language(db):
    w = World(ChapterFactory(slug="old-rows", timezone="Europe/London", currency="GBP"))
    _history(w)
    fines = list(Fine.objects.filter(chapter=w.chapter).order_by("pk"))
    kinds = {(f.kind, f.status) for f in fines}
    assert {("absence", "withdrawn"), ("absence", "paid"), ("late", "open"), ("quota", "open")} <= kinds
    assert any(m.get("over") for f in fines for m in f.evidence.get("marks", []))  # the substitute beyond its allowance
    assert any(f.evidence.get("also", {}).get("title") for f in fines if f.kind == "late")
    assert any(f.withdrawn_cause.get("calls_for") and f.replaced_by_id for f in fines)  # replaced by a smaller one
    assert any(f.refund_flag_cause.get("paid") for f in fines)  # paid £10, the evidence now calls for £5
    cases = list(ExpulsionCase.objects.filter(chapter=w.chapter).order_by("pk"))
    assert {c.membership.display_name for c in cases} == {"Ann", "Bob"}  # two quotas missed and an absence or two
    with translation.override("en-gb"):
        before = {f.pk: _words(f) for f in fines}
        cases_before = [c.explained for c in cases]
    with translation.override("de"):
        german = {f.pk: _words(f) for f in fines}

    for fine in fines:  # the rows as they were stored before this release
        Fine.objects.filter(pk=fine.pk).update(**_as_before(fine))
    for case in cases:
        old_case = {k: v for k, v in case.evidence.items() if k not in ("v", "rules_from")}
        old_case["violations"] = [
            {"kind": v["kind"], "what": explain.snapshot(explain.title, v["title"]), "date": v["date"],
             "amount": v["amount"], "currency": v["currency"]} for v in case.evidence["violations"]
        ]
        ExpulsionCase.objects.filter(pk=case.pk).update(evidence=old_case)
    assert all(not explain.structured(f.evidence) for f in Fine.objects.filter(chapter=w.chapter))

    migration.explanations_as_data(django_apps, None)

    migrated = list(Fine.objects.filter(chapter=w.chapter).order_by("pk"))
    cases = list(ExpulsionCase.objects.filter(chapter=w.chapter).order_by("pk"))
    assert all(explain.structured(f.evidence) for f in migrated)
    assert all(explain.structured(c) for f in migrated for c in (f.withdrawn_cause, f.refund_flag_cause) if c)
    with translation.override("en-gb"):
        assert {f.pk: _words(f) for f in migrated} == before
        assert [c.explained for c in cases] == cases_before
    with translation.override("de"):
        assert {f.pk: _words(f) for f in migrated} == german
        assert all("Verstöße seit" in c.explained and "5,00\xa0£" in c.explained for c in cases)


def test_an_old_row_that_cannot_be_rebuilt_keeps_its_text_and_says_so(client, personas):
    fine = FineFactory(membership=personas.member, evidence={"marks": [{"meeting_id": 1, "status": "absent",
                                                                        "weight": "1", "note": "handwritten"}]},
                       explanation="Absent on 3 Jan; 4 of 3 allowed (entered by hand).")
    bare = FineFactory(membership=personas.member2, explanation="Fined at the meeting.")  # no evidence at all
    migration.explanations_as_data(django_apps, None)
    fine.refresh_from_db()
    bare.refresh_from_db()
    assert fine.evidence["fallback"] is True and fine.evidence["v"] == 2 and fine.evidence["marks"]  # nothing lost
    assert bare.evidence == {"v": 2, "fallback": True} and bare.explained == "Fined at the meeting."
    personas.member.user.language = "de"
    personas.member.user.save()
    personas.login(client, "member")
    html = client.get(fine.get_absolute_url()).content.decode()
    assert "Absent on 3 Jan; 4 of 3 allowed (entered by hand)." in html  # shown as written
    assert "Erfasst, bevor Erklärungen als Daten gespeichert wurden" in html


def test_a_case_below_its_threshold_is_flagged_as_data_and_read_in_the_deciders_language(db):
    note = ("Only 1 violation of this case still stand (the others were withdrawn or refunded after a change of "
            "evidence); the case was opened at 3.")
    case = ExpulsionCaseFactory(below_threshold_at=datetime(2026, 2, 1, tzinfo=UTC), below_threshold_note=note)
    migration.explanations_as_data(django_apps, None)
    case.refresh_from_db()
    assert case.below_threshold_cause == {"v": 2, "standing": 1, "threshold": 3}
    with translation.override("es"):
        assert case.below_threshold_explained.startswith("Solo se mantiene 1 infracción de este expediente")


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_the_bulk_emails_are_those_notification_send_writes_in_the_recipients_language(db, language):
    from unittest import mock

    from members.models import OutboundEmail
    from members.notifications import notification_send

    user = UserFactory(email="anna@example.com", language=language)
    with mock.patch("members.tasks.outbound_email_send_task.delay"):
        n = notification_send(user=user, kind="fine", title="Strafgebühr 30,00 €: <spät>", body="Zwei\nZeilen & mehr",
                              url="/c/berlin/fines/1/")
    email = OutboundEmail.objects.get(notification=n)
    assert services.notification_email_parts(n) == (email.body, email.html)


def test_a_us_reader_gets_12_hour_times_and_month_first_dates(db, settings):
    settings.ENFORCEMENT_REMINDER_HOUR = 17
    w = World(ChapterFactory(slug="austin", name="Austin Early Risers", timezone="America/Chicago", currency="USD"))
    w.member("Sam Houston", user__language="en-us")
    w.rules(effective_from=date(2025, 1, 1), currency="USD", absences_allowed=0, fine_absence=D("15.00"))
    w.meeting(JAN7, {"Sam Houston": "absent"})
    day = date(2026, 3, 4)
    MeetingFactory(chapter=w.chapter, local_date=day, status="scheduled",
                   starts_at=datetime.combine(day, time(7, 0), tzinfo=w.chapter.tz))
    services.chapter_enforce(chapter=w.chapter, now=FEB10)
    services.chapter_send_reminders(chapter=w.chapter, now=datetime.combine(date(2026, 3, 3), time(17, 5),
                                                                            tzinfo=w.chapter.tz))
    sam = w.members["Sam Houston"].user
    assert Notification.objects.get(user=sam, kind="reminder").title == \
        "Tomorrow: Austin Early Risers, Wed, Mar 4 at 7:00\u202fAM"
    assert Notification.objects.get(user=sam, kind="fine").title == \
        "Fine $15.00: absence over the limit (Wed, Jan 7, 2026)"
