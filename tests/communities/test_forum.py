"""The forum's actions: topics, replies, the group's rules on posting, moderator tools (lock,
pin, close, move, split, solution, delete), reactions, categories, and the topic list's
sorting and pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wikisocial.communities import actions, forum, forum_queries
from wikisocial.communities.models import (
    ForumCategory,
    GroupLogEntry,
    LogAction,
    Reaction,
    ReactionKind,
    Role,
    Topic,
    Watch,
    WatchLevel,
)
from wikisocial.posts import actions as posts
from wikisocial.posts.models import Post, Visibility

pytestmark = pytest.mark.django_db


# --- helpers (imported by the other forum tests) ---------------------------------------------


def start(who, group, title: str = "Which sources for the lead?", text: str = "Hello", **kw):
    """A topic by ``who`` (a User or an Account) through the action every door uses."""
    account = getattr(who, "account", who)
    return forum.create_topic(account, group, title, posts.Draft(text=text), **kw)


def answer(who, post: Post, text: str = "A reply") -> Post:
    """A reply to ``post`` through ``create_post``, as any door would make it."""
    account = getattr(who, "account", who)
    return posts.create_post(account, posts.Draft(text=text, in_reply_to=post))


def fresh(topic: Topic) -> Topic:
    return Topic.objects.select_related("group", "post").get(pk=topic.pk)


def logged(group, action: str) -> list[GroupLogEntry]:
    return list(GroupLogEntry.objects.filter(group=group, action=action))


def moderator_of(group, user) -> None:
    """Make ``user`` a moderator of ``group`` (joining it first)."""
    owner = group.memberships.get(role=Role.OWNER).account
    actions.join(user.account, group)
    actions.set_role(owner, group, user.account, Role.MODERATOR)


@pytest.fixture
def group(ana, make_group):
    return make_group(ana.account, "wikiproject_med")


@pytest.fixture
def topic(group, bea):
    actions.join(bea.account, group)
    return start(bea, group)


# --- starting topics ------------------------------------------------------------------------


def test_a_topic_is_a_post_with_a_title_tags_and_a_category(group, ana):
    category = forum.create_category(ana.account, group, "Sources")
    topic = start(ana, group, "  Lead images  ", "See [[Lead]] #images", category=category,
                  tags=["#Images", "images", "MOS", "lead section"])  # fmt: skip
    assert topic.title == "Lead images"
    assert topic.post.group == group and topic.post.visibility == Visibility.PUBLIC
    assert "Lead" in topic.post.content_html
    assert topic.category == category
    assert sorted(topic.tags.values_list("name", flat=True)) == ["images", "lead-section", "mos"]
    group.refresh_from_db()
    assert group.topics_count == 1 and group.last_activity_at == topic.created_at


@pytest.mark.parametrize(
    ("title", "message"),
    [("", "Give the topic a title."), ("   ", "Give the topic a title."), ("x" * 201, "at most")],
)
def test_a_title_must_be_given_and_short(group, ana, title, message):
    with pytest.raises(ValidationError) as caught:
        start(ana, group, title)
    assert message in " ".join(caught.value.message_dict["title"])
    assert not Topic.objects.exists() and not Post.objects.exists()


def test_every_wrong_field_is_named_at_once(group, ana, bea):
    actions.ban(ana.account, group, bea.account, "spam")
    with pytest.raises(ValidationError) as caught:
        forum.create_topic(bea.account, group, "", posts.Draft(text=""), tags=list("abcdef"))
    errors = caught.value.message_dict
    assert {"title", "tags", "text", "group"} <= set(errors)
    assert errors["group"] == ["You are banned from this group."]
    assert not Post.objects.exists()


def test_a_category_of_another_group_is_refused(group, ana, make_group):
    other = make_group(ana.account, "other_group")
    elsewhere = forum.create_category(ana.account, other, "Elsewhere")
    with pytest.raises(ValidationError) as caught:
        start(ana, group, category=elsewhere)
    assert "category" in caught.value.message_dict


def test_tags_are_normalised_and_at_most_five():
    assert forum.normalize_tags(["#Ça", "ça", "ÇA", " "]) == ["ça"]
    with pytest.raises(ValidationError):
        forum.normalize_tags(["a", "b", "c", "d", "e", "f"])


# --- who may post ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["restricted", "private", "hidden"])
def test_non_members_may_not_post_in_closed_groups(ana, bea, make_group, kind):
    group = make_group(ana.account, "closed_group", kind=kind)
    topic = start(ana, group)
    with pytest.raises(ValidationError, match="Only members"):
        start(bea, group)
    if kind == "restricted":  # bea can read it, so she could try to reply
        with pytest.raises(ValidationError, match="Only members"):
            answer(bea, topic.post)


def test_anyone_not_banned_posts_in_a_public_group(group, ana, cem):
    topic = start(cem, group)
    assert answer(ana, topic.post).group == group


def test_banned_members_are_refused_through_create_post_and_likes(group, ana, bea, topic):
    reply = answer(ana, topic.post)
    actions.ban(ana.account, group, bea.account, "trolling")
    with pytest.raises(ValidationError, match="banned"):
        answer(bea, topic.post)
    with pytest.raises(ValidationError, match="banned"):
        posts.create_post(bea.account, posts.Draft(text="x", group=group))
    with pytest.raises(ValidationError, match="banned"):
        posts.like(bea.account, reply)
    with pytest.raises(ValidationError, match="banned"):
        forum.react(bea.account, reply, ReactionKind.THANKS)
    assert reply.likes.count() == 0 and not Reaction.objects.exists()


def test_only_moderators_start_topics_when_the_group_says_so(ana, bea, make_group):
    group = make_group(ana.account, "announce", posting_restricted_to_mods=True)
    actions.join(bea.account, group)
    with pytest.raises(ValidationError, match="moderators start topics"):
        start(bea, group)
    topic = start(ana, group)
    assert answer(bea, topic.post).in_reply_to == topic.post


def test_locked_topics_take_replies_from_moderators_only(group, ana, bea, topic):
    forum.set_locked(ana.account, topic, True)
    with pytest.raises(ValidationError, match="locked"):
        answer(bea, topic.post)
    assert answer(ana, topic.post).group == group
    forum.set_locked(ana.account, topic, False)
    assert answer(bea, topic.post)
    assert [e.action for e in GroupLogEntry.objects.filter(group=group, target_post=topic.post)]


def test_closed_topics_take_no_replies_at_all(group, ana, bea, topic):
    forum.set_closed(ana.account, topic, True)
    for who in (bea, ana):
        with pytest.raises(ValidationError, match="closed"):
            answer(who, topic.post)
    forum.set_closed(ana.account, topic, False)
    assert answer(bea, topic.post)
    assert len(logged(group, LogAction.CLOSE)) == 1 and len(logged(group, LogAction.OPEN)) == 1


def test_replies_update_their_topic_and_deletions_take_it_back(group, ana, bea, topic):
    first = answer(ana, topic.post)
    second = answer(bea, first)
    assert second.thread_root == topic.post and second.group == group
    topic = fresh(topic)
    assert topic.replies_count == 2 and topic.last_activity_at == second.created_at
    posts.delete_post(second, bea.account)
    assert fresh(topic).replies_count == 1
    posts.delete_post(topic.post, bea.account)
    group.refresh_from_db()
    assert group.topics_count == 0


# --- moderator tools ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        (forum.set_locked, (True,)),
        (forum.set_pinned, (True,)),
        (forum.set_closed, (True,)),
        (forum.set_slow_mode, (60,)),
    ],
)
def test_members_may_not_use_the_moderator_tools(topic, bea, tool, args):
    with pytest.raises(PermissionDenied):
        tool(bea.account, topic, *args)
    topic = fresh(topic)
    assert not topic.locked and topic.pinned_at is None and topic.closed_at is None
    assert topic.slow_mode_seconds == 0


def test_tools_are_logged_once_per_change(group, ana, topic):
    forum.set_pinned(ana.account, topic, True)
    forum.set_pinned(ana.account, topic, True)
    forum.set_locked(ana.account, topic, True)
    forum.set_pinned(ana.account, topic, False)
    assert fresh(topic).pinned_at is None and fresh(topic).locked
    assert [e.action for e in GroupLogEntry.objects.filter(group=group).order_by("id")][1:] == [
        LogAction.PIN,
        LogAction.LOCK,
        LogAction.UNPIN,
    ]
    entry = logged(group, LogAction.LOCK)[0]
    assert entry.actor == ana.account and entry.target_post == topic.post
    assert entry.detail == topic.title


def test_staff_moderate_groups_on_this_server(topic, make_user):
    admin = make_user("admin")
    type(admin).objects.filter(pk=admin.pk).update(is_staff=True)
    admin.refresh_from_db()
    forum.set_locked(admin.account, topic, True)
    assert fresh(topic).locked


@pytest.fixture
def other(ana, make_group):
    return make_group(ana.account, "wikiproject_bio", kind="private")


def test_moving_a_topic_takes_its_replies_and_follows_the_new_group(group, other, ana, bea,
                                                                   cem, topic):  # fmt: skip
    category = forum.create_category(ana.account, group, "Old")
    Topic.objects.filter(pk=topic.pk).update(category=category)
    topic.tags.set([forum._tags(group, ["sources"])[0]])
    reply = answer(ana, topic.post)
    forum.move_topic(ana.account, fresh(topic), other)
    moved = fresh(topic)
    assert moved.group == other and moved.category is None
    assert list(moved.tags.values_list("name", "group")) == [("sources", other.pk)]
    for post in Post.objects.filter(pk__in=[topic.pk, reply.pk]):
        assert post.group == other and post.visibility == Visibility.FOLLOWERS
    group.refresh_from_db()
    other.refresh_from_db()
    assert group.topics_count == 0 and other.topics_count == 1
    assert not Post.objects.visible_to(cem.account).filter(pk=reply.pk).exists()
    assert logged(group, LogAction.MOVE_OUT)[0].detail.startswith(topic.title)
    assert logged(other, LogAction.MOVE_IN)[0].actor == ana.account


def test_moves_into_groups_the_mover_does_not_moderate_are_refused(group, bea, cem, make_group,
                                                                   topic):  # fmt: skip
    moderator_of(group, cem)
    elsewhere = make_group(bea.account, "bea_group")
    with pytest.raises(PermissionDenied, match="groups you moderate"):
        forum.move_topic(cem.account, topic, elsewhere)
    with pytest.raises(PermissionDenied):  # bea moderates the target, not the source
        forum.move_topic(bea.account, topic, elsewhere)
    assert fresh(topic).group == group
    assert Post.objects.get(pk=topic.pk).group == group


def test_a_topic_moves_only_to_another_group_on_this_server(group, ana, topic):
    with pytest.raises(ValidationError):
        forum.move_topic(ana.account, topic, group)


def _tree(bea, ana, topic):
    """topic ← a ← b ← c, and topic ← d."""
    a = answer(bea, topic.post, "a")
    b = answer(ana, a, "b")
    c = answer(bea, b, "c")
    d = answer(ana, topic.post, "d")
    return a, b, c, d


def test_splitting_a_reply_makes_it_and_its_subtree_a_new_topic(group, ana, bea, topic):
    a, b, c, d = _tree(bea, ana, topic)
    forum.mark_solution(ana.account, topic, c)
    new = forum.split_topic(ana.account, fresh(topic), Post.objects.get(pk=b.pk), "About b")
    assert new.pk == b.pk and new.title == "About b" and new.group == group
    b, c = Post.objects.get(pk=b.pk), Post.objects.get(pk=c.pk)
    assert b.in_reply_to is None and b.thread_root is None and b.in_reply_to_account is None
    assert c.in_reply_to == b and c.thread_root == b
    assert Post.objects.get(pk=a.pk).replies_count == 0
    old = fresh(topic)
    assert old.replies_count == 2 and old.solution is None
    assert new.replies_count == 1 and new.last_activity_at == c.created_at
    group.refresh_from_db()
    assert group.topics_count == 2
    assert logged(group, LogAction.SPLIT)[0].detail == f"{topic.title} → About b"
    remaining = forum_queries.replies(old, ana.account, flat=False)
    assert [p.pk for p, _depth in remaining] == [a.pk, d.pk]


def test_a_split_needs_a_reply_of_this_topic_a_title_and_a_moderator(group, ana, bea, topic):
    elsewhere = start(ana, group, "Another")
    stranger = answer(ana, elsewhere.post)
    reply = answer(bea, topic.post)
    with pytest.raises(ValidationError) as caught:
        forum.split_topic(ana.account, topic, stranger, "Nope")
    assert "not in this topic" in caught.value.message_dict["post"][0]
    with pytest.raises(ValidationError):
        forum.split_topic(ana.account, topic, topic.post, "The topic itself")
    with pytest.raises(ValidationError) as caught:
        forum.split_topic(ana.account, topic, reply, " ")
    assert "title" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        forum.split_topic(bea.account, topic, reply, "Mine")
    assert Topic.objects.count() == 2


def test_the_author_or_a_moderator_marks_the_solution(group, ana, bea, cem, topic):
    reply = answer(cem, topic.post)
    with pytest.raises(PermissionDenied):
        forum.mark_solution(cem.account, topic, reply)
    forum.mark_solution(bea.account, topic, reply)
    assert fresh(topic).solution == reply
    forum.unmark_solution(ana.account, topic)
    assert fresh(topic).solution is None
    assert len(logged(group, LogAction.SOLUTION)) == 2


def test_only_a_reply_in_the_topic_can_be_its_solution(group, ana, bea, topic):
    elsewhere = start(ana, group, "Another")
    with pytest.raises(ValidationError):
        forum.mark_solution(bea.account, topic, answer(ana, elsewhere.post))
    with pytest.raises(ValidationError):
        forum.mark_solution(bea.account, topic, topic.post)
    assert fresh(topic).solution is None


def test_moderators_delete_posts_in_their_group_with_a_reason(group, ana, bea, cem, topic):
    reply = answer(cem, topic.post, "rude")
    with pytest.raises(PermissionDenied):
        forum.delete_in_group(bea.account, reply)
    forum.delete_in_group(ana.account, reply, "Be kind")
    assert Post.objects.get(pk=reply.pk).deleted_at is not None
    assert fresh(topic).replies_count == 0
    entry = logged(group, LogAction.DELETE)[0]
    assert entry.reason == "Be kind" and entry.target_account == cem.account


def test_a_moderator_of_another_group_may_not_delete_here(ana, bea, make_group, topic):
    make_group(bea.account, "bea_group")
    with pytest.raises(PermissionDenied):
        forum.delete_in_group(bea.account, answer(ana, topic.post))


# --- reactions ------------------------------------------------------------------------------


def test_reactions_one_per_kind_per_person_and_the_heart_is_a_like(ana, bea, cem, topic):
    reply = answer(ana, topic.post)
    forum.react(cem.account, reply, ReactionKind.THANKS)
    forum.react(cem.account, reply, ReactionKind.THANKS)
    forum.react(cem.account, reply, ReactionKind.HEART)
    forum.react(bea.account, topic.post, ReactionKind.AGREE)
    assert Reaction.objects.filter(post=reply).count() == 1
    assert Post.objects.get(pk=reply.pk).likes_count == 1
    assert fresh(topic).reactions_count == 3
    forum.unreact(cem.account, reply, ReactionKind.HEART)
    forum.unreact(cem.account, reply, ReactionKind.THANKS)
    forum.unreact(cem.account, reply, ReactionKind.THANKS)
    assert fresh(topic).reactions_count == 1
    posts.like(ana.account, topic.post)  # a like from a Mastodon app counts too
    assert fresh(topic).reactions_count == 2


def test_reactions_need_a_known_kind_and_a_post_one_may_read(ana, bea, cem, make_group):
    private = make_group(ana.account, "secret_club", kind="private")
    topic = start(ana, private)
    with pytest.raises(PermissionDenied):
        forum.react(cem.account, topic.post, ReactionKind.THANKS)
    with pytest.raises(PermissionDenied):
        forum.react(cem.account, topic.post, ReactionKind.HEART)
    with pytest.raises(ValidationError):
        forum.react(ana.account, topic.post, "👎")
    assert not Reaction.objects.exists()


# --- categories -----------------------------------------------------------------------------


def test_moderators_manage_categories(group, ana, bea, topic):
    first = forum.create_category(ana.account, group, "News")
    second = forum.create_category(ana.account, group, "news")
    third = forum.create_category(ana.account, group, "Help")
    assert (first.slug, second.slug) == ("news", "news-2")
    forum.move_category(ana.account, third, -1)
    forum.move_category(ana.account, first, -1)  # already first: nothing changes
    assert list(group.categories.values_list("name", flat=True)) == ["News", "Help", "news"]
    forum.rename_category(ana.account, second, "Events", "What is on")
    assert ForumCategory.objects.get(pk=second.pk).slug == "events"
    Topic.objects.filter(pk=topic.pk).update(category=first)
    forum.delete_category(ana.account, first)
    assert fresh(topic).category is None and Topic.objects.filter(pk=topic.pk).exists()
    with pytest.raises(PermissionDenied):
        forum.create_category(bea.account, group, "Mine")
    with pytest.raises(ValidationError):
        forum.create_category(ana.account, group, "  ")
    assert any("category" in e.detail for e in logged(group, LogAction.EDIT))


# --- the topic list -------------------------------------------------------------------------


def _aged(topic: Topic, minutes: int, reactions: int = 0) -> None:
    when = timezone.now() - timedelta(minutes=minutes)
    Topic.objects.filter(pk=topic.pk).update(
        last_activity_at=when, created_at=when, reactions_count=reactions
    )


def _titles(page) -> list[str]:
    return [t.title for t in [*page.pinned, *page.topics]]


def test_the_list_puts_pinned_first_then_sorts(group, ana, bea):
    old = start(ana, group, "Old")
    new = start(ana, group, "New")
    busy = start(ana, group, "Busy")
    pinned = start(ana, group, "Rules")
    _aged(old, 300, reactions=9)
    _aged(new, 10)
    _aged(busy, 200, reactions=2)
    answer(bea, busy.post)  # activity now
    forum.set_pinned(ana.account, pinned, True)
    page = forum_queries.topic_page(bea.account, group, forum_queries.ListFilter())
    assert _titles(page) == ["Rules", "Busy", "New", "Old"]
    page = forum_queries.topic_page(bea.account, group, forum_queries.ListFilter(sort="newest"))
    assert _titles(page) == ["Rules", "New", "Busy", "Old"]
    page = forum_queries.topic_page(bea.account, group, forum_queries.ListFilter(sort="helpful"))
    assert _titles(page) == ["Rules", "Old", "Busy", "New"]


@pytest.mark.parametrize("sort", forum_queries.SORTS)
def test_the_list_pages_by_cursor_without_gaps_or_repeats(group, ana, sort, monkeypatch):
    monkeypatch.setattr(forum_queries, "PAGE_SIZE", 3)
    topics = [start(ana, group, f"T{i}") for i in range(8)]
    for i, topic in enumerate(topics):
        _aged(topic, 100 - (i // 2), reactions=i // 3)  # ties on purpose
    seen, after = [], ""
    for _page in range(4):
        page = forum_queries.topic_page(
            None, group, forum_queries.ListFilter(sort=sort, after=after)
        )
        seen += [t.title for t in page.topics]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert sorted(seen) == sorted(f"T{i}" for i in range(8)) and len(seen) == 8


def test_a_bad_cursor_shows_the_first_page(group, ana):
    start(ana, group, "Only")
    page = forum_queries.topic_page(None, group, forum_queries.ListFilter(after="x_1"))
    assert _titles(page) == ["Only"]


def test_the_list_filters_by_category_and_tag_and_hides_muted_topics(group, ana, bea):
    category = forum.create_category(ana.account, group, "Help")
    helped = start(ana, group, "Help me", category=category, tags=["images"])
    muted = start(ana, group, "Noise")
    start(ana, group, "Other")
    forum.set_watch(bea.account, WatchLevel.MUTED, topic=muted)
    tag = helped.tags.get()
    assert _titles(forum_queries.topic_page(bea.account, group, forum_queries.ListFilter(
        category=category))) == ["Help me"]  # fmt: skip
    assert _titles(
        forum_queries.topic_page(bea.account, group, forum_queries.ListFilter(tag=tag))
    ) == ["Help me"]
    shown = _titles(forum_queries.topic_page(bea.account, group, forum_queries.ListFilter()))
    assert "Noise" not in shown and len(shown) == 2
    everything = forum_queries.ListFilter(show_muted=True)
    assert "Noise" in _titles(forum_queries.topic_page(bea.account, group, everything))
    assert Watch.objects.get(account=bea.account, topic=muted).level == WatchLevel.MUTED


def test_topics_by_people_one_blocked_are_left_out(group, ana, bea):
    from wikisocial.social import actions as social

    start(ana, group, "From Ana")
    social.block(bea.account, ana.account)
    assert _titles(forum_queries.topic_page(bea.account, group, forum_queries.ListFilter())) == []
