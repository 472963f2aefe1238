"""Making and finding actors' signing keys."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import IntegrityError, transaction

from wikisocial.accounts.models import Account
from wikisocial.federation.models import ActorKey


def _new_pair() -> tuple[str, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return public_pem, private_pem


def key_of(account: Account | None) -> ActorKey:
    """The key pair of a local account (None: the instance actor), made on first use."""
    existing = ActorKey.objects.filter(account=account).first()
    if existing is not None:
        return existing
    public_pem, private_pem = _new_pair()
    try:
        with transaction.atomic():
            return ActorKey.objects.create(
                account=account, public_key_pem=public_pem, private_key_pem=private_pem
            )
    except IntegrityError:  # made at the same moment by another request
        return ActorKey.objects.get(account=account)
