"""Who may call what: chapter endpoints go through chapters/access.py, exactly as the chapter pages do.

`chapter_endpoint(need)` is the API's `chapter_view`: the chapter comes from its slug through
`get_chapter_for_user` (404 for anyone outside it, 403 for a role that lacks `need`), and the
endpoint reads `request.chapter` and `request.access`. `write=True` marks an endpoint that changes
something: it needs a token with the write scope (403 otherwise, before the chapter is even looked up).
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from chapters.access import Need, get_chapter_for_user
from members.models import Membership


def require_write(request) -> None:
    if not request.auth.can_write:
        raise PermissionDenied(_("This token may only read: create a token with read and write access to do this."))


def chapter_endpoint(need: Need = Need.MEMBER, *, write: bool = False):
    def decorator(func):
        @wraps(func)
        def wrapper(request, **kwargs):
            if write:
                require_write(request)
            access = get_chapter_for_user(request, kwargs["chapter_slug"], need)
            request.chapter = access.chapter
            request.access = access
            return func(request, **kwargs)

        wrapper.chapter_need = need  # read by the URL walk (tests/test_access_walk.py)
        wrapper.writes = write
        return wrapper

    return decorator


def own_seat(request) -> Membership:
    """The caller's seat in the chapter; oversight without a seat cannot give, receive or meet (403, as the pages)."""
    membership = request.access.membership
    if membership is None:
        raise PermissionDenied(_("Only members with a seat in this chapter can do this."))
    return membership
