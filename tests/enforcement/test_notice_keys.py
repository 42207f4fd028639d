"""Every notice is data worded in its reader's language (issue 14): written while its recipient reads English,
it reads in German once they switch, on the notifications page and the dashboard, with German dates and money."""

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape
from django.utils.module_loading import import_string

from enforcement import notices as enforcement_notices
from enforcement import services
from enforcement.models import ExpulsionCase, Fine
from leadsgroups.i18n import for_user
from members.models import Notification
from members.notice_texts import REGISTRY, worded
from members.notifications import notification_send
from tests.enforcement.conftest import World
from tests.factories import ChapterFactory

D = Decimal
EUR30 = "30,00\xa0€"
FEB10 = datetime(2026, 2, 10, 12, tzinfo=UTC)


@pytest.fixture
def berlin(db):
    """Anna's absences give her a fine and open a case; Ed reads English (then German) and is told of all."""
    w = World(ChapterFactory(slug="berlin", name="Berlin Mitte", timezone="Europe/Berlin", currency="EUR",
                             language="de"))
    w.member("Anna Schmidt", user__language="de")
    w.member("Ed English", user__language="en-gb")
    w.rules(effective_from=date(2025, 1, 1), currency="EUR", absences_allowed=1, fine_absence=D("30.00"),
            expulsion_violations=1, expulsion_months=6)
    for day in (date(2026, 1, 7), date(2026, 1, 14)):
        w.meeting(day, {"Anna Schmidt": "absent", "Ed English": "present"})
    return w


def _enforced(w):
    if not getattr(w, "enforced", False):
        services.chapter_enforce(chapter=w.chapter, now=FEB10)
        w.enforced = True


def _fine(w):
    _enforced(w)
    return Fine.objects.get(membership=w.members["Anna Schmidt"])


def _case(w):
    _enforced(w)
    return ExpulsionCase.objects.select_related("chapter", "membership").get(membership=w.members["Anna Schmidt"])


def _candidate(w):
    case = _case(w)
    return SimpleNamespace(membership=case.membership, evidence=case.evidence)


# A change of evidence: the leave recorded since covers the meeting fined.
CAUSE = {"v": 2, "kind": "leave", "starts_on": "2026-01-10", "ends_on": "2026-01-20", "about": {"meeting": "2026-01-14"}}


# key → (the params as its writer builds them, what the German words must show)
SAMPLES = {
    "enforcement.fine": (lambda w: enforcement_notices.fine_params(_fine(w)),
                         [f"Strafgebühr {EUR30}", "14. Jan. 2026"]),
    "enforcement.fine_withdrawn": (lambda w: {**enforcement_notices.fine_withdrawn_params(_fine(w)), "cause": CAUSE},
                                   [EUR30, "10.01.2026", "20.01.2026"]),
    "enforcement.fine_refund_flagged": (
        lambda w: {**enforcement_notices.fine_refund_flagged_params(_fine(w), "Anna Schmidt"), "cause": CAUSE},
        ["Anna Schmidt", EUR30, "10.01.2026"]),
    "enforcement.fine_refund_decided": (
        lambda w: enforcement_notices.fine_refund_decided_params(_fine(w), refunded=True, reason=""),
        [EUR30, "14.01.2026"]),
    "enforcement.case_below_threshold": (
        lambda w: enforcement_notices.case_below_threshold_params(_case(w), {"v": 2, "standing": 1, "threshold": 2}),
        ["Anna Schmidt"]),
    "enforcement.case_opened": (lambda w: enforcement_notices.case_opened_params(_case(w), _candidate(w), "decider"),
                                ["Anna Schmidt", "Europe/Berlin", "2026"]),
    "enforcement.case_recommended": (
        lambda w: {"case": _case(w).pk, "name": "Anna Schmidt", "by": "Paula President", "recommendation": "probation",
                   "note": "Drei Fehltermine.", "to": "overseer"}, ["Anna Schmidt", "Drei Fehltermine."]),
    "enforcement.case_appealed": (lambda w: {"case": _case(w).pk, "name": "Anna Schmidt", "text": "Ich war krank.",
                                             "waive_rest": True}, ["Anna Schmidt", "Ich war krank."]),
    "enforcement.case_ready": (lambda w: {"case": _case(w).pk, "name": "Anna Schmidt"}, ["Anna Schmidt"]),
    "enforcement.case_decided": (
        lambda w: {"case": _case(w).pk, "decision": "probation", "name": "Anna Schmidt", "chapter": "Berlin Mitte",
                   "probation_until": "2026-06-30", "conditions": "Jedes Treffen.", "reason": "Drei Fehltermine.",
                   "to": "member"}, ["30.06.2026", "Jedes Treffen."]),
    "enforcement.probation_lifted": (
        lambda w: {"case": _case(w).pk, "name": "Anna Schmidt", "date": "2026-06-30", "to": "president"},
        ["Anna Schmidt", "30.06.2026"]),
    "enforcement.leave_recorded": (lambda w: {"leave": 1, "start": "2026-03-02", "end": "2026-03-31"},
                                   ["02.03.2026 – 31.03.2026"]),
    "enforcement.leave_corrected": (lambda w: {"leave": 1, "start": "2026-03-02", "end": None, "was_start": "2026-03-02",
                                               "was_end": "2026-03-31", "reason": "Länger krank."},
                                    ["02.03.2026", "Länger krank."]),
    "enforcement.leave_status": (lambda w: {"membership": 1, "on_leave": True, "chapter": "Berlin Mitte"},
                                 ["Berlin Mitte"]),
    "meetings.run_sheet": (lambda w: {"meeting": 1, "date": "2026-03-04", "reason": "Feiertag", "presentation": 1,
                                      "kind": "feature", "topic": "Steuern", "target": 2, "target_date": "2026-03-11"},
                           ["4. März 2026", "11. März 2026", "Steuern"]),
    "meetings.visitor_follow_up": (lambda w: {"visitor": 1, "name": "Lena Gast", "chapter": "Berlin Mitte",
                                              "date": "2026-03-04"}, ["Lena Gast", "04.03.2026"]),
    "meetings.read_out": (
        lambda w: {"meeting": 1, "date": "2026-03-04", "figures": {
            k: {"this": "1234.5", "last": "2", "average": "1.5", "weeks": 2, "currency": "EUR" if k == "tyfcb" else ""}
            for k in ("referrals", "tyfcb", "one_to_ones", "visitors", "education", "testimonials", "attending")}},
        ["4. März 2026", "1.234,50\xa0€", "1,5"]),
    "members.invitation_accepted": (lambda w: {"invitation": 1, "person": "Lena Neu", "chapter": "Berlin Mitte"},
                                    ["Lena Neu", "Berlin Mitte"]),
    "members.presidency_handed_over": (lambda w: {"chapter": "Berlin Mitte"}, ["Berlin Mitte"]),
    "members.membership_changed": (
        lambda w: {"membership": 1, "chapter": "Berlin Mitte", "before": {"role": "member", "status": "active"},
                   "after": {"role": "president", "status": "active"}, "reason": "Gewählt.", "no_password": False},
        ["Berlin Mitte", "Gewählt."]),
    "referrals.received": (lambda w: {"referral": 7, "giver": "Anna Schmidt", "kind": "outside", "temperature": 4},
                           ["Anna Schmidt", "4/5"]),
    "referrals.status": (lambda w: {"referral": 7, "receiver": "Anna Schmidt", "status": "declined",
                                    "reason": "Kein Bedarf."}, ["Anna Schmidt", "Kein Bedarf."]),
    "referrals.thank_you": (lambda w: {"referral": 7, "receiver": "Anna Schmidt", "value": "1500.00", "currency": "EUR",
                                       "business_type": "new", "note": "Danke!"}, ["1.500,00\xa0€", "Danke!"]),
    "referrals.stale": (lambda w: {"referral": 7, "giver": "Anna Schmidt", "status": "accepted",
                                   "prospect_declined": False, "days": 14}, ["#7", "Anna Schmidt", "14"]),
    "referrals.consent": (lambda w: {"referral": 7, "answer": "withdraw"}, ["#7"]),
    "referrals.one_to_one": (lambda w: {"one_to_one": 3, "name": "Anna Schmidt", "met_on": "2026-03-04"},
                             ["Anna Schmidt", "04.03.2026"]),
}


def test_every_registered_key_has_a_sample():
    assert set(SAMPLES) == set(REGISTRY) - {"enforcement.reminder"}  # the reminder has its own tests


def _pages(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        notifications = client.get("/notifications/").content.decode()
    dashboard = client.get("/").content.decode()
    return notifications, dashboard, len(queries)


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_a_notice_written_in_english_reads_in_german_once_its_reader_switches(berlin, client, key):
    params_of, german_shows = SAMPLES[key]
    params = params_of(berlin)
    ed = berlin.members["Ed English"].user
    with for_user(ed):
        notice = notification_send(user=ed, chapter=berlin.chapter, kind=Notification.Kind.CASE, url="/",
                                   **worded(key, params))
    with translation.override("en-gb"):
        english = import_string(REGISTRY[key])(params)
    with translation.override("de"):
        german = import_string(REGISTRY[key])(params)
    assert (notice.title, notice.body) == (english[0], english[1] or "")  # the snapshot, as written
    assert notice.message_key == key and notice.params == params
    assert german[0] != english[0]
    for shown in german_shows:
        assert shown in german[0] + "\n" + (german[1] or "")

    ed.language = "de"
    ed.save()
    notifications, dashboard, _ = _pages(client, ed)
    assert escape(german[0]) in notifications and escape(german[0]) in dashboard
    assert escape(english[0]) not in notifications and escape(english[0]) not in dashboard
    for line in (german[1] or "").splitlines():
        assert escape(line) in notifications


def test_the_notifications_page_costs_no_more_queries_for_keyed_notices(berlin, client):
    ed = berlin.members["Ed English"].user
    ed.language = "de"
    ed.save()
    with for_user(ed):
        for key, (params_of, _shows) in SAMPLES.items():
            notification_send(user=ed, chapter=berlin.chapter, kind=Notification.Kind.CASE, url="/",
                              **worded(key, params_of(berlin)))
    _, _, keyed = _pages(client, ed)
    Notification.objects.filter(user=ed).update(message_key="", params={})
    _, _, plain = _pages(client, ed)
    assert keyed == plain


def test_a_fine_and_its_case_tell_the_member_in_words_worded_again_from_their_facts(berlin, client):
    """The notices the sweep wrote keep the fine's and the case's evidence: they read in the reader's language."""
    _enforced(berlin)
    anna = berlin.members["Anna Schmidt"].user
    fine_notice = Notification.objects.get(user=anna, kind="fine")
    case_notice = Notification.objects.get(user=anna, kind="case")
    assert fine_notice.message_key == "enforcement.fine" and fine_notice.params["fine"] == _fine(berlin).pk
    assert case_notice.message_key == "enforcement.case_opened" and case_notice.params["to"] == "member"
    anna.language = "en-gb"
    anna.save()
    notifications, _, _ = _pages(client, anna)
    assert "Fine €30.00: absence over the limit (Wed, 14 Jan 2026)" in notifications
    assert "Your membership is under review" in notifications and "Strafgebühr" not in notifications


def test_the_migration_gives_old_notices_their_keys_where_their_facts_are_found(berlin, client):
    from importlib import import_module

    from django.apps import apps

    from tests.enforcement.factories import ReferralFactory

    _enforced(berlin)
    anna, ed = berlin.members["Anna Schmidt"], berlin.members["Ed English"]
    fine, case = _fine(berlin), _case(berlin)
    referral = ReferralFactory(chapter=berlin.chapter, giver=anna, receiver=ed)
    Notification.objects.all().delete()

    def old(key, title, body="As written"):
        return Notification.objects.create(user=ed.user, chapter=berlin.chapter, kind="fine", dedupe_key=key,
                                           title=title, body=body)

    rows = {
        "fine": old(f"fine:{fine.pk}", "Fine £ old"),
        "case": old(f"case:{case.pk}", "Case old"),
        "received": old(f"referral-received:{referral.pk}", "Referral old"),
        "stale": old(f"referral-stale:{referral.pk}:1767225600", "Stale old", "Still accepted, as written"),
        "gone": old("fine:999999", "Fine gone"),
        "nokey": Notification.objects.create(user=ed.user, chapter=berlin.chapter, kind="membership",
                                             title="Leave recorded: old words"),
    }
    import_module("members.migrations.0017_notices_as_data").forwards(apps, None)
    for n in rows.values():
        n.refresh_from_db()
    assert rows["fine"].message_key == "enforcement.fine" and rows["fine"].params["evidence"] == fine.evidence
    assert rows["case"].message_key == "enforcement.case_opened" and rows["case"].params["to"] == "decider"
    assert rows["received"].params == {"referral": referral.pk, "giver": "Anna Schmidt", "kind": referral.kind,
                                       "temperature": referral.temperature}
    assert rows["stale"].message_key == "referrals.stale" and "status" not in rows["stale"].params
    assert (rows["gone"].message_key, rows["nokey"].message_key) == ("", "")

    ed.user.language = "de"
    ed.user.save()
    html, _, _ = _pages(client, ed.user)
    assert f"Strafgebühr {EUR30}: Abwesenheit über dem Limit (Mi., 14. Jan. 2026)" in html
    assert "Ausschlussverfahren zu entscheiden: Anna Schmidt" in html
    assert "Anna Schmidt hat Ihnen eine Empfehlung gegeben" in html
    assert f"Empfehlung #{referral.pk} von Anna Schmidt" in html and "Still accepted, as written" in html
    assert "Fine gone" in html and "Leave recorded: old words" in html
