from celery import shared_task

from portability import chapter_export, erasure, retention


@shared_task(soft_time_limit=600, time_limit=660)
def chapter_export_build_task(export_id: int) -> bool:
    """Build one chapter export (a claim keeps a second delivery of the task from building it again)."""
    return chapter_export.export_build(export_id=export_id)


@shared_task(soft_time_limit=600, time_limit=660)
def erasure_scrub_task(erasure_id: int) -> int:
    """Replace a deleted account's name, email, phone and business everywhere (idempotent)."""
    return erasure.erasure_scrub(erasure_id=erasure_id)


@shared_task
def portability_sweep() -> dict:
    """Every 5 minutes: build exports whose task was lost, finish erasures whose scrub was lost."""
    exports = chapter_export.exports_stale_ids()
    for pk in exports:
        chapter_export_build_task.delay(pk)
    erasures = erasure.erasures_pending_ids()
    for pk in erasures:
        erasure_scrub_task.delay(pk)
    return {"exports": len(exports), "erasures": len(erasures)}


@shared_task(soft_time_limit=600, time_limit=660)
def data_retention_prune_task() -> dict:
    """Daily: expired API tokens, finished webhook deliveries, expired exports and old prospects' data."""
    return retention.pruned_dict(retention.data_retention_prune(max_batches=100))
