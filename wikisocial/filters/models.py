"""A reader's content filters (Mastodon's v2 filters): keywords and single posts that, where
the filter applies, put a warning over a post, blur its media or hide it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from wikisocial.accounts.models import Account

# Where a filter applies: the home feed and lists, notifications, the public and hashtag
# timelines, a thread, a profile.
CONTEXTS = ("home", "notifications", "public", "thread", "account")


class Action(models.TextChoices):
    WARN = "warn"
    HIDE = "hide"
    BLUR = "blur"


class FilterQuerySet(models.QuerySet):
    def active(self) -> FilterQuerySet:
        """Filters not expired (expired ones are kept, so their owner may renew them)."""
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


class Filter(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="filters")
    title = models.CharField(max_length=200)
    context = models.JSONField(default=list)  # some of CONTEXTS
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.WARN)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FilterQuerySet.as_manager()

    def __str__(self) -> str:
        return self.title


class FilterKeyword(models.Model):
    filter = models.ForeignKey(Filter, on_delete=models.CASCADE, related_name="keywords")
    keyword = models.CharField(max_length=200)
    # Match only at word boundaries ("cat" does not match "category").
    whole_word = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.keyword


class FilterStatus(models.Model):
    """One post the filter applies to (and boosts of it), whatever its words."""

    filter = models.ForeignKey(Filter, on_delete=models.CASCADE, related_name="statuses")
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["filter", "post"], name="filter_status_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} in filter {self.filter_id}"
