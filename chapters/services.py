"""Writes about chapters."""

from __future__ import annotations

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext_noop

from chapters.models import Chapter
from members.audit import AuditText, Fields, audit_record


@transaction.atomic
def chapter_update(*, chapter: Chapter, by, data: dict) -> Chapter:
    """Apply validated settings to a chapter and record what changed.

    A schedule change replans the upcoming meetings; what that did is left on `chapter.replan`
    (meetings_replan's result, or None) for the settings page to say.
    """
    from meetings.services import SCHEDULE_FIELDS, meetings_replan

    fields = list(data)
    # Read "before" from the database: a bound ModelForm has already changed the instance.
    stored = Chapter.objects.get(pk=chapter.pk)
    before = model_to_dict(stored, fields=fields)
    schedule_before = model_to_dict(stored, fields=list(SCHEDULE_FIELDS))
    for field, value in data.items():
        setattr(chapter, field, value)
    chapter.full_clean()
    chapter.save(update_fields=fields)
    after = model_to_dict(chapter, fields=fields)
    changed = {k: after[k] for k in fields if before[k] != after[k]}
    if changed:
        audit_record(
            actor=by, action="chapter.settings_changed", target=chapter, chapter=chapter,
            summary=AuditText(gettext_noop("Changed chapter settings: %(fields)s"),
                              fields=Fields("chapters.chapter", sorted(changed))),
            before={k: before[k] for k in changed}, after=changed,
        )
    chapter.replan = None
    if any(k in SCHEDULE_FIELDS for k in changed):
        # the upcoming meetings follow the new day, time, length or venue
        chapter.replan = meetings_replan(chapter=chapter, before=schedule_before, by=by)
    return chapter
