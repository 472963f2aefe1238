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


class Delivery(models.Model):
    """One signed POST of one activity to one inbox, kept until it is done (federation/delivery.py
    says how it moves between states). The body is fixed when the row is queued, so a retry sends
    exactly the same document; (activity_id, inbox_url) is unique, so queuing twice is a no-op."""

    class State(models.TextChoices):
        PENDING = "pending"  # waiting for next_try_at
        SENDING = "sending"  # claimed by a worker until lease_until
        DELIVERED = "delivered"
        FAILED = "failed"  # refused (4xx) or out of attempts
        GONE = "gone"  # 410: the inbox no longer exists
        SKIPPED = "skipped"  # the domain is marked dead

    activity_id = models.CharField(max_length=500)
    inbox_url = models.CharField(max_length=500)
    sender = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )  # None: the instance actor
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity_id", "inbox_url"], name="one_delivery"),
        ]
        indexes = [models.Index(fields=["state", "next_try_at"], name="delivery_due")]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.activity_id} → {self.inbox_url} ({self.state})"


class DomainHealth(models.Model):
    """How a remote domain has answered our deliveries: its circuit breaker (open_until) and
    whether it is dead (no more deliveries are tried). Any answer below 500 clears it."""

    domain = models.CharField(max_length=255, unique=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField(null=True, blank=True)
    open_until = models.DateTimeField(null=True, blank=True)
    dead = models.BooleanField(default=False)
    marked_dead_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "domain health"

    def __str__(self) -> str:
        return f"{self.domain} ({'dead' if self.dead else self.consecutive_failures})"
