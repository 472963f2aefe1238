"""The cache-based rate limiter, the client address it counts by, and REDIS_URL."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.test import RequestFactory

from wikisocial.config import env
from wikisocial.core import ratelimit
from wikisocial.core.ratelimit import Limit, client_ip, hit, over_limit

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_hit_allows_up_to_the_limit():
    assert [hit("k", 3, 60) for _ in range(5)] == [True, True, True, False, False]
    assert hit("other key", 3, 60)  # keys count apart


def test_the_window_ends(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: clock[0])
    store = LocMemCache("ratelimit-test", {})
    assert [hit("k", 2, 60, using=store) for _ in range(3)] == [True, True, False]
    clock[0] += 61
    assert hit("k", 2, 60, using=store)


def test_expiry_between_add_and_incr_opens_a_new_window(monkeypatch):
    store = LocMemCache("ratelimit-race", {})
    monkeypatch.setattr(store, "add", lambda *args, **kwargs: False)  # "exists" …
    # … but gone by the time we count: incr raises ValueError on a missing key.
    assert hit("k", 1, 60, using=store) is True


@pytest.mark.parametrize("key", ["with spaces and ünïcödé", "x" * 1000, "a\nb\0c"])
def test_any_text_is_a_valid_key(key, recwarn):
    assert hit(key, 1, 60)
    assert not hit(key, 1, 60)
    assert not [w for w in recwarn if "CacheKeyWarning" in type(w.message).__name__]


def test_over_limit_counts_every_key_and_skips_empty_ones():
    limit = Limit(2, 60)
    assert not over_limit("scope", limit, "ip:1", "to:ana")
    assert not over_limit("scope", limit, "ip:1", "")
    # ip:1 is now over; to:bea still gets counted on the same call.
    assert over_limit("scope", limit, "ip:1", "to:bea")
    assert not over_limit("scope", limit, "ip:2", "to:bea")  # to:bea at 2 of 2
    assert over_limit("scope", limit, "ip:3", "to:bea")
    assert not over_limit("other scope", limit, "ip:1")


@pytest.mark.parametrize(
    ("proxy", "remote", "forwarded", "expected"),
    [
        (False, "192.0.2.1", None, "192.0.2.1"),
        (False, "192.0.2.1", "203.0.113.7", "192.0.2.1"),  # not behind a proxy: ignored
        (True, "127.0.0.1", "203.0.113.7", "203.0.113.7"),
        (True, "::1", "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client wrote 6.6.6.6
        (True, "127.0.0.1", None, "127.0.0.1"),
        (True, "127.0.0.1", " , ", "127.0.0.1"),
    ],
)
def test_client_ip(settings, proxy, remote, forwarded, expected):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if proxy else None
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    assert client_ip(request) == expected


# --- REDIS_URL -----------------------------------------------------------------------------


def test_cache_setting_without_redis_is_local_memory():
    assert env.cache("") == {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


@pytest.mark.parametrize(
    "url", ["redis://cache:6379/0", "rediss://u:p@cache:6380/1", "unix:///r.sock"]
)
def test_cache_setting_with_redis(url):
    assert env.cache(url) == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
    }


@pytest.mark.parametrize(
    "url", ["http://cache:6379", "redis://cache:port/0", "redis:///0", "cache"]
)
def test_cache_setting_refuses_what_is_not_redis(url):
    with pytest.raises(env.ConfigError) as info:
        env.cache(url)
    assert "REDIS_URL must look like redis://host:6379/0" in str(info.value)


def test_cache_setting_error_hides_the_password():
    with pytest.raises(env.ConfigError) as info:
        env.cache("http://user:s3cret@cache:6379/0")
    assert "s3cret" not in str(info.value)


@pytest.fixture
def redis_caches():
    """Two separate clients of the Redis at REDIS_URL, as two web processes would have."""
    pytest.importorskip("redis", reason="the redis package is not installed")
    from django.core.cache.backends.redis import RedisCache

    first = RedisCache(REDIS_URL, {})
    try:
        first.get("ping")
    except Exception as exc:  # the client raises redis.ConnectionError and friends
        pytest.skip(f"no Redis at {REDIS_URL} ({type(exc).__name__}); start redis-server to run")
    second = RedisCache(REDIS_URL, {})
    yield first, second
    first.close()
    second.close()


def test_limit_is_shared_across_processes_with_redis(redis_caches):
    first, second = redis_caches
    assert first._cache is not second._cache  # two clients, one server
    key = f"test-{uuid.uuid4()}"
    results = [hit(key, 3, 30, using=cache) for cache in (first, second, first, second)]
    assert results == [True, True, True, False]
    assert not hit(key, 3, 30, using=first)
    first.delete(ratelimit._cache_key(key))


def test_redis_window_expires(redis_caches):
    first, second = redis_caches
    key = f"test-{uuid.uuid4()}"
    assert hit(key, 1, 30, using=first)
    assert not hit(key, 1, 30, using=second)
    ttl = first._cache.get_client(ratelimit._cache_key(key)).ttl(
        first.make_and_validate_key(ratelimit._cache_key(key))
    )
    assert 0 < ttl <= 30  # counting up does not reset the window
    first.delete(ratelimit._cache_key(key))
