"""Statuses through the client API: posting (forms as Mastodon.py sends them, JSON as masto.js
does), the limits, Idempotency-Key, reading, editing, history, source, context and deleting."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.api.statuses_client import Api, png_upload
from wikisocial.posts import actions
from wikisocial.posts.models import IdempotencyKey, Post
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db
STATUSES = "/api/v1/statuses"


@pytest.fixture
def ana(client, make_user) -> Api:
    return Api(client, make_user("ana"))


@pytest.fixture
def bea(client, make_user) -> Api:
    return Api(client, make_user("bea"))


def errors_of(response) -> str:
    assert response.status_code == 422, response.content[:500]
    return response.json()["error"]


# --- posting --------------------------------------------------------------------------------


def test_post_as_mastodon_py_sends_it(ana):
    """Form fields, ``sensitive=0``, ``media_ids[]``, a language."""
    media_id = ana.post("/api/v1/media", {"file": png_upload()}, form=True).json()["id"]
    response = ana.post(
        STATUSES,
        {
            "status": "Toot! #first",
            "sensitive": "0",
            "visibility": "unlisted",
            "language": "en",
            "media_ids[]": [media_id],
        },
        form=True,
    )
    assert response.status_code == 200, response.content
    status = response.json()
    assert status["sensitive"] is False
    assert status["visibility"] == "unlisted"
    assert status["language"] == "en"
    assert [m["id"] for m in status["media_attachments"]] == [media_id]
    assert [t["name"] for t in status["tags"]] == ["first"]
    assert status["account"]["id"] == str(ana.account.pk)
    assert Post.objects.get(pk=status["id"]).content == "Toot! #first"


def test_post_as_masto_js_sends_it(ana, bea):
    status = ana.status(
        "hello @bea",
        spoiler_text="Content warning",
        visibility="public",
        poll={"options": ["yes", "no"], "expires_in": 300, "multiple": True, "hide_totals": False},
    )
    assert status["sensitive"] is True  # a content warning hides the text
    assert status["spoiler_text"] == "Content warning"
    assert [m["acct"] for m in status["mentions"]] == ["bea"]
    assert [o["title"] for o in status["poll"]["options"]] == ["yes", "no"]
    assert status["poll"]["multiple"] is True
    assert status["poll"]["voted"] is True  # one's own poll


def test_what_is_left_out_comes_from_the_posting_defaults(ana):
    type(ana.account).objects.filter(pk=ana.account.pk).update(
        default_visibility="unlisted", default_sensitive=True, default_language="de"
    )
    status = ana.status("Guten Tag")
    assert (status["visibility"], status["sensitive"], status["language"]) == (
        "unlisted",
        True,
        "de",
    )
    chosen = ana.status("Hello", visibility="public", sensitive=False, language="en")
    assert (chosen["visibility"], chosen["sensitive"], chosen["language"]) == (
        "public",
        False,
        "en",
    )


def test_poll_as_form_fields(ana):
    response = ana.post(
        STATUSES,
        {"status": "Pick", "poll[options][]": ["a", "b", "c"], "poll[expires_in]": "600"},
        form=True,
    )
    assert response.status_code == 200, response.content
    poll = response.json()["poll"]
    assert [o["title"] for o in poll["options"]] == ["a", "b", "c"]
    assert poll["multiple"] is False


def test_the_application_is_shown_to_the_author_only(ana, bea):
    status = ana.status("from my app")
    assert status["application"] == {"name": "Personal access token", "website": None}
    assert bea.get(f"{STATUSES}/{status['id']}").json()["application"] is None
    post = Post.objects.select_related("application").get(pk=status["id"])
    assert post.application.user == ana.user


def test_the_application_website_comes_from_its_profile(ana):
    from wikisocial.api.models import AppProfile

    post = Post.objects.get(pk=ana.status("x")["id"])
    AppProfile.objects.update_or_create(
        application=post.application, defaults={"scopes": "read", "website": "https://a.app"}
    )
    shown = ana.get(f"{STATUSES}/{post.pk}").json()["application"]
    assert shown == {"name": "Personal access token", "website": "https://a.app"}


def test_a_reply(ana, bea):
    first = ana.status("first")
    reply = bea.status("@ana an answer", in_reply_to_id=first["id"])
    assert reply["in_reply_to_id"] == first["id"]
    assert reply["in_reply_to_account_id"] == str(ana.account.pk)
    assert ana.get(f"{STATUSES}/{first['id']}").json()["replies_count"] == 1


@pytest.mark.parametrize("parent", ["999999", "not-an-id"])
def test_a_reply_to_nothing_is_not_found(ana, parent):
    response = ana.post(STATUSES, {"status": "hm", "in_reply_to_id": parent})
    assert response.status_code == 404
    assert not Post.objects.exists()


def test_a_reply_to_a_hidden_post_is_not_found(ana, bea):
    hidden = actions.create_post(bea.account, actions.Draft(text="mine", visibility="private"))
    response = ana.post(STATUSES, {"status": "hm", "in_reply_to_id": str(hidden.pk)})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "x" * 5001}, "the limit is 5000"),
        ({"status": ""}, "Write something"),
        ({"status": "q", "poll": {"options": list("abcdefg"), "expires_in": 600}}, "2 to 6"),
        ({"status": "q", "poll": {"options": ["a", "b" * 201], "expires_in": 600}}, "200"),
        ({"status": "q", "poll": {"options": ["a"], "expires_in": 600}}, "2 to 6"),
        ({"status": "q", "poll": {"options": ["a", "b"], "expires_in": 60}}, "5 minutes"),
        ({"status": "q", "spoiler_text": "w" * 501}, "content warning"),
        ({"status": "q", "visibility": "everyone"}, "who may see"),
        ({"status": "q", "language": "klingon-ish"}, "language code"),
        ({"status": "q", "media_ids": ["123", "nope"]}, "could not be found"),
    ],
)
def test_limits_are_refused_with_422(ana, fields, message):
    assert message.lower() in errors_of(ana.post(STATUSES, fields)).lower()
    assert not Post.objects.exists()


def test_media_and_a_poll_together_are_refused(ana):
    media_id = ana.post("/api/v2/media", {"file": png_upload()}, form=True).json()["id"]
    response = ana.post(
        STATUSES,
        {"status": "both", "media_ids": [media_id], "poll": {"options": ["a", "b"]}},
    )
    assert "not both" in errors_of(response)


def test_more_than_four_images_are_refused(ana):
    ids = [ana.post("/api/v1/media", {"file": png_upload()}, form=True).json()["id"]]
    ids *= 5
    assert "at most 4" in errors_of(ana.post(STATUSES, {"status": "x", "media_ids": ids}))


def test_someone_elses_image_cannot_be_attached(ana, bea):
    theirs = bea.post("/api/v1/media", {"file": png_upload()}, form=True).json()["id"]
    assert "could not be found" in errors_of(ana.post(STATUSES, {"media_ids": [theirs]}))


def test_scheduling_is_refused_rather_than_posting_now(ana):
    later = (timezone.now() + timedelta(days=1)).isoformat()
    response = ana.post(STATUSES, {"status": "tomorrow", "scheduled_at": later})
    assert response.status_code == 422
    assert response.json()["error"] == "scheduled posts are not supported"
    assert not Post.objects.exists()


def test_posting_needs_the_write_scope(client, make_user):
    reader = Api(client, make_user("ana"), scopes=("read",))
    assert reader.post(STATUSES, {"status": "x"}).status_code == 403
    assert client.post(STATUSES, {"status": "x"}).status_code == 401


def test_unknown_parameters_are_ignored(ana):
    assert (
        ana.post(STATUSES, {"status": "x", "content_type": "text/plain", "foo": 1}).status_code
        == 200
    )


# --- Idempotency-Key --------------------------------------------------------------------------


def test_the_same_idempotency_key_returns_the_same_status(ana):
    first = ana.post(STATUSES, {"status": "once"}, **{"Idempotency-Key": "k1"})
    again = ana.post(STATUSES, {"status": "once"}, form=True, **{"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Post.objects.count() == 1


def test_another_key_or_another_account_posts_again(ana, bea):
    one = ana.post(STATUSES, {"status": "a"}, **{"Idempotency-Key": "k"}).json()["id"]
    two = ana.post(STATUSES, {"status": "a"}, **{"Idempotency-Key": "other"}).json()["id"]
    three = bea.post(STATUSES, {"status": "a"}, **{"Idempotency-Key": "k"}).json()["id"]
    assert len({one, two, three}) == 3


def test_a_key_older_than_an_hour_posts_again(ana):
    one = ana.post(STATUSES, {"status": "a"}, **{"Idempotency-Key": "k"}).json()["id"]
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=1, seconds=1))
    two = ana.post(STATUSES, {"status": "a"}, **{"Idempotency-Key": "k"}).json()["id"]
    assert one != two
    assert IdempotencyKey.objects.get().post_id == int(two)


def test_a_refused_post_does_not_use_up_its_key(ana):
    assert ana.post(STATUSES, {"status": ""}, **{"Idempotency-Key": "k"}).status_code == 422
    assert ana.post(STATUSES, {"status": "fixed"}, **{"Idempotency-Key": "k"}).status_code == 200


def test_a_key_whose_status_was_deleted_is_not_found(ana):
    one = ana.post(STATUSES, {"status": "a"}, **{"Idempotency-Key": "k"}).json()["id"]
    assert ana.delete(f"{STATUSES}/{one}").status_code == 200
    assert ana.post(STATUSES, {"status": "a"}, **{"Idempotency-Key": "k"}).status_code == 404


def test_long_keys_are_fine(ana):
    key = "x" * 5000
    one = ana.post(STATUSES, {"status": "a"}, **{"Idempotency-Key": key}).json()["id"]
    assert ana.post(STATUSES, {"status": "a"}, **{"Idempotency-Key": key}).json()["id"] == one


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_key_make_one_post(make_user):
    """Two threads (two database connections) post with the same key at the same moment; the
    unique constraint makes the second wait for the first and return its post."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has one writer at a time: no race to lose; run on PostgreSQL")
    author = make_user("ana").account
    barrier = threading.Barrier(2)
    results: list = []

    def post() -> None:
        from django.db import connections

        try:
            barrier.wait()
            made = actions.create_post_once(author, actions.Draft(text="racing"), "same")
            results.append(made.pk)
        except Exception as error:  # reported by the assertion below
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2 and all(isinstance(r, int) for r in results), results
    assert results[0] == results[1]
    assert Post.objects.filter(author=author).count() == 1
    assert IdempotencyKey.objects.get().post_id == results[0]


# --- reading ----------------------------------------------------------------------------------


def test_a_public_status_is_read_without_a_token(client, ana):
    status = ana.status("for everyone")
    response = client.get(f"{STATUSES}/{status['id']}")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == status["id"]
    assert "favourited" not in data  # no viewer, no viewer's flags
    assert data["application"] is None


@pytest.mark.parametrize("visibility", ["private", "direct"])
def test_a_hidden_status_is_not_found(client, ana, bea, visibility):
    status = bea.status("not for ana", visibility=visibility)
    assert ana.get(f"{STATUSES}/{status['id']}").status_code == 404
    assert client.get(f"{STATUSES}/{status['id']}").status_code == 404
    assert bea.get(f"{STATUSES}/{status['id']}").status_code == 200


def test_followers_see_followers_only_statuses(ana, bea):
    status = bea.status("for followers", visibility="private")
    social.follow(ana.account, bea.account)
    assert ana.get(f"{STATUSES}/{status['id']}").status_code == 200


@pytest.mark.parametrize("bad", ["abc", "-1", "99999999999999999999999", "1.5", "0"])
def test_invalid_ids_are_not_found(ana, bad):
    for path in ("", "/context", "/history", "/favourited_by", "/source"):
        response = ana.get(f"{STATUSES}/{bad}{path}")
        assert response.status_code == 404, (path, response.content)
        assert response.json() == {"error": "Record not found"}
    assert ana.post(f"{STATUSES}/{bad}/favourite").status_code == 404
    assert ana.delete(f"{STATUSES}/{bad}").status_code == 404


def test_several_statuses_by_id(client, ana, bea):
    one, two = ana.status("one"), ana.status("two")
    hidden = bea.status("hidden", visibility="direct")
    ids = [two["id"], "nope", hidden["id"], one["id"], "123", two["id"]]
    response = client.get(STATUSES, {"id[]": ids})
    assert [s["id"] for s in response.json()] == [two["id"], one["id"]]


# --- editing --------------------------------------------------------------------------------


def test_edit_history_and_source(ana):
    status = ana.status("the best editor?", spoiler_text="opinions")
    response = ana.put(f"{STATUSES}/{status['id']}", {"status": "the best editor? Kate"})
    assert response.status_code == 200, response.content
    edited = response.json()
    assert edited["content"] == "<p>the best editor? Kate</p>"
    assert edited["edited_at"] is not None
    assert edited["spoiler_text"] == "opinions"  # left out: kept
    history = ana.get(f"{STATUSES}/{status['id']}/history").json()
    assert [h["content"] for h in history] == [
        "<p>the best editor?</p>",
        "<p>the best editor? Kate</p>",
    ]
    assert history[0]["created_at"] == status["created_at"]
    assert history[0]["account"]["id"] == str(ana.account.pk)
    source = ana.get(f"{STATUSES}/{status['id']}/source").json()
    assert source == {
        "id": status["id"],
        "text": "the best editor? Kate",
        "spoiler_text": "opinions",
    }


def test_history_of_a_status_never_edited_is_its_one_version(client, ana):
    status = ana.status("as it was", poll={"options": ["a", "b"], "expires_in": 600})
    history = client.get(f"{STATUSES}/{status['id']}/history").json()
    assert len(history) == 1
    assert history[0]["content"] == "<p>as it was</p>"
    assert history[0]["poll"] == {"options": [{"title": "a"}, {"title": "b"}]}


def test_edit_keeps_the_poll_and_its_votes_when_not_named(ana, bea):
    status = ana.status("vote", poll={"options": ["a", "b"], "expires_in": 600})
    bea.post(f"/api/v1/polls/{status['poll']['id']}/votes", {"choices": ["0"]})
    edited = ana.put(f"{STATUSES}/{status['id']}", {"status": "vote, please"}).json()
    assert edited["poll"]["id"] == status["poll"]["id"]
    assert edited["poll"]["votes_count"] == 1


def test_edit_with_new_choices_restarts_the_poll(ana):
    status = ana.status("vote", poll={"options": ["a", "b"], "expires_in": 600})
    edited = ana.put(
        f"{STATUSES}/{status['id']}", {"poll": {"options": ["c", "d"], "expires_in": 900}}
    ).json()
    assert [o["title"] for o in edited["poll"]["options"]] == ["c", "d"]
    assert edited["content"] == "<p>vote</p>"


def test_edit_media_descriptions_and_focus(ana):
    media_id = ana.post("/api/v2/media", {"file": png_upload()}, form=True).json()["id"]
    status = ana.status("a picture", media_ids=[media_id])
    edited = ana.put(
        f"{STATUSES}/{status['id']}",
        {
            "status": "a picture",
            "media_ids": [media_id],
            "media_attributes": [{"id": media_id, "description": "Blue", "focus": "0.5,-2"}],
        },
    ).json()
    media = edited["media_attachments"][0]
    assert media["description"] == "Blue"
    assert media["meta"]["focus"] == {"x": 0.5, "y": -1.0}
    history = ana.get(f"{STATUSES}/{status['id']}/history").json()
    assert [h["media_attachments"][0]["description"] for h in history] == [None, "Blue"]


def test_edit_as_form_fields(ana):
    status = ana.status("before")
    response = ana.put(
        f"{STATUSES}/{status['id']}", {"status": "after", "sensitive": "1"}, form=True
    )
    assert response.status_code == 200, response.content
    assert response.json()["content"] == "<p>after</p>"
    assert response.json()["sensitive"] is True


def test_edit_is_refused_past_the_limits(ana):
    status = ana.status("short")
    assert "5000" in errors_of(ana.put(f"{STATUSES}/{status['id']}", {"status": "x" * 5001}))


def test_others_statuses_and_boosts_cannot_be_edited(ana, bea):
    status = bea.status("hers")
    assert ana.put(f"{STATUSES}/{status['id']}", {"status": "mine"}).status_code == 404
    boost = ana.post(f"{STATUSES}/{status['id']}/reblog").json()
    assert ana.put(f"{STATUSES}/{boost['id']}", {"status": "mine"}).status_code == 404
    assert Post.objects.get(pk=status["id"]).content == "hers"


# --- context ----------------------------------------------------------------------------------


def test_context_lists_what_the_viewer_may_see(client, ana, bea, make_user):
    root = ana.status("root")
    reply = bea.status("@ana reply", in_reply_to_id=root["id"])
    hidden = bea.status("@ana secret", in_reply_to_id=root["id"], visibility="direct")
    deeper = ana.status("@bea deeper", in_reply_to_id=reply["id"])
    context = ana.get(f"{STATUSES}/{reply['id']}/context").json()
    assert [s["id"] for s in context["ancestors"]] == [root["id"]]
    assert [s["id"] for s in context["descendants"]] == [deeper["id"]]
    whole = ana.get(f"{STATUSES}/{root['id']}/context").json()
    assert {s["id"] for s in whole["descendants"]} == {reply["id"], hidden["id"], deeper["id"]}
    anonymous = client.get(f"{STATUSES}/{root['id']}/context").json()
    assert [s["id"] for s in anonymous["descendants"]] == [reply["id"], deeper["id"]]


def test_context_leaves_out_replies_of_muted_people(ana, bea):
    root = ana.status("root")
    bea.status("@ana noise", in_reply_to_id=root["id"])
    social.mute(ana.account, bea.account)
    assert ana.get(f"{STATUSES}/{root['id']}/context").json()["descendants"] == []


def test_context_of_a_hidden_status_is_not_found(ana, bea):
    hidden = bea.status("x", visibility="private")
    assert ana.get(f"{STATUSES}/{hidden['id']}/context").status_code == 404


# --- deleting ---------------------------------------------------------------------------------


def test_delete_returns_the_source_for_a_redraft(ana):
    media_id = ana.post("/api/v2/media", {"file": png_upload()}, form=True).json()["id"]
    status = ana.status("**bold** words", media_ids=[media_id], spoiler_text="cw")
    response = ana.delete(f"{STATUSES}/{status['id']}")
    assert response.status_code == 200
    deleted = response.json()
    assert deleted["text"] == "**bold** words"
    assert "content" not in deleted
    assert deleted["spoiler_text"] == "cw"
    assert [m["id"] for m in deleted["media_attachments"]] == [media_id]
    assert ana.get(f"{STATUSES}/{status['id']}").status_code == 404
    # The image waits for the redraft.
    again = ana.status(deleted["text"], media_ids=[media_id])
    assert [m["id"] for m in again["media_attachments"]] == [media_id]


def test_delete_a_poll_returns_the_poll(ana):
    status = ana.status("vote", poll={"options": ["a", "b"], "expires_in": 600})
    deleted = ana.delete(f"{STATUSES}/{status['id']}").json()
    assert [o["title"] for o in deleted["poll"]["options"]] == ["a", "b"]


def test_others_statuses_cannot_be_deleted(ana, bea):
    status = bea.status("hers")
    assert ana.delete(f"{STATUSES}/{status['id']}").status_code == 404
    assert bea.get(f"{STATUSES}/{status['id']}").status_code == 200


def test_deleting_twice_is_not_found(ana):
    status = ana.status("bye")
    assert ana.delete(f"{STATUSES}/{status['id']}").status_code == 200
    assert ana.delete(f"{STATUSES}/{status['id']}").status_code == 404
