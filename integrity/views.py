from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chapters.access import Need, chapter_view, regions_overseen_by
from integrity import selectors, services
from integrity.forms import IntegrityRulesForm, ReviewForm
from integrity.models import IntegrityRules


def _show(request) -> str:
    show = request.GET.get("show", "open")
    return show if show in selectors.SHOWS else "open"


@chapter_view(Need.LEADERSHIP)
def flags(request):
    """The chapter's integrity flags: open ones by default, reviewed, closed or all on request, a page at a time."""
    chapter = request.chapter
    show = _show(request)
    page = Paginator(selectors.chapter_flags(chapter=chapter, show=show), selectors.PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "integrity/flags.html", {
        "chapter": chapter, "show": show, "page": page, "rows": selectors.flags_explained(page.object_list),
        "shows": selectors.show_choices(chapter=chapter), "query": urlencode({"show": show}),
        "checked_at": selectors.last_checked(chapter=chapter), "can_open_queue": request.access.is_oversight,
    })


def _flag(request, flag_id: int):
    flag = selectors.flag_for(chapter=request.chapter, flag_id=flag_id)
    if flag is None:
        raise Http404("No such flag.")
    return flag


def _detail(request, flag, form=None, status=200):
    can_review = services.can_review(request.access, flag)
    return render(request, "integrity/flag_detail.html", {
        "chapter": request.chapter, "flag": flag, "explanation": selectors.explanation(flag),
        "evidence": selectors.flag_evidence(flag), "history": selectors.flag_history(flag),
        "can_review": can_review,
        "names_you": services.flag_names(flag, request.access.membership) and not request.access.is_oversight,
        "form": form or (ReviewForm(initial={"outcome": flag.outcome, "note": flag.note}) if can_review else None),
    }, status=status)


@chapter_view(Need.LEADERSHIP)
def flag_detail(request, flag_id: int):
    """One flag: what was found in words, the thresholds, every row behind it, and the review."""
    return _detail(request, _flag(request, flag_id))


@require_POST
@chapter_view(Need.LEADERSHIP)
def flag_review(request, flag_id: int):
    flag = _flag(request, flag_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _detail(request, flag, form=form, status=422)
    try:
        services.flag_review(flag=flag, access=request.access, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        for problem in exc.messages:
            form.add_error(None, problem)
        return _detail(request, flag, form=form, status=422)
    messages.success(request, _("Review recorded. It is on the chapter's audit trail."))
    return redirect("integrity:detail", request.chapter.slug, flag.pk)


@chapter_view(Need.LEADERSHIP)
def rules(request):
    """The chapter's thresholds: leadership changes them (audited), and the chapter is checked again at once."""
    chapter = request.chapter
    current = services.integrity_rules_for(chapter=chapter)
    form = IntegrityRulesForm(request.POST or None, instance=IntegrityRules(
        chapter=chapter, **{name: getattr(current, name) for name in IntegrityRules.THRESHOLD_FIELDS}
    ))
    if request.method == "POST" and form.is_valid():
        services.integrity_rules_save(chapter=chapter, actor=request.user, data=form.cleaned_data)
        messages.success(request, _("Thresholds saved. The chapter is checked again with them in a moment."))
        return redirect("integrity:rules", chapter.slug)
    return render(request, "integrity/rules.html", {"chapter": chapter, "form": form, "rules": current})


@login_required
def queue(request):
    """Flags across the chapters a person oversees (organisation admins: every chapter), a page at a time."""
    regions = regions_overseen_by(request.user)
    if regions is not None and not regions:
        raise PermissionDenied("Only organisation admins and region staff see flags across chapters.")
    show = _show(request)
    page = Paginator(selectors.flags_queue(region_ids=regions, show=show), selectors.PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "integrity/queue.html", {
        "show": show, "page": page, "rows": selectors.flags_explained(page.object_list),
        "shows": selectors.show_choices(), "query": urlencode({"show": show}),
    })
