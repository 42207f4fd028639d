"""Webhook secrets encrypted at rest: the column becomes text, existing secrets are encrypted in place."""

from django.db import migrations, models

import webhooks.secret_box


def secrets_encrypt(apps, schema_editor):
    from webhooks.secret_box import TOKEN_PREFIX, encrypt

    Endpoint = apps.get_model("webhooks", "WebhookEndpoint")
    for pk, secret in Endpoint.objects.values_list("pk", "secret").iterator():
        if secret and not secret.startswith(TOKEN_PREFIX):  # a rerun leaves encrypted rows alone
            Endpoint.objects.filter(pk=pk).update(secret=encrypt(secret))


def secrets_decrypt(apps, schema_editor):
    from webhooks.secret_box import TOKEN_PREFIX, decrypt

    Endpoint = apps.get_model("webhooks", "WebhookEndpoint")
    for pk, secret in Endpoint.objects.values_list("pk", "secret").iterator():
        if secret and secret.startswith(TOKEN_PREFIX):
            Endpoint.objects.filter(pk=pk).update(secret=decrypt(secret))


class Migration(migrations.Migration):

    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [
        # Plain text first (a Fernet token of a secret is about 160 characters), so the rows can be read as stored.
        migrations.AlterField(model_name="webhookendpoint", name="secret", field=models.TextField()),
        migrations.RunPython(secrets_encrypt, secrets_decrypt, elidable=False),
        migrations.AlterField(model_name="webhookendpoint", name="secret",
                              field=webhooks.secret_box.EncryptedSecretField()),
    ]
