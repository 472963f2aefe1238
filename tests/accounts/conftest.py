"""Rate limits (and the cached code-of-conduct version) live in Django's cache: every test here
starts and ends with an empty one, so no test sees another's attempts."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()
