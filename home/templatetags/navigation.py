"""Template tags for the base template: its top bar rendered once per version of the person's navigation,
and its static file links looked up once per process.

`{% nav_fragment %}…{% end_nav_fragment %}` keeps what it renders in this process's memory, under the
person's navigation stamp (home.navigation: the versions their navigation was built at, read from the
shared cache on every page). Any change that makes the navigation stale moves the stamp on, so a kept
fragment is never shown after a change; it is keyed by the person's id, so never shown to anyone else.
The CSRF token is not kept: the fragment is rendered with a marker in its place and each page puts its
own token in. Without a stamp (the navigation cache off, as in most tests) it renders every time.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

from django import template
from django.core.signals import setting_changed
from django.templatetags.static import static
from django.utils.safestring import SafeString

register = template.Library()

FRAGMENTS_KEPT = 2000  # per process, least recently used first out (a top bar is ~2 kB)

_CSRF_MARK = f"csrf-{secrets.token_hex(16)}"  # unguessable: page content can never contain it by chance


class _Fragments:
    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            html = self.items.get(key)
            if html is not None:
                self.items.move_to_end(key)
            return html

    def set(self, key, html) -> None:
        with self.lock:
            self.items[key] = html
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


fragments = _Fragments(FRAGMENTS_KEPT)


def _key(context, name: str, extra: tuple):
    """What the fragment depends on beyond the person's navigation, or None when it is not kept."""
    from django.urls import get_script_prefix
    from django.utils.translation import get_language

    from home.navigation import nav_state, outbox_failed_count

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    stamp = nav_state(user).get("stamp")
    if stamp is None:  # the navigation cache is off: nothing says when the fragment would go stale
        return None
    chapter, access = context.get("nav_chapter"), context.get("nav_access")
    return (
        name,
        context.template.origin.name if context.template else "",  # a page may override a block inside
        user.pk, stamp, user.get_short_name(), user.is_staff,  # the user row as this request loaded it
        (chapter.pk, chapter.name, chapter.slug) if chapter else None,
        bool(getattr(access, "membership", None)),
        outbox_failed_count() if user.is_org_admin else 0,  # kept apart from the navigation (its own cache)
        get_script_prefix(),
        get_language(),  # the words are in the reader's language
        extra,  # what the fragment shows that the navigation's versions do not cover, as values
    )


class NavFragmentNode(template.Node):
    def __init__(self, name: str, extra: list, nodelist):
        self.name, self.extra, self.nodelist = name, extra, nodelist

    def render(self, context):
        key = _key(context, self.name, tuple(value.resolve(context) for value in self.extra))
        if key is None:
            return self.nodelist.render(context)
        html = fragments.get(key)
        if html is None:
            with context.push(csrf_token=_CSRF_MARK):
                html = self.nodelist.render(context)
            fragments.set(key, html)
        if _CSRF_MARK in html:
            html = html.replace(_CSRF_MARK, str(context.get("csrf_token") or ""))
        return SafeString(html)


@register.tag
def nav_fragment(parser, token):
    """{% nav_fragment "name" [value …] %}…{% end_nav_fragment %}: rendered once per navigation stamp.

    What the fragment shows must come from the person's navigation (home.navigation), their user row,
    the page's chapter or the values named after the name: those values are part of the key.
    """
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("nav_fragment takes a quoted name, then the values it depends on")
    nodelist = parser.parse(("end_nav_fragment",))
    parser.delete_first_token()
    return NavFragmentNode(bits[1].strip("\"'"), [parser.compile_filter(bit) for bit in bits[2:]], nodelist)


_static_urls: dict[str, str] = {}


@register.simple_tag
def static_once(path: str) -> str:
    """{% static %} looked up once per process: with the manifest storage each lookup costs ~30 µs."""
    url = _static_urls.get(path)
    if url is None:
        url = _static_urls[path] = static(path)
    return url


def _forget(*, setting, **kwargs):
    if setting in ("STATIC_URL", "STORAGES", "STATIC_ROOT"):
        _static_urls.clear()
    fragments.clear()


setting_changed.connect(_forget, dispatch_uid="home-navigation-tags-settings")
