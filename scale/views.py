"""Views only the bench serves (BENCH_ENDPOINTS=1): never routed in production."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def bare_auth(request):
    """Loads the session and the user, nothing else: the ceiling a signed-in page is measured against."""
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")
