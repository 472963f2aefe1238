"""Home feeds, materialised: one row per (reader, post), written by the fan-out task when a
post is made (see docs/architecture.md, "Home feeds"), and the saved read positions."""

from __future__ import annotations

from django.db import models

from wikisocial.accounts.models import Account


class FeedEntry(models.Model):
    # No index of its own: the unique (owner, post) index leads with it, and reading a feed
    # newest-first walks that index backwards.
    owner = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")
    # The post's author, kept here so mutes and blocks filter without joining posts.
    author = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "post"], name="feed_entry_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} in the feed of {self.owner_id}"


class Marker(models.Model):
    """Where a reader stopped reading a timeline (Mastodon's markers): the "you're caught up"
    line is drawn there."""

    HOME = "home"
    NOTIFICATIONS = "notifications"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="markers")
    timeline = models.CharField(
        max_length=20, choices=[(HOME, HOME), (NOTIFICATIONS, NOTIFICATIONS)]
    )
    last_read_id = models.BigIntegerField(default=0)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "timeline"], name="marker_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account} read {self.timeline} up to {self.last_read_id}"
