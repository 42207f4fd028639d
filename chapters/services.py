"""Writes about chapters."""

from __future__ import annotations

from django.db import transaction
from django.forms.models import model_to_dict

from chapters.models import Chapter
from members.audit import audit_record


@transaction.atomic
def chapter_update(*, chapter: Chapter, by, data: dict) -> Chapter:
    """Apply validated settings to a chapter and record what changed."""
    fields = list(data)
    # Read "before" from the database: a bound ModelForm has already changed the instance.
    before = model_to_dict(Chapter.objects.get(pk=chapter.pk), fields=fields)
    for field, value in data.items():
        setattr(chapter, field, value)
    chapter.full_clean()
    chapter.save(update_fields=fields)
    after = model_to_dict(chapter, fields=fields)
    changed = {k: after[k] for k in fields if before[k] != after[k]}
    if changed:
        audit_record(
            actor=by, action="chapter.settings_changed", target=chapter, chapter=chapter,
            summary=f"Changed chapter settings: {', '.join(sorted(changed))}",
            before={k: before[k] for k in changed}, after=changed,
        )
    return chapter
