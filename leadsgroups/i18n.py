"""Whose language a page, an email or a notice is in, and the switcher that sets it.

* A person with an account reads in their own language: ``User.language`` once chosen (the profile or
  the switcher in the navigation), the browser's ``Accept-Language`` until then (Django's
  LocaleMiddleware picks it, or the cookie the switcher sets for someone not signed in).
* People without an account (a referred prospect, an invitee, a visitor) read in their chapter's
  language: ``Chapter.language``, applied with ``for_chapter``.
* Emails and notices to a member are rendered in that member's language (``for_user``), whatever the
  language of the person whose action sent them.

English comes in two variants that differ only in formats (``en-gb``: 24-hour times, day before month;
``en-us``: 12-hour times, month first); its words are the source strings, so neither needs a catalogue.
"""

from __future__ import annotations

import functools
import hashlib
from contextlib import contextmanager
from pathlib import Path

import django
from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.i18n import JavaScriptCatalog

LANGUAGE_CODES = frozenset(code for code, _ in settings.LANGUAGES)


def supported(code: str | None) -> str | None:
    """The code as one of settings.LANGUAGES (``de-at`` → ``de``), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


@contextmanager
def language(code: str | None):
    """Render in ``code`` (or the site's default when it is empty or unknown)."""
    with translation.override(supported(code) or settings.LANGUAGE_CODE):
        yield


def for_user(user):
    """The language of what is sent to ``user``: their choice, else the site's default.

    The browser's language is known only during a request; an email built by a worker uses the
    choice saved on the account (the switcher and the profile save it).
    """
    return language(getattr(user, "language", "") or None)


def for_chapter(chapter):
    """The language of what goes to people of ``chapter`` without an account (prospects, invitees)."""
    return language(getattr(chapter, "language", "") or None)


class UserLanguageMiddleware:
    """After authentication: a signed-in person's saved language wins over the browser's.

    LocaleMiddleware (before it) has already activated the browser's or the cookie's language; this
    re-activates the account's choice so pages match the emails the person gets.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if chosen and chosen in LANGUAGE_CODES and chosen != request.LANGUAGE_CODE:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)


@require_POST
def switch_language(request):
    """The navigation's language switcher: saved on the account when signed in, and in a cookie.

    Like django.views.i18n.set_language (which it replaces so the choice also reaches emails sent
    later by the worker), it goes back to ``next`` when that is a page of this site.
    """
    code = supported(request.POST.get("language"))
    # The switcher sits in the cached navigation, so it names no page: back to where it was used.
    next_url = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if code is None or code not in LANGUAGE_CODES:
        return response
    if request.user.is_authenticated and request.user.language != code:
        request.user.language = code
        request.user.save(update_fields=["language"])
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


# The JavaScript catalogue --------------------------------------------------------------------------


@functools.cache
def catalogue_version() -> str:
    """Names the JavaScript catalogues as compiled: changes when a djangojs .mo file (or Django) does.

    Computed once per process: a deploy ships new .mo files and restarts the processes.
    """
    digest = hashlib.sha256(django.get_version().encode())
    for root in settings.LOCALE_PATHS:
        for path in sorted(Path(root).glob("*/LC_MESSAGES/djangojs.mo")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def catalogue_url(code: str) -> str:
    """The address of the catalogue of language ``code``: a new address whenever the words change."""
    return reverse("javascript-catalog", args=[supported(code) or settings.LANGUAGE_CODE, catalogue_version()])


class JavaScriptCatalogue(JavaScriptCatalog):
    """Django's catalogue view, with the language and the version in its address, so browsers keep it.

    The address names everything the answer depends on: served with the current version it may be
    kept for a year, unchanged, by browsers and proxies alike; asked for with an older version (a page
    cached before a deploy) it is served fresh and not kept.
    """

    def get(self, request, *args, code: str, version: str, **kwargs):
        language_code = supported(code)
        if language_code is None or language_code != code:
            raise Http404("No such language.")
        with translation.override(language_code):
            response = super().get(request, *args, **kwargs)
        if version == catalogue_version():
            patch_cache_control(response, public=True, max_age=365 * 24 * 3600, immutable=True)
        else:
            patch_cache_control(response, no_cache=True)
        return response
