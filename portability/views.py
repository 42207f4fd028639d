from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from chapters.access import Need, chapter_view
from leadsgroups.security_headers import prospect_data
from members.models import Membership
from portability import chapter_export, roster_import
from portability.erasure import account_erase
from portability.forms import AccountDeleteForm, RosterImportForm
from portability.personal_export import personal_data_json

# Roster import ------------------------------------------------------------------------------------


@chapter_view(Need.LEADERSHIP)
def roster_import_page(request):
    """Upload or paste, see each line's outcome, then confirm: nothing is written before the confirmation."""
    chapter, can_appoint = request.chapter, request.access.can_appoint_officers
    form = RosterImportForm(request.POST or None, request.FILES or None)
    context = {"chapter": chapter, "form": form, "can_appoint": can_appoint,
               "max_rows": roster_import.max_rows(), "max_kb": roster_import.max_bytes() // 1024}
    if request.method == "POST" and "token" in request.POST:
        try:
            text = roster_import.roster_token_text(chapter=chapter, token=request.POST["token"])
            result = roster_import.roster_import(chapter=chapter, text=text, by=request.user, can_appoint=can_appoint)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("portability:roster-import", chapter.slug)
        form = RosterImportForm()
        return render(request, "portability/roster_import.html", {**context, "form": form, "result": result})
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["roster"]
        try:
            result = roster_import.roster_preview(chapter=chapter, text=text, can_appoint=can_appoint)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            token = roster_import.roster_token(chapter=chapter, text=text) if result.to_invite else ""
            return render(request, "portability/roster_import.html", {**context, "result": result, "token": token})
    return render(request, "portability/roster_import.html", context, status=422 if form.errors else 200)


# Chapter export -----------------------------------------------------------------------------------


@chapter_view(Need.LEADERSHIP)
def export_page(request):
    """Ask for an export; the list says "preparing…" until the task has built it, then offers the download."""
    chapter = request.chapter
    if request.method == "POST":
        chapter_export.export_request(chapter=chapter, by=request.user)
        messages.success(request, _("The export is being prepared: it appears below when it is ready."))
        return redirect("portability:export", chapter.slug)
    exports = list(chapter_export.exports_for_page(chapter=chapter))
    more = len(exports) > chapter_export.EXPORTS_SHOWN  # older ones still kept are said, not silently left out
    exports = exports[:chapter_export.EXPORTS_SHOWN]
    context = {"chapter": chapter, "exports": exports, "hours": settings.CHAPTER_EXPORT_RETENTION_HOURS,
               "preparing": any(e.is_pending for e in exports), "more": more,
               "shown": chapter_export.EXPORTS_SHOWN}
    template = "portability/export.html#exports" if request.htmx else "portability/export.html"
    return render(request, template, context)


@chapter_view(Need.LEADERSHIP)
def export_download(request, export_id: int):
    export = get_object_or_404(request.chapter.exports, pk=export_id)
    if not export.is_downloadable():
        raise Http404("This export is not ready, or no longer kept.")
    day = timezone.localtime(export.ready_at, request.chapter.tz).date().isoformat()
    response = FileResponse(export.file.open("rb"), as_attachment=True, content_type="application/zip",
                            filename=f"{request.chapter.slug}-export-{day}.zip")
    response["Cache-Control"] = "private, no-store"
    return response


# A person's own data ------------------------------------------------------------------------------


@prospect_data
@login_required
def my_data(request):
    """Everything the app holds about the person, as a JSON file (their referrals' prospects included)."""
    response = HttpResponse(personal_data_json(request.user), content_type="application/json; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="leadsgroups-my-data-{day}.json"'
    return response


@login_required
def account_delete(request):
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        account_erase(user=request.user)
        logout(request)
        messages.success(request, _("Your account has been deleted. Thank you for having been with us."))
        return redirect("account_login")
    seats = list(request.user.memberships.filter(status__in=Membership.SEATED_STATUSES).select_related("chapter")
                 .order_by("chapter__name"))
    context = {"form": form, "seats": seats, "chapter_names": ", ".join(s.chapter.name for s in seats)}
    return render(request, "portability/account_delete.html", context,
                  status=422 if form.errors else 200)
