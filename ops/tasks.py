from celery import shared_task

from ops import services


@shared_task(soft_time_limit=300, time_limit=360)
def task_runs_prune_task() -> int:
    """Daily: delete task runs past their retention (TASK_RUN_RETENTION_DAYS)."""
    return services.task_runs_prune()
