"""The 400 and 500 pages with the request's id, which Django's own views render without any context.

They render without the request or context processors, as Django requires of the 500 page: the
error may lie in what those need (the database, the session). If even that fails, a line of text
with the id still goes out.
"""

from django.http import HttpResponseBadRequest, HttpResponseServerError
from django.template import loader
from django.utils.translation import gettext
from django.views.decorators.csrf import requires_csrf_token

from leadsgroups.request_id import request_id_get


def _page(template_name: str, fallback: str, response_class):
    request_id = request_id_get()
    try:
        body = loader.get_template(template_name).render({"request_id": request_id})
    except Exception:  # noqa: BLE001 - the error page must not fail in its turn
        reference = gettext("Reference:")
        body = f"{fallback} {reference} {request_id or '-'}"
        return response_class(body, content_type="text/plain; charset=utf-8")
    return response_class(body)


@requires_csrf_token
def bad_request(request, exception=None):
    return _page("400.html", gettext("Bad request (400)."), HttpResponseBadRequest)


@requires_csrf_token
def server_error(request):
    return _page("500.html", gettext("Server error (500)."), HttpResponseServerError)
