from contextlib import nullcontext

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction

from leadsgroups.i18n import for_user


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        """People join by invitation unless the organisation opens sign-up."""
        return settings.LEADSGROUPS_OPEN_SIGNUP

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Password resets and address confirmations go through the outbox like every email.

        allauth renders the message as it always does (same context as its own send_mail); the
        outbox row replaces its direct `msg.send()`, so a mail server that is down delays the email
        (retried, and listed for admins if it fails for good) instead of failing the page.
        """
        from members.models import OutboundEmail
        from members.outbox import email_queue_message

        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        user = context.get("user")
        # A person with an account reads it in their saved language; otherwise the page's (the browser's).
        with for_user(user) if getattr(user, "language", "") else nullcontext():
            message = self.render_mail(template_prefix, email, ctx)
        with transaction.atomic():
            email_queue_message(message, kind=OutboundEmail.Kind.ACCOUNT)
