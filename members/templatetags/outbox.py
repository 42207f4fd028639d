"""What a failed email's error means, in words for the people who act on it (the raw error stays for admins)."""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

register = template.Library()

# The error as stored on the row starts with the exception's class name (members/outbox.py).
WORDS = (
    (("SMTPRecipientsRefused",), gettext_lazy("The mail server refused this address: check it, then send again.")),
    (("SMTPSenderRefused",), gettext_lazy("The mail server refused our sender address: an admin needs to look at the mail settings.")),
    (("SMTPAuthenticationError",), gettext_lazy("The app could not sign in to the mail server: an admin needs to look at the mail settings.")),
    (("ConnectionRefusedError", "SMTPConnectError", "SMTPServerDisconnected", "TimeoutError", "socket.timeout",
      "gaierror", "OSError"), gettext_lazy("The mail server could not be reached. Send again once it is back; admins are told.")),
    (("BadHeaderError",), gettext_lazy("The message could not be built from the names in it: correct them, then send again.")),
)


@register.filter
def email_error_words(error: str) -> str:
    """A failed email's error in words: what went wrong and what to do."""
    kind = (error or "").split(":", 1)[0].strip()
    for kinds, words in WORDS:
        if kind in kinds:
            return str(words)
    return _("The email could not be sent. Send again; if it fails again, an admin can see why in the email outbox.")
