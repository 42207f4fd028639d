"""Who may do what in which chapter: the one place that decides.

Views use `chapter_view`, services and tasks call `access_for` / `ChapterAccess.can`. A person
outside a chapter gets 404 for everything of it, so nothing of the chapter leaks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from chapters.models import Chapter, RegionStaff
from members.models import Membership


class Need(enum.IntEnum):
    """What a page or action asks for, weakest first."""

    MEMBER = 1  # a seated member of the chapter (or someone who oversees it)
    LEADERSHIP = 2  # president, vice-president, secretary-treasurer, or region staff / admin
    OVERSIGHT = 3  # region staff of the chapter's region, or an organisation admin


@dataclass(frozen=True)
class ChapterAccess:
    chapter: Chapter
    membership: Membership | None  # the person's own seat, if they have one
    is_org_admin: bool = False
    is_region_staff: bool = False

    @property
    def is_leadership(self) -> bool:
        return bool(self.membership and self.membership.is_leadership) or self.is_oversight

    @property
    def is_oversight(self) -> bool:
        return self.is_org_admin or self.is_region_staff

    @property
    def is_president(self) -> bool:
        return bool(self.membership and self.membership.is_seated and self.membership.role == Membership.Role.PRESIDENT)

    @property
    def can_appoint_officers(self) -> bool:
        """Who may give or take a role: the president, or region staff and organisation admins."""
        return self.is_president or self.is_oversight

    def can_manage_membership(self, target: Membership) -> bool:
        """Leadership manages members' seats, but nobody their own, and only the president or
        oversight that of an officer (so no officer can remove or demote another)."""
        if not self.is_leadership:
            return False
        if self.membership is not None and target.pk == self.membership.pk:
            return self.is_oversight
        if target.role != Membership.Role.MEMBER:
            return self.can_appoint_officers
        return True

    def can(self, need: Need) -> bool:
        if need is Need.OVERSIGHT:
            return self.is_oversight
        if need is Need.LEADERSHIP:
            return self.is_leadership
        return True  # having a ChapterAccess at all means the chapter is visible


def access_for(user, chapter: Chapter) -> ChapterAccess | None:
    """The person's standing in the chapter, or None if the chapter is not theirs to see."""
    if not user.is_authenticated or not user.is_active:
        return None
    membership = (
        Membership.objects.select_related("classification")
        .filter(user=user, chapter=chapter, status__in=Membership.SEATED_STATUSES)
        .first()
    )
    is_admin = bool(user.is_org_admin)
    is_staff = (
        not is_admin
        and chapter.region_id is not None
        and RegionStaff.objects.filter(user=user, region_id=chapter.region_id).exists()
    )
    if membership is None and not (is_admin or is_staff):
        return None
    if membership is not None:
        membership.chapter = chapter  # spare later code a query
    return ChapterAccess(chapter=chapter, membership=membership, is_org_admin=is_admin, is_region_staff=is_staff)


def get_chapter_for_user(request, slug: str, need: Need = Need.MEMBER) -> ChapterAccess:
    """Resolve the chapter and the person's access; 404 outside it, 403 for a lacking role."""
    chapter = Chapter.objects.select_related("region").filter(slug=slug).first()
    access = access_for(request.user, chapter) if chapter is not None else None
    if access is None:
        raise Http404(_("No such chapter."))
    if not access.can(need):
        raise PermissionDenied(_("Your role in this chapter does not allow this."))
    return access


def chapter_view(need: Need = Need.MEMBER):
    """Decorate a view taking `chapter_slug`: sign-in required, then the chapter resolved by `get_chapter_for_user`.

    The view receives `request.chapter` and `request.access`.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, chapter_slug, *args, **kwargs):
            if not request.user.is_authenticated:
                if getattr(request, "htmx", False):
                    # A live fragment must not swap a sign-in page into the page: send the whole
                    # browser to sign in, then back to the page the person was on.
                    back = request.htmx.current_url_abs_path or request.get_full_path()
                    return HttpResponseClientRedirect(redirect_to_login(back).url)
                return redirect_to_login(request.get_full_path())
            access = get_chapter_for_user(request, chapter_slug, need)
            request.chapter = access.chapter
            request.access = access
            return view(request, *args, **kwargs)

        wrapper.chapter_need = need  # read by the URL walk test
        return wrapper

    return decorator


def chapters_visible_to(user):
    """Chapters a person may open: their seats, plus what they oversee."""
    if not user.is_authenticated:
        return Chapter.objects.none()
    if user.is_org_admin:
        return Chapter.objects.all()
    return Chapter.objects.filter(
        pk__in=Membership.objects.filter(user=user, status__in=Membership.SEATED_STATUSES).values("chapter")
    ) | Chapter.objects.filter(region__staff__user=user)


def regions_overseen_by(user):
    """Region ids whose chapters a person oversees; None means every region (organisation admin)."""
    if user.is_org_admin:
        return None
    return list(RegionStaff.objects.filter(user=user).values_list("region_id", flat=True))


def require_oversight(user) -> None:
    """Raise unless the person is an organisation admin or region staff."""
    if not user.is_authenticated:
        raise PermissionDenied
    if not (user.is_org_admin or RegionStaff.objects.filter(user=user).exists()):
        raise PermissionDenied(_("Only organisation admins and region staff may see this."))
