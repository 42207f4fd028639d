"""Endpoint secrets are stored encrypted (Fernet, keys from settings), still sign, survive key rotation."""

from importlib import import_module

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from referrals import services as referral_services
from webhooks import secret_box, services, signing, tasks
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _column(endpoint) -> str:
    """The secret as the database holds it (the model field would decrypt it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhookendpoint WHERE id = %s", [endpoint.pk])
        return cursor.fetchone()[0]


def _column_set(endpoint, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE webhooks_webhookendpoint SET secret = %s WHERE id = %s", [value, endpoint.pk])


def test_the_column_holds_no_clear_secret(personas, receiver):
    endpoint, secret = services.endpoint_create(chapter=personas.chapter, url=receiver.url, events=["referral.given"],
                                                description="", by=personas.president.user)
    stored = _column(endpoint)
    assert secret.startswith("whsec_") and secret not in stored and secret[6:] not in stored
    assert stored.startswith(secret_box.TOKEN_PREFIX)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret


def test_a_renewed_secret_is_encrypted_too(personas, endpoint):
    secret = services.endpoint_secret_renew(endpoint=endpoint, by=personas.president.user)
    assert secret not in _column(endpoint) and WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret


def test_a_delivery_is_signed_with_the_decrypted_secret(personas, receiver):
    endpoint, secret = services.endpoint_create(chapter=personas.chapter, url=receiver.url, events=["referral.given"],
                                                description="", by=personas.president.user)
    referral_services.referral_give(chapter=personas.chapter, giver=personas.member, receiver=personas.member2,
                                    kind="inside")
    assert tasks.webhook_delivery_send_task(WebhookDelivery.objects.get().pk) is True
    [got] = receiver.requests
    assert signing.signature_verify(secret=secret, headers=got["headers"], body=got["body"])


def test_an_old_key_still_decrypts_and_the_rotate_command_moves_rows_to_the_new_one(personas, receiver, settings):
    settings.WEBHOOK_SECRET_KEYS = [OLD_KEY]
    endpoint, secret = services.endpoint_create(chapter=personas.chapter, url=receiver.url, events=["referral.given"],
                                                description="", by=personas.president.user)
    settings.WEBHOOK_SECRET_KEYS = [NEW_KEY, OLD_KEY]  # a new key first: it encrypts, both decrypt
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret
    assert Fernet(OLD_KEY.encode()).decrypt(_column(endpoint).encode()).decode() == secret
    call_command("webhook_secrets_rotate", stdout=open("/dev/null", "w"))
    assert Fernet(NEW_KEY.encode()).decrypt(_column(endpoint).encode()).decode() == secret
    settings.WEBHOOK_SECRET_KEYS = [NEW_KEY]  # the old key dropped
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret


def test_without_its_key_a_delivery_fails_saying_why_and_the_pages_still_work(client, personas, receiver, settings):
    settings.WEBHOOK_SECRET_KEYS = [OLD_KEY]
    endpoint, _secret = services.endpoint_create(chapter=personas.chapter, url=receiver.url,
                                                 events=["referral.given"], description="", by=personas.president.user)
    settings.WEBHOOK_SECRET_KEYS = [NEW_KEY]  # the old key dropped too early
    referral_services.referral_give(chapter=personas.chapter, giver=personas.member, receiver=personas.member2,
                                    kind="inside")  # the event is still written: emitting never decrypts
    d = WebhookDelivery.objects.get()
    assert tasks.webhook_delivery_send_task(d.pk) is False
    d.refresh_from_db()
    assert d.status == "failed" and "WEBHOOK_SECRET_KEYS" in d.last_error and receiver.requests == []
    client.force_login(personas.president.user)
    assert client.get(personas.url("webhooks:detail", endpoint.pk)).status_code == 200
    assert client.get(personas.url("webhooks:list")).status_code == 200
    html = client.post(personas.url("webhooks:secret", endpoint.pk)).content.decode()  # a new secret mends it
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret in html


def test_unset_the_key_comes_from_secret_key_and_its_fallbacks_still_decrypt(personas, endpoint, settings):
    settings.WEBHOOK_SECRET_KEYS = []
    endpoint.secret = "whsec_derived"
    endpoint.save()
    old = settings.SECRET_KEY
    assert Fernet(secret_box.derived_key(old)).decrypt(_column(endpoint).encode()) == b"whsec_derived"
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key-" + "x" * 40, [old]
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == "whsec_derived"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(secret_box.SecretUndecryptable):
        WebhookEndpoint.objects.get(pk=endpoint.pk)


def test_a_key_that_is_not_a_fernet_key_fails_the_checks(settings):
    settings.WEBHOOK_SECRET_KEYS = [NEW_KEY, "not-a-key"]
    errors = [e for e in run_checks() if e.id == "webhooks.E001"]
    assert len(errors) == 1 and "key 2" in errors[0].msg


def test_the_migration_encrypts_existing_secrets_and_its_reverse_decrypts_them(personas, endpoint):
    _column_set(endpoint, "whsec_stored-in-clear")  # as rows were before 0002
    migration = import_module("webhooks.migrations.0002_endpoint_secret_encrypted")
    state = MigrationExecutor(connection).loader.project_state(("webhooks", "0001_initial"))
    migration.secrets_encrypt(state.apps, None)
    stored = _column(endpoint)
    assert "stored-in-clear" not in stored and WebhookEndpoint.objects.get(pk=endpoint.pk).secret == "whsec_stored-in-clear"
    migration.secrets_encrypt(state.apps, None)  # a rerun leaves encrypted rows alone
    assert _column(endpoint) == stored
    migration.secrets_decrypt(state.apps, None)
    assert _column(endpoint) == "whsec_stored-in-clear"


def test_the_django_admin_offers_no_page_that_could_show_a_secret():
    from django.contrib import admin

    for model, model_admin in admin.site._registry.items():
        fields = {f.name for f in model._meta.concrete_fields}
        assert model is not WebhookEndpoint and not (
            "secret" in fields and model._meta.app_label == "webhooks"), model_admin
