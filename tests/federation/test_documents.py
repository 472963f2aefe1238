"""ActivityStreams documents at the same URLs as the web pages (content negotiation)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from wikisocial.posts import actions
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db
AP = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def get_ap(client, url, accept=AP):
    response = client.get(url, HTTP_ACCEPT=accept)
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"].startswith(AP)
    assert "Accept" in response["Vary"]
    return response.json()


def test_profile_url_is_the_actor(client, make_user):
    ana = make_user("ana").account
    ana.display_name, ana.fields = "Ana", [{"name": "Wiki", "value": "https://es.wikipedia.org"}]
    ana.save(update_fields=["display_name", "fields"])
    for accept in (AP, LD):
        doc = get_ap(client, "/@ana", accept)
        assert doc["id"] == "http://localhost:8000/@ana" and doc["type"] == "Person"
        assert doc["preferredUsername"] == "ana" and doc["name"] == "Ana"
        assert doc["inbox"].endswith("/@ana/inbox") and doc["outbox"].endswith("/@ana/outbox")
        assert doc["followers"].endswith("/@ana/followers")
        assert doc["publicKey"]["id"] == doc["id"] + "#main-key"
        assert doc["publicKey"]["owner"] == doc["id"]
        load_pem_public_key(doc["publicKey"]["publicKeyPem"].encode())
        assert doc["attachment"][0]["type"] == "PropertyValue"
        assert "https://www.w3.org/ns/activitystreams" in doc["@context"]
    again = get_ap(client, "/@ana")
    assert again["publicKey"] == doc["publicKey"]  # one key, kept
    page = client.get("/@ana", HTTP_ACCEPT="text/html")
    assert page["Content-Type"].startswith("text/html") and "Accept" in page["Vary"]


def test_bots_are_services_and_hidden_accounts_are_not_served(client, make_user):
    bot = make_user("sal_bot").account
    bot.actor_type = "Service"
    bot.save(update_fields=["actor_type"])
    assert get_ap(client, "/@sal_bot")["type"] == "Service"
    hidden = make_user("hidden")
    hidden.is_active = False
    hidden.save(update_fields=["is_active"])
    assert client.get("/@hidden", HTTP_ACCEPT=AP).status_code == 404


def test_posts_as_notes_by_visibility(client, make_user):
    ana = make_user("ana").account
    bea = make_user("bea").account
    public = actions.create_post(ana, actions.Draft(text="Hello #wiki @bea", language="en"))
    doc = get_ap(client, public.get_absolute_url())
    assert doc["type"] == "Note" and doc["attributedTo"].endswith("/@ana")
    assert doc["to"] == [PUBLIC] and doc["cc"][0].endswith("/@ana/followers")
    assert {t["type"] for t in doc["tag"]} == {"Mention", "Hashtag"}
    assert doc["contentMap"] == {"en": doc["content"]}
    unlisted = actions.create_post(ana, actions.Draft(text="quiet", visibility="unlisted"))
    assert PUBLIC in get_ap(client, unlisted.get_absolute_url())["cc"]
    for visibility in ("private", "direct", "local"):
        hidden = actions.create_post(ana, actions.Draft(text="@bea x", visibility=visibility))
        assert client.get(hidden.get_absolute_url(), HTTP_ACCEPT=AP).status_code == 404
    reply = actions.create_post(bea, actions.Draft(text="reply", in_reply_to=public))
    assert get_ap(client, reply.get_absolute_url())["inReplyTo"] == doc["id"]


def test_polls_are_questions_and_edits_are_updated(client, make_user):
    ana = make_user("ana").account
    poll = actions.create_post(
        ana, actions.Draft(text="Which?", poll=actions.PollDraft(["a", "b"], multiple=True))
    )
    doc = get_ap(client, poll.get_absolute_url())
    assert doc["type"] == "Question" and [c["name"] for c in doc["anyOf"]] == ["a", "b"]
    assert doc["endTime"] and doc["votersCount"] == 0
    post = actions.create_post(ana, actions.Draft(text="v1"))
    actions.edit_post(post, ana, actions.Draft(text="v2"))
    assert "updated" in get_ap(client, post.get_absolute_url())


def test_outbox_followers_following_featured(client, make_user):
    ana, bea = make_user("ana").account, make_user("bea").account
    social.follow(bea, ana)
    first = actions.create_post(ana, actions.Draft(text="first"))
    actions.create_post(ana, actions.Draft(text="secret", visibility="private"))
    other = actions.create_post(bea, actions.Draft(text="boost me"))
    actions.boost(ana, other)
    actions.pin(ana, first)
    outbox = get_ap(client, "/@ana/outbox")
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 2
    page = get_ap(client, outbox["first"].replace("http://localhost:8000", ""))
    assert [i["type"] for i in page["orderedItems"]] == ["Announce", "Create"]
    assert all(i["actor"].endswith("/@ana") for i in page["orderedItems"])
    followers = get_ap(client, "/@ana/followers")
    assert followers["totalItems"] == 1
    listing = get_ap(client, "/@ana/followers?page=1")
    assert listing["orderedItems"] == ["http://localhost:8000/@bea"]
    assert get_ap(client, "/@bea/following")["totalItems"] == 1
    featured = get_ap(client, "/@ana/featured")
    assert [n["content"] for n in featured["orderedItems"]] == [first.content_html]
    assert client.get("/@ana/followers?page=99", HTTP_ACCEPT=AP).status_code == 404
    assert client.get("/@ana/outbox").status_code == 302  # a browser goes to the profile


def test_hidden_network_shows_totals_only(client, make_user):
    ana, bea = make_user("ana").account, make_user("bea").account
    social.follow(bea, ana)
    type(ana).objects.filter(pk=ana.pk).update(hide_network=True)
    doc = get_ap(client, "/@ana/followers")
    assert doc == {**doc, "totalItems": 1} and "first" not in doc
    assert "orderedItems" not in get_ap(client, "/@ana/followers?page=1")


def test_instance_actor(client, db):
    doc = get_ap(client, "/actor")
    assert doc["type"] == "Application" and doc["id"] == "http://localhost:8000/actor"
    load_pem_public_key(doc["publicKey"]["publicKeyPem"].encode())
    assert get_ap(client, "/actor")["publicKey"] == doc["publicKey"]
