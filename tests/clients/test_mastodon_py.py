"""Mastodon.py (PyPI `Mastodon.py`, the bot library many people use) against a running
WikiSocial: nothing here knows WikiSocial; it is what a bot author would write for Mastodon.

Each person logs in the way a Mastodon.py user does: the app registers (`create_app`),
`auth_request_url()` gives the authorize URL, the person opens it in a browser, logs in and
approves, copies the out-of-band code from the page, and the script calls `log_in(code=...)`.
"""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass, field

import httpx
import pytest
from mastodon import (
    Mastodon,
    MastodonNotFoundError,
    MastodonUnauthorizedError,
    StreamListener,
)
from PIL import Image

from tests.clients.conftest import OOB, Browser, Server, wait_until, word

pytestmark = pytest.mark.e2e

SCOPES = ["read", "write", "follow", "push"]


@dataclass
class Person:
    username: str
    api: Mastodon
    client_id: str
    client_secret: str
    me: dict = field(default_factory=dict)


def log_in(server: Server, username: str, **options) -> Person:
    """The whole authorization-code flow, as a person using a Mastodon.py script does it."""
    client_id, client_secret = Mastodon.create_app(
        f"mastodon.py test {username}",
        scopes=SCOPES,
        redirect_uris=OOB,
        website="https://example.org/bot",
        api_base_url=server.url,
    )
    api = Mastodon(
        client_id=client_id, client_secret=client_secret, api_base_url=server.url, **options
    )
    url = api.auth_request_url(redirect_uris=OOB, scopes=SCOPES, allow_http=True)
    assert url.startswith(f"{server.url}/"), url
    with Browser(server) as browser:
        code = browser.authorize(url, username)
    api.log_in(code=code, redirect_uri=OOB, scopes=SCOPES, allow_http=True)
    person = Person(username, api, client_id, client_secret)
    person.me = api.account_verify_credentials()
    return person


@pytest.fixture(scope="module")
def ana(server, people) -> Person:
    return log_in(server, people("ana"))


@pytest.fixture(scope="module")
def bob(server, people) -> Person:
    return log_in(server, people("bob"))


def png(width: int = 48, height: int = 32) -> bytes:
    """A small real PNG: two colours, so a thumbnail and a blurhash have something to show."""
    image = Image.new("RGB", (width, height), (30, 110, 200))
    for x in range(width // 2):
        for y in range(height):
            image.putpixel((x, y), (230, 180, 20))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def in_list(items, status_id) -> bool:
    return any(str(item["id"]) == str(status_id) for item in items)


# --- logging in --------------------------------------------------------------------------------


def test_authorization_code_flow_gives_a_working_token(server, ana):
    assert ana.me["username"] == ana.username
    assert ana.me["acct"] == ana.username
    assert isinstance(ana.me["id"], str | int)
    assert "source" in ana.me  # a CredentialAccount
    app = ana.api.app_verify_credentials()
    assert app["name"] == f"mastodon.py test {ana.username}"
    # A second app for the same person works side by side.
    again = log_in(server, ana.username)
    assert again.me["id"] == ana.me["id"]


def test_version_string_is_understood(server, ana):
    """With version checks on, Mastodon.py reads our version from /api/v1/instance and our
    API version from /api/v2/instance; it warns when a 4.3+ server reports no API version."""
    api = Mastodon(
        access_token=ana.api.access_token,
        api_base_url=server.url,
        version_check_mode="created",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        version = api.retrieve_mastodon_version(fail_hard=True)
    assert version == "4.3.0", version
    assert api.mastodon_api_version >= 2
    assert api.verify_minimum_version("4.3.0", cached=True)
    # An endpoint Mastodon.py checks against the version: it runs rather than raising.
    assert api.account_verify_credentials()["id"] == ana.me["id"]


# --- posting ------------------------------------------------------------------------------------


def test_post_with_media(ana):
    media = ana.api.media_post(
        png(), mime_type="image/png", description="Two colours, side by side", focus=(0.0, 0.5)
    )
    assert media["type"] == "image"
    attached = wait_until(
        lambda: (m := ana.api.media(media["id"]))["url"] and m, "the upload to be processed", 30
    )
    assert attached["description"] == "Two colours, side by side"
    status = ana.api.status_post(word("picture"), media_ids=[attached], sensitive=False)
    assert [str(m["id"]) for m in status["media_attachments"]] == [str(media["id"])]
    shown = status["media_attachments"][0]
    assert shown["meta"]["original"]["width"] == 48
    image = httpx.get(shown["url"], timeout=30)
    assert image.status_code == 200
    assert image.headers["content-type"].startswith("image/")
    assert httpx.get(shown["preview_url"], timeout=30).status_code == 200


def test_post_with_poll(ana, bob):
    poll = ana.api.make_poll(["tea", "coffee", "water"], expires_in=3600, multiple=False)
    status = ana.api.status_post(word("poll"), poll=poll)
    assert [o["title"] for o in status["poll"]["options"]] == ["tea", "coffee", "water"]
    assert status["poll"]["expired"] is False
    voted = bob.api.poll_vote(status["poll"]["id"], [1])
    assert voted["voted"] is True
    assert voted["own_votes"] == [1]
    assert voted["votes_count"] == 1
    assert [o["votes_count"] for o in voted["options"]] == [0, 1, 0]
    assert ana.api.poll(status["poll"]["id"])["votes_count"] == 1


def test_post_with_content_warning_unlisted(ana):
    text = word("hidden")
    status = ana.api.status_post(
        text, spoiler_text="Spoilers for the film", visibility="unlisted", language="en"
    )
    assert status["spoiler_text"] == "Spoilers for the film"
    assert status["visibility"] == "unlisted"
    assert status["sensitive"] is True  # a content warning marks the post sensitive
    assert status["language"] == "en"
    assert text in status["content"]
    # Unlisted: on the profile, not on the public timelines.
    assert in_list(ana.api.account_statuses(ana.me["id"], limit=10), status["id"])
    assert not in_list(ana.api.timeline_public(limit=40), status["id"])
    assert not in_list(ana.api.timeline_local(limit=40), status["id"])


def test_home_timeline_and_thread(ana, bob):
    bob.api.account_follow(ana.me["id"])
    first = ana.api.status_post(word("thread"))
    reply = ana.api.status_post(word("reply"), in_reply_to_id=first["id"])
    answer = bob.api.status_post(f"@{ana.username} {word('answer')}", in_reply_to_id=reply["id"])
    assert str(answer["in_reply_to_id"]) == str(reply["id"])
    assert str(answer["in_reply_to_account_id"]) == str(ana.me["id"])

    context = ana.api.status_context(reply["id"])
    assert [str(s["id"]) for s in context["ancestors"]] == [str(first["id"])]
    assert [str(s["id"]) for s in context["descendants"]] == [str(answer["id"])]
    top = ana.api.status_context(first["id"])
    assert top["ancestors"] == []
    assert [str(s["id"]) for s in top["descendants"]] == [str(reply["id"]), str(answer["id"])]

    home = wait_until(
        lambda: (h := bob.api.timeline_home(limit=40)) and in_list(h, first["id"]) and h,
        "ana's post in bob's home timeline",
    )
    assert in_list(home, answer["id"])  # one's own posts are in one's home timeline
    # Pagination through the Link header, as Mastodon.py follows it.
    page = bob.api.timeline_home(limit=1)
    older = bob.api.fetch_next(page)
    assert older and str(older[0]["id"]) != str(page[0]["id"])


def test_follow_gives_a_notification(ana, server, people):
    carol = log_in(server, people("carol"))
    relationship = carol.api.account_follow(ana.me["id"])
    assert relationship["following"] is True
    assert str(relationship["id"]) == str(ana.me["id"])
    assert carol.api.account_relationships([ana.me["id"]])[0]["following"] is True

    def follow_from_carol():
        found = ana.api.notifications(types=["follow"], limit=40)
        return [n for n in found if str(n["account"]["id"]) == str(carol.me["id"])]

    notes = wait_until(follow_from_carol, "a follow notification for ana from carol")
    assert notes[0]["type"] == "follow"
    assert "status" not in notes[0] or notes[0]["status"] is None
    # Excluding the type hides it.
    rest = ana.api.notifications(exclude_types=["follow"], limit=40)
    assert all(n["type"] != "follow" for n in rest)
    assert carol.me["id"] in [a["id"] for a in ana.api.account_followers(ana.me["id"])]


def test_edit_and_history(ana):
    status = ana.api.status_post(word("first"), spoiler_text="")
    assert status["edited_at"] is None
    edited_text = word("second")
    edited = ana.api.status_update(status["id"], edited_text, spoiler_text="now with a warning")
    assert edited_text in edited["content"]
    assert edited["spoiler_text"] == "now with a warning"
    assert edited["edited_at"] is not None
    history = ana.api.status_history(status["id"])
    assert len(history) == 2
    assert edited_text in history[-1]["content"]
    assert history[0]["content"] != history[-1]["content"]
    source = ana.api.status_source(status["id"])
    assert source["text"] == edited_text


def test_delete(ana):
    text = word("gone")
    status = ana.api.status_post(text)
    deleted = ana.api.status_delete(status["id"])
    assert deleted["text"] == text  # Mastodon returns the source, for "delete and redraft"
    with pytest.raises(MastodonNotFoundError):
        ana.api.status(status["id"])


# --- the person's own account ------------------------------------------------------------------


def test_update_profile(server, people):
    """What a bot does once: name, bio, avatar, profile fields, the bot flag (Mastodon.py sends
    them as multipart form data, booleans as 0/1 and fields as fields_attributes[i][name])."""
    dana = log_in(server, people("dana"))
    me = dana.api.account_update_credentials(
        display_name="Dana's bot",
        note="Posts about wikis & <b>bots</b>",
        avatar=png(80, 80),
        avatar_mime_type="image/png",
        bot=True,
        locked=False,
        fields=[("Wiki", "https://example.org/wiki"), ("Owner", "dana")],
    )
    assert me["display_name"] == "Dana's bot"
    assert me["bot"] is True
    assert me["locked"] is False
    assert [(f["name"], f["value"]) for f in me["fields"]][1] == ("Owner", "dana")
    assert me["source"]["note"] == "Posts about wikis & <b>bots</b>"
    assert "<b>" not in me["note"]  # the bio is plain text, shown as escaped HTML
    avatar = httpx.get(me["avatar"], timeout=30)
    assert avatar.status_code == 200
    assert avatar.headers["content-type"].startswith("image/")
    assert dana.api.account_verify_credentials()["display_name"] == "Dana's bot"


def test_revoked_token_stops_working(server, people):
    erin = log_in(server, people("erin"))
    token = erin.api.access_token
    erin.api.revoke_access_token(allow_http=True)
    after = Mastodon(access_token=token, api_base_url=server.url)
    with pytest.raises(MastodonUnauthorizedError):
        after.account_verify_credentials()


# --- streaming ----------------------------------------------------------------------------------


class Collector(StreamListener):
    def __init__(self) -> None:
        self.updates: list = []
        self.events: list[str] = []
        self.errors: list[BaseException] = []
        self.seen = threading.Event()
        self.ready = threading.Event()

    def handle_heartbeat(self) -> None:
        # Mastodon opens every event stream with the comment ":)", once it listens.
        self.ready.set()

    def on_update(self, status) -> None:
        self.updates.append(status)
        self.seen.set()

    def on_any_event(self, name, data=None, for_stream=None) -> None:
        self.events.append(name)

    def on_abort(self, err) -> None:
        self.errors.append(err)

    def on_unknown_event(self, name, unknown_event=None) -> None:
        self.events.append(f"unknown:{name}")


def test_user_stream_receives_an_update(ana, bob):
    ana.api.account_follow(bob.me["id"])
    listener = Collector()
    handle = ana.api.stream_user(listener, run_async=True, timeout=30)
    try:
        assert listener.ready.wait(20), "no opening comment on the user stream within 20s"
        text = word("streamed")
        posted = bob.api.status_post(text)

        def arrived():
            return [s for s in listener.updates if str(s["id"]) == str(posted["id"])]

        got = wait_until(
            arrived, f"the update on ana's user stream (events: {listener.events})", 30
        )
        assert text in got[0]["content"]
        assert got[0]["account"]["username"] == bob.username
        assert not listener.errors, listener.errors
    finally:
        handle.close()
        handle.join(2)  # a daemon thread; it may sit in a blocking read until the server stops
