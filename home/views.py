from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from home import dashboard as selectors
from home.navigation import nav_state
from members.models import Notification


@login_required
def dashboard(request):
    user = request.user
    nav = nav_state(user)  # cached: seats, oversight and unread count without a query
    chapters = selectors.seat_chapters(user=user)
    unread = (
        list(Notification.objects.filter(user=user, read_at__isnull=True).select_related("chapter")
             .order_by("-created_at")[:8])
        if nav["unread"] else []
    )
    q = request.GET.get("q", "").strip()[:100]
    overseen = (
        selectors.overseen_chapters_page(user=user, region_ids=nav["region_ids"], q=q, page=request.GET.get("page"))
        if nav["oversees"] else None
    )
    attention = selectors.dashboard_attention(
        user=user, chapters=chapters, oversees=nav["oversees"], region_ids=nav["region_ids"]
    )
    return render(
        request, "home/dashboard.html",
        {"chapters": chapters, "unread": unread, "attention": attention, "overseen": overseen, "q": q},
    )
