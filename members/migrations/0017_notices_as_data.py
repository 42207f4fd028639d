"""Notices written before they were data get their key and the facts they are worded from, where the row
they tell of can be found again from the notice's dedupe key.

Recovered in full (title and text worded again in the reader's language): a new fine, a withdrawn fine, a
refund to decide and its decision, a case opened, below its threshold, appealed, ready, decided and a
probation lifted (from the fine or case; names as they are now), a visitor to follow up, a referral received
or updated, a prospect's consent answer and a one-to-one to confirm. Only the title: a weekly read-out (its
figures), a thank-you (the giver's note) and a stale referral (where it stood then) keep their stored text.
Notices without a dedupe key (a recommendation on a case, leave, a moved presentation, an invitation
accepted, a change of membership) and rows whose fine, case or referral is gone keep their stored words.
"""

from django.db import migrations

from enforcement import explain


def _name(membership) -> str:
    return membership.user.full_name or membership.user.email


def _iso(value):
    return value.isoformat() if value else None


def _fine_facts(fine) -> dict:
    return {"fine": fine.pk, "start": fine.period_start.isoformat(), "amount": str(fine.amount),
            "currency": fine.currency}


def _fine(apps, n, pk, step):
    fine = apps.get_model("enforcement", "Fine").objects.select_related("membership__user").filter(pk=pk).first()
    if fine is None or fine.chapter_id != n.chapter_id:
        return None
    if step == "fine":
        return "enforcement.fine", {**_fine_facts(fine), "end": fine.period_end.isoformat(), "kind": fine.kind,
                                    "evidence": fine.evidence}
    if step == "fine-withdrawn":
        return "enforcement.fine_withdrawn", {**_fine_facts(fine), "title_key": explain.title_key(fine.kind, fine.evidence),
                                              "cause": fine.withdrawn_cause}
    if step == "fine-refund":
        return "enforcement.fine_refund_flagged", {**_fine_facts(fine), "name": _name(fine.membership),
                                                   "cause": fine.refund_flag_cause}
    if not fine.refund_decision:
        return None
    return "enforcement.fine_refund_decided", {**_fine_facts(fine), "refunded": fine.refund_decision == "refund",
                                               "reason": fine.refund_decision_reason}


def _case(apps, n, pk, step):
    case = (apps.get_model("enforcement", "ExpulsionCase").objects.select_related("membership__user", "chapter")
            .filter(pk=pk).first())
    if case is None or case.chapter_id != n.chapter_id:
        return None
    name, member = _name(case.membership), n.user_id == case.membership.user_id
    facts = {"case": case.pk, "name": name}
    if step == "case":
        if not explain.structured(case.evidence):
            return None
        if member:
            to = "member"
        else:
            president = apps.get_model("members", "Membership").objects.filter(
                chapter_id=case.chapter_id, user_id=n.user_id, role="president").exists()
            to = "president" if president else "decider"
        return "enforcement.case_opened", {**facts, "to": to, "evidence": case.evidence,
                                           "deadline": case.appeal_deadline.isoformat(),
                                           "timezone": case.chapter.timezone}
    if step == "case-below":
        if not case.below_threshold_cause:
            return None
        return "enforcement.case_below_threshold", {**facts, "cause": case.below_threshold_cause}
    if step == "case-appeal":
        if not case.appealed_at:
            return None
        return "enforcement.case_appealed", {**facts, "text": case.appeal_text,
                                             "waive_rest": case.appeal_waived_at == case.appealed_at}
    if step == "case-waived":
        return "enforcement.case_ready", facts
    if step == "case-decided":
        if not case.decision:
            return None
        return "enforcement.case_decided", {
            **facts, "to": "member" if member else "president", "decision": case.decision,
            "chapter": case.chapter.name, "probation_until": _iso(case.probation_until),
            "conditions": case.probation_conditions, "reason": case.decision_reason,
        }
    if not case.probation_until:
        return None
    return "enforcement.probation_lifted", {**facts, "to": "member" if member else "president",
                                            "date": case.probation_until.isoformat()}


def _referral(apps, pk):
    return (apps.get_model("referrals", "Referral").objects
            .select_related("giver__user", "receiver__user", "chapter").filter(pk=pk).first())


def _referrals(apps, n, pk, step, rest):
    if step == "consent":
        request = apps.get_model("referrals", "ConsentRequest").objects.filter(pk=pk).first()
        if request is None or rest not in ("confirm", "decline", "withdraw"):
            return None
        return "referrals.consent", {"referral": request.referral_id, "answer": rest}
    if step == "one-to-one":
        one = (apps.get_model("referrals", "OneToOne").objects.select_related("initiator__user").filter(pk=pk).first())
        if one is None:
            return None
        return "referrals.one_to_one", {"one_to_one": one.pk, "name": _name(one.initiator),
                                        "met_on": one.met_on.isoformat()}
    referral = _referral(apps, pk)
    if referral is None or referral.chapter_id != n.chapter_id:
        return None
    if step == "referral-received":
        return "referrals.received", {"referral": referral.pk, "giver": _name(referral.giver), "kind": referral.kind,
                                      "temperature": referral.temperature}
    if step == "referral-status":
        statuses = ("accepted", "contacted", "meeting", "lost", "declined", "prospect_declined")
        if rest not in statuses:
            return None
        return "referrals.status", {"referral": referral.pk, "receiver": _name(referral.receiver), "status": rest,
                                    "reason": referral.decline_reason if rest == "declined" else ""}
    if step == "thank-you":
        if referral.closed_value is None or not referral.business_type:
            return None
        return "referrals.thank_you", {"referral": referral.pk, "receiver": _name(referral.receiver),
                                       "value": str(referral.closed_value), "currency": referral.chapter.currency,
                                       "business_type": referral.business_type}
    return "referrals.stale", {"referral": referral.pk, "giver": _name(referral.giver)}


def _meetings(apps, n, pk, step):
    if step == "readout":
        meeting = apps.get_model("meetings", "Meeting").objects.filter(pk=pk).first()
        if meeting is None or meeting.chapter_id != n.chapter_id:
            return None
        return "meetings.read_out", {"meeting": meeting.pk, "date": meeting.local_date.isoformat()}
    visitor = (apps.get_model("meetings", "Visitor").objects.select_related("meeting__chapter").filter(pk=pk).first())
    if visitor is None:
        return None
    return "meetings.visitor_follow_up", {"visitor": visitor.pk, "name": visitor.name,
                                          "chapter": visitor.meeting.chapter.name,
                                          "date": visitor.meeting.local_date.isoformat()}


def recovered(apps, n):
    """(message key, params) of an old notice from its dedupe key, or None where its facts are gone."""
    key = n.dedupe_key or ""
    if key.startswith("visitor-followup-"):
        step, pk, rest = "visitor-followup", key.rsplit("-", 1)[1], ""
    else:
        step, _, tail = key.partition(":")
        pk, _, rest = tail.partition(":")
    if not pk.isdigit():
        return None
    pk = int(pk)
    if step in ("fine", "fine-withdrawn", "fine-refund", "fine-refund-decided"):
        return _fine(apps, n, pk, step)
    if step in ("case", "case-below", "case-appeal", "case-waived", "case-decided", "probation-lifted"):
        return _case(apps, n, pk, step)
    if step in ("consent", "one-to-one", "referral-received", "referral-status", "thank-you", "referral-stale"):
        return _referrals(apps, n, pk, step, rest)
    if step in ("readout", "visitor-followup"):
        return _meetings(apps, n, pk, step)
    return None


def forwards(apps, schema_editor):
    Notification = apps.get_model("members", "Notification")
    rows = Notification.objects.filter(message_key="", dedupe_key__isnull=False).exclude(kind="reminder")
    changed = []
    for n in rows.iterator(chunk_size=500):
        found = recovered(apps, n)
        if found is None:
            continue
        n.message_key, n.params = found
        changed.append(n)
        if len(changed) >= 500:
            Notification.objects.bulk_update(changed, ["message_key", "params"])
            changed = []
    Notification.objects.bulk_update(changed, ["message_key", "params"])


def backwards(apps, schema_editor):
    Notification = apps.get_model("members", "Notification")
    Notification.objects.exclude(message_key__in=["", "enforcement.reminder"]).update(message_key="", params={})


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0016_notification_delivery_and_digest"),
        ("enforcement", "0012_quota_weights"),
        ("meetings", "0008_translatable_labels"),
        ("referrals", "0009_prospect_key"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
