import os

from celery import Celery
from celery.signals import beat_init, task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadsgroups.settings")

app = Celery("leadsgroups")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _refuse_development_secret(**kwargs) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from leadsgroups.serving import require_production_settings

    try:
        require_production_settings()
    except ImproperlyConfigured as exc:
        raise SystemExit(str(exc)) from exc  # Celery logs and swallows ordinary exceptions from signals


# The settable clock of the system test (leadsgroups/clock.py): each task runs at the file's time.
_travels: dict[str, object] = {}


@task_prerun.connect
def _clock_start(task_id=None, **kwargs) -> None:
    from leadsgroups.clock import clock_file, clock_travel

    path = clock_file()
    if path is not None:
        travel = clock_travel(path)
        travel.__enter__()
        _travels[task_id] = travel


@task_postrun.connect
def _clock_stop(task_id=None, **kwargs) -> None:
    travel = _travels.pop(task_id, None)
    if travel is not None:
        travel.__exit__(None, None, None)
