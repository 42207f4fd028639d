"""Security headers Django 5.2 does not send itself, and the no-store rule for prospect data.

`SecurityHeadersMiddleware` puts a Content-Security-Policy (settings.SECURE_CSP) and a
Permissions-Policy (settings.PERMISSIONS_POLICY) on every response. SECURE_CSP has the shape of
Django 6.0's setting of that name (directive -> list of sources), so moving to Django 6 means
replacing this middleware with `django.middleware.csp.ContentSecurityPolicyMiddleware`, nothing
else. No nonces: no page has an inline script or style (tests/security/test_inline_markup.py).

`prospect_data` marks a view whose responses carry a prospect's name or contact: they are sent
`Cache-Control: private, no-store`, so no shared proxy keeps them and the browser does not write
them to its disk cache (or keep the page for the back button).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.views.decorators.cache import cache_control


def csp_header(policy: Mapping[str, list[str] | tuple[str, ...] | bool]) -> str:
    """`{"script-src": ["'self'"], "upgrade-insecure-requests": True}` as a header value."""
    parts = []
    for directive, sources in policy.items():
        if sources is True:
            parts.append(directive)
        elif sources:
            parts.append(f"{directive} {' '.join(sources)}")
    return "; ".join(parts)


def permissions_policy_header(features: Mapping[str, list[str] | tuple[str, ...]]) -> str:
    """`{"camera": [], "fullscreen": ["self"]}` as `camera=(), fullscreen=(self)`."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in features.items())


def headers_without_middleware(response):
    """The same headers on a response answered before the middleware stack runs (the health check,
    leadsgroups/health.py): this policy, Permissions-Policy, and what Django's SecurityMiddleware adds
    (nosniff, Referrer-Policy)."""
    response.headers.setdefault("Content-Security-Policy", csp_header(settings.SECURE_CSP))
    response.headers.setdefault("Permissions-Policy", permissions_policy_header(settings.PERMISSIONS_POLICY))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if settings.SECURE_REFERRER_POLICY:
        response.headers.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
    return response


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response, unless a view set its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        # Built once per process: the policies are settings, the same for every response.
        self.csp = csp_header(settings.SECURE_CSP)
        self.permissions = permissions_policy_header(settings.PERMISSIONS_POLICY)
        self.debug = settings.DEBUG

    def __call__(self, request):
        response = self.get_response(request)
        # With DEBUG on, a 404 or 500 is Django's technical page (a traceback with inline styles and
        # scripts), never one of ours: it goes without the policy so the developer can read it.
        if self.csp and not (self.debug and response.status_code in (404, 500)):
            response.headers.setdefault("Content-Security-Policy", self.csp)
        if self.permissions:
            response.headers.setdefault("Permissions-Policy", self.permissions)
        return response


def prospect_data(view):
    """The view's responses carry prospect data: `Cache-Control: private, no-store` (put it outermost)."""
    return cache_control(private=True, no_store=True)(view)
