"""The demo organisation as the accessibility checks visit it: who signs in, and which pages each opens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlparse

from django.core.management import call_command
from django.utils import timezone

from chapters.demo import DEMO_PASSWORD, DOMAIN
from chapters.models import Chapter
from enforcement.models import ExpulsionCase, Fine
from meetings.models import Meeting
from members.models import Membership, Notification, User
from members.notifications import notification_send
from referrals.services import consent_request_send
from tests.referrals.factories import ReferralFactory

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
}


@dataclass
class World:
    """The demo organisation with what the key pages need: an open meeting, a case, a fine, a consent link."""

    emails: dict[str, str]
    pages: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # role: [(label, path)]


def demo_world() -> World:
    """The demo (seed_demo) and, in Riverside, a meeting under way, a consent link and unread notices."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    chapter = Chapter.objects.get(slug="riverside")
    c = f"/c/{chapter.slug}"
    case = ExpulsionCase.objects.filter(chapter=chapter, status=ExpulsionCase.Status.OPEN).select_related(
        "membership__user").first()
    member = case.membership
    fine = Fine.objects.filter(membership=member).order_by("-period_start").first()
    president = Membership.objects.get(chapter=chapter, role=Membership.Role.PRESIDENT)
    admin = User.objects.get(email=f"admin@{DOMAIN}")
    starts = timezone.now() - timedelta(minutes=10)  # under way: its roll call is open
    meeting = Meeting.objects.create(
        chapter=chapter, kind=Meeting.Kind.ONE_OFF, starts_at=starts,
        local_date=starts.astimezone(chapter.tz).date(), venue="The Riverside Hotel, Quay Street",
    )
    receiver = Membership.objects.filter(chapter=chapter, status=Membership.Status.ACTIVE).exclude(
        pk__in=[member.pk, president.pk]).first()
    referral = ReferralFactory(giver=member, receiver=receiver, chapter=chapter)
    _, link = consent_request_send(referral=referral, by=member)
    for user in (member.user, president.user, admin):  # the unread count shows in the navigation
        notification_send(user=user, kind=Notification.Kind.MEMBERSHIP, title="Welcome back", email=False)

    everyone = [
        ("dashboard", "/"), ("chapter home", f"{c}/"), ("roster", f"{c}/roster/"),
        ("directory", f"{c}/directory/"), ("meeting list", f"{c}/meetings/"),
        ("open meeting", f"{c}/meetings/{meeting.pk}/"), ("fine", f"{c}/fines/{fine.pk}/"),
        ("case", f"{c}/cases/{case.pk}/"), ("notifications", "/notifications/"), ("profile", "/profile/"),
        ("scorecard", f"{c}/members/{member.pk}/scorecard/"),
    ]
    seated = [
        ("referral inbox", f"{c}/referrals/"), ("new referral", f"{c}/referrals/new/"),
        ("my fines", f"{c}/fines/mine/"),
    ]
    leadership = [
        ("chapter referrals", f"{c}/referrals/all/"), ("chapter settings", f"{c}/settings/"),
        ("chapter health", f"{c}/reports/health/"), ("fines", f"{c}/fines/"),
        ("run sheet", f"{c}/meetings/{meeting.pk}/run-sheet/"),
    ]
    emails = {"member": member.user.email, "president": president.user.email, "admin": admin.email}
    world = World(emails=emails)
    world.pages = {
        "member": [*everyone, *seated, ("referral", f"{c}/referrals/{referral.pk}/")],
        "president": [*everyone, *seated, *leadership],
        "admin": [*everyone, *leadership, ("referral", f"{c}/referrals/{referral.pk}/"),
                  ("case queue", "/cases/"), ("organisation overview", "/org/overview/")],
        "signed out": [("sign-in", "/accounts/login/"), ("consent", urlparse(link).path)],
    }
    return world


def sign_in(page, live_server, email: str) -> None:
    """Through the real sign-in form (the page's first form is the language switcher's)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("main input[name=login]", email)
    page.fill("main input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
