from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chapters.access import Need, access_for, chapter_view, regions_overseen_by
from enforcement import explain, review, review_selectors, selectors, services
from enforcement import leave as leave_services
from enforcement.forms import (
    AppealForm,
    DecideForm,
    FineResolveForm,
    LeaveForm,
    RecommendForm,
    RefundDecideForm,
    RulesForm,
)
from enforcement.limits import rules_limits_for
from enforcement.models import ChapterRules, ExpulsionCase, Fine
from members.models import Membership


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
            messages.success(request, _("Rules version %(version)s saved; in force from %(date)s.") % {
                "version": version.number, "date": explain.short_day(version.effective_from),
            })
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


REFUND_TO_DECIDE = gettext_lazy("Refund to decide")


@chapter_view(Need.LEADERSHIP)
def fines(request):
    chapter = request.chapter
    status = request.GET.get("status", "")
    if status not in Fine.Status.values and status != "refund":
        status = ""
    qs = selectors.chapter_fines(chapter=chapter, status=status or None)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request, "enforcement/fines.html",
        {"chapter": chapter, "page": page, "status": status,
         "statuses": [*Fine.Status.choices, ("refund", REFUND_TO_DECIDE)],
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
        raise Http404(_("No such fine."))
    fine.chapter = request.chapter
    return fine


@chapter_view(Need.MEMBER)
def fine_detail(request, fine_id: int):
    fine = _fine_for(request, fine_id)
    return render(request, "enforcement/fine_detail.html", _fine_context(request, fine, FineResolveForm()))


def _can_decide_refund(access) -> bool:
    """The president and the secretary-treasurer (the chapter's money), and overseers."""
    m = access.membership
    roles = (Membership.Role.PRESIDENT, Membership.Role.SECRETARY_TREASURER)
    return access.is_oversight or bool(m and m.is_seated and m.role in roles)


def _fine_context(request, fine, form, refund_form=None):
    can_refund = fine.refund_pending and _can_decide_refund(request.access)
    return {
        "chapter": request.chapter, "fine": fine, "form": form, "related": selectors.fine_related(fine=fine),
        "can_resolve": request.access.is_leadership and fine.status == Fine.Status.OPEN,
        "can_decide_refund": can_refund,
        "refund_form": refund_form or (RefundDecideForm() if can_refund else None),
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
            fine = _fine_for(request, fine.pk)  # as it stands now: another officer may have resolved it
        else:
            fine.chapter = request.chapter
            if request.htmx:
                return render(
                    request, "enforcement/fine_detail.html#fine-status", _fine_context(request, fine, FineResolveForm())
                )
            messages.success(request, _("Fine marked paid.") if fine.status == Fine.Status.PAID
                             else _("Fine marked waived."))
            return redirect("enforcement:fine-detail", request.chapter.slug, fine.pk)
    # htmx swaps the 422 too (base.html's responseHandling): the #fine-status fragment replaces itself,
    # with the errors beside the form and what was typed kept.
    template = "enforcement/fine_detail.html#fine-status" if request.htmx else "enforcement/fine_detail.html"
    return render(request, template, _fine_context(request, fine, form), status=422)


@require_POST
@chapter_view(Need.LEADERSHIP)
def fine_refund_decide(request, fine_id: int):
    """Refund a paid fine the evidence no longer supports, or keep it with a reason."""
    fine = _fine_for(request, fine_id)
    if not _can_decide_refund(request.access):
        raise PermissionDenied(_("The president or the secretary-treasurer decides refunds."))
    form = RefundDecideForm(request.POST)
    if form.is_valid():
        try:
            fine = services.fine_refund_decide(
                fine=fine, by=request.user, decision=form.cleaned_data["decision"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Refunded.") if fine.status == Fine.Status.REFUNDED
                             else _("Kept, with your reason."))
            return redirect("enforcement:fine-detail", request.chapter.slug, fine.pk)
    fine = _fine_for(request, fine.pk)
    return render(request, "enforcement/fine_detail.html",
                  _fine_context(request, fine, FineResolveForm(), refund_form=form), status=422)


@chapter_view(Need.LEADERSHIP)
def cases(request):
    chapter = request.chapter
    return render(
        request, "enforcement/cases.html",
        {"chapter": chapter, "cases": selectors.chapter_cases(chapter=chapter), "now": timezone.now(),
         "can_open_queue": request.access.is_oversight},
    )


def _case_for(request, case_id: int) -> ExpulsionCase:
    """A case of this chapter that the person may read: the member it is about, leadership, overseers."""
    case = get_object_or_404(
        request.chapter.expulsion_cases.select_related(
            "membership__user", "membership__classification", "rules", "decided_by", "recommended_by"
        ),
        pk=case_id,
    )
    own = request.access.membership is not None and case.membership_id == request.access.membership.pk
    if not (own or request.access.is_leadership):
        raise Http404(_("No such case."))
    case.chapter = request.chapter
    return case


def _case_context(request, case: ExpulsionCase, **forms) -> dict:
    now = timezone.now()
    user = request.user
    can_appeal = review.is_case_member(user, case) and case.appeal_open(now)
    # Until the case may be decided, the member can say they have nothing (more) to add, appeal or not.
    can_waive = review.is_case_member(user, case) and case.is_open and not case.decidable(now)
    can_recommend = case.is_open and review.is_case_president(user, case)
    can_decide = case.is_open and review.can_decide(user, case)
    return {
        "chapter": request.chapter, "case": case, "is_open": case.is_open, "now": now,
        "evidence": review_selectors.case_evidence(case=case),
        "deadline": case.appeal_deadline.astimezone(request.chapter.tz),
        "decidable": case.decidable(now), "is_member": review.is_case_member(user, case),
        "can_appeal": can_appeal, "can_waive": can_waive, "can_recommend": can_recommend, "can_decide": can_decide,
        "appeal_form": forms.get("appeal_form") or (AppealForm() if can_appeal else None),
        "recommend_form": forms.get("recommend_form") or (
            RecommendForm(initial={"recommendation": case.recommendation, "note": case.president_recommendation})
            if can_recommend else None
        ),
        "decide_form": forms.get("decide_form") or (DecideForm(today=_today(request.chapter)) if can_decide else None),
        "can_open_queue": request.access.is_oversight,
    }


@chapter_view(Need.MEMBER)
def case_detail(request, case_id: int):
    case = _case_for(request, case_id)
    return render(request, "enforcement/case_detail.html", _case_context(request, case))


def _case_act(request, case, form_name, form, act):
    """Run a case service for a valid form; on a refusal show the case page again with the errors (422)."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            return None
    return render(request, "enforcement/case_detail.html", _case_context(request, case, **{form_name: form}), status=422)


@require_POST
@chapter_view(Need.MEMBER)
def case_recommend(request, case_id: int):
    case = _case_for(request, case_id)
    if not review.is_case_president(request.user, case):
        raise PermissionDenied(_("Only the chapter's president recommends."))
    form = RecommendForm(request.POST)
    failed = _case_act(request, case, "recommend_form", form, lambda d: review.case_recommend(
        case=case, by=request.user, recommendation=d["recommendation"], note=d["note"]))
    if failed:
        return failed
    messages.success(request, _("Your recommendation is recorded; the member and the reviewing admins have been told."))
    return redirect("enforcement:case-detail", request.chapter.slug, case.pk)


@require_POST
@chapter_view(Need.MEMBER)
def case_appeal(request, case_id: int):
    case = _case_for(request, case_id)
    if not review.is_case_member(request.user, case):
        raise PermissionDenied(_("Only the member the case is about may appeal."))
    form = AppealForm(request.POST)
    failed = _case_act(request, case, "appeal_form", form, lambda d: review.case_appeal(
        case=case, by=request.user, text=d["text"], waive_rest=d["waive_rest"]))
    if failed:
        return failed
    messages.success(request, _("Your appeal is recorded. The admin reads it before deciding."))
    return redirect("enforcement:case-detail", request.chapter.slug, case.pk)


@require_POST
@chapter_view(Need.MEMBER)
def case_waive(request, case_id: int):
    case = _case_for(request, case_id)
    if not review.is_case_member(request.user, case):
        raise PermissionDenied(_("Only the member the case is about may waive the appeal."))
    try:
        review.case_appeal_waive(case=case, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Noted: the case may now be decided without waiting for the deadline."))
    return redirect("enforcement:case-detail", request.chapter.slug, case.pk)


@require_POST
@chapter_view(Need.MEMBER)
def case_decide(request, case_id: int):
    case = _case_for(request, case_id)
    if not review.can_decide(request.user, case):
        raise PermissionDenied(_("Only organisation admins and staff of the chapter's region decide cases."))
    form = DecideForm(request.POST, today=_today(request.chapter))
    failed = _case_act(request, case, "decide_form", form, lambda d: review.case_decide(
        case=case, by=request.user, decision=d["decision"], reason=d["reason"],
        probation_until=d.get("probation_until"), conditions=d.get("conditions") or ""))
    if failed:
        return failed
    case.refresh_from_db()
    messages.success(request, _("Case decided: %(decision)s. The member and the president have been told.") % {
        "decision": explain.DECISIONS.get(case.decision, case.decision),
    })
    return redirect("enforcement:case-detail", request.chapter.slug, case.pk)


@login_required
def case_queue(request):
    """Open expulsion cases across the chapters the person oversees, oldest first."""
    regions = regions_overseen_by(request.user)
    if regions is not None and not regions:
        raise PermissionDenied(_("Only organisation admins and region staff review expulsion cases."))
    now = timezone.now()
    filters = review_selectors.QueueFilters.from_query(request.GET)
    page = Paginator(review_selectors.case_queue(user=request.user, filters=filters, now=now), 50).get_page(
        request.GET.get("page")
    )
    region_choices, chapter = review_selectors.queue_scope(user=request.user, filters=filters)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "enforcement/case_queue.html",
        {"page": page, "rows": review_selectors.queue_rows(page.object_list, now=now), "filters": filters,
         "regions": region_choices, "chapter": chapter, "ages": review_selectors.AGES,
         "stages": review_selectors.STAGES, "statuses": review_selectors.STATUSES, "query": query.urlencode()},
    )


# Standing --------------------------------------------------------------------------------------


@chapter_view(Need.MEMBER)
def standing(request):
    """The person's own standing in the chapter."""
    membership = request.access.membership
    if membership is None:
        return render(request, "enforcement/standing.html", {"chapter": request.chapter, "membership": None})
    return _standing_render(request, membership, own=True)


@chapter_view(Need.MEMBER)
def standing_member(request, membership_id: int):
    """A member's standing, for chapter leadership and overseers (and the member themself)."""
    membership = get_object_or_404(request.chapter.memberships.select_related("user", "classification"),
                                   pk=membership_id)
    own = request.access.membership is not None and membership.pk == request.access.membership.pk
    if not (own or request.access.is_leadership):
        raise PermissionDenied(_("Only chapter leadership and admins see another member's standing."))
    return _standing_render(request, membership, own=own)


def _standing_render(request, membership, *, own: bool):
    membership.chapter = request.chapter
    today = _today(request.chapter)
    page = review_selectors.member_standing_page(membership=membership, today=today)
    return render(
        request, "enforcement/standing.html",
        {"chapter": request.chapter, "membership": membership, "own": own, "page": page, "s": page.standing,
         "today": today,
         "deadline": page.open_case.appeal_deadline.astimezone(request.chapter.tz) if page.open_case else None},
    )


@login_required
def my_case(request, case_id: int):
    """A case as its member reads it, even after losing the seat (an expelled member still sees why)."""
    case = get_object_or_404(
        ExpulsionCase.objects.select_related("chapter", "membership__user", "rules", "decided_by"),
        pk=case_id, membership__user=request.user,
    )
    if access_for(request.user, case.chapter) is not None:
        return redirect(case.get_absolute_url())  # still seated: the full case page, with the appeal form
    # The chapter's fine pages are closed to them too: what they still owe is listed here.
    fines = list(Fine.objects.filter(membership=case.membership).order_by("-period_start", "-pk"))
    return render(
        request, "enforcement/case_letter.html",
        {"case": case, "fines": fines, "totals": selectors.fines_totals(Fine.objects.filter(membership=case.membership))},
    )


# Leave -----------------------------------------------------------------------------------------


def _leave_member(request, membership_id: int):
    membership = get_object_or_404(request.chapter.memberships.select_related("user"), pk=membership_id)
    if not request.access.can_manage_membership(membership):
        raise PermissionDenied(_("Only the president or an admin records an officer's leave, and nobody their own."))
    membership.chapter = request.chapter
    return membership


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@chapter_view(Need.LEADERSHIP)
def leave_manage(request, membership_id: int):
    """A member's leave: the record, and a form to add leave (back-dated with a reason)."""
    membership = _leave_member(request, membership_id)
    today = _today(request.chapter)
    form = LeaveForm(request.POST or None, today=today, initial={"starts_on": today})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            leave_services.leave_record(membership=membership, by=request.user, starts_on=d["starts_on"],
                                        ends_on=d["ends_on"], reason=d["reason"])
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Leave of %(name)s recorded.") % {"name": membership.display_name})
            return redirect("enforcement:leave", request.chapter.slug, membership.pk)
    return render(
        request, "enforcement/leave.html",
        {"chapter": request.chapter, "membership": membership, "form": form, "today": today,
         "leave": selectors.leave_of(membership=membership)},
        status=422 if form.errors else 200,
    )


@chapter_view(Need.LEADERSHIP)
def leave_edit(request, membership_id: int, leave_id: int):
    """Correct a leave's dates, or end it (its last day); audited with a reason."""
    membership = _leave_member(request, membership_id)
    leave = get_object_or_404(membership.leaves.all(), pk=leave_id)
    today = _today(request.chapter)
    form = LeaveForm(request.POST or None, today=today, correcting=True,
                     initial={"starts_on": leave.starts_on, "ends_on": leave.ends_on})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            leave_services.leave_correct(leave=leave, by=request.user, starts_on=d["starts_on"], ends_on=d["ends_on"],
                                         reason=d["reason"])
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Leave of %(name)s corrected.") % {"name": membership.display_name})
            return redirect("enforcement:leave", request.chapter.slug, membership.pk)
    return render(
        request, "enforcement/leave_edit.html",
        {"chapter": request.chapter, "membership": membership, "leave": leave, "form": form, "today": today},
        status=422 if form.errors else 200,
    )
