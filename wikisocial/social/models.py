"""Who follows, blocks and mutes whom. No caps: an account may follow or be followed by any
number of accounts."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from wikisocial.accounts.models import Account


class Follow(models.Model):
    follower = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="following_set")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="follower_set")
    show_boosts = models.BooleanField(default=True)
    notify = models.BooleanField(default=False)
    # Only posts in these languages reach the follower's home feed (empty: all).
    languages = models.JSONField(default=list, blank=True)
    uri = models.CharField(max_length=500, blank=True)  # the Follow activity, when federated
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "target"], name="follow_unique"),
        ]
        indexes = [models.Index(fields=["target", "follower"])]

    def __str__(self) -> str:
        return f"{self.follower} follows {self.target}"


class FollowRequest(models.Model):
    """A request to follow a locked account, waiting for its owner's decision."""

    follower = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="follow_requests")
    show_boosts = models.BooleanField(default=True)
    notify = models.BooleanField(default=False)
    languages = models.JSONField(default=list, blank=True)
    uri = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "target"], name="follow_request_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.follower} asks to follow {self.target}"


class Block(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="blocks")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="blocked_by")
    uri = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "target"], name="block_unique")]
        indexes = [models.Index(fields=["target", "account"])]

    def __str__(self) -> str:
        return f"{self.account} blocks {self.target}"


class MuteQuerySet(models.QuerySet):
    def active(self) -> MuteQuerySet:
        return self.filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        )


class Mute(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="mutes")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="muted_by")
    hide_notifications = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MuteQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "target"], name="mute_unique")]

    def __str__(self) -> str:
        return f"{self.account} mutes {self.target}"


class HashtagFollow(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="followed_tags")
    hashtag = models.ForeignKey("posts.Hashtag", on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "hashtag"], name="hashtag_follow_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account} follows #{self.hashtag}"


class DomainBlock(models.Model):
    """Someone hides a whole remote domain: its accounts' posts leave their public timelines,
    their notifications stop, and their followers there are removed (Mastodon's user-level
    domain block). Accounts there that they follow still reach their home feed."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="domain_blocks")
    domain = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "domain"], name="domain_block_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account} hides {self.domain}"


class AccountNote(models.Model):
    """A private note someone keeps about another account; only its writer sees it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    comment = models.TextField(max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "target"], name="account_note_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account}'s note on {self.target}"


class DismissedSuggestion(models.Model):
    """An account someone does not want suggested to them again."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "target"], name="dismissed_suggestion_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} dismissed {self.target}"
