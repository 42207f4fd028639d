"""Calling the API as a person: a token of theirs, the request, the JSON back."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from api.services import api_token_create


class ApiClient:
    """Django's test client speaking JSON with `Authorization: Bearer <token>`."""

    def __init__(self, client):
        self.client = client

    def token(self, user, *, scope: str = "write", days: int = 30, name: str = "tests") -> str:
        return api_token_create(user=getattr(user, "user", user), name=name, scope=scope, days=days)[1]

    def call(self, method: str, url: str, *, token: str | None = None, body=None, headers=None):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.generic(method, url, data="" if body is None else json.dumps(body),
                                   content_type="application/json", headers=headers)

    def get(self, url, token=None, **kw):
        return self.call("GET", url, token=token, **kw)

    def post(self, url, token=None, body=None, **kw):
        return self.call("POST", url, token=token, body=body, **kw)

    def put(self, url, token=None, body=None, **kw):
        return self.call("PUT", url, token=token, body=body, **kw)


@pytest.fixture
def api(client) -> ApiClient:
    return ApiClient(client)


def url(name: str, chapter=None, **kwargs) -> str:
    """An operation's address: `url("referral_detail", chapter, referral_id=3)`."""
    if chapter is not None:
        kwargs = {"chapter_slug": chapter.slug, **kwargs}
    return reverse(f"api-v1:{name}", kwargs=kwargs)


def errors_at(response, field: str) -> list[str]:
    """The 422 messages about one field of the body."""
    assert response.status_code == 422, (response.status_code, response.content)
    return [e["msg"] for e in response.json()["detail"] if e["loc"][-1] == field]
