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
