"""A server we had marked dead is talking to us again: deliveries to it resume before its
activity is handled, so the answer to it (an Accept) is not held back as for a dead one."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from wikisocial.federation import actors, delivery, dispatch, inbox
from wikisocial.federation.models import Delivery, DomainHealth

pytestmark = pytest.mark.django_db
MALLORY = "https://evil.example/users/mallory"


def _remote_actor() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    actors.store_actor(
        {
            "id": MALLORY,
            "type": "Person",
            "preferredUsername": "mallory",
            "inbox": f"{MALLORY}/inbox",
            "followers": f"{MALLORY}/followers",
            "publicKey": {
                "id": f"{MALLORY}#main-key",
                "owner": MALLORY,
                "publicKeyPem": pem.decode(),
            },
        }
    )


def test_a_follow_from_a_revived_domain_gets_its_accept(make_user, monkeypatch, settings):
    monkeypatch.setattr(delivery, "_enqueue", lambda ids: None)
    _remote_actor()
    make_user("ana")
    DomainHealth.objects.create(domain="evil.example", dead=True, consecutive_failures=50)
    follow = {
        "id": "https://evil.example/activities/f1",
        "type": "Follow",
        "actor": MALLORY,
        "object": f"{settings.SITE_URL}/@ana",
    }
    dispatch.process(inbox.store(follow, MALLORY))
    assert not DomainHealth.objects.get(domain="evil.example").dead
    rows = list(Delivery.objects.values_list("inbox_url", "state"))
    assert rows == [(f"{MALLORY}/inbox", Delivery.State.PENDING)]
