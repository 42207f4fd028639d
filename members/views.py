from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from leadsgroups.i18n import supported
from leadsgroups.security_headers import prospect_data
from members import outbox, photos, selectors, services
from members.audit_display import audit_changes_attach
from members.delivery import Delivery
from members.forms import AcceptInvitationForm, NotificationSettingsForm, ProfileForm
from members.models import Notification, Profile
from members.notifications import notification_delivery_update, notifications_mark_read
from members.notifications import notification_unsubscribe as notification_unsubscribe_service
from members.photos import photo_response


def _read_in_chapter_language(request, chapter) -> None:
    """An invitee has no account: the page is in the chapter's language, as the email was.

    Unless they are signed in (their own language) or chose one with the switcher (its cookie).
    """
    if request.user.is_authenticated or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        return
    code = supported(chapter.language)
    if code:
        translation.activate(code)
        request.LANGUAGE_CODE = code  # LocaleMiddleware's Content-Language follows


def invitation_accept(request, token: str):
    invitation = services.invitation_for_token(token)
    if invitation is not None:
        _read_in_chapter_language(request, invitation.chapter)
    if invitation is None or not invitation.is_open:
        return render(request, "members/invitation_invalid.html", {"invitation": invitation}, status=410)
    signed_in = request.user.is_authenticated
    form = None if signed_in else AcceptInvitationForm(
        request.POST or None, email=invitation.email, initial={"full_name": invitation.full_name}
    )
    error = None
    if signed_in and request.user.email.lower() != invitation.email.lower():
        error = _("This invitation is for %(invited)s; you are signed in as %(email)s. "
                  "Sign out first if the invitation is yours.") % {"invited": invitation.email,
                                                                   "email": request.user.email}
        return render(
            request, "members/invitation_accept.html",
            {"invitation": invitation, "form": None, "error": error, "wrong_account": True},
        )
    if request.method == "POST" and (signed_in or form.is_valid()):
        try:
            membership = services.invitation_accept(
                invitation=invitation,
                user=request.user if signed_in else None,
                full_name="" if signed_in else form.cleaned_data["full_name"],
                password="" if signed_in else form.cleaned_data["password1"],
                language=translation.get_language(),
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            if not signed_in:
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to %(chapter)s!") % {"chapter": membership.chapter})
            return redirect("chapters:home", membership.chapter.slug)
    return render(
        request, "members/invitation_accept.html", {"invitation": invitation, "form": form, "error": error}
    )


@login_required
def notification_list(request):
    notifications = Notification.objects.filter(user=request.user).select_related("chapter")
    unread_only = bool(request.GET.get("unread"))
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(request, "members/notifications.html", {"page": page, "unread_only": unread_only})


@login_required
def notification_open(request, notification_id: int):
    """Follow a notification's link, marking it read: opening a notice is reading it."""
    from chapters.access import access_for
    from enforcement.models import ExpulsionCase

    notification = get_object_or_404(Notification.objects.select_related("chapter"), pk=notification_id,
                                     user=request.user)
    notifications_mark_read(user=request.user, ids=[notification.pk])
    chapter = notification.chapter
    if chapter is not None and notification.url.startswith(f"/c/{chapter.slug}/") and (
        access_for(request.user, chapter) is None
    ):
        # The person has left the chapter (e.g. was expelled): its pages are closed to them. Their
        # case letter still opens and lists their fines; otherwise say why the link goes nowhere.
        case = ExpulsionCase.objects.filter(chapter=chapter, membership__user=request.user).order_by("-opened_at").first()
        if case is not None:
            return redirect("my-case", case.pk)
        messages.info(request, _("You no longer have a seat in %(chapter)s, so its pages are closed to you.")
                      % {"chapter": chapter})
        return redirect(f"{reverse('notifications')}#notification-{notification.pk}")
    if notification.url.startswith("/") and not notification.url.startswith("//"):
        return redirect(notification.url)
    return redirect(f"{reverse('notifications')}#notification-{notification.pk}")


@require_POST
@login_required
def notification_read(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    notifications_mark_read(user=request.user, ids=ids)
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("notifications")


@login_required
def profile(request):
    user = request.user
    card = Profile.objects.filter(user=user).first() or Profile(user=user)
    initial = {
        "full_name": user.full_name, "business_name": user.business_name, "phone": user.phone,
        "website": card.website, "ideal_referral": card.ideal_referral, "language": user.language,
        **{f"{f}_visibility": getattr(card, f"{f}_visibility") for f in ("phone", "email", "website", "photo")},
    }
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.user_profile_update(
            user=user, full_name=data["full_name"], business_name=data["business_name"], phone=data["phone"],
            directory=form.directory(), language=data["language"],
        )
        # The next page is in the language chosen (UserLanguageMiddleware reads the account); the
        # switcher's cookie goes with it, so that signing out keeps it, or is forgotten to follow the browser.
        if not data["language"]:
            request.COOKIES.pop(settings.LANGUAGE_COOKIE_NAME, None)  # forgotten below: the browser's now
        with translation.override(data["language"] or translation.get_language_from_request(request)):
            messages.success(request, _("Profile saved."))
        response = redirect("profile")
        if data["language"]:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, data["language"], max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH, secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        else:
            response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH,
                                   samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        return response
    return render(request, "members/profile.html", {
        "form": form, "card": card, "seats": selectors.directory_seats(user=user),
        "photo_max_mb": photos.max_bytes() // 1_048_576,
    })


@login_required
def notification_settings(request):
    """How each kind of notice reaches the person: in the app, by email, in the daily digest, or off."""
    form = NotificationSettingsForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            notification_delivery_update(user=request.user, choices=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Notification settings saved."))
            return redirect("notification-settings")
    return render(request, "members/notification_settings.html", {
        "form": form, "rows": form.rows(), "choices": Delivery.choices,
    }, status=422 if form.errors else 200)


@csrf_exempt  # an email client's one-click POST (RFC 8058) carries no cookie: the signed token is the key
def notification_unsubscribe(request, token: str):
    """An email's List-Unsubscribe link: a POST stops that kind's emails (to the app only); a GET shows the settings."""
    if request.method == "POST":
        if not notification_unsubscribe_service(token=token):
            raise Http404(_("This link is not valid."))
        return render(request, "members/notification_unsubscribed.html")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    return redirect("notification-settings")


@login_required
def profile_photo(request):
    """The person's own photo, whoever they share it with (the profile page shows it to them)."""
    card = Profile.objects.filter(user=request.user).exclude(photo="").first()
    if card is None:
        raise Http404(_("No photo."))
    return photo_response(card)


@login_required
def audit_global(request):
    """Every audit event, for organisation admins (region staff: their regions' chapters)."""
    from chapters.access import regions_overseen_by

    user = request.user
    regions = regions_overseen_by(user)
    if regions is not None and not regions:
        raise PermissionDenied(_("Only organisation admins and region staff may read the audit trail."))
    q = request.GET.get("q", "").strip()
    events = selectors.audit_events(regions=regions, q=q)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    page.object_list = audit_changes_attach(page.object_list)
    return render(request, "members/audit.html", {"page": page, "q": q})


OUTBOX_LABELS = {
    "failed": pgettext_lazy("email status", "Failed"), "waiting": pgettext_lazy("email status", "Waiting"),
    "sent": pgettext_lazy("email status", "Sent"), "all": gettext_lazy("All"),
}


def _require_org_admin(user) -> None:
    # Emails of every chapter and of accounts (no chapter) are listed: organisation admins only.
    if not user.is_org_admin:
        raise PermissionDenied(_("Only organisation admins may see the email outbox."))


@prospect_data  # consent requests are emailed to prospects: their addresses are listed here
@login_required
def outbox_list(request):
    """The email outbox for organisation admins: what failed and why, what waits, what went."""
    _require_org_admin(request.user)
    show = request.GET.get("show", "failed")
    show = show if show in OUTBOX_LABELS else "failed"
    q = request.GET.get("q", "").strip()
    page = Paginator(selectors.outbox_emails(show=show, q=q), 50).get_page(request.GET.get("page"))
    counts = selectors.outbox_counts()
    filters = [(key, label, counts[key]) for key, label in OUTBOX_LABELS.items()]
    return render(request, "members/outbox.html", {
        "page": page, "show": show, "q": q, "filters": filters, "max_attempts": settings.OUTBOX_MAX_ATTEMPTS,
    })


@require_POST
@login_required
def outbox_retry(request):
    _require_org_admin(request.user)
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    queued = outbox.emails_retry(email_ids=ids)
    if queued:
        messages.success(request, ngettext("%(count)d email queued to be tried again now.",
                                           "%(count)d emails queued to be tried again now.", queued)
                         % {"count": queued})
    else:
        messages.info(request, _("Nothing to retry: the email was sent or is being sent."))
    show = request.POST.get("show", "")
    return redirect(reverse("outbox") + (f"?show={show}" if show in OUTBOX_LABELS else ""))
