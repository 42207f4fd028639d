"""The OpenAPI schema, the docs page, and property-based requests generated from the schema (schemathesis).

schemathesis reads /api/v1/openapi.json and sends requests built from each operation's parameters
and bodies (in-process, through Django's WSGI handler) with a member's token; every answer must be
no server error and conform to the schema: a documented status, JSON of the documented shape and
headers. The chapter's slug, and every other id, are mapped to the test chapter's real rows (ids
stay random half the time, for the 404s), so the operations are explored with data behind them.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.urls import reverse
from django.utils import timezone
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import HealthCheck
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.services import api_token_create
from members.notifications import notification_send
from tests.access_matrix import all_api_routes
from tests.api.access import _closed_meeting_with_a_mark, _meeting
from tests.enforcement.factories import ExpulsionCaseFactory, FineFactory
from tests.referrals.factories import OneToOneFactory, ReferralFactory

CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
               response_schema_conformance]


def test_the_schema_is_openapi_3_and_lists_every_operation_of_the_matrix(client):
    schema = client.get(reverse("api-v1:openapi-json")).json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    operations = {op["operationId"]: op for path in schema["paths"].values() for op in path.values()}
    assert {f"api-v1:{name}" for name in operations} == set(all_api_routes())
    for name, op in operations.items():
        assert {"401", "403", "404", "422", "429"} <= set(op["responses"]), name
        assert op["security"] == [{"TokenAuth": []}], name


def test_the_docs_page_is_served_from_our_own_static_files(client):
    response = client.get(reverse("api-v1:openapi-view"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/static/ninja/swagger-ui-init.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert '"validatorUrl": null' in html  # no badge image from validator.swagger.io


# Property-based requests ------------------------------------------------------------------------------


@pytest.fixture
def _connection_kept():
    """Requests go straight to Django's WSGI handler, whose request signals close the database connection
    (PostgreSQL: the test's transaction with it); Django's test client turns that off, and so does this."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(personas, settings, _connection_kept):
    """The chapter with a row of each kind, and a member's read-and-write token."""
    settings.API_RATE_LIMIT = "100000/m"  # the generated requests come far faster than any client's
    ids = {
        "referral_id": [ReferralFactory(giver=personas.member, receiver=personas.president).pk,
                        ReferralFactory(giver=personas.president, receiver=personas.member).pk],
        "meeting_id": [_meeting(personas).pk, _closed_meeting_with_a_mark(personas).pk],
        "membership_id": [personas.member2.pk, personas.president.pk],
        "fine_id": [FineFactory(membership=personas.member).pk],
        "case_id": [ExpulsionCaseFactory(membership=personas.member).pk],
    }
    OneToOneFactory(initiator=personas.president, other=personas.member, met_on=timezone.localdate())
    notification_send(user=personas.member.user, kind="fine", title="A fine", email=False, chapter=personas.chapter)
    _, secret = api_token_create(user=personas.member.user, name="schemathesis", scope="write", days=7)
    return {"slug": personas.chapter.slug, "ids": ids, "token": secret}


def _schema(mode: GenerationMode, max_examples: int, *, coverage: bool = True):
    """The API's own schema (no request needed to collect the tests), called in-process through Django's WSGI handler."""
    from api.v1 import api

    schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_params={}))
    schema.app = WSGIHandler()
    # A few examples per operation keep the run under a minute; deterministic, so CI never flakes on a new draw.
    schema.config.generation.update(max_examples=max_examples, modes=[mode], database="none", deterministic=True)
    # The generated requests share one chapter (the `world` fixture) on purpose, so Hypothesis's check against
    # function-scoped fixtures is off; schemathesis offers only all health checks or named generation ones.
    schema.config.update(suppress_health_check=[HealthCheck.all])
    # The coverage phase sends each parameter's boundary and invalid values deterministically (hundreds of requests).
    schema.config.phases.coverage.enabled = coverage
    return schema


generated = _schema(GenerationMode.POSITIVE, 8)
invalid = _schema(GenerationMode.NEGATIVE, 6, coverage=False)  # the positive run's coverage phase already probes


def _with_real_rows(case, world) -> None:
    """The chapter's slug always; an odd id becomes one of the chapter's rows, an even one stays random (404).

    Members named in a body (a referral's receiver, a one-to-one's other member) likewise.
    """
    path = case.path_parameters or {}
    if isinstance(path.get("chapter_slug"), str):
        path["chapter_slug"] = world["slug"]
    for name, real in world["ids"].items():
        value = path.get(name)
        if isinstance(value, int) and value % 2:
            path[name] = real[(value // 2) % len(real)]
    if isinstance(case.body, dict):
        for name in ("receiver_id", "other_id"):
            value = case.body.get(name)
            if isinstance(value, int) and value % 2:
                case.body[name] = world["ids"]["membership_id"][(value // 2) % 2]


@generated.parametrize()
def test_generated_requests_get_no_server_error_and_answers_that_conform(case, world):
    _with_real_rows(case, world)
    case.call_and_validate(headers={"Authorization": f"Bearer {world['token']}"}, checks=CONFORMANCE)


@invalid.parametrize()
def test_invalid_requests_are_refused_without_a_server_error(case, world):
    """Requests that break the schema (wrong types, out of range, missing fields): a 4xx, never a 5xx."""
    _with_real_rows(case, world)
    case.call_and_validate(headers={"Authorization": f"Bearer {world['token']}"}, checks=[not_a_server_error])
