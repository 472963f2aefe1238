"""The forum's pages through the test client: the group home (topic list), categories and
tags, a new topic, a topic with its replies as a tree or flat, replying, reactions, the
moderators' tools, and who may see what (private and hidden groups answer 404)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from tests.communities.test_forum import answer, fresh, logged, moderator_of, start
from wikisocial.accounts.models import Account, ActorType
from wikisocial.communities import actions, activitypub, forum
from wikisocial.communities.models import (
    ForumCategory,
    Group,
    LogAction,
    Reaction,
    ReactionKind,
    Topic,
)
from wikisocial.posts import actions as posts
from wikisocial.posts.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(ana, make_group):
    return make_group(ana.account, "wikiproject_med", name="WikiProject Medicine")


@pytest.fixture
def topic(group, bea):
    return start(bea, group, "Lead images", "Which **images**?")


def url(group, *parts) -> str:
    return "/".join([f"/g/{group.url_handle}", *map(str, parts)])


def _private_and_hidden(ana, bea, make_group):
    """A private and a hidden group, each with a topic; bea is a member of both."""
    found = {}
    for kind in ("private", "hidden"):
        group = make_group(ana.account, f"{kind}_club", kind=kind)
        if kind == "private":
            actions.join(bea.account, group)
            actions.approve(ana.account, group.join_requests.get(account=bea.account))
        else:
            actions.invite(ana.account, group, bea.account)
            actions.join(bea.account, group)
        found[kind] = (group, start(ana, group, f"Secret {kind} topic"))
    return found


# --- the group home -------------------------------------------------------------------------


def test_the_group_home_lists_topics_with_their_details(client, group, ana, bea, topic):
    category = forum.create_category(ana.account, group, "Images")
    rules = start(ana, group, "Read the rules", category=category, tags=["Rules", "help"])
    forum.set_pinned(ana.account, rules, True)
    forum.set_locked(ana.account, rules, True)
    forum.mark_solution(bea.account, topic, answer(ana, topic.post))
    page = client.get(url(group)).text
    assert '<h1 id="group-name"><bdi>WikiProject Medicine</bdi></h1>' in page
    assert page.index("Read the rules") < page.index("Lead images")
    row = page[page.index("Read the rules") :]
    for badge in ('class="badge pinned"', 'class="badge locked"'):
        assert badge in row
    assert 'href="/g/wikiproject_med/c/images">Images</a>' in row
    assert 'href="/g/wikiproject_med/tag/rules">#rules</a>' in row
    assert 'class="badge solved"' in page[page.index("Lead images") :]
    assert "<dt>Replies</dt><dd>1</dd>" in page
    assert '<a href="?sort=latest" aria-current="page">' in page
    assert 'rel="next"' not in page


def test_sorting_and_pages_on_the_group_home(client, group, ana, monkeypatch):
    from wikisocial.communities import forum_queries

    monkeypatch.setattr(forum_queries, "PAGE_SIZE", 2)
    for title in ("One", "Two", "Three"):
        start(ana, group, title)
    first = client.get(url(group) + "?sort=newest").text
    assert "Three" in first and "Two" in first and "One" not in first
    after = re.search(r'after=([0-9_]+)" rel="next"', first).group(1)
    second = client.get(url(group) + f"?sort=newest&after={after}").text
    assert "One" in second and "Three" not in second and 'rel="next"' not in second
    assert '<a href="?sort=newest" aria-current="page">' in second
    assert client.get(url(group) + "?sort=bogus&after=nonsense").status_code == 200


def test_category_and_tag_pages_filter_the_list(client, group, ana, topic):
    category = forum.create_category(ana.account, group, "Help desk")
    start(ana, group, "Help me", category=category, tags=["Images"])
    page = client.get(url(group, "c", category.slug)).text
    assert "Help me" in page and "Lead images" not in page
    assert "Category: Help desk" in page
    page = client.get(url(group, "tag", "images")).text
    assert "Help me" in page and "Lead images" not in page
    assert client.get(url(group, "tag", "IMAGES")).status_code == 200
    assert client.get(url(group, "c", "nothing")).status_code == 404
    assert client.get(url(group, "tag", "nothing")).status_code == 404


def test_activitypub_clients_get_the_group_actor(client, group):
    response = client.get(url(group), HTTP_ACCEPT="application/activity+json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/activity+json")
    assert response.json()["type"] == "Group"
    assert "Accept" in response["Vary"]


def test_the_actor_is_asked_of_the_federation_code_at_request_time(client, group, monkeypatch):
    seen = []
    monkeypatch.setattr(
        activitypub, "group_response", lambda request, g: seen.append(g) or _ok(), raising=False
    )
    client.get(url(group), HTTP_ACCEPT="application/ld+json")
    assert seen == [group]


def _ok():
    from django.http import HttpResponse

    return HttpResponse("actor")


def test_a_remote_group_uses_the_same_page(client, ana):
    account = Account.objects.create(
        username="medicine", domain="lemmy.example", actor_type=ActorType.GROUP,
        display_name="Medicine on Lemmy", uri="https://lemmy.example/c/medicine",
    )  # fmt: skip
    remote = Group.objects.create(account=account, kind="public")
    actions.join(ana.account, remote)
    post = Post.objects.create(
        author=Account.objects.create(username="doc", domain="lemmy.example"),
        local=False,
        uri="https://lemmy.example/post/1",
        content_html="<p>From Lemmy</p>",
        group=remote,
        created_at=timezone.now(),
    )
    Topic.objects.create(post=post, group=remote, title="A Lemmy post")
    page = client.get("/g/medicine@lemmy.example")
    assert page.status_code == 200 and "A Lemmy post" in page.text
    assert client.get(f"/g/medicine@lemmy.example/t/{post.pk}").status_code == 200


# --- privacy --------------------------------------------------------------------------------


def test_private_groups_show_outsiders_only_that_they_are_members_only(client, ana, bea, cem,
                                                                     make_group):  # fmt: skip
    (private, topic) = _private_and_hidden(ana, bea, make_group)["private"]
    for who in (None, cem):
        client.logout()
        if who:
            client.force_login(who)
        page = client.get(url(private))
        assert page.status_code == 200 and "Members only" in page.text
        assert "Secret private topic" not in page.text
        for path in (
            url(private, "t", topic.pk),
            url(private, "t", topic.pk) + "?view=flat",
            url(private, "tag", "x"),
        ):
            assert client.get(path).status_code == 404, path
        if who is not None:
            assert client.get(url(private, "categories")).status_code == 404
    client.force_login(bea)
    assert "Secret private topic" in client.get(url(private)).text
    assert client.get(url(private, "t", topic.pk)).status_code == 200


def test_hidden_groups_are_404_for_everybody_outside(client, ana, bea, cem, make_group):
    (hidden, topic) = _private_and_hidden(ana, bea, make_group)["hidden"]
    category = forum.create_category(ana.account, hidden, "Plans")
    paths = [
        url(hidden),
        url(hidden, "t", topic.pk),
        url(hidden, "c", category.slug),
        url(hidden, "new"),
        url(hidden, "categories"),
    ]
    for who in (None, cem):
        client.logout()
        if who:
            client.force_login(who)
        for path in paths:
            assert client.get(path).status_code in (404, 302), path
            if who is not None:
                assert client.get(path).status_code == 404, path
        assert client.get(url(hidden), HTTP_ACCEPT="application/activity+json").status_code == 404
    client.force_login(bea)
    assert "Secret hidden topic" in client.get(url(hidden)).text


def test_a_topic_asked_for_under_another_group_is_not_found_there(client, group, ana,
                                                                   make_group):  # fmt: skip
    private = make_group(ana.account, "private_club", kind="private")
    secret = start(ana, private, "Secret")
    assert client.get(url(group, "t", secret.pk)).status_code == 404
    assert client.get(url(group, "t", 12345)).status_code == 404


# --- a new topic ----------------------------------------------------------------------------


def test_starting_a_topic(client, group, ana, bea):
    category = forum.create_category(ana.account, group, "Images")
    client.force_login(bea)
    page = client.get(url(group, "new"))
    assert page.status_code == 200 and 'name="title"' in page.text and 'name="tags"' in page.text
    response = client.post(
        url(group, "new"),
        {"title": "Infobox photos", "text": "See [[Infobox]] @ana #photos", "tags": "Photos, MOS",
         "category": category.pk, "spoiler_text": "", "language": "en"},
    )  # fmt: skip
    topic = Topic.objects.get(title="Infobox photos")
    assert response.status_code == 302 and response["Location"] == url(group, "t", topic.pk)
    assert topic.category == category and topic.post.language == "en"
    assert sorted(topic.tags.values_list("name", flat=True)) == ["mos", "photos"]
    assert '/@ana"' in topic.post.content_html


def test_new_topic_needs_a_login(client, group):
    response = client.get(url(group, "new"))
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize(
    ("title", "message"),
    [("", "Give the topic a title."), ("x" * 201, "A title may have at most 200 characters.")],
)
def test_a_bad_title_keeps_everything_typed(client, group, bea, title, message):
    client.force_login(bea)
    response = client.post(
        url(group, "new"),
        {"title": title, "text": "My long careful text", "tags": "alpha beta", "language": "es"},
    )
    assert response.status_code == 400
    assert message in response.text
    assert "My long careful text</textarea>" in response.text
    assert 'value="alpha beta"' in response.text and 'value="es"' in response.text
    assert not Topic.objects.exists()


def test_who_may_not_start_topics_is_told_and_refused(client, ana, bea, cem, make_group):
    restricted = make_group(ana.account, "restricted_club", kind="restricted")
    closed = make_group(ana.account, "news_desk", posting_restricted_to_mods=True)
    public = make_group(ana.account, "open_club")
    actions.ban(ana.account, public, cem.account, "spam")
    cases = [
        (bea, restricted, "Only members may post in this group."),
        (bea, closed, "Only the group&#x27;s moderators start topics here."),
        (cem, public, "You are banned from this group."),
    ]
    for who, where, message in cases:
        client.force_login(who)
        assert message in client.get(url(where, "new")).text
        response = client.post(url(where, "new"), {"title": "Hi", "text": "Typed text"})
        assert response.status_code == 400 and message in response.text
        assert "Typed text</textarea>" in response.text
    assert not Topic.objects.exists()
    client.force_login(bea)
    private = make_group(ana.account, "priv", kind="private")
    assert client.get(url(private, "new")).status_code == 404


# --- a topic --------------------------------------------------------------------------------


def _thread(ana, bea, cem, topic):
    a = answer(ana, topic.post, "first answer")
    b = answer(cem, a, "nested under the first")
    c = answer(bea, topic.post, "second answer")
    return a, b, c


def test_replies_as_a_tree_and_flat(client, group, ana, bea, cem, topic):
    a, b, c = _thread(ana, bea, cem, topic)
    page = client.get(url(group, "t", topic.pk)).text
    assert '<h1 id="topic-title"><bdi>Lead images</bdi></h1>' in page
    assert "Which <strong>images</strong>?" in page
    order = [page.index(f'id="post-{p.pk}"') for p in (topic.post, a, b, c)]
    assert order == sorted(order)
    assert f'class="forum-post reply depth-2" id="post-{b.pk}"' in page
    flat = client.get(url(group, "t", topic.pk) + "?view=flat").text
    order = [flat.index(f'id="post-{p.pk}"') for p in (a, b, c)]
    assert order == sorted(order) and "depth-2" not in flat
    assert f'In reply to <a href="#post-{a.pk}"><bdi>ana</bdi></a>' in flat
    assert '<a href="?view=flat" aria-current="page">' in flat


def test_deep_threads_stop_indenting(client, group, ana, bea, topic):
    post = topic.post
    for i in range(9):
        post = answer(ana if i % 2 else bea, post, f"level {i}")
    page = client.get(url(group, "t", topic.pk)).text
    assert "depth-6" in page and "depth-7" not in page


def test_the_solution_is_shown_after_the_first_post(client, group, ana, bea, cem, topic):
    a, _b, c = _thread(ana, bea, cem, topic)
    forum.mark_solution(bea.account, topic, c)
    page = client.get(url(group, "t", topic.pk)).text
    assert page.index(f'id="solution-{c.pk}"') < page.index(f'id="post-{a.pk}"')
    assert page.index(f'id="post-{topic.pk}"') < page.index(f'id="solution-{c.pk}"')


def test_replying_to_the_topic_and_to_a_reply(client, group, ana, bea, topic):
    a = answer(ana, topic.post)
    client.force_login(bea)
    page = client.get(url(group, "t", topic.pk) + f"?reply_to={a.pk}").text
    assert "Replying to" in page and f'name="in_reply_to" value="{a.pk}"' in page
    response = client.post(url(group, "t", topic.pk), {"text": "Thanks!", "in_reply_to": a.pk})
    reply = Post.objects.get(content="Thanks!")
    assert response["Location"] == url(group, "t", topic.pk) + f"#post-{reply.pk}"
    assert reply.in_reply_to == a and reply.group == group
    client.post(url(group, "t", topic.pk), {"text": "To all"})
    assert Post.objects.get(content="To all").in_reply_to == topic.post
    assert fresh(topic).replies_count == 3


def test_a_reply_to_a_post_of_another_topic_is_refused(client, group, ana, bea, topic):
    elsewhere = start(ana, group, "Elsewhere")
    client.force_login(bea)
    response = client.post(
        url(group, "t", topic.pk), {"text": "Misplaced", "in_reply_to": elsewhere.pk}
    )
    assert response.status_code == 400
    assert "You can only reply to posts in this topic." in response.text
    assert "Misplaced</textarea>" in response.text


def test_anonymous_readers_are_asked_to_log_in(client, group, topic):
    page = client.get(url(group, "t", topic.pk)).text
    assert "Log in to reply" in page and 'name="text"' not in page
    response = client.post(url(group, "t", topic.pk), {"text": "hi"})
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize(
    ("state", "explained", "refused"),
    [
        ("locked", "Only the group's moderators may reply.", "This topic is locked"),
        ("closed", "The discussion ended on", "This topic is closed."),
    ],
)
def test_locked_and_closed_topics_are_explained_and_refuse_replies(client, group, ana, cem,
                                                                  topic, state, explained,
                                                                  refused):  # fmt: skip
    if state == "locked":
        forum.set_locked(ana.account, topic, True)
    else:
        forum.set_closed(ana.account, topic, True)
    client.force_login(cem)
    page = client.get(url(group, "t", topic.pk)).text
    assert explained in page and refused in page and 'name="text"' not in page
    response = client.post(url(group, "t", topic.pk), {"text": "Let me in"})
    assert response.status_code == 400 and refused in response.text
    assert "Let me in</textarea>" in response.text
    assert fresh(topic).replies_count == 0


def test_non_members_of_a_restricted_group_may_read_but_not_reply(client, ana, bea, make_group):
    restricted = make_group(ana.account, "restricted_club", kind="restricted")
    topic = start(ana, restricted)
    client.force_login(bea)
    page = client.get(url(restricted, "t", topic.pk))
    assert page.status_code == 200 and "Only members may post in this group." in page.text
    response = client.post(url(restricted, "t", topic.pk), {"text": "Can I?"})
    assert response.status_code == 400 and not Post.objects.filter(content="Can I?").exists()


def test_banned_members_may_not_reply_from_the_page(client, group, ana, cem, topic):
    actions.ban(ana.account, group, cem.account, "trolling")
    client.force_login(cem)
    page = client.get(url(group, "t", topic.pk)).text
    assert "You are banned from this group." in page and 'name="text"' not in page
    assert "?reply_to=" not in page
    response = client.post(url(group, "t", topic.pk), {"text": "Still here"})
    assert response.status_code == 400 and "You are banned from this group." in response.text
    assert "Still here</textarea>" in response.text
    assert not Post.objects.filter(content="Still here").exists()


def test_a_moved_topic_is_found_at_its_new_address(client, group, ana, make_group, topic):
    other = make_group(ana.account, "wikiproject_bio")
    forum.move_topic(ana.account, topic, other)
    response = client.get(url(group, "t", topic.pk))
    assert response.status_code == 302 and response["Location"] == url(other, "t", topic.pk)


def test_a_deleted_topic_is_gone(client, group, bea, topic):
    posts.delete_post(topic.post, bea.account)
    assert client.get(url(group, "t", topic.pk)).status_code == 404
    assert "Lead images" not in client.get(url(group)).text


# --- reactions ------------------------------------------------------------------------------


def test_reacting_without_javascript(client, group, ana, cem, topic):
    reply = answer(ana, topic.post)
    client.force_login(cem)
    react = url(group, "t", topic.pk, "react")
    for kind in (ReactionKind.HEART, ReactionKind.THANKS, ReactionKind.THANKS):
        response = client.post(react, {"post": reply.pk, "kind": kind})
        assert response.status_code == 302
    assert Post.objects.get(pk=reply.pk).likes_count == 1
    assert Reaction.objects.filter(post=reply, account=cem.account).count() == 1
    page = client.get(url(group, "t", topic.pk)).text
    block = page[page.index(f'id="reactions-post-{reply.pk}"') :]
    assert 'aria-pressed="true" title="Thanks"' in block
    assert "👎" not in page and "karma" not in page.lower()
    client.post(react, {"post": reply.pk, "kind": ReactionKind.THANKS, "undo": "1"})
    assert not Reaction.objects.exists()


def test_reacting_with_htmx_returns_the_reactions(client, group, cem, topic):
    client.force_login(cem)
    response = client.post(
        url(group, "t", topic.pk, "react"),
        {"post": topic.pk, "kind": ReactionKind.CELEBRATE},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div class="reactions"')
    assert 'title="Celebrate"><span aria-hidden="true">🎉</span>' in response.text
    assert f'name="next" value="{url(group, "t", topic.pk)}"' in response.text


def test_bad_reactions(client, ana, bea, cem, group, topic, make_group):
    private = make_group(ana.account, "private_club", kind="private")
    secret = start(ana, private)
    elsewhere = start(ana, group, "Elsewhere")
    client.force_login(cem)
    assert client.post(url(private, "t", secret.pk, "react"),
                       {"post": secret.pk, "kind": "❤"}).status_code == 404  # fmt: skip
    react = url(group, "t", topic.pk, "react")
    assert client.post(react, {"post": elsewhere.pk, "kind": "❤"}).status_code == 404
    assert client.post(react, {"post": "x", "kind": "❤"}).status_code == 404
    client.post(react, {"post": topic.pk, "kind": "👎"})
    actions.ban(ana.account, group, cem.account)
    response = client.post(react, {"post": topic.pk, "kind": "🙏"}, follow=True)
    assert "You are banned from this group." in response.text
    assert not Reaction.objects.exists() and Post.objects.get(pk=topic.pk).likes_count == 0


# --- moderator tools ------------------------------------------------------------------------


def test_moderators_see_and_use_their_tools(client, group, ana, bea, topic):
    client.force_login(bea)
    assert "Moderation" not in client.get(url(group, "t", topic.pk)).text
    for action in ("lock", "pin", "close", "slow-mode"):
        assert client.post(url(group, "t", topic.pk, action)).status_code == 404
    client.force_login(ana)
    page = client.get(url(group, "t", topic.pk)).text
    assert 'id="moderation-heading">Moderation</h2>' in page
    for action in ("lock", "pin", "close"):
        assert client.post(url(group, "t", topic.pk, action)).status_code == 302
    topic = fresh(topic)
    assert topic.locked and topic.pinned_at and topic.closed_at
    page = client.get(url(group, "t", topic.pk)).text
    assert ">Unlock</button>" in page and ">Unpin</button>" in page and ">Reopen</button>" in page
    for action in ("unlock", "unpin", "open"):
        client.post(url(group, "t", topic.pk, action))
    topic = fresh(topic)
    assert not topic.locked and topic.pinned_at is None and topic.closed_at is None
    assert client.get(url(group, "t", topic.pk, "lock")).status_code == 404  # POST only
    assert client.post(url(group, "t", topic.pk, "explode")).status_code == 404


def test_the_author_marks_the_solution_from_the_page(client, group, ana, bea, cem, topic):
    reply = answer(ana, topic.post)
    client.force_login(cem)
    assert client.post(url(group, "t", topic.pk, "solution"), {"post": reply.pk}).status_code == 404
    client.force_login(bea)
    assert "Mark as the solution" in client.get(url(group, "t", topic.pk)).text
    client.post(url(group, "t", topic.pk, "solution"), {"post": reply.pk})
    assert fresh(topic).solution == reply
    elsewhere = start(ana, group, "Elsewhere")
    other = answer(ana, elsewhere.post)
    assert client.post(url(group, "t", topic.pk, "solution"), {"post": other.pk}).status_code == 404


def test_moving_from_the_page(client, group, ana, bea, cem, make_group, topic):
    mine = make_group(ana.account, "wikiproject_bio")
    theirs = make_group(cem.account, "cem_group")
    client.force_login(bea)
    assert client.get(url(group, "t", topic.pk, "move")).status_code == 404
    client.force_login(ana)
    form = client.get(url(group, "t", topic.pk, "move")).text
    assert '<option value="wikiproject_bio">' in form
    response = client.post(url(group, "t", topic.pk, "move"), {"group": "cem_group"})
    assert response.status_code == 400
    assert "You can only move topics into groups you moderate." in response.text
    assert 'value="cem_group"' in response.text
    response = client.post(url(group, "t", topic.pk, "move"), {"group": "no_such_group"})
    assert response.status_code == 400 and "There is no group of that name" in response.text
    response = client.post(url(group, "t", topic.pk, "move"), {"group": "!wikiproject_bio"})
    assert response["Location"] == url(mine, "t", topic.pk)
    assert fresh(topic).group == mine and theirs.topics_count == 0
    assert logged(mine, LogAction.MOVE_IN)


def test_splitting_from_the_page(client, group, ana, bea, cem, topic):
    a = answer(cem, topic.post, "off-topic tangent")
    b = answer(bea, a, "more tangent")
    client.force_login(ana)
    form = client.get(url(group, "t", topic.pk, "split") + f"?post={a.pk}")
    assert form.status_code == 200 and "off-topic tangent" in form.text
    response = client.post(url(group, "t", topic.pk, "split"), {"post": a.pk, "title": " "})
    assert response.status_code == 400 and "Give the topic a title." in response.text
    response = client.post(url(group, "t", topic.pk, "split"), {"post": a.pk, "title": "Tangent"})
    assert response["Location"] == url(group, "t", a.pk)
    assert Post.objects.get(pk=b.pk).thread_root_id == a.pk
    page = client.get(url(group, "t", a.pk)).text
    assert "Tangent" in page and "more tangent" in page
    elsewhere = start(ana, group, "Elsewhere")
    stranger = answer(ana, elsewhere.post)
    path = url(group, "t", topic.pk, "split") + f"?post={stranger.pk}"
    assert client.get(path).status_code == 404
    assert client.get(url(group, "t", topic.pk, "split") + f"?post={topic.pk}").status_code == 404


def test_moderators_delete_posts_from_the_page(client, group, ana, bea, cem, topic):
    reply = answer(cem, topic.post, "spam spam")
    moderator_of(group, bea)
    client.force_login(bea)  # the topic's author is also a moderator now
    assert "Delete as moderator" in client.get(url(group, "t", topic.pk)).text
    client.post(url(group, "t", topic.pk, "delete"), {"post": reply.pk, "reason": "Spam"})
    assert Post.objects.get(pk=reply.pk).deleted_at is not None
    assert logged(group, LogAction.DELETE)[0].reason == "Spam"
    client.force_login(cem)
    other = answer(ana, topic.post)
    assert client.post(url(group, "t", topic.pk, "delete"), {"post": other.pk}).status_code == 404
    client.force_login(ana)
    response = client.post(url(group, "t", topic.pk, "delete"), {"post": topic.pk})
    assert response["Location"] == url(group)
    assert client.get(url(group, "t", topic.pk)).status_code == 404


# --- categories -----------------------------------------------------------------------------


def test_moderators_manage_categories_on_their_page(client, group, ana, bea):
    client.force_login(bea)
    assert client.get(url(group, "categories")).status_code == 404
    client.force_login(ana)
    assert client.get(url(group, "categories")).status_code == 200
    page = url(group, "categories")
    client.post(page, {"op": "create", "new-name": "News", "new-description": "What happened"})
    client.post(page, {"op": "create", "new-name": "Help"})
    response = client.post(page, {"op": "create", "new-name": " ", "new-description": "Kept"})
    assert response.status_code == 400 and "Give the category a name." in response.text
    assert "Kept</textarea>" in response.text
    help_desk = ForumCategory.objects.get(name="Help")
    client.post(page, {"op": "up", "category": help_desk.pk})
    assert list(group.categories.values_list("name", flat=True)) == ["Help", "News"]
    assert 'name="edit-name"' in client.get(page + f"?edit={help_desk.pk}").text
    client.post(page, {"op": "rename", "category": help_desk.pk, "edit-name": "Help desk"})
    assert ForumCategory.objects.get(pk=help_desk.pk).slug == "help-desk"
    client.post(page, {"op": "delete", "category": help_desk.pk})
    assert list(group.categories.values_list("name", flat=True)) == ["News"]
    assert client.post(page, {"op": "delete", "category": 999}).status_code == 404
    assert client.post(page, {"op": "explode"}).status_code == 404


# --- cost -----------------------------------------------------------------------------------


def _queries(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


def test_pages_cost_the_same_whatever_their_length(client, group, ana, bea, cem, topic):
    category = forum.create_category(ana.account, group, "Help")
    client.force_login(cem)
    answer(ana, topic.post)
    start(ana, group, "Second", category=category, tags=["x"])
    topic_before = _queries(client, url(group, "t", topic.pk))
    list_before = _queries(client, url(group))
    for i in range(6):
        reply = answer(bea if i % 2 else ana, topic.post, f"more {i}")
        forum.react(cem.account, reply, ReactionKind.THANKS)
        start(ana, group, f"Topic {i}", category=category, tags=["x", f"t{i}"])
    assert _queries(client, url(group, "t", topic.pk)) <= topic_before + 2
    assert _queries(client, url(group)) <= list_before + 2
