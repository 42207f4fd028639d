"""A person's own notifications."""

from typing import Annotated

from ninja import Query, Router

from api.operations import answers, paginate
from api.schemas import NotificationOut, PageIn, page_of
from members.models import Notification

router = Router(tags=["notifications"])

Unread = Annotated[bool, Query(description="Only those not read yet.")]


def _notification(n: Notification) -> dict:
    return {
        "id": n.pk, "kind": n.kind, "title": n.title, "body": n.body, "url": n.url,
        "chapter": n.chapter.slug if n.chapter_id else None, "created_at": n.created_at, "read_at": n.read_at,
    }


@router.get("/notifications", response=answers(page_of(NotificationOut)), summary="My notifications, newest first")
def notification_list(request, paging: Query[PageIn], unread: Unread = False):
    notices = Notification.objects.filter(user=request.user).select_related("chapter").order_by("-created_at", "-pk")
    if unread:
        notices = notices.filter(read_at__isnull=True)
    return paginate(notices, paging, _notification)
