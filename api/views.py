from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from api import selectors, services, throttles
from api.forms import ApiTokenForm
from api.models import ApiToken


def _page(request, form, *, created=None, secret="", status=200):
    return render(request, "api/tokens.html", {
        "form": form, "tokens": selectors.api_tokens_of(user=request.user), "created": created, "secret": secret,
        "rate_limit": throttles.rate_limit_words(),
    }, status=status)


# The token is in the page that answers its creation, and nowhere else: never cached or kept by the browser.
@never_cache
@login_required
def token_list(request):
    """The person's tokens, and the form that creates one (its secret is shown in the answer, once)."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, secret = services.api_token_create(
                user=request.user, name=data["name"], scope=data["scope"], days=data["days"]
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:  # about the person, not a field: too many tokens already
                form.add_error(None, exc.messages)
        else:
            # Rendered, not redirected: the secret must not travel through the session to a second page.
            return _page(request, ApiTokenForm(), created=token, secret=secret)
    return _page(request, form, status=422 if form.is_bound and form.errors else 200)


@require_POST
@login_required
def token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)  # someone else's token: 404
    services.api_token_revoke(token=token, by=request.user)
    messages.success(request, _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name})
    return redirect("api:tokens")
