"""The database broker's two tables, used when there is no Redis (REDIS_URL unset): messages
waiting a few minutes for the streaming processes to read them, and the channels someone is
connected to (so nothing is written, or serialised, for channels nobody listens to)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class StreamMessage(models.Model):
    """One event for one channel. The streaming processes poll for new rows about once a second
    and delete rows older than a few minutes."""

    id = models.BigAutoField(primary_key=True)
    channel = models.CharField(max_length=200)
    event = models.CharField(max_length=40)
    payload = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.event} on {self.channel}"


class StreamListener(models.Model):
    """A channel a streaming process has clients on, until ``expires_at``; the process pushes
    the time forward while they stay connected."""

    channel = models.CharField(max_length=200, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"listening on {self.channel} until {self.expires_at:%H:%M:%S}"
