"""What federation keeps: the signing keys of local actors (people, bots and the instance
itself)."""

from __future__ import annotations

from django.db import models

from wikisocial.accounts.models import Account


class ActorKey(models.Model):
    """An RSA key pair. A local account gets one the first time something needs it (its actor
    document, a signed delivery); the instance actor has the row without an account."""

    account = models.OneToOneField(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="key"
    )
    public_key_pem = models.TextField()
    private_key_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(account__isnull=True),
                name="one_instance_actor_key",
            ),
        ]

    def __str__(self) -> str:
        return f"key of {self.account or 'the instance actor'}"


class RemoteKey(models.Model):
    """A remote actor's public key, found through the keyId of a signature."""

    key_id = models.CharField(max_length=500, unique=True)
    owner = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="remote_keys")
    public_key_pem = models.TextField()
    fetched_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key_id


class InboxItem(models.Model):
    """An activity received in an inbox, kept until it is processed: its signature was checked
    before it was stored, and its id makes a replay a no-op."""

    activity_id = models.CharField(max_length=500, unique=True)
    activity_type = models.CharField(max_length=100)
    actor_uri = models.CharField(max_length=500)
    document = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["processed_at", "id"], name="inbox_pending")]

    def __str__(self) -> str:
        return f"{self.activity_type} {self.activity_id}"
