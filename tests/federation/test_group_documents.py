"""Our groups as ActivityPub Group actors (FEP-1b12): the actor, its collections, WebFinger,
posts in groups as Lemmy reads them, and what a closed group never lets out (unsigned fetches,
the public addressing, deliveries to people outside it)."""

from __future__ import annotations

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.federation.test_handlers import _no_sending, remote  # noqa: F401 (autouse)
from tests.federation.test_inbox import public_pem
from wikisocial.communities.actions import GroupDraft, ban, create_group, join, unban
from wikisocial.communities.forum import create_topic, set_locked, set_pinned
from wikisocial.communities.models import Group, GroupKind
from wikisocial.federation.jsonld import PUBLIC
from wikisocial.federation.keys import key_of
from wikisocial.federation.models import Delivery
from wikisocial.federation.signatures import sign_request
from wikisocial.posts.actions import Draft, create_post, like
from wikisocial.posts.activitypub import post_to_ap

pytestmark = pytest.mark.django_db
SITE = "http://localhost:8000"
AP = {"HTTP_ACCEPT": "application/activity+json"}
BOB = "https://remote.example/users/bob"
EVE = "https://evil.example/users/eve"


@pytest.fixture
def ana(make_user):
    return make_user("ana").account


@pytest.fixture
def bob(db):
    return remote(BOB)


@pytest.fixture
def make_group(ana):
    def make(handle: str = "wikiproject_x", kind: str = "public", **fields) -> Group:
        draft = GroupDraft(name=fields.pop("name", handle.title()), kind=kind, **fields)
        return create_group(ana, handle, draft)

    return make


def get_json(client, path: str, **headers) -> dict:
    response = client.get(path, **AP, **headers)
    assert response.status_code == 200, (path, response.status_code)
    assert response["Content-Type"].startswith("application/activity+json")
    return orjson.loads(response.content)


def topic(author, group, title="A topic", text="Its text"):
    return create_topic(author, group, title, Draft(text=text))


def bodies(activity_type: str | None = None) -> list[tuple[str, dict]]:
    rows = Delivery.objects.order_by("id")
    found = [(d.inbox_url, orjson.loads(d.body)) for d in rows]
    return [(i, b) for i, b in found if activity_type is None or b["type"] == activity_type]


# --- the actor -------------------------------------------------------------------------------


def test_the_group_actor_has_what_lemmy_reads(client, make_group):
    group = make_group(
        "chapter_x",
        name="Chapter X",
        description="We edit **together**.",
        rules="Be kind.",
        language="de",
        posting_restricted_to_mods=True,
    )
    me = f"{SITE}/g/chapter_x"
    actor = get_json(client, "/g/chapter_x")
    assert actor["id"] == me and actor["type"] == "Group"
    assert actor["preferredUsername"] == "chapter_x" and actor["name"] == "Chapter X"
    assert "<strong>together</strong>" in actor["summary"] and "Be kind." in actor["summary"]
    assert actor["source"]["mediaType"] == "text/markdown"
    assert actor["inbox"] == f"{me}/inbox" and actor["outbox"] == f"{me}/outbox"
    assert actor["followers"] == f"{me}/followers" and actor["featured"] == f"{me}/featured"
    assert actor["attributedTo"] == actor["moderators"] == f"{me}/moderators"
    assert actor["postingRestrictedToMods"] is True
    assert actor["manuallyApprovesFollowers"] is False
    assert actor["endpoints"]["sharedInbox"] == f"{SITE}/inbox"
    assert actor["publicKey"] == {
        "id": f"{me}#main-key",
        "owner": me,
        "publicKeyPem": key_of(group.account).public_key_pem,
    }
    assert actor["published"].endswith("Z")
    assert actor["language"] == [{"identifier": "de", "name": "German"}]
    # Browsers get the forum; the group account's profile URL serves the same actor.
    page = client.get("/g/chapter_x")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert get_json(client, "/@chapter_x")["id"] == me


def test_groups_that_approve_members_say_so(client, make_group):
    make_group("restricted_x", kind="restricted")
    make_group("private_x", kind="private")
    assert get_json(client, "/g/restricted_x")["manuallyApprovesFollowers"] is True
    assert get_json(client, "/g/private_x")["manuallyApprovesFollowers"] is True


def test_webfinger_finds_groups_by_handle_and_by_url(client, make_group):
    make_group("chapter_x")
    for resource in (
        "acct:chapter_x@localhost:8000",
        "acct:!chapter_x@localhost:8000",
        f"{SITE}/g/chapter_x",
    ):
        response = client.get("/.well-known/webfinger", {"resource": resource})
        assert response.status_code == 200, resource
        links = {link["rel"]: link["href"] for link in orjson.loads(response.content)["links"]}
        assert links["self"] == f"{SITE}/g/chapter_x"


def test_bang_handles_resolve_to_groups(make_group):
    from wikisocial.federation.resolve import parse_handle, resolve_handle, resolve_url

    group = make_group("chapter_x")
    assert parse_handle("!chapter_x@lemmy.example") == ("chapter_x", "lemmy.example")
    assert resolve_handle(*parse_handle("!chapter_x@localhost:8000")) == group.account
    assert resolve_url(f"{SITE}/g/chapter_x") == group.account


def test_a_hidden_group_is_nowhere(client, make_group, bob):
    group = make_group("secret_x", kind="hidden")
    topic(group.created_by, group)
    for path in ("/g/secret_x", "/@secret_x"):
        assert client.get(path, **AP).status_code == 404, path
    for part in ("outbox", "followers", "moderators", "featured"):
        assert client.get(f"/g/secret_x/{part}", **AP).status_code == 404, part
    assert (
        client.post("/g/secret_x/inbox", b"{}", content_type=AP["HTTP_ACCEPT"]).status_code == 404
    )
    for resource in ("acct:secret_x@localhost:8000", f"{SITE}/g/secret_x"):
        assert client.get("/.well-known/webfinger", {"resource": resource}).status_code == 404
    from wikisocial.federation.resolve import search

    assert search(f"{SITE}/g/secret_x", None).accounts == []


# --- collections -----------------------------------------------------------------------------


def test_an_open_groups_collections(client, make_group, ana, bob):
    group = make_group("chapter_x")
    join(bob, group, uri="https://remote.example/follows/1")
    first = topic(ana, group, "First topic")
    pinned = topic(ana, group, "Pinned topic")
    set_pinned(ana, pinned, True)
    create_post(ana, Draft(text="A reply", in_reply_to=first.post))
    outbox = get_json(client, "/g/chapter_x/outbox")
    assert outbox["totalItems"] == 2 and outbox["first"].endswith("?page=1")
    items = get_json(client, "/g/chapter_x/outbox?page=1")["orderedItems"]
    assert [i["type"] for i in items] == ["Announce", "Announce"]
    assert items[0]["actor"] == f"{SITE}/g/chapter_x" and items[0]["to"] == [PUBLIC]
    assert items[0]["object"]["type"] == "Create"
    assert items[0]["object"]["object"]["name"] == "Pinned topic"
    followers = get_json(client, "/g/chapter_x/followers")
    assert (
        followers["totalItems"] == 2
        and "orderedItems" not in followers
        and "first" not in followers
    )
    moderators = get_json(client, "/g/chapter_x/moderators")
    assert moderators["orderedItems"] == [f"{SITE}/@ana"]
    featured = get_json(client, "/g/chapter_x/featured")
    assert [p["name"] for p in featured["orderedItems"]] == ["Pinned topic"]
    # Browsers asking for a collection go to the group's page.
    assert client.get("/g/chapter_x/outbox").status_code == 302


@pytest.fixture(scope="module")
def bob_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def signed_get(client, path: str, key, key_id: str):
    url = f"{SITE}{path}"
    headers = sign_request("GET", url, {"Accept": AP["HTTP_ACCEPT"]}, None, key_id, key)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Host"}
    return client.get(path, **{**AP, **extra}, HTTP_HOST="localhost:8000")


def test_a_private_groups_content_is_for_its_members_servers_only(client, make_group, ana, bob_key):
    bob = remote(
        BOB, publicKey={"id": f"{BOB}#main-key", "owner": BOB, "publicKeyPem": public_pem(bob_key)}
    )
    group = make_group("private_x", kind="private")
    set_pinned(ana, topic(ana, group, "Members only"), True)
    outbox = get_json(client, "/g/private_x/outbox")
    assert outbox["totalItems"] == 1 and "first" not in outbox
    assert client.get("/g/private_x/outbox?page=1", **AP).json().get("orderedItems") is None
    assert "orderedItems" not in get_json(client, "/g/private_x/featured")
    assert "orderedItems" not in get_json(client, "/g/private_x/moderators")
    # Signed by a server none of the members is on: the same.
    path = "/g/private_x/featured"
    assert "orderedItems" not in orjson.loads(
        signed_get(client, path, bob_key, f"{BOB}#main-key").content
    )
    # Once bob is a member, his server reads it.
    from wikisocial.communities.actions import approve

    approve(ana, join(bob, group, uri="https://remote.example/follows/2"))
    document = orjson.loads(signed_get(client, path, bob_key, f"{BOB}#main-key").content)
    assert [p["name"] for p in document["orderedItems"]] == ["Members only"]
    # A forged signature is no signature.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = orjson.loads(signed_get(client, path, other, f"{BOB}#main-key").content)
    assert "orderedItems" not in forged


# --- posts in groups -------------------------------------------------------------------------


def test_a_topic_is_a_page_and_a_reply_a_note(client, make_group, ana):
    group = make_group("chapter_x")
    first = topic(ana, group, "The title", "The body")
    reply = create_post(ana, Draft(text="An answer", in_reply_to=first.post))
    page = get_json(client, f"/@ana/{first.post.pk}")
    me = f"{SITE}/g/chapter_x"
    assert page["type"] == "Page" and page["name"] == "The title"
    assert page["audience"] == me and page["to"] == [me, PUBLIC]
    assert "url" not in page  # Lemmy would take it for the link the post is about
    assert page["commentsEnabled"] is True and page["stickied"] is False
    note = get_json(client, f"/@ana/{reply.pk}")
    assert note["type"] == "Note" and note["audience"] == me
    assert note["inReplyTo"] == page["id"] and note["to"] == [me, PUBLIC]
    set_locked(ana, first, True)
    assert get_json(client, f"/@ana/{first.post.pk}")["commentsEnabled"] is False


def test_posts_of_closed_groups_are_never_public(client, make_group, ana):
    for kind in ("restricted", "private", "hidden"):
        group = make_group(f"{kind}_x", kind=kind)
        post = topic(ana, group).post
        document = post_to_ap(post)
        if kind == "restricted":  # anyone reads a restricted group
            assert PUBLIC in document["to"]
            continue
        assert PUBLIC not in document["to"] + document["cc"], kind
        assert document["to"] == [f"{SITE}/g/{kind}_x"]
        assert client.get(f"/@ana/{post.pk}", **AP).status_code == 404, kind


def test_a_group_closed_later_stops_serving_its_posts(client, make_group, ana):
    from wikisocial.communities.actions import update_group

    group = make_group("chapter_x")
    post = topic(ana, group).post
    assert client.get(f"/@ana/{post.pk}", **AP).status_code == 200
    update_group(ana, group, GroupDraft(name="Chapter X", kind=GroupKind.PRIVATE))
    assert client.get(f"/@ana/{post.pk}", **AP).status_code == 404


# --- deliveries ------------------------------------------------------------------------------


def test_a_private_groups_posts_go_to_its_remote_members_only(make_group, ana, bob):
    from wikisocial.communities.actions import approve
    from wikisocial.social.actions import follow

    eve = remote(EVE)
    follow(eve, ana)  # a follower of the author, not a member
    group = make_group("private_x", kind="private")
    approve(ana, join(bob, group, uri="https://remote.example/follows/3"))
    Delivery.objects.all().delete()
    post = topic(ana, group, "Secret plans").post
    reply = create_post(ana, Draft(text=f"@{eve.username}@evil.example look", in_reply_to=post))
    like(ana, post)
    sent = bodies()
    assert sent, "nothing was sent to the member"
    assert {inbox for inbox, _body in sent} == {"https://remote.example/inbox"}
    for _inbox, body in sent:
        assert body["type"] == "Announce" and body["actor"] == f"{SITE}/g/private_x"
        assert PUBLIC not in orjson.dumps(body).decode()
    creates = [b["object"] for _i, b in sent if b["object"]["type"] == "Create"]
    assert [c["object"]["type"] for c in creates] == ["Page", "Note"]
    assert creates[0]["object"]["name"] == "Secret plans"
    assert creates[1]["object"]["id"].endswith(f"/{reply.pk}")


def test_an_open_groups_posts_go_to_members_not_to_the_authors_followers(make_group, ana, bob):
    from wikisocial.social.actions import follow

    eve = remote(EVE)
    follow(eve, ana)
    group = make_group("chapter_x")
    join(bob, group, uri="https://remote.example/follows/4")
    Delivery.objects.all().delete()
    topic(ana, group, "Open plans")
    ((inbox, body),) = bodies()
    assert inbox == "https://remote.example/inbox"
    assert body["type"] == "Announce" and body["to"] == [PUBLIC]
    assert body["cc"] == [f"{SITE}/g/chapter_x/followers"]
    assert body["object"]["actor"] == f"{SITE}/@ana"
    assert body["object"]["object"]["audience"] == f"{SITE}/g/chapter_x"


def test_moderation_federates_to_remote_members(make_group, ana, bob):
    from wikisocial.communities.actions import set_role, update_group

    carl = remote("https://remote.example/users/carl")
    group = make_group("chapter_x")
    join(bob, group, uri="https://remote.example/follows/5")
    join(carl, group, uri="https://remote.example/follows/6")
    first = topic(ana, group)
    Delivery.objects.all().delete()
    set_locked(ana, first, True)
    set_locked(ana, first, False)
    set_pinned(ana, first, True)
    set_role(ana, group, bob, "moderator")
    ban(ana, group, carl, reason="spam")
    unban(ana, group, carl)
    update_group(ana, group, GroupDraft(name="Renamed"))
    inner = [(b["type"], b["object"]["type"]) for _i, b in bodies()]
    assert inner == [
        ("Announce", "Lock"),
        ("Announce", "Undo"),
        ("Announce", "Add"),
        ("Announce", "Add"),
        ("Announce", "Block"),
        ("Announce", "Undo"),
        ("Update", "Group"),
    ]
    block = bodies("Announce")[4][1]["object"]
    assert block["object"] == "https://remote.example/users/carl"
    assert block["target"] == f"{SITE}/g/chapter_x" and block["summary"] == "spam"
    assert bodies("Announce")[5][1]["object"]["object"]["type"] == "Block"
    assert bodies("Update")[0][1]["object"]["name"] == "Renamed"


def test_a_moderator_removing_a_remote_persons_post_tells_the_members(make_group, ana, bob):
    from wikisocial.communities.forum import delete_in_group
    from wikisocial.federation.objects import post_from_document

    group = make_group("chapter_x")
    join(bob, group, uri="https://remote.example/follows/7")
    first = topic(ana, group)
    answer = post_from_document(
        {
            "id": f"{BOB}/statuses/1",
            "type": "Note",
            "attributedTo": BOB,
            "content": "<p>spam</p>",
            "inReplyTo": f"{SITE}/@ana/{first.post.pk}",
            "to": [f"{SITE}/g/chapter_x", PUBLIC],
        }
    )
    assert answer.group == group
    Delivery.objects.all().delete()
    delete_in_group(ana, answer, "spam")
    ((inbox, announce),) = bodies("Announce")
    assert inbox == "https://remote.example/inbox"
    assert announce["object"]["type"] == "Delete" and announce["object"]["actor"] == f"{SITE}/@ana"
    assert announce["object"]["object"]["id"] == f"{BOB}/statuses/1"


def test_a_hidden_group_exists_for_its_members_servers_only(client, make_group, bob_key):
    from wikisocial.communities.actions import update_group

    key = {"id": f"{BOB}#main-key", "owner": BOB, "publicKeyPem": public_pem(bob_key)}
    bob = remote(BOB, publicKey=key)
    eve_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    remote(
        EVE, publicKey={"id": f"{EVE}#main-key", "owner": EVE, "publicKeyPem": public_pem(eve_key)}
    )
    group = make_group("chapter_x")
    join(bob, group, uri="https://remote.example/follows/8")
    update_group(group.created_by, group, GroupDraft(name="Chapter X", kind=GroupKind.HIDDEN))
    assert client.get("/g/chapter_x", **AP).status_code == 404
    assert signed_get(client, "/g/chapter_x", eve_key, f"{EVE}#main-key").status_code == 404
    member_server = signed_get(client, "/g/chapter_x", bob_key, f"{BOB}#main-key")
    assert member_server.status_code == 200
    assert orjson.loads(member_server.content)["discoverable"] is False
