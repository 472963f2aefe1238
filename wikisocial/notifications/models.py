"""Notifications, grouped the way people read them ("Ana and 4 others liked your post")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from wikisocial.accounts.models import Account
from wikisocial.core.ids import new_id


class Kind(models.TextChoices):
    MENTION = "mention", _("mentioned you")
    REPLY = "reply", _("replied to you")
    FOLLOW = "follow", _("followed you")
    FOLLOW_REQUEST = "follow_request", _("asked to follow you")
    LIKE = "favourite", _("liked your post")
    BOOST = "reblog", _("boosted your post")
    POLL = "poll", _("a poll has ended")
    UPDATE = "update", _("edited a post you interacted with")
    # Groups (communities): not Mastodon types; the client API shows them as the nearest
    # Mastodon type or leaves them out (see api/serializers).
    GROUP_TOPIC = "group_topic", _("started a topic in a group you watch")
    GROUP_REPLY = "group_reply", _("replied in a topic you watch")
    JOIN_REQUEST = "join_request", _("asked to join your group")
    JOIN_APPROVED = "join_approved", _("let you into the group")
    GROUP_INVITE = "group_invite", _("invited you to a group")
    GROUP_REMOVED = "group_removed", _("removed you from the group")
    WIKI_EDIT = "wiki_edit", _("edited a wiki page you watch")


class Notification(models.Model):
    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    recipient = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(
        "posts.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The group a group notification is about, and the wiki page of a wiki edit.
    group = models.ForeignKey(
        "communities.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    wiki_page = models.ForeignKey(
        "wiki.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Notifications with the same key are shown as one group.
    group_key = models.CharField(max_length=100)
    # Kept aside by the recipient's notification policy (not followed, new accounts …).
    filtered = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "filtered", "-id"], name="notification_list"),
            models.Index(fields=["recipient", "group_key"], name="notification_group"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.kind} → {self.recipient}"


class NotificationPolicy(models.Model):
    """What a person wants kept aside: notifications from people they don't follow, or from
    accounts younger than a month. Kept-aside notifications wait in their own list."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="notification_policy"
    )
    filter_not_following = models.BooleanField(_("from people I don't follow"), default=False)
    filter_new_accounts = models.BooleanField(
        _("from accounts younger than 30 days"), default=False
    )
    email_each = models.BooleanField(_("e-mail me for each notification"), default=False)

    def __str__(self) -> str:
        return f"notification policy of {self.account}"


class NotificationPermission(models.Model):
    """``recipient`` accepted the kept-aside notifications from ``sender`` (Mastodon's accepted
    notification request): the policy no longer keeps that account's notifications aside."""

    recipient = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="notification_permissions"
    )
    sender = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "sender"], name="notification_permission_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient} accepts notifications from {self.sender}"
