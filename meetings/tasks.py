from celery import shared_task

from chapters.models import Chapter
from meetings import services
from meetings.models import Meeting


@shared_task
def meetings_schedule_all() -> int:
    """Daily: fan out one scheduling task per chapter that still meets."""
    ids = list(Chapter.objects.exclude(status=Chapter.Status.CLOSED).values_list("pk", flat=True))
    for pk in ids:
        meetings_schedule_task.delay(pk)
    return len(ids)


@shared_task
def meetings_schedule_task(chapter_id: int) -> int:
    """Create a chapter's meetings for the next weeks; a rerun creates nothing new."""
    chapter = Chapter.objects.get(pk=chapter_id)
    return services.meetings_schedule(chapter=chapter)


@shared_task
def meeting_visitor_followups_task(meeting_id: int) -> int:
    meeting = Meeting.objects.select_related("chapter").get(pk=meeting_id)
    return services.meeting_visitor_followups(meeting=meeting)
