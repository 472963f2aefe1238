"""The inbox gate through HTTP: nothing is stored unless the signature, the actor and the id
check out; replays have no second effect."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from wikisocial.accounts.models import Account
from wikisocial.federation import actors
from wikisocial.federation.models import InboxItem, RemoteKey
from wikisocial.federation.signatures import sign_request

pytestmark = pytest.mark.django_db
HOST = "localhost:8000"
REMOTE = "https://remote.example/users/bob"
KEY_ID = f"{REMOTE}#main-key"


@pytest.fixture(scope="module")
def private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def actor_document(key) -> dict:
    return {
        "id": REMOTE,
        "type": "Person",
        "preferredUsername": "bob",
        "name": "Bob <script>x</script>",
        "summary": "<p>Hi</p><script>alert(1)</script>",
        "inbox": f"{REMOTE}/inbox",
        "endpoints": {"sharedInbox": "https://remote.example/inbox"},
        "publicKey": {"id": KEY_ID, "owner": REMOTE, "publicKeyPem": public_pem(key)},
    }


@pytest.fixture
def bob(private_key):
    return actors.store_actor(actor_document(private_key))


def activity(**extra) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://remote.example/activities/1",
        "type": "Like",
        "actor": REMOTE,
        "object": "http://localhost:8000/@ana/1",
        **extra,
    }


def post(client, body: bytes, headers: dict, path: str = "/inbox"):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Host"}
    return client.generic(
        "POST", path, body, content_type="application/activity+json", HTTP_HOST=HOST, **extra
    )


def signed(key, body: bytes, *, path="/inbox", host=HOST, now=None, key_id=KEY_ID) -> dict:
    headers = {"Content-Type": "application/activity+json"}
    headers.update(
        sign_request("POST", f"http://{host}{path}", headers, body, key_id, key, now=now)
    )
    return headers


def test_a_signed_activity_is_stored_once(client, private_key, bob):
    body = json.dumps(activity()).encode()
    assert post(client, body, signed(private_key, body)).status_code == 202
    assert post(client, body, signed(private_key, body)).status_code == 202  # a replay
    item = InboxItem.objects.get()
    assert item.actor_uri == REMOTE and item.activity_type == "Like"
    assert item.processed_at is not None and item.outcome.startswith("ignored: a like")


def test_personal_inboxes_take_the_same_path(client, private_key, bob, make_user):
    make_user("ana")
    body = json.dumps(activity()).encode()
    response = post(client, body, signed(private_key, body, path="/@ana/inbox"), "/@ana/inbox")
    assert response.status_code == 202
    nobody = post(client, body, signed(private_key, body, path="/@nobody/inbox"), "/@nobody/inbox")
    assert nobody.status_code == 404


def test_unsigned_is_401(client, bob):
    body = json.dumps(activity()).encode()
    assert post(client, body, {"Content-Type": "application/activity+json"}).status_code == 401
    assert not InboxItem.objects.exists()


def test_a_signature_over_another_body_is_401(client, private_key, bob):
    body = json.dumps(activity()).encode()
    headers = signed(private_key, body)
    tampered = json.dumps(activity(type="Delete")).encode()
    assert post(client, tampered, headers).status_code == 401


def test_an_altered_host_or_path_is_401(client, private_key, bob):
    body = json.dumps(activity()).encode()
    assert post(client, body, signed(private_key, body, host="other.example")).status_code == 401
    headers = signed(private_key, body, path="/@ana/inbox")
    assert post(client, body, headers, "/inbox").status_code == 401


@pytest.mark.parametrize("shift", [timedelta(hours=-2), timedelta(minutes=10)])
def test_old_or_future_dates_are_401(client, private_key, bob, shift):
    body = json.dumps(activity()).encode()
    headers = signed(private_key, body, now=datetime.now(UTC) + shift)
    assert post(client, body, headers).status_code == 401


def test_the_actor_must_be_the_signer(client, private_key, bob):
    body = json.dumps(activity(actor="https://remote.example/users/mallory")).encode()
    assert post(client, body, signed(private_key, body)).status_code == 401


def test_the_activity_id_must_share_the_actors_origin(client, private_key, bob):
    body = json.dumps(activity(id="https://elsewhere.example/activities/1")).encode()
    assert post(client, body, signed(private_key, body)).status_code == 400


def test_an_unknown_key_is_fetched_once_then_checked(client, private_key, db, monkeypatch):
    calls = []

    def fake_fetch(url, *, signer=None):
        calls.append((url, signer is not None))
        return actor_document(private_key)

    monkeypatch.setattr(actors, "fetch_activitypub", fake_fetch)
    body = json.dumps(activity()).encode()
    assert post(client, body, signed(private_key, body)).status_code == 202
    assert calls == [(REMOTE, True)]  # the key's actor, fetched with a signature
    bob = Account.objects.get(uri=REMOTE)
    assert bob.domain == "remote.example" and bob.shared_inbox_url.endswith("/inbox")
    assert bob.bio_html == "<p>Hi</p>"  # remote HTML is sanitised on the way in
    assert bob.display_name == "Bob <script>x</script>"  # a name is text, escaped when shown
    assert RemoteKey.objects.get().owner == bob


def test_a_key_whose_actor_cannot_be_fetched_is_401(client, private_key, db, monkeypatch):
    from wikisocial.core.http import FetchError

    def failing(url, *, signer=None):
        raise FetchError("connect", "refused")

    monkeypatch.setattr(actors, "fetch_activitypub", failing)
    body = json.dumps(activity()).encode()
    assert post(client, body, signed(private_key, body)).status_code == 401


def test_a_key_from_another_key_pair_is_401(client, bob):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body = json.dumps(activity()).encode()
    assert post(client, body, signed(other, body)).status_code == 401


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[1, 2, 3]", 400),
        (b'{"no": "type"}', 400),
        (b"[" * 5000 + b"]" * 5000, 400),
    ],
)
def test_bodies_that_are_not_activities(client, private_key, bob, body, status):
    assert post(client, body, signed(private_key, body)).status_code == status


def test_a_huge_body_is_refused_before_reading(client, private_key, bob):
    body = b"{" + b" " * 10_000_000 + b"}"
    response = post(client, body, {"Content-Type": "application/activity+json"})
    assert response.status_code == 413


def test_get_is_not_allowed(client, db):
    assert client.get("/inbox").status_code == 405


def test_a_rotated_key_is_fetched_again_at_most_every_ten_minutes(
    client, private_key, bob, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    calls = []

    def fake_fetch(url, *, signer=None):
        calls.append(url)
        return actor_document(new_key)

    monkeypatch.setattr(actors, "fetch_activitypub", fake_fetch)
    body = json.dumps(activity(id="https://remote.example/activities/rotated")).encode()
    # Fetched a moment ago: a failing signature is just refused.
    assert post(client, body, signed(new_key, body)).status_code == 401
    assert calls == []
    Account.objects.filter(pk=bob.pk).update(fetched_at=timezone.now() - timedelta(hours=1))
    assert post(client, body, signed(new_key, body)).status_code == 202
    assert calls == [REMOTE]
    assert RemoteKey.objects.get(key_id=KEY_ID).public_key_pem == public_pem(new_key)
    # The old key no longer works, and a bad signature now costs no second fetch.
    other = json.dumps(activity(id="https://remote.example/activities/old")).encode()
    assert post(client, other, signed(private_key, other)).status_code == 401
    assert calls == [REMOTE]


def test_an_inbox_post_skips_the_page_middleware(client, private_key, bob, make_user):
    """Signed POSTs go straight to the view (core/middleware.py SignedInboxMiddleware): no
    session, locale or CSRF work; the checks are the view's, as every other test here shows."""
    make_user("ana")
    for path in ("/inbox", "/@ana/inbox"):
        body = json.dumps(activity(id=f"https://remote.example/activities{path}")).encode()
        response = post(client, body, signed(private_key, body, path=path), path)
        assert response.status_code == 202
        assert not hasattr(response.wsgi_request, "session")
        assert response.wsgi_request.resolver_match.view_name.endswith("inbox")
        assert "Vary" not in response and "Content-Language" not in response
    assert InboxItem.objects.count() == 2


def test_with_the_database_queue_the_item_and_its_task_are_one_write(
    client, private_key, bob, settings
):
    """django_tasks_db: the item and its processing task are written in one transaction; a
    replay writes neither."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "inbound", "outbound"],
        }
    }
    body = json.dumps(activity()).encode()
    for _ in range(2):  # the second is a replay
        assert post(client, body, signed(private_key, body)).status_code == 202
    item = InboxItem.objects.get()
    assert item.processed_at is None and item.document == activity()
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("process_inbox_item")
    assert task.args_kwargs == {"args": [item.pk], "kwargs": {}}


def test_the_plain_insert_names_every_column_of_an_inbox_item():
    """inbox.store writes its row in plain SQL: a field added to InboxItem with a Python-side
    default would be left out of it (and fail, or stay empty) unless the INSERT names it."""
    from wikisocial.federation.inbox import _insert_sql
    from wikisocial.federation.models import InboxItem

    named = _insert_sql().split("(", 1)[1].split(")", 1)[0]
    columns = {name.strip() for name in named.split(",")}
    assert columns == {f.column for f in InboxItem._meta.concrete_fields if not f.primary_key}
