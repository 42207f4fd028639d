from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from api.v1 import api as api_v1
from directory import views as directory_views
from home import views as home_views
from leadsgroups import i18n
from leadsgroups.health import healthz
from meetings import views as meeting_views
from members import views as member_views

# Chapter pages: every app mounts its chapter-scoped URLs under /c/<chapter_slug>/.
chapter_patterns = [
    path("", include("chapters.urls")),
    path("meetings/", include("meetings.urls")),
    path("", include("referrals.urls")),
    path("", include("enforcement.urls")),
    path("directory/", include("directory.urls")),
    path("", include("reports.urls")),
    path("", include("portability.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("", include("integrity.urls")),
]

urlpatterns = [
    path("", home_views.dashboard, name="dashboard"),
    path("c/<slug:chapter_slug>/", include(chapter_patterns)),
    path("calendar/<str:token>.ics", meeting_views.calendar_feed, name="calendar-feed"),
    path("invitations/<str:token>/", member_views.invitation_accept, name="invitation-accept"),
    path("", include("referrals.urls_global")),
    path("", include("enforcement.urls_global")),
    path("", include("reports.urls_global")),
    path("", include("integrity.urls_global")),
    path("notifications/", member_views.notification_list, name="notifications"),
    path("notifications/read/", member_views.notification_read, name="notifications-read"),
    path("notifications/<int:notification_id>/", member_views.notification_open, name="notification-open"),
    path("notifications/unsubscribe/<str:token>/", member_views.notification_unsubscribe,
         name="notification-unsubscribe"),
    path("profile/", member_views.profile, name="profile"),
    path("profile/notifications/", member_views.notification_settings, name="notification-settings"),
    path("profile/photo/", member_views.profile_photo, name="profile-photo"),
    path("", include("portability.urls_global")),  # /profile/data/ and /profile/delete/
    path("directory/", directory_views.directory_search, name="directory-search"),
    path("audit/", member_views.audit_global, name="audit"),
    path("outbox/", member_views.outbox_list, name="outbox"),
    path("outbox/retry/", member_views.outbox_retry, name="outbox-retry"),
    path("api/v1/", api_v1.urls),  # the REST API: /api/v1/docs, /api/v1/openapi.json (api/v1.py)
    path("profile/api-tokens/", include("api.urls")),  # personal access tokens for it
    path("healthz", healthz, name="healthz"),
    path("language/", i18n.switch_language, name="switch-language"),
    # the JavaScript translations, by language and version: kept by browsers (i18n.catalogue_url)
    path("jsi18n/<str:code>/<str:version>.js", i18n.JavaScriptCatalogue.as_view(), name="javascript-catalog"),
    path("", include("ops.urls")),  # /dev/outbox/: development only (404 unless DEBUG)
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

# The 400 and 500 pages show the request's id (the 403 and 404 pages read it from the request).
handler400 = "leadsgroups.error_pages.bad_request"
handler500 = "leadsgroups.error_pages.server_error"

if settings.BENCH_ENDPOINTS:  # `make bench` measures a signed-in page against this one; off by default
    from scale import views as scale_views

    urlpatterns.append(path("bench/bare-auth/", scale_views.bare_auth, name="bench-bare-auth"))
