"""Streams as clients name them, the channels behind them, and the scopes they need
(Mastodon's rules: public streams need any valid token, the rest read or read:statuses,
the notification stream read or read:notifications)."""

from __future__ import annotations

import pytest

from wikisocial.streaming.channels import (
    StreamError,
    Subscription,
    hashtag,
    stream_for_path,
    subscription,
)


@pytest.mark.parametrize(
    ("path", "only_media", "name"),
    [
        ("user", False, "user"),
        ("user/notification", False, "user:notification"),
        ("public", False, "public"),
        ("public", True, "public:media"),
        ("public/local", True, "public:local:media"),
        ("public/remote/", False, "public:remote"),
        ("hashtag/local", False, "hashtag:local"),
        ("list", False, "list"),
        ("direct", False, "direct"),
        ("nonsense", False, None),
        ("health/more", False, None),
    ],
)
def test_http_paths_name_streams(path, only_media, name):
    assert stream_for_path(path, only_media) == name


def test_the_user_stream_carries_notifications_only_with_a_scope_for_them():
    assert subscription("user", {}, 7, ["read"]) == Subscription(
        ("user",), ("timeline:7", "timeline:7:notifications"), filtered=False
    )
    assert subscription("user", {}, 7, ["read:statuses"]).channels == ("timeline:7",)


@pytest.mark.parametrize(
    ("name", "scopes", "allowed"),
    [
        ("user", ["read:statuses"], True),
        ("user", ["read:notifications"], False),
        ("user", ["write"], False),
        ("user:notification", ["read:notifications"], True),
        ("user:notification", ["read:statuses"], False),
        ("direct", ["read"], True),
        ("direct", ["follow"], False),
        ("public", ["write"], True),  # public streams need only a valid token
        ("hashtag:local", ["push"], True),
    ],
)
def test_scopes(name, scopes, allowed):
    params = {"tag": "cats"}
    if allowed:
        subscription(name, params, 1, scopes)
    else:
        with pytest.raises(StreamError) as raised:
            subscription(name, params, 1, scopes)
        assert raised.value.status == 401


def test_hashtags_are_normalised_and_labelled_as_asked():
    sub = subscription("hashtag", {"tag": "#Ünïcode"}, 1, ["read"])
    assert sub.channels == (hashtag("ünïcode"),)
    assert sub.stream == ("hashtag", "Ünïcode")
    assert sub.filtered
    local = subscription("hashtag:local", {"tag": "Cats"}, 1, ["read"])
    assert local.channels == ("timeline:hashtag:cats:local",)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("hashtag", {}, "Missing tag name parameter"),
        ("hashtag", {"tag": "  "}, "Missing tag name parameter"),
        ("list", {}, "Missing list name parameter"),
        ("everything", {}, "Unknown stream type"),
    ],
)
def test_bad_requests(name, params, message):
    with pytest.raises(StreamError) as raised:
        subscription(name, params, 1, ["read"])
    assert (raised.value.status, raised.value.message) == (400, message)


def test_public_streams_by_name_or_with_only_media():
    assert subscription("public:local:media", {}, 1, ["read"]).channels == (
        "timeline:public:local:media",
    )
    sub = subscription("public:remote", {"only_media": "true"}, 1, ["read"])
    assert sub.channels == ("timeline:public:remote:media",)
    assert sub.stream == ("public:remote:media",)
    assert subscription("list", {"list": "12"}, 1, ["read"]).stream == ("list", "12")
