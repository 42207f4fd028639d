from tests.access_matrix import LEADERSHIP, Route

ROUTES = {
    "webhooks:list": Route(LEADERSHIP),
    "webhooks:detail": Route(LEADERSHIP, kwargs=lambda p: {"endpoint_id": _endpoint(p).pk}),
    "webhooks:secret": Route(LEADERSHIP, method="post", kwargs=lambda p: {"endpoint_id": _endpoint(p).pk}),
    "webhooks:delete": Route(LEADERSHIP, method="post", kwargs=lambda p: {"endpoint_id": _endpoint(p).pk}),
    "webhooks:resend": Route(LEADERSHIP, method="post", kwargs=lambda p: _sent_delivery(p)),
}


def _endpoint(p):
    from webhooks.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(chapter=p.chapter, url="https://93.184.215.14/hook",
                                          events=["referral.given"], secret="whsec_test")


def _sent_delivery(p):
    from django.utils import timezone

    from webhooks.models import WebhookDelivery

    endpoint = _endpoint(p)
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="referral.given", dedupe_key="referral.given:1",
                                              payload={}, status="sent", attempts=1, sent_at=timezone.now())
    return {"endpoint_id": endpoint.pk, "delivery_id": delivery.pk}
