"""The security headers middleware: the policy from settings, left to a view that sets its own, off Django's debug pages."""

from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from leadsgroups.security_headers import SecurityHeadersMiddleware, csp_header, permissions_policy_header


def test_headers_are_written_from_the_settings(settings):
    settings.SECURE_CSP = {"default-src": ["'self'"], "img-src": ["'self'", "data:"], "upgrade-insecure-requests": True,
                           "report-uri": []}
    settings.PERMISSIONS_POLICY = {"camera": [], "fullscreen": ["self"]}
    response = SecurityHeadersMiddleware(lambda request: HttpResponse())(RequestFactory().get("/"))
    assert response["Content-Security-Policy"] == "default-src 'self'; img-src 'self' data:; upgrade-insecure-requests"
    assert response["Permissions-Policy"] == "camera=(), fullscreen=(self)"


def test_a_view_that_sets_its_own_policy_keeps_it(settings):
    def view(request):
        response = HttpResponse()
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = SecurityHeadersMiddleware(view)(RequestFactory().get("/"))
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Permissions-Policy"] == permissions_policy_header(settings.PERMISSIONS_POLICY)


def test_djangos_debug_404_page_goes_without_the_policy_in_development_only(client, settings, db):
    settings.DEBUG = True
    debug_404 = client.get("/no-such-page/")
    assert debug_404.status_code == 404 and "Content-Security-Policy" not in debug_404
    assert client.get(reverse("account_login"))["Content-Security-Policy"] == csp_header(settings.SECURE_CSP)
    settings.DEBUG = False
    assert Client().get("/no-such-page/")["Content-Security-Policy"] == csp_header(settings.SECURE_CSP)
