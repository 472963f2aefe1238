"""Review of group federation: what remote activities may do to our groups and our people's
posts, and what they may not reveal."""

from __future__ import annotations

import pytest

from tests.federation.test_groups_lemmy import (  # noqa: F401 (fixtures)
    ALPHA,
    OURS,
    SITE,
    TO_OURS,
    _offline,
    lemmy,
    person,
    process,
)
from wikisocial.communities.actions import GroupDraft, approve, ban, create_group, join
from wikisocial.communities.forum import create_topic
from wikisocial.communities.models import GroupKind
from wikisocial.posts.actions import Draft, create_post
from wikisocial.posts.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(make_user):
    return make_user("ana").account


@pytest.fixture
def alpha(db):
    return person(ALPHA)


@pytest.fixture
def private_main(ana, alpha):
    """Our private group ``main``, where Alpha (on Lemmy) is a member."""
    group = create_group(ana, "main", GroupDraft(name="Main", kind=GroupKind.PRIVATE))
    approve(ana, join(alpha, group, uri="http://ds9.lemmy.ml/activities/follow/1"))
    return group


def _reply_to(parent_url: str, addressed: list[str], note_id: str) -> dict:
    comment = lemmy("create_comment.json", TO_OURS)
    note = comment["object"]
    note["id"] = note_id
    note["inReplyTo"] = parent_url
    note["to"] = comment["to"] = addressed
    note["cc"] = comment["cc"] = []
    note["audience"] = comment["audience"] = OURS
    comment["id"] = f"{note_id}/create"
    return comment


def test_a_private_groups_post_answering_a_public_post_reveals_nothing(ana, private_main):
    """A member elsewhere addresses a reply to our private group, answering Ana's public post
    (outside any group): it does not enter the group (a reply is in its parent's group) and
    the public post's reply count, which everyone reads, does not grow."""
    public = create_post(ana, Draft(text="Hello world"))
    process(_reply_to(f"{SITE}/@ana/{public.pk}", [OURS], "http://ds9.lemmy.ml/comment/77"))
    public.refresh_from_db()
    assert public.replies_count == 0
    stored = Post.objects.filter(uri="http://ds9.lemmy.ml/comment/77").first()
    assert stored is None or stored.group_id is None
    assert not Post.objects.filter(group=private_main, in_reply_to=public).exists()


def test_a_public_reply_mentioning_our_group_stays_in_its_thread(ana, private_main):
    """A public reply to a post outside groups that also names a group (as Mastodon people
    mention a community) is a reply in that thread, not a post in the group."""
    public = create_post(ana, Draft(text="Hello world"))
    addressed = ["https://www.w3.org/ns/activitystreams#Public", OURS]
    process(_reply_to(f"{SITE}/@ana/{public.pk}", addressed, "http://ds9.lemmy.ml/comment/78"))
    stored = Post.objects.get(uri="http://ds9.lemmy.ml/comment/78")
    assert stored.group_id is None and stored.in_reply_to == public
    assert Post.objects.visible_to(None).filter(pk=stored.pk).exists()


def test_a_reply_to_a_group_topic_still_joins_the_topic(ana, private_main):
    topic = create_topic(ana, private_main, "Members only", Draft(text="Inside"))
    process(_reply_to(f"{SITE}/@ana/{topic.post.pk}", [OURS], "http://ds9.lemmy.ml/comment/79"))
    stored = Post.objects.get(uri="http://ds9.lemmy.ml/comment/79")
    assert stored.group == private_main and stored.in_reply_to == topic.post
    assert not Post.objects.visible_to(None).filter(pk=stored.pk).exists()


def test_a_banned_remote_author_cannot_edit_their_post_in_our_group(ana, private_main, alpha):
    """An Update of a post in our group from its author after a ban changes nothing and is
    not announced to the members."""
    topic = create_topic(ana, private_main, "Members only", Draft(text="Inside"))
    comment = _reply_to(f"{SITE}/@ana/{topic.post.pk}", [OURS], "http://ds9.lemmy.ml/comment/80")
    process(comment)
    ban(ana, private_main, alpha, reason="spam")
    update = {**comment, "type": "Update", "id": "http://ds9.lemmy.ml/activities/update/80"}
    update["object"] = {**comment["object"], "content": "spam spam spam"}
    outcome = process(update)
    assert outcome.startswith("refused")
    assert "spam" not in Post.objects.get(uri="http://ds9.lemmy.ml/comment/80").content_html


def test_moving_a_topic_leaves_a_followers_only_reply_out_of_the_groups(ana, alpha):
    """A followers-only reply from elsewhere threads under a topic without entering its open
    group; moving the topic to another open group must not take it in (and make it public)."""
    from wikisocial.communities.forum import move_topic

    main = create_group(ana, "main", GroupDraft(name="Main"))
    other = create_group(ana, "other", GroupDraft(name="Other"))
    topic = create_topic(ana, main, "Local topic", Draft(text="Hello"))
    comment = lemmy("create_comment.json", TO_OURS)
    note = comment["object"]
    note["inReplyTo"] = f"{SITE}/@ana/{topic.post.pk}"
    note["to"] = comment["to"] = [f"{ALPHA}/followers"]
    note["cc"] = comment["cc"] = [f"{SITE}/@ana"]
    note.pop("audience")
    process(comment)
    reply = Post.objects.get(uri=note["id"])
    assert reply.group_id is None
    move_topic(ana, topic, other)
    reply.refresh_from_db()
    assert reply.group_id is None and reply.visibility != "public"
    assert not Post.objects.visible_to(None).filter(pk=reply.pk).exists()
    assert Post.objects.get(pk=topic.post.pk).group == other


def test_a_hostile_group_document_is_stored_without_its_overlong_collections(db):
    """A Group whose collection URLs are longer than we keep (or not strings at all) is
    stored, without them, instead of failing the whole actor (PostgreSQL refuses strings
    longer than the column)."""
    from wikisocial.communities.models import Group
    from wikisocial.federation import actors

    uri = "https://enterprise.lemmy.ml/c/tenforward"
    document = lemmy("group_community.json")
    document["featured"] = f"{uri}/featured/{'x' * 600}"
    document["attributedTo"] = [{"id": f"{uri}/moderators/{'y' * 600}"}] * 10_000
    document["postingRestrictedToMods"] = "yes"
    account = actors.store_actor(document)
    group = Group.objects.get(account=account)
    assert group.featured_url == "" and group.moderators_url == ""
    assert group.posting_restricted_to_mods is False
