import os

from celery import Celery
from celery.signals import (
    beat_init,
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
)

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


@setup_logging.connect
def _logging_from_settings(**kwargs) -> None:
    """Worker and beat log as the web does (settings.LOGGING: JSON lines with request and task ids).

    A receiver of this signal stops Celery from installing its own handlers and format.
    """
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


# A task carries the id of the request that queued it, so its log lines can be found by that id.
_request_ids: dict[str, object] = {}


@before_task_publish.connect
def _send_request_id(headers=None, **kwargs) -> None:
    from leadsgroups.request_id import request_id_get

    request_id = request_id_get()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


@task_prerun.connect
def _request_id_start(task_id=None, task=None, **kwargs) -> None:
    from leadsgroups.request_id import request_id_get, request_id_set

    # Run eagerly inside a request, it keeps the request's id; queued by beat or a task, its own id.
    request_id = getattr(task.request, "request_id", None) or request_id_get() or task_id
    _request_ids[task_id] = request_id_set(request_id)


@task_postrun.connect
def _request_id_stop(task_id=None, **kwargs) -> None:
    from leadsgroups.request_id import request_id_reset

    token = _request_ids.pop(task_id, None)
    if token is not None:
        request_id_reset(token)


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
