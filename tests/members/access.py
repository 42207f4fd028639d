from tests.access_matrix import OVERSIGHT, SIGNED_IN, Route

ROUTES = {
    "notifications": Route(SIGNED_IN, chapter_scoped=False),
    "notifications-read": Route(SIGNED_IN, chapter_scoped=False, method="post"),
    # Following a notice's link (and marking it read): only its addressee; everyone else gets 404.
    "notification-open": Route(
        frozenset({"member"}), chapter_scoped=False, kwargs=lambda p: {"notification_id": _notice(p).pk}
    ),
    "profile": Route(SIGNED_IN, chapter_scoped=False),
    "notification-settings": Route(SIGNED_IN, chapter_scoped=False),
    "audit": Route(OVERSIGHT | {"other_region_staff"}, chapter_scoped=False),
    # The email outbox lists every chapter's emails and account emails: organisation admins only.
    "outbox": Route(frozenset({"org_admin"}), chapter_scoped=False),
    "outbox-retry": Route(
        frozenset({"org_admin"}), chapter_scoped=False, method="post", data=lambda p: {"id": _failed_email(p).pk}
    ),
}


def _failed_email(p):
    from members.models import OutboundEmail

    return OutboundEmail.objects.create(
        kind="notification", to=p.member.user.email, subject="A fine", body="x", status="failed",
        attempts=6, last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )


def _notice(p):
    from members.notifications import notification_send

    return notification_send(user=p.member.user, kind="fine", title="A fine", url="/", email=False)
