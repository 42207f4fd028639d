"""The development outbox (/dev/outbox/): the emails the development backend kept, for staff, with DEBUG only."""

from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from ops.dev_email import dev_outbox_dir, dev_outbox_message, dev_outbox_names, message_parts

LISTED = 200


def dev_staff_only(view):
    """404 unless DEBUG is on (it does not exist in production), then sign-in, then staff only."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.DEBUG:
            raise Http404(_("The development outbox exists only with DEBUG on."))
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied(_("The development outbox is for staff (sign in as the organisation admin)."))
        return view(request, *args, **kwargs)

    return never_cache(wrapped)


@dev_staff_only
def dev_outbox(request):
    parser = BytesHeaderParser(policy=default_policy)
    folder = dev_outbox_dir()
    names = dev_outbox_names()
    rows = []
    for name in names[:LISTED]:
        with (folder / f"{name}.eml").open("rb") as f:
            headers = parser.parse(f)
        rows.append({"name": name, "to": headers["To"], "subject": headers["Subject"], "date": headers["Date"]})
    return render(request, "ops/dev_outbox.html", {"rows": rows, "total": len(names), "folder": folder,
                                                   "listed": LISTED})


@dev_staff_only
def dev_outbox_detail(request, name: str):
    message = dev_outbox_message(name)
    if message is None:
        raise Http404(_("No such email in the development outbox."))
    text, html = message_parts(message)
    headers = [(key, message[key]) for key in ("Subject", "From", "To", "Cc", "Reply-To", "Date") if message[key]]
    return render(request, "ops/dev_outbox_detail.html",
                  {"name": name, "headers": headers, "text": text, "has_html": bool(html)})


@dev_staff_only
def dev_outbox_html(request, name: str):
    """The HTML part as the recipient's mail program shows it: sandboxed, no scripts, no access to the site."""
    message = dev_outbox_message(name)
    html = message_parts(message)[1] if message is not None else ""
    if not html:
        raise Http404(_("This email has no HTML part."))
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'"
    return response
