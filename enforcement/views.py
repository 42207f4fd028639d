from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from chapters.access import Need, chapter_view
from enforcement import selectors, services
from enforcement.forms import FineResolveForm, RulesForm
from enforcement.limits import rules_limits_for
from enforcement.models import ChapterRules, ExpulsionCase, Fine


def _today(chapter):
    return timezone.now().astimezone(chapter.tz).date()


@chapter_view(Need.MEMBER)
def rules(request):
    chapter = request.chapter
    today = _today(chapter)
    versions = list(selectors.rules_history(chapter=chapter))
    current = selectors.rules_in_force(chapter=chapter, day=today)
    return render(
        request, "enforcement/rules.html",
        {
            "chapter": chapter, "current": current,
            "plain": selectors.rules_plain_language(current) if current else [],
            "upcoming": [v for v in versions if v.effective_from > today],
            "history": [(v, selectors.rules_plain_language(v)) for v in versions],
            "can_edit": request.access.is_leadership,
        },
    )


@chapter_view(Need.LEADERSHIP)
def rules_edit(request):
    chapter = request.chapter
    today = _today(chapter)
    current = selectors.rules_in_force(chapter=chapter, day=today)
    initial = {k: getattr(current, k) for k in ChapterRules.RULE_FIELDS} if current else {}
    initial["effective_from"] = today
    limits = rules_limits_for(chapter=chapter)
    form = RulesForm(request.POST or None, initial=initial, chapter=chapter, limits=limits)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = services.rules_create(
                chapter=chapter, by=request.user, data=data, effective_from=data["effective_from"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Rules version {version.number} saved; in force from "
                                      f"{version.effective_from:%-d %b %Y}.")
            return redirect("enforcement:rules", chapter.slug)
    return render(
        request, "enforcement/rules_edit.html",
        {"chapter": chapter, "form": form, "current": current, "limits": limits},
    )


@chapter_view(Need.LEADERSHIP)
def preview(request):
    """What enforcement would do now, and why; changes nothing."""
    result = services.chapter_enforce(chapter=request.chapter, dry_run=True)
    return render(request, "enforcement/preview.html", {"chapter": request.chapter, "evaluation": result.evaluation})


@chapter_view(Need.LEADERSHIP)
def fines(request):
    chapter = request.chapter
    status = request.GET.get("status", "")
    if status not in Fine.Status.values:
        status = ""
    qs = selectors.chapter_fines(chapter=chapter, status=status or None)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request, "enforcement/fines.html",
        {"chapter": chapter, "page": page, "status": status, "statuses": Fine.Status.choices,
         "totals": selectors.fines_totals(selectors.chapter_fines(chapter=chapter))},
    )


@chapter_view(Need.MEMBER)
def my_fines(request):
    chapter = request.chapter
    membership = request.access.membership
    fines = list(selectors.membership_fines(membership=membership)) if membership else []
    standing = None
    if membership is not None:
        standing = selectors.member_standings(chapter=chapter, memberships=[membership], today=_today(chapter))[
            membership.pk
        ]
    return render(
        request, "enforcement/my_fines.html",
        {"chapter": chapter, "membership": membership, "fines": fines, "standing": standing,
         "totals": selectors.fines_totals(Fine.objects.filter(membership=membership)) if membership else None,
         "cases": list(membership.expulsion_cases.order_by("-opened_at")) if membership else []},
    )


def _fine_for(request, fine_id: int) -> Fine:
    fine = get_object_or_404(
        request.chapter.fines.select_related("membership__user", "rules", "meeting", "resolved_by"), pk=fine_id
    )
    own = request.access.membership is not None and fine.membership_id == request.access.membership.pk
    if not (own or request.access.is_leadership):
        raise Http404("No such fine.")
    fine.chapter = request.chapter
    return fine


@chapter_view(Need.MEMBER)
def fine_detail(request, fine_id: int):
    fine = _fine_for(request, fine_id)
    return render(request, "enforcement/fine_detail.html", _fine_context(request, fine, FineResolveForm()))


def _fine_context(request, fine, form):
    return {
        "chapter": request.chapter, "fine": fine, "form": form,
        "can_resolve": request.access.is_leadership and fine.status == Fine.Status.OPEN,
    }


@require_POST
@chapter_view(Need.LEADERSHIP)
def fine_resolve(request, fine_id: int):
    fine = _fine_for(request, fine_id)
    form = FineResolveForm(request.POST)
    if form.is_valid():
        try:
            fine = services.fine_resolve(
                fine=fine, by=request.user, status=form.cleaned_data["status"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            fine.chapter = request.chapter
            if request.htmx:
                return render(
                    request, "enforcement/fine_detail.html#fine-status", _fine_context(request, fine, FineResolveForm())
                )
            messages.success(request, f"Fine marked {fine.get_status_display().lower()}.")
            return redirect("enforcement:fine-detail", request.chapter.slug, fine.pk)
    template = "enforcement/fine_detail.html#fine-status" if request.htmx else "enforcement/fine_detail.html"
    return render(request, template, _fine_context(request, fine, form), status=422)


@chapter_view(Need.LEADERSHIP)
def cases(request):
    chapter = request.chapter
    return render(request, "enforcement/cases.html", {"chapter": chapter, "cases": selectors.chapter_cases(chapter=chapter)})


@chapter_view(Need.MEMBER)
def case_detail(request, case_id: int):
    case = get_object_or_404(
        request.chapter.expulsion_cases.select_related("membership__user", "rules", "decided_by"), pk=case_id
    )
    own = request.access.membership is not None and case.membership_id == request.access.membership.pk
    if not (own or request.access.is_leadership):
        raise Http404("No such case.")
    fines = case.fines.select_related("rules").order_by("period_start")
    return render(
        request, "enforcement/case_detail.html",
        {"chapter": request.chapter, "case": case, "fines": fines, "is_open": case.status == ExpulsionCase.Status.OPEN},
    )
