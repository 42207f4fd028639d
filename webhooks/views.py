from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from chapters.access import Need, chapter_view
from webhooks import services, signing
from webhooks.forms import EndpointForm
from webhooks.models import WebhookDelivery, WebhookEndpoint

DELIVERIES_PER_PAGE = 50


def _endpoint(request, endpoint_id: int) -> WebhookEndpoint:
    return get_object_or_404(request.chapter.webhook_endpoints.defer("secret"), pk=endpoint_id)  # never on a page


def _form_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _secret_page(request, endpoint: WebhookEndpoint, secret: str):
    """The secret, this once: the page is not cached, and no later page shows it."""
    return render(request, "webhooks/secret.html", {
        "chapter": request.chapter, "endpoint": endpoint, "secret": secret,
        "headers": {"signature": signing.SIGNATURE_HEADER, "timestamp": signing.TIMESTAMP_HEADER,
                    "event": signing.EVENT_HEADER, "delivery": signing.DELIVERY_HEADER},
    })


@never_cache
@chapter_view(Need.LEADERSHIP)
def endpoint_list(request):
    chapter = request.chapter
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(chapter=chapter, by=request.user, **{
                k: form.cleaned_data[k] for k in ("url", "events", "description")
            })
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            return _secret_page(request, endpoint, secret)
    endpoints = chapter.webhook_endpoints.defer("secret")
    return render(request, "webhooks/endpoint_list.html", {"chapter": chapter, "endpoints": endpoints, "form": form})


@chapter_view(Need.LEADERSHIP)
def endpoint_detail(request, endpoint_id: int):
    chapter = request.chapter
    endpoint = _endpoint(request, endpoint_id)
    initial = {"url": endpoint.url, "events": endpoint.events, "description": endpoint.description,
               "is_active": endpoint.is_active}
    form = EndpointForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(endpoint=endpoint, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Webhook endpoint saved."))
            return redirect("webhooks:detail", chapter.slug, endpoint.pk)
    deliveries = Paginator(endpoint.deliveries.all(), DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "webhooks/endpoint_detail.html", {
        "chapter": chapter, "endpoint": endpoint, "form": form, "page": deliveries,
        "finished": WebhookDelivery.FINISHED,
    })


@never_cache
@require_POST
@chapter_view(Need.LEADERSHIP)
def endpoint_secret(request, endpoint_id: int):
    endpoint = _endpoint(request, endpoint_id)
    return _secret_page(request, endpoint, services.endpoint_secret_renew(endpoint=endpoint, by=request.user))


@require_POST
@chapter_view(Need.LEADERSHIP)
def endpoint_delete(request, endpoint_id: int):
    endpoint = _endpoint(request, endpoint_id)
    services.endpoint_delete(endpoint=endpoint, by=request.user)
    messages.success(request, _("Webhook endpoint %(url)s removed.") % {"url": endpoint.url})
    return redirect("webhooks:list", request.chapter.slug)


@require_POST
@chapter_view(Need.LEADERSHIP)
def delivery_resend(request, endpoint_id: int, delivery_id: int):
    endpoint = _endpoint(request, endpoint_id)
    delivery = get_object_or_404(endpoint.deliveries, pk=delivery_id)
    try:
        services.delivery_resend(delivery=delivery, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Delivery queued again."))
    return redirect("webhooks:detail", request.chapter.slug, endpoint.pk)
