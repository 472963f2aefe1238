"""The privacy sweep: nothing of a private or hidden group reaches people outside it, through
any door. A private and a hidden group each hold a topic (a title, a #hashtag, a mention of an
outsider, an image) and a reply (the hashtag, a poll), a like and a bookmark; each door is
then knocked on by someone not logged in, by an outsider (Bea, who follows the author, lists
her, follows the hashtag and is mentioned) and by a former member (Dan), and every answer is
searched for any word of that content: web pages, the client API, ActivityPub documents and
WebFinger, notifications, streaming, counts. The open side is checked too: public and
restricted groups' posts are shown to everyone, as public posts are."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.communities.world import Side, furnish, member, topic
from tests.posts.helpers import write
from wikisocial.api.tokens import create_personal_token
from wikisocial.communities import actions as communities
from wikisocial.communities.models import Group
from wikisocial.notifications.models import Notification
from wikisocial.posts import actions as posts
from wikisocial.posts.models import Post
from wikisocial.social import actions as social
from wikisocial.streaming.events import render
from wikisocial.streaming.filtering import screen
from wikisocial.timelines.actions import add_to_list, create_list

pytestmark = pytest.mark.django_db

ACTIVITY_JSON = "application/activity+json"
KINDS = ("private", "hidden")
OUTSIDERS = ("anonymous", "bea", "dan")


@dataclass
class World:
    sides: dict[str, Side]
    public_post: Post  # Ana's ordinary public post, with a stray reply from a closed group
    list_id: int  # Bea's list holding Ana
    people: dict


@pytest.fixture
def world(ana, bea, cem, make_user, make_group) -> World:
    """Ana owns a private and a hidden group; Cem is a member; Dan was one (he liked and
    bookmarked the topic, voted in the poll, then left); Bea follows Ana, lists her and
    follows the groups' hashtags, and is mentioned in the topics."""
    dan = make_user("dan")
    social.follow(bea.account, ana.account)
    friends = create_list(bea.account, "Friends")
    add_to_list(friends, [ana.account])
    public_post = write(ana, "Hello everyone #opentag")
    sides = {}
    for kind in KINDS:
        handle = f"{kind}club"
        social.follow_hashtag(bea.account, f"{handle}tag")
        group = make_group(ana.account, handle, kind=kind, name=f"Name{handle}")
        member(group, cem, ana)
        member(group, dan, ana)
        side = furnish(group, ana, cem, mentioned=bea)
        posts.like(dan.account, side.post)
        posts.bookmark(dan.account, side.post)
        posts.vote(dan.account, side.reply.poll, [0])
        stray = Post.objects.create(  # as a careless server might thread one
            author=cem.account,
            group=group,
            in_reply_to=public_post,
            thread_root=public_post,
            in_reply_to_account=ana.account,
            visibility="private",
            content_html=f"<p>Stray{handle}</p>",
            created_at=timezone.now(),
        )
        side.secrets += [f"Stray{handle}", str(stray.pk)]
        communities.leave(dan.account, group)
        if kind == "hidden":
            side.secrets += [handle, f"Name{handle}"]
        sides[kind] = side
    people = {"ana": ana, "bea": bea, "cem": cem, "dan": dan}  # Cem: the member, for controls
    return World(sides=sides, public_post=public_post, list_id=friends.pk, people=people)


class Visitor:
    """One outsider at the doors: a browser (session) and a Mastodon app (bearer token)."""

    def __init__(self, who: str, world: World) -> None:
        self.who = who
        self.person = world.people.get(who)
        self.web = Client()
        self.headers: dict[str, str] = {}
        if self.person is not None:
            self.web.force_login(self.person)
            token = create_personal_token(self.person, ["read", "write", "follow"])
            self.headers = {"Authorization": f"Bearer {token}"}

    @property
    def logged_in(self) -> bool:
        return self.person is not None

    def page(self, path: str, **headers):
        return self.web.get(path, headers=headers)

    def api(self, path: str, data: dict | None = None):
        return Client().get(path, data or {}, headers=self.headers)


@pytest.fixture(params=OUTSIDERS)
def visitor(request, world) -> Visitor:
    return Visitor(request.param, world)


def shown(response, echo: tuple[str, ...] = ()) -> str:
    """What a response shows, less the words the request itself put there (a search page
    repeats its query, a hashtag page its name)."""
    body = response.content.decode()
    for word in echo:
        body = re.sub(re.escape(word), "", body, flags=re.IGNORECASE)
    return body


def assert_nothing_of(side: Side, response, echo: tuple[str, ...] = ()) -> None:
    body = shown(response, echo).lower()
    leaked = [word for word in side.secrets if word.lower() in body]
    assert not leaked, f"{response.request['PATH_INFO']} shows {leaked}"


def assert_knock(side: Side, response, allowed: tuple[int, ...], echo=()) -> None:
    """The answer's status is one of ``allowed`` and it shows nothing of ``side``, but for
    the words the request put there itself (every page repeats its own address)."""
    path = response.request["PATH_INFO"]
    assert response.status_code in allowed, f"{path}: {response.status_code}"
    query = response.request.get("QUERY_STRING", "")
    assert_nothing_of(side, response, (f"{path}?{query}", path, *echo))


# --- web pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_groups_own_pages(world, visitor, kind):
    side = world.sides[kind]
    handle = side.handle
    home_status = (404,) if kind == "hidden" else (200,)
    for path in (f"/g/{handle}", f"/g/{handle}/about"):
        assert_knock(side, visitor.page(path), home_status)
    for path in (
        f"/g/{handle}/members",
        f"/g/{handle}/log",
        f"/g/{handle}/t/{side.topic.pk}",
        f"/g/{handle}/tag/{side.tag}",
    ):
        assert_knock(side, visitor.page(path), (404,))
    profile = visitor.page(f"/@{handle}")
    if kind == "hidden":
        assert_knock(side, profile, (404,))
    else:
        assert (profile.status_code, profile["Location"]) == (302, f"/g/{handle}")
    assert_knock(side, visitor.page("/groups"), (200,))


@pytest.mark.parametrize("kind", KINDS)
def test_post_pages_and_profiles(world, visitor, kind):
    side = world.sides[kind]
    ana = world.people["ana"].account
    for post in (side.post, side.reply):
        author = post.author.username
        for path in (f"/@{author}/{post.pk}", f"/@{author}/{post.pk}/history"):
            assert_knock(side, visitor.page(path), (404,))
    for path in ("/@ana", "/@ana/with_replies", "/@ana/media", "/@cem/with_replies"):
        assert_knock(side, visitor.page(path), (200,))
    thread = visitor.page(f"/@ana/{world.public_post.pk}")
    assert_knock(side, thread, (200,))
    assert ana.username in shown(thread)


@pytest.mark.parametrize("kind", KINDS)
def test_timelines_hashtags_search_and_directory_pages(world, visitor, kind):
    side = world.sides[kind]
    pages = ["/", "/local", "/federated", "/directory"]
    if visitor.logged_in:
        pages += ["/notifications", "/bookmarks"]
    for path in pages:
        assert_knock(side, visitor.page(path), (200,))
    tag_page = visitor.page(f"/tags/{side.tag}")  # its name in the title and heading
    assert_knock(side, tag_page, (200,), echo=(f"#{side.tag}", f"{side.tag}/follow"))
    for query in (f"Title{side.handle}", side.handle, f"!{side.handle}", f"#{side.tag}"):
        found = visitor.page("/search?" + urlencode({"q": query}))
        # The page repeats the query in the field, the title and "no results for …" only.
        said = (f'value="{query}"', f"<bdi>{query}</bdi>", f"Search: {query}")
        assert_knock(side, found, (200,), echo=said)


def test_the_search_page_finds_a_private_group_not_a_hidden_one(world, visitor):
    found = shown(visitor.page("/search?q=club"))
    assert "/g/privateclub" in found
    assert "hiddenclub" not in found


def test_the_people_directory_lists_no_groups(world, visitor):
    page = shown(visitor.page("/directory"))
    assert "@ana" in page
    assert "privateclub" not in page and "hiddenclub" not in page


# --- the client API ------------------------------------------------------------------------------


def api_knock(visitor: Visitor, side: Side, path: str, data=None, allowed=(200,), echo=()):
    response = visitor.api(path, data)
    assert_knock(side, response, allowed, echo)
    return response


@pytest.mark.parametrize("kind", KINDS)
def test_statuses_and_what_hangs_on_them(world, visitor, kind):
    side = world.sides[kind]
    for post in (side.post, side.reply):
        for suffix in ("", "/context", "/favourited_by", "/reblogged_by", "/history"):
            api_knock(visitor, side, f"/api/v1/statuses/{post.pk}{suffix}", allowed=(404,))
    if visitor.logged_in:
        api_knock(visitor, side, f"/api/v1/statuses/{side.post.pk}/source", allowed=(404,))
    several = api_knock(visitor, side, "/api/v1/statuses", {"id[]": [side.post.pk, side.reply.pk]})
    assert several.json() == []
    api_knock(visitor, side, f"/api/v1/polls/{side.reply.poll.pk}", allowed=(404,))
    context = api_knock(visitor, side, f"/api/v1/statuses/{world.public_post.pk}/context")
    assert context.json()["descendants"] == []
    public = api_knock(visitor, side, f"/api/v1/statuses/{world.public_post.pk}")
    assert public.json()["replies_count"] == 0


@pytest.mark.parametrize("kind", KINDS)
def test_accounts_and_their_statuses(world, visitor, kind):
    side = world.sides[kind]
    group_pk = side.group.account.pk
    hidden = kind == "hidden"
    status = (404,) if hidden else (200,)
    account = api_knock(visitor, side, f"/api/v1/accounts/{group_pk}", allowed=status)
    if not hidden:
        assert account.json()["statuses_count"] == 0
    for suffix in ("/statuses", "/followers"):
        found = api_knock(visitor, side, f"/api/v1/accounts/{group_pk}{suffix}", allowed=status)
        assert hidden or found.json() == []
    lookup = {"acct": side.handle}
    api_knock(visitor, side, "/api/v1/accounts/lookup", lookup, allowed=status)
    for person in ("ana", "cem"):
        pk = world.people[person].account.pk
        for data in ({}, {"only_media": "true"}, {"tagged": side.tag}, {"pinned": "true"}):
            api_knock(visitor, side, f"/api/v1/accounts/{pk}/statuses", data)
    if visitor.logged_in:
        asked = {"id[]": [group_pk]}
        found = api_knock(visitor, side, "/api/v1/accounts/relationships", asked)
        assert (found.json() == []) == hidden
        api_knock(visitor, side, "/api/v1/accounts/familiar_followers", asked)


@pytest.mark.parametrize("kind", KINDS)
def test_timelines(world, visitor, kind):
    side = world.sides[kind]
    for path, data in (
        ("/api/v1/timelines/public", {}),
        ("/api/v1/timelines/public", {"local": "true"}),
        (f"/api/v1/timelines/tag/{side.tag}", {}),
        ("/api/v1/timelines/tag/opentag", {"any[]": [side.tag]}),
        ("/api/v1/trends/statuses", {}),
        ("/api/v1/trends/tags", {}),
        ("/api/v1/directory", {}),
    ):
        api_knock(visitor, side, path, data)
    if visitor.logged_in:
        for path in (
            "/api/v1/timelines/home",
            "/api/v1/timelines/direct",
            "/api/v1/conversations",
            "/api/v1/bookmarks",
            "/api/v1/favourites",
        ):
            assert api_knock(visitor, side, path).json() == [] or path.endswith("home")
    if visitor.who == "bea":
        api_knock(visitor, side, f"/api/v1/timelines/list/{world.list_id}")


@pytest.mark.parametrize("kind", KINDS)
def test_search_and_hashtags(world, visitor, kind):
    side = world.sides[kind]
    queries = [f"Title{side.handle}", f"Plan{side.handle}", side.handle, f"#{side.tag}", side.tag]
    for query in queries:
        for path in ("/api/v2/search", "/api/v1/search"):
            api_knock(visitor, side, path, {"q": query})
        if visitor.logged_in:
            api_knock(visitor, side, "/api/v1/accounts/search", {"q": query})
    tag = api_knock(visitor, side, f"/api/v1/tags/{side.tag}", echo=(side.tag,)).json()
    assert "id" not in tag  # as if nobody had used it
    assert all(day["uses"] == "0" for day in tag["history"])


@pytest.mark.parametrize("kind", KINDS)
def test_notifications(world, visitor, kind):
    side = world.sides[kind]
    if not visitor.logged_in:
        assert visitor.api("/api/v1/notifications").status_code == 401
        assert visitor.page("/notifications").status_code == 302  # to the login page
        return
    for path in (
        "/api/v1/notifications",
        "/api/v2/notifications",
        "/api/v1/notifications/requests",
    ):
        api_knock(visitor, side, path)
    unread = api_knock(visitor, side, "/api/v1/notifications/unread_count").json()
    assert unread == {"count": 0}
    about = Notification.objects.filter(recipient=visitor.person.account, post__group=side.group)
    if visitor.who == "bea":  # mentioned, but may not read the post: never notified
        assert not about.exists()


# --- ActivityPub and WebFinger -------------------------------------------------------------------


def activitypub(path: str):
    return Client().get(path, headers={"Accept": ACTIVITY_JSON})


def collection_items(path: str) -> tuple[list, str]:
    """The items of an (ordered) collection and of its first page, and the raw text."""
    response = activitypub(path)
    assert response.status_code == 200, path
    document = response.json()
    items = list(document.get("orderedItems") or document.get("items") or [])
    text = response.content.decode()
    first = document.get("first")
    if isinstance(first, str):
        page = activitypub(first.removeprefix(settings.SITE_URL))
        items += page.json().get("orderedItems") or page.json().get("items") or []
        text += page.content.decode()
    elif isinstance(first, dict):
        items += first.get("orderedItems") or first.get("items") or []
    return items, text


@pytest.mark.parametrize("kind", KINDS)
def test_activitypub_documents(world, kind):
    side = world.sides[kind]
    for post in (side.post, side.reply):
        response = activitypub(f"/@{post.author.username}/{post.pk}")
        assert response.status_code == 404
    _items, text = collection_items("/@ana/outbox")
    assert not [w for w in side.secrets if w.lower() in text.lower()]
    actor = activitypub(f"/g/{side.handle}")
    if kind == "hidden":
        assert actor.status_code == 404
        return
    assert actor.status_code == 200
    outbox = actor.json().get("outbox")
    if outbox:
        items, text = collection_items(outbox.removeprefix(settings.SITE_URL))
        assert items == []
        assert not [w for w in side.secrets if w.lower() in text.lower()]


def test_webfinger_knows_a_private_group_not_a_hidden_one(world):
    def finger(name: str) -> int:
        resource = f"acct:{name}@{settings.DOMAIN}"
        return Client().get("/.well-known/webfinger", {"resource": resource}).status_code

    assert finger("privateclub") == 200
    assert finger("hiddenclub") == 404


# --- streaming and counts ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_streaming_screen_holds_closed_groups_back(world, kind):
    side = world.sides[kind]
    people = world.people
    outsiders = {people["bea"].account.pk, people["dan"].account.pk}
    members = {people["ana"].account.pk, people["cem"].account.pk}
    for post in (side.post, side.reply):
        assert screen(render(post, None), outsiders | members).hidden == outsiders


def test_a_group_made_private_takes_its_hashtags_out_of_the_counts(client, ana, make_group):
    group = make_group(ana.account, "club")
    topic(ana, group, "Was open", "About #lighthouse")
    topic(ana, group, "Again", "More #lighthouse")
    before = client.get("/api/v1/tags/lighthouse").json()
    assert before["history"][0]["uses"] == "2"
    assert [t["name"] for t in client.get("/api/v1/trends/tags").json()] == ["lighthouse"]
    Group.objects.filter(pk=group.pk).update(kind="private")
    after = client.get("/api/v1/tags/lighthouse").json()
    assert "id" not in after and after["history"][0]["uses"] == "0"
    assert client.get("/api/v1/trends/tags").json() == []


# --- the open side -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["public", "restricted"])
def test_open_groups_are_read_by_everyone(client, ana, bea, make_group, kind):
    group = make_group(ana.account, "commons", kind=kind, name="Commons people")
    made = topic(ana, group, "Welcome all", "Say hi #opengroup")
    reply = write(ana, "Hi back #opengroup", in_reply_to=made.post)
    anonymous = Client()
    assert anonymous.get(f"/api/v1/statuses/{made.post.pk}").status_code == 200
    context = anonymous.get(f"/api/v1/statuses/{made.post.pk}/context").json()
    assert [s["id"] for s in context["descendants"]] == [str(reply.pk)]
    page = anonymous.get(f"/g/commons/t/{made.pk}")
    assert page.status_code == 200 and "Welcome all" in page.content.decode()
    assert anonymous.get(f"/@ana/{reply.pk}").status_code == 200
    tagged = anonymous.get("/api/v1/timelines/tag/opengroup").json()
    assert {s["id"] for s in tagged} == {str(made.post.pk), str(reply.pk)}
    statuses = anonymous.get(f"/api/v1/accounts/{group.account.pk}/statuses").json()
    assert [s["id"] for s in statuses] == [str(made.post.pk)]
    found = anonymous.get("/api/v2/search", {"q": "commons", "type": "accounts"}).json()
    assert [a["id"] for a in found["accounts"]] == [str(group.account.pk)]
    for query in ("Commons", "!commons", f"!commons@{settings.DOMAIN}"):
        assert "/g/commons" in anonymous.get("/search", {"q": query}).content.decode()
    note = activitypub(f"/@ana/{made.post.pk}")
    assert note.status_code == 200
    assert json.loads(note.content)["id"].endswith(str(made.post.pk))


# --- the control: the same doors show it all to a member ------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_member_finds_what_outsiders_dont(world, kind):
    """The words searched for above do show where one may see them: the sweep would catch a
    leak."""
    side = world.sides[kind]
    cem = Visitor("cem", world)
    topic_page = shown(cem.page(f"/g/{side.handle}/t/{side.topic.pk}"))
    assert f"Title{side.handle}" in topic_page and f"Reply{side.handle}" in topic_page
    status = cem.api(f"/api/v1/statuses/{side.post.pk}").json()
    assert f"Plan{side.handle}" in status["content"]
    assert f"Alt{side.handle}" in json.dumps(status)
    home = json.dumps(cem.api("/api/v1/timelines/home").json())
    assert str(side.post.pk) in home
    assert "id" in cem.api(f"/api/v1/tags/{side.tag}").json()
    found = cem.api("/api/v2/search", {"q": side.handle, "type": "accounts"}).json()
    assert [a["username"] for a in found["accounts"]] == [side.handle]
    assert f"/g/{side.handle}" in shown(cem.page(f"/search?q=!{side.handle}"))
