"""Writes of the reports app: a chapter's scorecard rules."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from chapters.models import Chapter
from members.audit import AuditText, Fields, audit_record
from reports.ladders import Ladder, ladder_to_json
from reports.limits import scorecard_limits_for, scorecard_rules_errors
from reports.models import ScorecardRules
from reports.scorecards import COMPONENTS, scorecard_rules_for

CHOICE_FIELDS = ("referrals_count", "tyfcb_counts", "tyfcb_business", "green_from", "amber_from", "red_from")


@transaction.atomic
def scorecard_rules_save(*, chapter: Chapter, by, ladders: dict[str, Ladder], data: dict) -> ScorecardRules:
    """Set the chapter's scorecard within its organisation's limits; audited with what changed."""
    errors = scorecard_rules_errors(
        limits=scorecard_limits_for(chapter=chapter), ladders=ladders, data=data,
        labels={c.key: str(c.label) for c in COMPONENTS},
    )
    if set(ladders) != {c.key for c in COMPONENTS}:
        errors.setdefault(None, _("Every figure needs its ladder (empty for one not scored)."))
    if errors:
        raise ValidationError({NON_FIELD_ERRORS if k is None else k: v for k, v in errors.items()})
    rules = scorecard_rules_for(chapter=chapter)
    if rules.pk is not None:
        rules = ScorecardRules.objects.select_for_update().get(pk=rules.pk)
    before = {k: getattr(rules, k) for k in ScorecardRules.RULE_FIELDS}
    for key, steps in ladders.items():
        setattr(rules, key, ladder_to_json(steps))
    for key in CHOICE_FIELDS:
        setattr(rules, key, data[key])
    after = {k: getattr(rules, k) for k in ScorecardRules.RULE_FIELDS}
    changed = sorted(k for k in after if after[k] != before[k])
    if rules.pk is not None and not changed:
        raise ValidationError({NON_FIELD_ERRORS: _("Nothing changed: this is the chapter's scorecard already.")})
    rules.updated_by = by if getattr(by, "is_authenticated", False) else None
    rules.full_clean()
    rules.save()
    audit_record(
        actor=by, action="scorecard.rules_changed", target=rules, chapter=chapter,
        summary=AuditText(gettext_noop("Scorecard changed: %(fields)s"), fields=Fields("reports.scorecardrules", changed))
        if changed else AuditText(gettext_noop("Scorecard changed: defaults confirmed")),
        before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
    )
    return rules
