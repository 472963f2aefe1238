"""A client-API caller for the timeline, list, marker, conversation, filter, tag and trend
tests: the Django test client with one person's bearer token."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.db import connection
from django.test.utils import CaptureQueriesContext

from wikisocial.api.tokens import create_personal_token
from wikisocial.posts.models import MediaAttachment, Post


class Api:
    def __init__(self, client, user=None, scopes=("read", "write", "follow")) -> None:
        self.client = client
        self.headers = {}
        if user is not None:
            token = create_personal_token(user, list(scopes))
            self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, data=None, *, form: bool = False, expect: int = 200):
        """``data``: the query string of a GET, else a JSON body (``form``: form-encoded)."""
        kwargs: dict = {"headers": self.headers}
        if method == "get":
            kwargs["data"] = data or {}
        elif form:
            kwargs["data"] = urlencode(data or {}, doseq=True)
            kwargs["content_type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            kwargs["data"] = json.dumps(data)
            kwargs["content_type"] = "application/json"
        response = getattr(self.client, method)(path, **kwargs)
        assert response.status_code == expect, (
            f"{method.upper()} {path} → {response.status_code}: {response.content[:500]!r}"
        )
        return response

    def get(self, path: str, data=None, **kwargs):
        return self.call("get", path, data, **kwargs).json()

    def post(self, path: str, data=None, **kwargs):
        return self.call("post", path, data, **kwargs).json()

    def put(self, path: str, data=None, **kwargs):
        return self.call("put", path, data, **kwargs).json()

    def delete(self, path: str, data=None, **kwargs):
        response = self.call("delete", path, data, **kwargs)
        return response.json() if response.content else None


def ids(statuses: list[dict]) -> list[int]:
    return [int(s["id"]) for s in statuses]


def attach_image(post: Post, description: str = "") -> MediaAttachment:
    """An image on ``post`` (test data made directly: the upload path is tested elsewhere)."""
    return MediaAttachment.objects.create(
        account=post.author, post=post, description=description, width=40, height=30
    )


def count_queries(func) -> int:
    with CaptureQueriesContext(connection) as queries:
        func()
    return len(queries)
