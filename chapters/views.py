from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chapters import selectors
from chapters.access import Need, chapter_view
from chapters.forms import ChapterSettingsForm, InvitationForm, MembershipChangeForm
from chapters.services import chapter_update
from enforcement.leave import leave_follow_status
from meetings.selectors import meeting_next
from members import services as member_services
from members.audit_display import audit_changes_attach
from members.models import AuditEvent
from members.selectors import audit_events


@chapter_view(Need.MEMBER)
def chapter_home(request):
    chapter = request.chapter
    counts = selectors.chapter_counts(chapter=chapter)
    return render(
        request,
        "chapters/home.html",
        {
            "chapter": chapter,
            "counts": counts,
            "health": selectors.chapter_health(counts["active"]),
            "health_rule": selectors.chapter_health_rule(),
            "leadership": selectors.chapter_leadership(chapter=chapter),
            "next_meeting": meeting_next(chapter=chapter),
            "can_manage": request.access.is_leadership,
        },
    )


MEMBERS_PER_PAGE = 50
HISTORY_PER_PAGE = 20  # a seat's history on its page


def _members_page(request, qs):
    """A page of members, narrowed by ?q= (name, business or classification; email for leadership), and the
    query to keep."""
    q = request.GET.get("q", "").strip()[:100]
    found = selectors.roster_search(qs, q, emails=request.access.is_leadership)
    page = Paginator(found, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    return page, q, urlencode({"q": q}) if q else ""


@chapter_view(Need.MEMBER)
def roster(request):
    chapter = request.chapter
    page, q, query = _members_page(request, selectors.chapter_roster(chapter=chapter))
    return render(
        request,
        "chapters/roster.html",
        {
            "chapter": chapter,
            "roster": page,
            "page": page,
            "q": q,
            "query": query,
            "open_classifications": selectors.chapter_open_classifications(chapter=chapter),
            "reserved_classifications": selectors.chapter_reserved_classifications(chapter=chapter),
            "can_manage": request.access.is_leadership,
        },
    )


@chapter_view(Need.MEMBER)
def roster_csv(request):
    """The roster as the page shows it (the same search), every page at once; no contact details."""
    from leadsgroups.csv_export import csv_response

    chapter = request.chapter
    q = request.GET.get("q", "").strip()[:100]
    seats = selectors.roster_search(selectors.chapter_roster(chapter=chapter), q, emails=request.access.is_leadership)
    response, writer = csv_response(f"roster-{chapter.slug}.csv")
    # Headers and words for people in the reader's language; the date stays ISO for spreadsheets.
    writer.writerow([_("Member"), _("Classification"), _("Business"), _("Role"), _("Status"), _("Joined on")])
    for m in seats.iterator(chunk_size=500):
        row = [m.display_name, m.classification or "", m.user.business_name or m.business_name,
               m.get_role_display(), m.get_status_display(), m.joined_on]
        writer.writerow(row)
    return response


def _say_kept_meetings(request, chapter) -> None:
    """Name and link the upcoming meetings a schedule change kept (presenters or visitors booked on them)."""
    from django.utils.html import format_html, format_html_join
    from django.utils.translation import ngettext

    from leadsgroups.formats import format_date

    kept = (chapter.replan or {}).get("kept_meetings") or []
    if not kept:
        return
    meetings = chapter.meetings.filter(pk__in=kept).order_by("starts_at")
    links = format_html_join(", ", '<a href="{}">{}</a>', (
        (m.get_absolute_url(), format_date(m.local_date, "yMMMEd")) for m in meetings))
    text = ngettext(
        "{count} upcoming meeting kept its date because presenters or visitors are booked on it: {links}. "
        "Rebook or cancel it if it no longer fits the schedule.",
        "{count} upcoming meetings kept their dates because presenters or visitors are booked on them: "
        "{links}. Rebook or cancel them if they no longer fit the schedule.",
        len(kept),
    )
    messages.warning(request, format_html(text, count=len(kept), links=links))


@chapter_view(Need.LEADERSHIP)
def chapter_settings(request):
    chapter = request.chapter
    form = ChapterSettingsForm(request.POST or None, instance=chapter)
    if request.method == "POST" and form.is_valid():
        chapter_update(chapter=chapter, by=request.user, data=form.cleaned_data)
        messages.success(request, _("Chapter settings saved."))
        _say_kept_meetings(request, chapter)
        return redirect("chapters:settings", chapter.slug)
    if request.method == "POST":
        chapter.refresh_from_db()  # the form's failed validation touched the instance
    return render(request, "chapters/settings.html", {"chapter": chapter, "form": form})


@chapter_view(Need.LEADERSHIP)
def members_manage(request):
    chapter = request.chapter
    page, q, query = _members_page(request, selectors.chapter_roster(chapter=chapter, include_departed=True))
    for membership in page:  # Edit only where the permissions module allows it, never a dead end
        membership.can_manage = request.access.can_manage_membership(membership)
    return render(
        request,
        "chapters/members_manage.html",
        {
            "chapter": chapter,
            "roster": page,
            "page": page,
            "q": q,
            "query": query,
            "invitations": selectors.chapter_open_invitations(chapter=chapter),
        },
    )


@chapter_view(Need.LEADERSHIP)
def member_invite(request):
    chapter = request.chapter
    form = InvitationForm(request.POST or None, chapter=chapter, can_appoint=request.access.can_appoint_officers)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _link = member_services.invitation_create(
                chapter=chapter, invited_by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            # The link goes to the invitee only: whoever holds it sets the account's password.
            messages.success(request, _(
                "Invitation queued for %(email)s: the list below shows when its email has gone."
            ) % {"email": invitation.email})
            return redirect("chapters:members", chapter.slug)
    return render(request, "chapters/member_invite.html", {"chapter": chapter, "form": form})


@require_POST
@chapter_view(Need.LEADERSHIP)
def invitation_revoke(request, invitation_id: int):
    invitation = get_object_or_404(request.chapter.invitations, pk=invitation_id)
    member_services.invitation_revoke(invitation=invitation, by=request.user)
    messages.success(request, _("Invitation of %(email)s withdrawn.") % {"email": invitation.email})
    return redirect("chapters:members", request.chapter.slug)


@require_POST
@chapter_view(Need.LEADERSHIP)
def invitation_resend(request, invitation_id: int):
    """Send an invitation whose email failed again (the same link)."""
    invitation = get_object_or_404(request.chapter.invitations, pk=invitation_id)
    try:
        member_services.invitation_resend(invitation=invitation, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Invitation of %(email)s queued again.") % {"email": invitation.email})
    return redirect("chapters:members", request.chapter.slug)


@chapter_view(Need.LEADERSHIP)
def member_edit(request, membership_id: int):
    chapter = request.chapter
    membership = get_object_or_404(chapter.memberships.select_related("user", "classification"), pk=membership_id)
    if not request.access.can_manage_membership(membership):
        raise PermissionDenied(
            _("Only the president or an admin changes an officer's seat, and nobody changes their own.")
        )
    form = MembershipChangeForm(
        request.POST or None, membership=membership, can_appoint=request.access.can_appoint_officers
    )
    if request.method == "POST" and form.is_valid():
        try:
            was = membership.status
            with transaction.atomic():  # the status and the leave records change together (enforcement.leave)
                member_services.membership_change(membership=membership, by=request.user, **form.cleaned_data)
                leave_follow_status(membership=membership, by=request.user, was=was,
                                    reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("%(person)s updated.") % {"person": membership.user})
            return redirect("chapters:members", chapter.slug)
    # Paged, not cut at 20: a long-standing member's whole history stays reachable (issue 17).
    history = Paginator(
        AuditEvent.objects.filter(target_type="members.membership", target_id=str(membership.pk)).select_related(
            "actor", "chapter"
        ), HISTORY_PER_PAGE,
    ).get_page(request.GET.get("page"))
    history.object_list = audit_changes_attach(history.object_list)
    return render(
        request, "chapters/member_edit.html",
        {"chapter": chapter, "membership": membership, "form": form, "history": history, "page": history},
    )


@chapter_view(Need.LEADERSHIP)
def chapter_audit(request):
    q = request.GET.get("q", "").strip()
    events = audit_events(chapter=request.chapter, q=q)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    page.object_list = audit_changes_attach(page.object_list)
    return render(request, "chapters/audit.html", {"chapter": request.chapter, "page": page, "q": q})
