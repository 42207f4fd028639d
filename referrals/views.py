from contextlib import nullcontext

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from chapters.access import Need, chapter_view
from leadsgroups.csv_export import csv_response, csv_safe
from leadsgroups.i18n import for_chapter
from leadsgroups.security_headers import prospect_data
from members.models import Membership
from members.selectors import with_email_state
from referrals import selectors, services
from referrals.forms import (
    EducationForm,
    EraseForm,
    ErasureRequestForm,
    OneToOneForm,
    PeriodForm,
    ReferralForm,
    StatusForm,
    WonForm,
    member_label,
)
from referrals.models import TEMPERATURE_MEANINGS, Referral, status_phrase


def _seat(request) -> Membership:
    """The person's own seat in the chapter; oversight without a seat cannot give or receive."""
    membership = request.access.membership
    if membership is None:
        raise PermissionDenied(_("Only members with a seat in this chapter can do this."))
    return membership


def _referral(request, referral_id) -> Referral:
    return get_object_or_404(
        request.chapter.referrals.select_related(
            "giver__user", "receiver__user", "giver__classification", "receiver__classification"
        ),
        pk=referral_id,
    )


def _with_privacy(request, referrals):
    referrals = list(referrals)
    for r in referrals:
        r.can_see = selectors.referral_can_see_prospect(request.access, r)
        r.chapter = request.chapter  # spare get_absolute_url a query per row
    return referrals


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# Giving ---------------------------------------------------------------------------------------


@login_required
def referral_new_any(request):
    """The navigation's "Log a referral": straight to the form of the person's chapter (or let them pick)."""
    seats = list(
        Membership.objects.filter(user=request.user, status__in=Membership.SEATED_STATUSES)
        .select_related("chapter")
        .order_by("chapter__name")
    )
    wanted = request.GET.get("chapter", "")
    for seat in seats:
        if seat.chapter.slug == wanted:
            return redirect("referrals:new", seat.chapter.slug)
    if len(seats) == 1:
        return redirect("referrals:new", seats[0].chapter.slug)
    if not seats:
        messages.info(request, _("You need a seat in a chapter to log a referral."))
        return redirect("dashboard")
    return render(request, "referrals/choose_chapter.html", {"seats": seats})


@prospect_data
@chapter_view(Need.MEMBER)
def referral_new(request):
    chapter = request.chapter
    giver = _seat(request)
    candidates = services.receiver_candidates(chapter=chapter, giver=giver)
    on_leave = (
        Membership.objects.filter(chapter=chapter, status=Membership.Status.ON_LEAVE).select_related("user")
        if request.method == "POST"
        else ()
    )
    form = ReferralForm(request.POST or None, candidates=candidates, unavailable=on_leave, giver=giver)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = services.referral_give(
                chapter=chapter,
                giver=giver,
                receiver=data["receiver"],
                kind=data["kind"],
                prospect_name=data["prospect_name"],
                prospect_email=data["prospect_email"],
                prospect_phone=data["prospect_phone"],
                consent=data["consent"],
                temperature=data["temperature"],
                notes=data["notes"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Referral passed to %(name)s.") % {"name": referral.receiver.display_name})
            return redirect("referrals:detail", chapter.slug, referral.pk)
    return render(
        request,
        "referrals/referral_new.html",
        {
            "chapter": chapter,
            "form": form,
            "candidates": [(m.pk, member_label(m)) for m in form.candidates],
            "temperatures": TEMPERATURE_MEANINGS,
        },
        status=422 if form.is_bound and form.errors else 200,
    )


# Lists ----------------------------------------------------------------------------------------


REFERRALS_PER_PAGE = 30
ITEMS_PER_PAGE = 50  # one-to-ones and education credits


def _list(request, box: str):
    chapter = request.chapter
    form = PeriodForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    kwargs = {"status": filters.get("status", ""), "start": filters.get("start"), "end": filters.get("end")}
    me = request.access.membership
    if box == "inbox":
        qs = selectors.referral_inbox(chapter=chapter, membership=_seat(request), **kwargs)
    elif box == "outbox":
        qs = selectors.referral_outbox(chapter=chapter, membership=_seat(request), **kwargs)
    else:
        qs = selectors.referral_chapter_list(chapter=chapter, **kwargs)
    page = Paginator(qs, REFERRALS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "referrals/referral_list.html",
        {
            "chapter": chapter,
            "referrals": _with_privacy(request, page.object_list),
            "page": page,
            "box": box,
            "form": form,
            "me": me,
            "query": query.urlencode(),
        },
    )


@prospect_data
@chapter_view(Need.MEMBER)
def inbox(request):
    return _list(request, "inbox")


@prospect_data
@chapter_view(Need.MEMBER)
def outbox(request):
    return _list(request, "outbox")


@prospect_data
@chapter_view(Need.MEMBER)
def chapter_list(request):
    return _list(request, "all")


# One referral ---------------------------------------------------------------------------------


@prospect_data
@chapter_view(Need.MEMBER)
def referral_detail(request, referral_id):
    referral = _referral(request, referral_id)
    referral.chapter = request.chapter
    can_see = selectors.referral_can_see_prospect(request.access, referral)
    me = request.access.membership
    can_ask_consent = (
        me is not None
        and me.pk == referral.giver_id
        and referral.kind == Referral.Kind.OUTSIDE
        and bool(referral.prospect_email)
        and referral.is_open  # won, lost or declined: nothing left for the prospect to agree to
        and referral.consent not in (Referral.Consent.CONFIRMED, Referral.Consent.DECLINED)
    )
    return render(
        request,
        "referrals/referral_detail.html",
        {
            "chapter": request.chapter,
            "r": referral,
            "can_see": can_see,
            "me": me,
            # A rating is the receiver's own judgement: the giver sees ratings only in aggregate (stats).
            "events": referral.events.select_related("actor").exclude(
                **({} if me is not None and me.pk == referral.receiver_id else {"action": "rated"})
            ) if can_see else [],
            "is_receiver": me is not None and me.pk == referral.receiver_id,
            "can_ask_consent": can_ask_consent,
            # Said before the giver taps, rather than refused after.
            "consent_wait": services.consent_request_wait(referral) if can_ask_consent else "",
            # with its email's state: the giver sees whether the link is queued, went, or failed
            "open_request": with_email_state(
                referral.consent_requests.filter(closed_at__isnull=True), cause="consent_request"
            ).first()
            if can_see
            else None,
            # Admins and region staff may erase without seeing what they erase (the page says what goes).
            "can_erase": request.access.is_leadership and not referral.is_erased,
            "is_oversight": request.access.is_oversight,
            "thank_you": getattr(referral, "thank_you", None)
            if referral.status == Referral.Status.WON
            else None,
        },
    )


@prospect_data
@require_POST
@chapter_view(Need.MEMBER)
def referral_status(request, referral_id):
    referral = _referral(request, referral_id)
    me = _seat(request)
    if me.pk != referral.receiver_id:
        raise PermissionDenied(_("Only the member who received this referral can change its status."))
    form = StatusForm(request.POST)
    error = None
    if not form.is_valid():  # no status chosen, or a note or reason that is not one line: say which
        error = _("Choose a status to move the referral to.") if "to" in form.errors else " ".join(
            message for errors in form.errors.values() for message in errors
        )
    elif form.cleaned_data["to"] == Referral.Status.WON:
        url = reverse("referrals:won", args=[request.chapter.slug, referral.pk])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    else:
        try:
            referral = services.referral_move(
                referral=referral,
                by=me,
                to=form.cleaned_data["to"],
                note=form.cleaned_data["note"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            error = _message(exc)
    return _card_answer(request, referral, me, error, lambda: _("Referral is now %(status)s.") % {
        "status": referral.status_phrase})


def _card_answer(request, referral, me, error, success):
    """After a receiver's tap: the inbox card again (htmx swaps it in place), or back to the referral.

    An error is shown inside the card (htmx does not swap 4xx bodies) or as a message; `success()`
    words the message of a tap that went through."""
    if request.htmx:
        referral = _with_privacy(request, [_referral(request, referral.pk)])[0]
        return render(
            request,
            "referrals/referral_list.html#referral-card",
            {"chapter": request.chapter, "r": referral, "me": me, "box": "inbox", "error": error},
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, success())
    return redirect("referrals:detail", request.chapter.slug, referral.pk)


def _usefulness(value: str) -> int | None:
    """The usefulness tapped (1–5), or None when none was: a rating may go without one."""
    return int(value) if value.isdigit() else None


@prospect_data
@require_POST
@chapter_view(Need.MEMBER)
def referral_rate(request, referral_id):
    """One tap from the inbox card (htmx swaps the card) or the detail page: the receiver's rating.

    A usefulness tapped alone keeps the rating already given, a rating tapped alone the usefulness;
    an empty usefulness clears it."""
    referral = _referral(request, referral_id)
    me = _seat(request)
    if me.pk != referral.receiver_id:
        raise PermissionDenied(_("Only the member who received this referral can rate it."))
    rating = request.POST.get("rating") or referral.rating
    usefulness = _usefulness(request.POST["usefulness"]) if "usefulness" in request.POST else referral.usefulness
    error = None
    try:
        referral = services.referral_rate(referral=referral, by=me, rating=rating, usefulness=usefulness)
    except ValidationError as exc:
        error = _message(exc)
    return _card_answer(request, referral, me, error, lambda: _("Your rating is saved."))


@prospect_data
@chapter_view(Need.MEMBER)
def referral_won(request, referral_id):
    referral = _referral(request, referral_id)
    me = _seat(request)
    if me.pk != referral.receiver_id:
        raise PermissionDenied(_("Only the member who received this referral can record closed business."))
    chapter = request.chapter
    if Referral.Status.WON not in referral.next_statuses:
        # Say so before the receiver types a value, not after.
        allowed = ", ".join(status_phrase(s) for s in referral.next_statuses)
        if allowed:
            text = _("A referral that is %(status)s cannot be won yet; it can become: %(allowed)s.")
        else:
            text = _("A referral that is %(status)s cannot be won yet (it is closed).")
        messages.error(request, text % {"status": referral.status_phrase, "allowed": allowed})
        return redirect("referrals:detail", chapter.slug, referral.pk)
    form = WonForm(
        request.POST or None,
        currency=chapter.currency,
        initial={"closed_on": timezone.localdate(timezone=chapter.tz)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.referral_move(
                referral=referral,
                by=me,
                to=Referral.Status.WON,
                note=data["note"],
                value=data["value"],
                closed_on=data["closed_on"],
                business_type=data["business_type"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "to" in exc.error_dict:
                form.add_error(None, exc.error_dict["to"])
            else:
                form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Closed business recorded; %(name)s has been thanked.") % {"name": referral.giver.display_name},
            )
            return redirect("referrals:detail", chapter.slug, referral.pk)
    return render(
        request,
        "referrals/referral_won.html",
        {"chapter": chapter, "r": referral, "form": form},
        status=422 if form.is_bound and form.errors else 200,
    )


@require_POST
@chapter_view(Need.MEMBER)
def consent_request(request, referral_id):
    referral = _referral(request, referral_id)
    try:
        services.consent_request_send(referral=referral, by=_seat(request))
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(
            request,
            _("Email to the prospect queued, with a link to confirm or decline: this page shows when it has gone."),
        )
    return redirect("referrals:detail", request.chapter.slug, referral.pk)


@prospect_data
@chapter_view(Need.LEADERSHIP)
def referral_erase(request, referral_id):
    referral = _referral(request, referral_id)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_prospect_erase(
                referral=referral,
                access=request.access,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The prospect's name and contact details were erased."))
            return redirect("referrals:detail", request.chapter.slug, referral.pk)
    return render(
        request, "referrals/referral_erase.html", {"chapter": request.chapter, "r": referral, "form": form}
    )


@prospect_data
@chapter_view(Need.LEADERSHIP)
def referral_erase_find(request):
    """A prospect's erasure request: how many referrals hold the contact they gave, then erase them all.

    Nothing about those referrals is shown (not who gave them, to whom, or how they went): the
    request's reference and the contact are posted, never put in a URL, and both steps are audited.
    """
    chapter = request.chapter
    form = ErasureRequestForm(request.POST or None)
    count = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        args = {"chapter": chapter, "contact": data["contact"], "reference": data["reference"],
                "access": request.access, "actor": request.user}
        if request.POST.get("action") == "erase":
            erased = services.erasure_request_erase(**args)
            if erased:
                done = ngettext(
                    "Erasure request %(reference)s: prospect data erased from %(count)s referral.",
                    "Erasure request %(reference)s: prospect data erased from %(count)s referrals.",
                    erased,
                )
            else:
                done = _("Erasure request %(reference)s: no referral holds that contact any more; nothing was erased.")
            messages.success(request, done % {"reference": data["reference"], "count": erased})
            return redirect("referrals:erase-find", chapter.slug)
        count = services.erasure_request_count(**args)
    return render(
        request,
        "referrals/referral_erase_find.html",
        {"chapter": chapter, "form": form, "count": count},
        status=422 if form.is_bound and form.errors else 200,
    )


# Stats and export -----------------------------------------------------------------------------


def _period(request):
    start, end = selectors.default_period(request.chapter)
    data = request.GET.copy()
    # A link that only changes the order (?by=tyfcb) still shows the period it is about.
    data.setdefault("start", start.isoformat())
    data.setdefault("end", end.isoformat())
    form = PeriodForm(data)
    if form.is_valid():
        start = form.cleaned_data.get("start") or start
        end = form.cleaned_data.get("end") or end
    return form, start, end


LEADERBOARD_PER_PAGE = 25


@chapter_view(Need.MEMBER)
def stats(request):
    chapter = request.chapter
    form, start, end = _period(request)
    rows, total = selectors.chapter_stats(chapter=chapter, start=start, end=end)
    me = request.access.membership
    mine = next((s for s in rows if me and s.membership.pk == me.pk), None)
    order = request.GET.get("by", "given")
    # the totals count everyone; the leaderboard's rows come a page at a time
    board = Paginator(selectors.leaderboard(rows, by=order), LEADERBOARD_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "referrals/stats.html",
        {
            "chapter": chapter,
            "form": form,
            "start": start,
            "end": end,
            "mine": mine,
            "total": total,
            "board": board,
            "page": board,
            "query": urlencode({"start": start.isoformat(), "end": end.isoformat(), "by": order}),
            "by": order,
        },
    )


@prospect_data
@chapter_view(Need.MEMBER)
def referral_export(request):
    chapter = request.chapter
    form = PeriodForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.referral_chapter_list(
        chapter=chapter, status=filters.get("status", ""), start=filters.get("start"), end=filters.get("end")
    )
    response, writer = csv_response(f"referrals-{chapter.slug}.csv")
    # Column keys and cell values (kind, status, consent) are machine values that scripts read by name,
    # the same in every language; dates ISO, amounts plain decimals with the currency in its own column.
    writer.writerow(
        [
            "id",
            "date",
            "giver",
            "receiver",
            "kind",
            "status",
            "temperature",
            "consent",
            "closed value",
            "currency",
            "closed on",
            "business type",
            "prospect name",
            "prospect email",
            "prospect phone",
        ]
    )
    # The rule for the export: prospect contact data only for the chapter's seated
    # leadership (not even the giver's or receiver's own rows, which they read on the referral
    # itself; not admins or region staff without a leadership seat here).
    can_see = selectors.sees_every_prospect(request.access)
    for r in qs.iterator(chunk_size=500):
        writer.writerow(
            [
                csv_safe(v)
                for v in (
                    r.pk,
                    timezone.localtime(r.created_at, chapter.tz).date().isoformat(),
                    r.giver.display_name,
                    r.receiver.display_name,
                    r.kind,
                    r.status,
                    r.temperature,
                    r.consent,
                    "" if r.closed_value is None else r.closed_value,
                    chapter.currency,
                    "" if r.closed_on is None else r.closed_on,
                    r.business_type,
                    r.prospect_name if can_see else "",
                    r.prospect_email if can_see else "",
                    r.prospect_phone if can_see else "",
                )
            ]
        )
    return response


# One-to-ones and education --------------------------------------------------------------------


@chapter_view(Need.MEMBER)
def one_to_ones(request):
    chapter = request.chapter
    me = _seat(request)
    candidates = services.receiver_candidates(chapter=chapter, giver=me)
    form = OneToOneForm(
        request.POST or None,
        candidates=candidates,
        initial={"met_on": timezone.localdate(timezone=chapter.tz)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            one = services.one_to_one_record(
                chapter=chapter, by=me, other=data["other"], met_on=data["met_on"], notes=data["notes"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if one.initiator_id == me.pk:
                text = _("One-to-one recorded; %(name)s will be asked to confirm.")
            else:
                text = _("%(name)s had recorded this one-to-one: it is now confirmed.")
            messages.success(request, text % {"name": data["other"].display_name})
            return redirect("referrals:one-to-ones", chapter.slug)
    mine = Paginator(selectors.one_to_ones_of(chapter=chapter, membership=me), ITEMS_PER_PAGE).get_page(
        request.GET.get("page"))  # paged, not cut at 100 (issue 17)
    return render(
        request,
        "referrals/one_to_ones.html",
        {"chapter": chapter, "form": form, "items": mine, "page": mine, "me": me},
        status=422 if form.is_bound and form.errors else 200,
    )


@require_POST
@chapter_view(Need.MEMBER)
def one_to_one_answer(request, one_to_one_id):
    one = get_object_or_404(request.chapter.one_to_ones, pk=one_to_one_id)
    try:
        services.one_to_one_answer(
            one_to_one=one, by=_seat(request), confirm=request.POST.get("answer") == "confirm"
        )
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("Thanks, noted."))
    return redirect("referrals:one-to-ones", request.chapter.slug)


@require_POST
@chapter_view(Need.MEMBER)
def one_to_one_withdraw(request, one_to_one_id):
    # As with answering: a one-to-one of the chapter, then the service refuses anyone but the initiator.
    one = get_object_or_404(request.chapter.one_to_ones.select_related("other__user"), pk=one_to_one_id)
    try:
        services.one_to_one_withdraw(one_to_one=one, by=_seat(request))
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("One-to-one with %(name)s withdrawn.") % {"name": one.other.display_name})
    return redirect("referrals:one-to-ones", request.chapter.slug)


def _own_credit(request, credit_id):
    """One of the person's own education credits; anyone else's is 404, like a foreign id."""
    return get_object_or_404(request.chapter.education_credits, pk=credit_id, membership=_seat(request))


@chapter_view(Need.MEMBER)
def education_edit(request, credit_id):
    chapter = request.chapter
    credit = _own_credit(request, credit_id)
    form = EducationForm(
        request.POST or None,
        initial={"completed_on": credit.completed_on, "title": credit.title, "hours": credit.hours},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.education_credit_update(
                credit=credit,
                by=request.access.membership,
                completed_on=data["completed_on"],
                title=data["title"],
                hours=data["hours"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Education credit corrected."))
            return redirect("referrals:education", chapter.slug)
    return render(
        request,
        "referrals/education_edit.html",
        {"chapter": chapter, "form": form, "credit": credit},
        status=422 if form.is_bound and form.errors else 200,
    )


@require_POST
@chapter_view(Need.MEMBER)
def education_delete(request, credit_id):
    credit = _own_credit(request, credit_id)
    services.education_credit_delete(credit=credit, by=request.access.membership)
    messages.success(request, _("Education credit “%(title)s” deleted.") % {"title": credit.title})
    return redirect("referrals:education", request.chapter.slug)


@chapter_view(Need.MEMBER)
def education(request):
    chapter = request.chapter
    me = _seat(request)
    form = EducationForm(
        request.POST or None, initial={"completed_on": timezone.localdate(timezone=chapter.tz)}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.education_credit_record(
                chapter=chapter,
                by=me,
                completed_on=data["completed_on"],
                title=data["title"],
                hours=data["hours"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Education credit recorded."))
            return redirect("referrals:education", chapter.slug)
    items = Paginator(selectors.education_credits_of(chapter=chapter, membership=me), ITEMS_PER_PAGE).get_page(
        request.GET.get("page"))  # paged, not cut at 100 (issue 17)
    return render(
        request,
        "referrals/education.html",
        {"chapter": chapter, "form": form, "items": items, "page": items},
        status=422 if form.is_bound and form.errors else 200,
    )


# The prospect's consent page (public: the token is the only key) ------------------------------


@prospect_data
def consent_page(request, token: str):
    """The prospect's page, in the chapter's language: they have no account, and their consent is
    valid only if they understood what they agreed to."""
    consent_request = services.consent_request_for_token(token)
    if consent_request is None:
        # An expired or used link still names its chapter, so the prospect reads why in that language.
        chapter = services.consent_chapter_for_token(token)
        with for_chapter(chapter) if chapter is not None else nullcontext():
            return _in_active_language(render(request, "referrals/consent_invalid.html", {
                "chapter_name": chapter.name if chapter else "",
                "contact": selectors.chapter_contact(chapter) if chapter else None,
            }, status=410))
    referral = consent_request.referral
    with for_chapter(referral.chapter):
        answered = None
        if request.method == "POST":
            answer = request.POST.get("answer", "")
            try:
                consent_request = services.consent_answer(token=token, answer=answer)
            except ValidationError as exc:
                messages.error(request, _message(exc))
            else:
                answered = consent_request.outcome
        response = render(
            request,
            "referrals/consent_page.html",
            {
                "cr": consent_request,
                "answered": answered,
                "giver": referral.giver.display_name,
                "receiver": referral.receiver.display_name,
                "receiver_business": referral.receiver.business_name or referral.receiver.user.business_name,
                "chapter_name": referral.chapter.name,
                "chapter_timezone": referral.chapter.timezone,
            },
        )
        return _in_active_language(response)


def _in_active_language(response):
    """Say the page's language in the header too (LocaleMiddleware would name the browser's)."""
    response["Content-Language"] = translation.get_language()
    return response
