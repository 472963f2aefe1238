"""Rate limits (and the cached code-of-conduct version) live in Django's cache: every test here
starts and ends with an empty one, so no test sees another's attempts."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.posts.fixtures import ana, bea, cem  # noqa: F401 (fixtures for the API tests)
from wikisocial.api.tokens import create_personal_token


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(client):
    """api(user, scopes) → a function making requests with that user's bearer token."""

    def for_user(user, scopes=("read", "write")):
        token = create_personal_token(user, list(scopes))

        def call(method: str, path: str, data=None, **extra):
            send = getattr(client, method.lower())
            return send(path, data or {}, HTTP_AUTHORIZATION=f"Bearer {token}", **extra)

        return call

    return for_user
