from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from django.core import checks

        from webhooks.secret_box import keys_check

        checks.register(keys_check, checks.Tags.security)
