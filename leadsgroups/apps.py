from django.apps import AppConfig
from django.core import checks


class LeadsgroupsConfig(AppConfig):
    """The project package as an app: its commands (backup, restore) and its deployment checks."""

    name = "leadsgroups"

    def ready(self):
        from leadsgroups.serving import shared_cache_check

        checks.register(shared_cache_check, checks.Tags.caches, deploy=True)
