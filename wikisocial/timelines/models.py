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


class List(models.Model):
    """A reader's own selection of accounts they follow, read as its own timeline (Mastodon's
    lists)."""

    class RepliesPolicy(models.TextChoices):
        FOLLOWED = "followed"  # replies to anyone the owner follows
        LIST = "list"  # replies to members of the list
        NONE = "none"  # no replies to others

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="lists")
    title = models.CharField(max_length=200)
    replies_policy = models.CharField(
        max_length=10, choices=RepliesPolicy.choices, default=RepliesPolicy.LIST
    )
    # Members' posts stay out of the owner's home feed (read here instead).
    exclusive = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.title} of {self.account_id}"


class ListMember(models.Model):
    list = models.ForeignKey(List, on_delete=models.CASCADE, related_name="members")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    # The owner's follow of the member (None for the owner themselves): unfollowing removes
    # the member from the owner's lists, as in Mastodon.
    follow = models.ForeignKey(
        "social.Follow", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["list", "account"], name="list_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} in list {self.list_id}"


class ConversationState(models.Model):
    """What one reader did to a conversation of direct posts (the thread whose first post is
    ``root_id``): read it up to a post, or removed it from their list up to a post. The
    conversations themselves are read from the posts; a newer post makes a removed
    conversation come back, unread, as in Mastodon."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    root_id = models.BigIntegerField()
    read_up_to = models.BigIntegerField(default=0)
    hidden_up_to = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "root_id"], name="conversation_state_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"conversation {self.root_id} of {self.account_id}"
