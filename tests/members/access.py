from tests.access_matrix import OVERSIGHT, SIGNED_IN, Route

ROUTES = {
    "notifications": Route(SIGNED_IN, chapter_scoped=False),
    "notifications-read": Route(SIGNED_IN, chapter_scoped=False, method="post"),
    # Following a notice's link (and marking it read): only its addressee; everyone else gets 404.
    "notification-open": Route(
        frozenset({"member"}), chapter_scoped=False, kwargs=lambda p: {"notification_id": _notice(p).pk}
    ),
    "profile": Route(SIGNED_IN, chapter_scoped=False),
    "audit": Route(OVERSIGHT | {"other_region_staff"}, chapter_scoped=False),
}


def _notice(p):
    from members.notifications import notification_send

    return notification_send(user=p.member.user, kind="fine", title="A fine", url="/", email=False)
