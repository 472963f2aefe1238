"""/api/v1/conversations: threads of direct posts, their participants, read and unread,
removal until the next post, and nobody else's conversation."""

from __future__ import annotations

import pytest

# The people fixtures (tests/api/conftest.py does not provide them); tests take them
# as arguments, which ruff reads as redefinitions.
from tests.posts.helpers import write
from tests.timelines.helpers import Api, count_queries
from wikisocial.posts import actions as posts
from wikisocial.posts.models import Visibility

pytestmark = pytest.mark.django_db
DIRECT = Visibility.DIRECT


@pytest.fixture
def api(client):
    def make(user=None, scopes=("read", "write")):
        return Api(client, user, scopes)

    return make


def usernames(conversation: dict) -> list[str]:
    return [a["username"] for a in conversation["accounts"]]


def test_a_direct_message_starts_a_conversation_for_both(api, ana, bea):
    first = write(bea, "@ana psst", visibility=DIRECT)
    [for_ana] = api(ana).get("/api/v1/conversations")
    assert for_ana["id"] == str(first.pk) and for_ana["unread"] is True
    assert usernames(for_ana) == ["bea"]
    assert for_ana["last_status"]["id"] == str(first.pk)
    assert for_ana["last_status"]["visibility"] == "direct"
    [for_bea] = api(bea).get("/api/v1/conversations")
    assert for_bea["id"] == for_ana["id"] and for_bea["unread"] is False
    assert usernames(for_bea) == ["ana"]


def test_read_then_a_reply_makes_it_unread_again(api, ana, bea):
    first = write(bea, "@ana psst", visibility=DIRECT)
    caller = api(ana)
    read = caller.post(f"/api/v1/conversations/{first.pk}/read")
    assert read["unread"] is False and read["id"] == str(first.pk)
    assert caller.get("/api/v1/conversations")[0]["unread"] is False
    answer = write(ana, "@bea what?", visibility=DIRECT, in_reply_to=first)
    [mine] = caller.get("/api/v1/conversations")
    assert mine["last_status"]["id"] == str(answer.pk) and mine["unread"] is False
    [bea_sees] = api(bea).get("/api/v1/conversations")
    assert bea_sees["unread"] is True and bea_sees["id"] == str(first.pk)
    again = write(bea, "@ana this", visibility=DIRECT, in_reply_to=answer)
    [mine] = caller.get("/api/v1/conversations")
    assert mine["unread"] is True and mine["last_status"]["id"] == str(again.pk)


def test_removed_until_a_new_post_arrives(api, ana, bea):
    first = write(bea, "@ana psst", visibility=DIRECT)
    caller = api(ana)
    assert caller.delete(f"/api/v1/conversations/{first.pk}") == {}
    assert caller.get("/api/v1/conversations") == []
    caller.call("post", f"/api/v1/conversations/{first.pk}/read", expect=404)
    assert len(api(bea).get("/api/v1/conversations")) == 1  # only Ana's view changed
    newer = write(bea, "@ana still there?", visibility=DIRECT, in_reply_to=first)
    [back] = caller.get("/api/v1/conversations")
    assert back["unread"] is True and back["last_status"]["id"] == str(newer.pk)


def test_group_conversations_and_notes_to_self(api, ana, bea, cem):
    group = write(bea, "@ana @cem plan?", visibility=DIRECT)
    write(cem, "@bea just you", visibility=DIRECT, in_reply_to=group)
    [for_ana] = api(ana).get("/api/v1/conversations")
    assert usernames(for_ana) == ["bea", "cem"]
    assert for_ana["last_status"]["id"] == str(group.pk)  # Ana does not see Cem's reply
    [for_bea] = api(bea).get("/api/v1/conversations")
    assert sorted(usernames(for_bea)) == ["ana", "cem"]
    note = write(ana, "a note to myself", visibility=DIRECT)
    latest = api(ana).get("/api/v1/conversations")[0]
    assert latest["id"] == str(note.pk) and usernames(latest) == ["ana"]


def test_a_direct_reply_in_a_public_thread(api, ana, bea):
    public = write(ana, "public question")
    private = write(bea, "@ana privately", visibility=DIRECT, in_reply_to=public)
    [conversation] = api(ana).get("/api/v1/conversations")
    assert conversation["id"] == str(public.pk)
    assert conversation["last_status"]["id"] == str(private.pk)


def test_a_deleted_post_leaves_the_previous_one_last(api, ana, bea):
    first = write(bea, "@ana one", visibility=DIRECT)
    second = write(bea, "@ana two", visibility=DIRECT, in_reply_to=first)
    posts.delete_post(second, bea.account)
    [conversation] = api(ana).get("/api/v1/conversations")
    assert conversation["last_status"]["id"] == str(first.pk)
    posts.delete_post(first, bea.account)
    assert api(ana).get("/api/v1/conversations") == []


def test_nobody_elses_conversation(api, ana, bea, cem):
    first = write(bea, "@ana psst", visibility=DIRECT)
    public = write(bea, "public")
    outsider = api(cem)
    assert outsider.get("/api/v1/conversations") == []
    for path in (f"/api/v1/conversations/{first.pk}", "/api/v1/conversations/abc"):
        outsider.call("delete", path, expect=404)
    outsider.call("post", f"/api/v1/conversations/{first.pk}/read", expect=404)
    api(ana).call("post", f"/api/v1/conversations/{public.pk}/read", expect=404)
    assert api(ana).get("/api/v1/conversations")[0]["unread"] is True
    api(ana, scopes=("read",)).call("delete", f"/api/v1/conversations/{first.pk}", expect=403)
    api().call("get", "/api/v1/conversations", expect=401)


def test_pages_and_a_fixed_number_of_queries(api, ana, bea, cem):
    made = []
    for i in range(6):
        sender = bea if i % 2 else cem
        made.append(write(sender, f"@ana message {i}", visibility=DIRECT))
    caller = api(ana)
    response = caller.call("get", "/api/v1/conversations", {"limit": 2})
    assert [c["id"] for c in response.json()] == [str(made[5].pk), str(made[4].pk)]
    assert f"max_id={made[4].pk}" in response["Link"]
    older = caller.get("/api/v1/conversations", {"limit": 2, "max_id": made[4].pk})
    assert [c["id"] for c in older] == [str(made[3].pk), str(made[2].pk)]
    small = count_queries(lambda: caller.get("/api/v1/conversations", {"limit": 1}))
    assert count_queries(lambda: caller.get("/api/v1/conversations", {"limit": 40})) == small
