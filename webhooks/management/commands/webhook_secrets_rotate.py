"""Re-encrypt every webhook secret under the first key of WEBHOOK_SECRET_KEYS, so older keys can be dropped."""

from django.core.management.base import BaseCommand
from django.db import transaction

from webhooks.models import WebhookEndpoint


class Command(BaseCommand):
    help = "Re-encrypt every webhook endpoint's secret under the first key of WEBHOOK_SECRET_KEYS."

    def handle(self, *args, **options):
        with transaction.atomic():
            endpoints = WebhookEndpoint.objects.select_for_update().only("pk", "secret").order_by("pk")
            for endpoint in endpoints:  # read with any key of the list, written with the first
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=endpoint.secret)
            count = len(endpoints)
        self.stdout.write(f"{count} webhook secrets re-encrypted under the first key.")
