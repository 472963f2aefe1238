"""What the core keeps in the database: the schedule of the periodic jobs."""

from __future__ import annotations

from django.db import models


class PeriodicRun(models.Model):
    """One row per periodic job (core/periodic.py JOBS): when it may run next. A worker runs
    the job only after moving ``next_run_at`` forward in one conditional UPDATE, so however
    many workers look at once, one of them runs it per period."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    runs = models.PositiveIntegerField(default=0)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_worker = models.CharField(max_length=100, blank=True)  # host:pid that ran it last
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.name} (next at {self.next_run_at:%Y-%m-%d %H:%M:%S})"
