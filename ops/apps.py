from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from ops import task_signals  # noqa: F401 - connects the Celery signals that record beat runs
