"""Forged and hostile traffic through real HTTP (a live server on loopback, an HTTP client):
each is refused, logged with its reason, and changes nothing.

The inbox gate answers 4xx for what it can tell at once (signature, actor, size, JSON); what
needs the database (who wrote a post, who may share it) is refused when the activity is
processed, and the stored item says why.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from wikisocial.accounts.models import Account
from wikisocial.federation import actors, delivery
from wikisocial.federation.jsonld import PUBLIC
from wikisocial.federation.models import InboxItem
from wikisocial.federation.signatures import sign_request
from wikisocial.posts.actions import Draft, create_post
from wikisocial.posts.models import Post, Visibility
from wikisocial.social.actions import follow

pytestmark = pytest.mark.django_db(transaction=True)
SITE = "http://localhost:8000"  # our ids (settings.SITE_URL); the live server has its own port
MALLORY = "https://evil.example/users/mallory"
BOB = "https://remote.example/users/bob"
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def keys():
    return {
        uri: rsa.generate_private_key(public_exponent=65537, key_size=2048)
        for uri in (MALLORY, BOB)
    }


def _pem(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(autouse=True)
def _people(keys, monkeypatch, db):
    monkeypatch.setattr(delivery, "_enqueue", lambda ids: None)
    for uri, key in keys.items():
        actors.store_actor(
            {
                "id": uri,
                "type": "Person",
                "preferredUsername": uri.rsplit("/", 1)[-1],
                "inbox": f"{uri}/inbox",
                "followers": f"{uri}/followers",
                "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": _pem(key)},
            }
        )


@pytest.fixture
def ana(make_user):
    return make_user("ana").account


def activity(kind: str, actor: str = MALLORY, **fields) -> dict:
    origin = actor.split("/users/")[0]
    return {"id": f"{origin}/activities/{next(_numbers)}", "type": kind, "actor": actor, **fields}


def send(
    live_server,
    keys,
    document: dict | bytes,
    *,
    signer: str = MALLORY,
    body_signed: bytes | None = None,
    host: str | None = None,
    now: datetime | None = None,
    path: str = "/inbox",
) -> httpx.Response:
    body = document if isinstance(document, bytes) else orjson.dumps(document)
    url = f"{live_server.url}{path}"
    headers = {"Content-Type": "application/activity+json"}
    signed_url = url.replace(live_server.url.split("//")[1], host) if host else url
    headers.update(
        sign_request(
            "POST",
            signed_url,
            headers,
            body if body_signed is None else body_signed,
            f"{signer}#main-key",
            keys[signer],
            now=now,
        )
    )
    if host:
        # The signature covers another host; the request goes to ours, with our Host.
        headers = {k: v for k, v in headers.items() if k.lower() != "host"}
    return httpx.post(url, content=body, headers=headers, timeout=10)


def outcome_of(document: dict) -> str:
    return InboxItem.objects.get(activity_id=document["id"]).outcome


# --- refused at the door ---------------------------------------------------------------------


def test_unsigned_post_is_401(live_server):
    response = httpx.post(
        f"{live_server.url}/inbox",
        content=orjson.dumps(activity("Like", object=f"{SITE}/@ana/1")),
        headers={"Content-Type": "application/activity+json"},
    )
    assert response.status_code == 401 and "signature" in response.json()["error"]
    assert not InboxItem.objects.exists()


def test_a_signature_over_another_body_is_401(live_server, keys):
    document = activity("Like", object=f"{SITE}/@ana/1")
    response = send(live_server, keys, document, body_signed=b'{"type": "Like"}')
    assert response.status_code == 401
    assert not InboxItem.objects.exists()


def test_an_altered_host_is_401(live_server, keys):
    response = send(live_server, keys, activity("Like"), host="other.example")
    assert response.status_code == 401


@pytest.mark.parametrize("shift", [timedelta(hours=-3), timedelta(hours=3)])
def test_an_expired_or_future_date_is_401(live_server, keys, shift):
    response = send(live_server, keys, activity("Like"), now=datetime.now(UTC) + shift)
    assert response.status_code == 401


def test_the_actor_must_be_the_signer(live_server, keys):
    response = send(live_server, keys, activity("Like", actor=BOB), signer=MALLORY)
    assert response.status_code == 401 and "actor" in response.json()["error"]


def test_an_activity_id_on_another_origin_is_400(live_server, keys):
    document = {**activity("Like"), "id": "https://remote.example/activities/forged"}
    assert send(live_server, keys, document).status_code == 400


def test_a_replayed_activity_has_no_second_effect(live_server, keys, ana):
    post = create_post(ana, Draft(text="like me once"))
    document = activity("Like", object=f"{SITE}/@ana/{post.pk}")
    assert send(live_server, keys, document).status_code == 202
    assert send(live_server, keys, document).status_code == 202
    post.refresh_from_db()
    assert post.likes_count == 1 and InboxItem.objects.count() == 1


def test_a_10_mb_body_is_413(live_server, keys):
    body = b'{"type": "Create", "padding": "' + b"x" * 10_000_000 + b'"}'
    response = send(live_server, keys, body)
    assert response.status_code == 413


def test_deeply_nested_json_is_400(live_server, keys):
    body = b'{"type": "Create", "object": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert send(live_server, keys, body).status_code == 400


def test_a_body_that_is_not_json_is_400(live_server, keys):
    assert send(live_server, keys, b"<html>not json</html>").status_code == 400


# --- refused when processed ------------------------------------------------------------------


def test_a_create_for_a_post_that_exists_with_another_author(live_server, keys):
    original = {
        "id": f"{BOB}/statuses/1",
        "type": "Note",
        "attributedTo": BOB,
        "content": "<p>mine</p>",
        "to": [PUBLIC],
    }
    assert (
        send(live_server, keys, activity("Create", BOB, object=original), signer=BOB).status_code
        == 202
    )
    forged = activity("Create", object={**original, "attributedTo": MALLORY, "content": "x"})
    assert send(live_server, keys, forged).status_code == 202
    assert outcome_of(forged).startswith("refused")
    post = Post.objects.get(uri=original["id"])
    assert post.author.uri == BOB and post.content_html == "<p>mine</p>"


def test_a_delete_of_someone_elses_post(live_server, keys):
    note = {"id": f"{BOB}/statuses/2", "type": "Note", "attributedTo": BOB, "content": "<p>hi</p>"}
    send(live_server, keys, activity("Create", BOB, object={**note, "to": [PUBLIC]}), signer=BOB)
    forged = activity("Delete", object=note["id"])
    assert send(live_server, keys, forged).status_code == 202
    assert outcome_of(forged).startswith("refused")
    assert Post.objects.get(uri=note["id"]).deleted_at is None


def test_an_update_of_another_actor(live_server, keys):
    person = {"id": BOB, "type": "Person", "preferredUsername": "bob", "name": "Hacked"}
    forged = activity("Update", object={**person, "inbox": f"{BOB}/inbox"})
    assert send(live_server, keys, forged).status_code == 202
    assert outcome_of(forged).startswith("refused")
    assert Account.objects.get(uri=BOB).display_name != "Hacked"


def test_an_announce_of_a_private_post(live_server, keys, ana):
    mallory = Account.objects.get(uri=MALLORY)
    follow(mallory, ana)
    post = create_post(ana, Draft(text="followers only", visibility=Visibility.FOLLOWERS))
    forged = activity("Announce", object=f"{SITE}/@ana/{post.pk}", to=[PUBLIC])
    assert send(live_server, keys, forged).status_code == 202
    assert outcome_of(forged).startswith("refused")
    post.refresh_from_db()
    assert post.boosts_count == 0 and not Post.objects.filter(boost_of=post).exists()


def test_a_personal_inbox_of_nobody_is_404(live_server, keys):
    response = send(live_server, keys, activity("Like"), path="/@nobody/inbox")
    assert response.status_code == 404


def test_webfinger_for_a_user_that_does_not_exist_is_404(live_server):
    response = httpx.get(
        f"{live_server.url}/.well-known/webfinger",
        params={"resource": "acct:nobody@localhost:8000"},
    )
    assert response.status_code == 404


def test_a_dead_domain_that_talks_to_us_is_revived(live_server, keys):
    from wikisocial.federation.models import DomainHealth

    DomainHealth.objects.create(domain="evil.example", dead=True, consecutive_failures=50)
    assert send(live_server, keys, activity("Like", object=f"{SITE}/@x/1")).status_code == 202
    health = DomainHealth.objects.get(domain="evil.example")
    assert not health.dead and health.consecutive_failures == 0


def test_an_activity_id_over_500_characters_is_400(live_server, keys):
    document = {**activity("Like"), "id": "https://evil.example/" + "x" * 600}
    response = send(live_server, keys, document)
    assert response.status_code == 400 and not InboxItem.objects.exists()


def test_an_embedded_object_from_another_origin_is_fetched_not_trusted(
    live_server, keys, monkeypatch
):
    from wikisocial.core.http import FetchError
    from wikisocial.federation import objects

    fetched = []

    def origin_unreachable(url, **kwargs):
        fetched.append(url)
        raise FetchError("network", "unreachable")

    monkeypatch.setattr(objects, "fetch_activitypub", origin_unreachable)
    planted = {
        "id": f"{BOB}/statuses/planted",
        "type": "Note",
        "attributedTo": MALLORY,
        "content": "<p>words put in bob's mouth</p>",
        "to": [PUBLIC],
    }
    forged = activity("Create", object=planted)
    assert send(live_server, keys, forged).status_code == 202
    assert fetched == [planted["id"]]  # asked of its own origin, not believed
    assert outcome_of(forged).startswith("refused")
    assert not Post.objects.filter(uri=planted["id"]).exists()
