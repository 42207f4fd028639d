"""How the processes log: one line per record, JSON in production and short text in development.

`logging_config()` builds settings.LOGGING; web, worker and beat all use it (Celery is told not to
set up logging of its own: leadsgroups/celery.py). Every record gets the request id of its request
or task, and inside a task the task's name and id. A JSON line holds time, level, logger, message,
request_id, whatever the caller passed in `extra` (a request's method, path, status, duration_ms and
user_id; a failed task's args and chapter), and the traceback as `exc`.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from celery._state import get_current_task

from leadsgroups.request_id import request_id_get

FORMATS = ("json", "text")

# What every LogRecord has; anything else on a record came in `extra` and goes into the JSON object.
_RECORD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# django.request's request object (the line already has method and path) and Celery's `data`
# context (repeated in the message).
_NOT_LOGGED = {"request", "data"}


class ContextFilter(logging.Filter):
    """Adds the current request id, and the running task's name and id, to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_get()
        if not hasattr(record, "task"):
            task = get_current_task()
            if task is not None and task.request.id:
                record.task = task.name
                record.task_id = task.request.id
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and key not in _NOT_LOGGED and key not in line and value is not None:
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class RefusalsOnce(logging.Filter):
    """A refused request (4xx) is one line, and no traceback: a refusal is not a crash.

    The request line (leadsgroups/request_id.py) already says method, path, status and user, so
    django.request's own "Not Found: /x" / "Forbidden (Permission denied): /x" is dropped (the
    latter came with the PermissionDenied traceback). Other loggers' refusals (django.security:
    a disallowed host, a CSRF failure) say why, so they stay, without traceback. 5xx keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is None or not 400 <= status < 500:
            return True
        if record.name == "django.request":
            return False
        record.exc_info = None
        record.exc_text = None
        return True


class CeleryFailureLoggedOnce(logging.Filter):
    """Celery's own "Task … raised unexpected" record: dropped, ops/task_signals.py logs the failure
    with the same words plus the task's arguments and chapter (one traceback per failure, not two)."""

    def filter(self, record: logging.LogRecord) -> bool:
        data = getattr(record, "data", None)
        return not (isinstance(data, dict) and data.get("description") == "raised unexpected")


def logging_config(*, fmt: str, level: str, task_lines: bool) -> dict:
    """settings.LOGGING. `task_lines`: Celery's line per task received and done, and beat's per task sent."""
    task_level = {} if task_lines else {"level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": ContextFilter},
            "refusals_once": {"()": RefusalsOnce},
            "celery_failure_once": {"()": CeleryFailureLoggedOnce},
        },
        "formatters": {
            "json": {"()": JsonFormatter},
            "text": {"format": "%(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": fmt, "filters": ["context", "refusals_once"]},
            # Not no handler: a record no handler takes goes to Python's last resort, printed bare on stderr.
            "discard": {"class": "logging.NullHandler"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's defaults print its records on a handler of their own (and mail 500s to ADMINS,
            # who get Sentry and the task alerts instead): here they reach the root's handler only, once.
            "django": {"handlers": [], "propagate": True},
            # runserver's line per request: the request line says the same.
            "django.server": {"handlers": ["discard"], "propagate": False},
            "django.db.backends": {"level": "INFO"},
            "celery.app.trace": {"filters": ["celery_failure_once"], **task_level},
            "celery.worker.strategy": task_level,
            "celery.beat": task_level,
        },
    }
