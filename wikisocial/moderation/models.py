"""Reports: someone tells the moderators about an account and some of its posts. They come from
our members and, as Flag activities, from other servers' moderators and members."""

from __future__ import annotations

from django.db import models

from wikisocial.accounts.models import Account


class Report(models.Model):
    # A remote reporter is the other server's actor (often its instance actor).
    reporter = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_made"
    )
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="reports")
    posts = models.ManyToManyField("posts.Post", blank=True, related_name="+")
    comment = models.TextField(blank=True)
    uri = models.CharField(max_length=500, blank=True)  # the Flag activity, when federated
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["resolved_at", "-created_at"])]

    def __str__(self) -> str:
        return f"report on {self.target} by {self.reporter or 'someone'}"
