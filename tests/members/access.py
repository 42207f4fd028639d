from tests.access_matrix import OVERSIGHT, SIGNED_IN, Route

ROUTES = {
    "notifications": Route(SIGNED_IN, chapter_scoped=False),
    "notifications-read": Route(SIGNED_IN, chapter_scoped=False, method="post"),
    "profile": Route(SIGNED_IN, chapter_scoped=False),
    "audit": Route(OVERSIGHT | {"other_region_staff"}, chapter_scoped=False),
}
