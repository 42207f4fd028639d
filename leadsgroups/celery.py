import os

from celery import Celery
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadsgroups.settings")

app = Celery("leadsgroups")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _refuse_development_secret(**kwargs) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from leadsgroups.serving import require_production_secret

    try:
        require_production_secret()
    except ImproperlyConfigured as exc:
        raise SystemExit(str(exc)) from exc  # Celery logs and swallows ordinary exceptions from signals
