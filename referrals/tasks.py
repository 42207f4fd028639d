from celery import shared_task
from django.utils import timezone

from referrals import services


@shared_task
def referrals_mark_stale_task(chapter_id: int) -> int:
    return services.referrals_mark_stale(chapter_id=chapter_id)


@shared_task
def referrals_stale_sweep() -> int:
    """Daily: find chapters with referrals gone stale and fan out one task per chapter."""
    chapter_ids = list(
        services.referrals_stale_due(now=timezone.now())
        .values_list("chapter_id", flat=True)
        .distinct()
        .order_by()
    )
    for chapter_id in chapter_ids:
        referrals_mark_stale_task.delay(chapter_id)
    return len(chapter_ids)
