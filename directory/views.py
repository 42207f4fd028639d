from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.http import urlencode

from chapters.access import Need, chapter_view, chapters_visible_to, regions_overseen_by
from directory import selectors
from members.photos import photo_response
from members.selectors import directory_seats

MAX_QUERY = 100


def _query(request) -> str:
    return " ".join(request.GET.get("q", "").split())[:MAX_QUERY]


@chapter_view(Need.MEMBER)
def chapter_directory(request):
    """The chapter's members with what each shares: seated members, leadership and oversight see the same cards."""
    chapter = request.chapter
    q = _query(request)
    seats = selectors.directory_search(selectors.directory_memberships(chapters=chapter), q)
    page = Paginator(seats, selectors.PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "directory/directory.html", {
        "chapter": chapter, "q": q, "page": page, "query": urlencode({"q": q}) if q else "",
        "cards": selectors.directory_cards(page.object_list, viewer=request.user),
        "has_seat": request.access.membership is not None,
    })


@chapter_view(Need.MEMBER)
def photo(request, membership_id: int):
    """A member's photo, for the chapter's directory only: a seat elsewhere, no photo or a hidden one is 404."""
    profile = selectors.directory_photo_profile(chapter=request.chapter, membership_id=membership_id)
    if profile is None:
        raise Http404("No photo.")
    return photo_response(profile)


@login_required
def directory_search(request):
    """One search across every chapter the person may open (their seats; what they oversee)."""
    q = _query(request)
    context = {"q": q, "seats": directory_seats(user=request.user), "page": None, "cards": [],
               "oversees": regions_overseen_by(request.user) != []}
    if q:
        found = selectors.directory_search(
            selectors.directory_memberships(chapters=chapters_visible_to(request.user)), q
        )
        page = Paginator(found, selectors.PER_PAGE).get_page(request.GET.get("page"))
        context.update(page=page, query=urlencode({"q": q}),
                       cards=selectors.directory_cards(page.object_list, viewer=request.user))
    return render(request, "directory/search.html", context)
