"""Periodic jobs (core/periodic.py): each runs once per period however many workers look at
the same time; a failing job is logged and recorded and the others still run."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections
from django.utils import timezone

from wikisocial.core import periodic
from wikisocial.core.models import PeriodicRun

RUNS: Counter = Counter()
LOCK = threading.Lock()


def count_run() -> int:
    with LOCK:
        RUNS["count"] += 1
    return RUNS["count"]


def explode() -> None:
    raise RuntimeError("the job broke")


COUNTING = periodic.Job("test.count", "tests.core.test_periodic.count_run", 60)
BROKEN = periodic.Job("test.broken", "tests.core.test_periodic.explode", 60)


@pytest.fixture(autouse=True)
def _fresh_counter():
    RUNS.clear()


def race(workers: int, now) -> list[list[str]]:
    """``workers`` threads (each its own database connection, as a worker process would have)
    call run_due at the same moment; what each ran."""
    barrier = threading.Barrier(workers)
    results: list[list[str]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = periodic.run_due((COUNTING,), now=now)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a racing worker did not finish"
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_racing_workers_run_each_period_once():
    if connections["default"].vendor == "sqlite":
        # The suite's SQLite database lives in memory, shared between threads by a cache that
        # fails at once instead of waiting for the lock; workers are processes with a file
        # database (WAL, busy timeout): tests/cli/test_worker.py races those.
        pytest.skip("threads need PostgreSQL here; the SQLite race is between processes")
    start = timezone.now()
    for period in range(4):
        now = start + period * COUNTING.period
        ran = race(6, now)
        assert sum(len(r) for r in ran) == 1, ran
        assert RUNS["count"] == period + 1
        # Later in the same period, nobody runs it again.
        assert race(3, now + COUNTING.period / 2) == [[], [], []]
    row = PeriodicRun.objects.get(name=COUNTING.name)
    assert row.runs == 4
    assert row.next_run_at == start + 4 * COUNTING.period
    assert row.last_finished_at is not None
    assert row.last_error == ""


@pytest.mark.django_db
def test_a_failing_job_is_logged_and_recorded_and_the_next_still_runs(caplog):
    now = timezone.now()
    ran = periodic.run_due((BROKEN, COUNTING), now=now)

    assert ran == ["test.broken", "test.count"]
    assert RUNS["count"] == 1
    assert "periodic job test.broken failed" in caplog.text
    assert "RuntimeError: the job broke" in caplog.text
    broken = PeriodicRun.objects.get(name="test.broken")
    assert broken.last_error == "RuntimeError: the job broke"
    # It is not retried before its next period.
    assert periodic.run_due((BROKEN,), now=now + timedelta(seconds=59)) == []
    assert periodic.run_due((BROKEN,), now=now + timedelta(seconds=60)) == ["test.broken"]


@pytest.mark.django_db
def test_a_new_job_runs_at_once_then_every_period():
    now = timezone.now()
    assert periodic.run_due((COUNTING,), now=now) == ["test.count"]
    assert periodic.run_due((COUNTING,), now=now + timedelta(seconds=30)) == []
    assert periodic.run_due((COUNTING,), now=now + timedelta(seconds=61)) == ["test.count"]
    # The next period counts from the run, not from the missed schedule: a worker that was
    # stopped for an hour does not run the job sixty times to catch up.
    late = now + timedelta(hours=1)
    assert periodic.run_due((COUNTING,), now=late) == ["test.count"]
    assert periodic.run_due((COUNTING,), now=late + timedelta(seconds=1)) == []
    assert RUNS["count"] == 3


def test_the_federation_sweeps_are_registered_with_the_sweep_setting(settings):
    settings.SWEEP_SECONDS = 7
    jobs = {job.name: job for job in periodic.JOBS}
    assert jobs["federation.delivery-sweep"].period == timedelta(seconds=7)
    assert jobs["federation.inbox-sweep"].period == timedelta(seconds=7)
    assert periodic.check_every() == 3.5
    for job in periodic.JOBS:  # every path names a function that exists
        from django.utils.module_loading import import_string

        assert callable(import_string(job.function)), job


@pytest.mark.django_db
def test_the_registered_jobs_run_on_an_empty_instance():
    ran = periodic.run_due()
    assert sorted(ran) == sorted(job.name for job in periodic.JOBS)
    assert not PeriodicRun.objects.exclude(last_error="").exists()


@pytest.mark.django_db
def test_the_database_clock_decides_not_the_workers(monkeypatch):
    """A worker whose clock is an hour fast runs a new job, but its next run is counted from
    the database's clock, and it does not run the job again before then."""
    fast = timezone.now() + timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: fast)

    assert periodic.run_due((COUNTING,)) == ["test.count"]
    assert periodic.run_due((COUNTING,)) == []
    row = PeriodicRun.objects.get(name=COUNTING.name)
    real = datetime.now(UTC)
    assert real < row.next_run_at <= real + COUNTING.period
    assert abs(row.last_started_at - real) < timedelta(seconds=30)
    assert abs(row.last_finished_at - real) < timedelta(seconds=30)


def test_the_periodic_thread_stops_when_told():
    stop = threading.Event()
    stop.set()
    thread = threading.Thread(target=periodic.run_forever, args=(stop,))
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()


@pytest.mark.django_db
def test_no_job_starts_once_stopping():
    stop = threading.Event()
    stop.set()
    assert periodic.run_due((COUNTING,), stop=stop) == []
    assert RUNS["count"] == 0


@pytest.mark.django_db
def test_statistics_job_fills_sqlite_planner_tables():
    """The db.statistics job: on SQLite the planner's statistics exist after it runs
    (sqlite_stat1), on PostgreSQL it leaves the work to autovacuum."""
    from django.db import connection

    from wikisocial.core.db import refresh_statistics

    assert any(job.name == "db.statistics" for job in periodic.JOBS)
    said = refresh_statistics()
    if connection.vendor != "sqlite":
        assert said == ""
        return
    assert said == "statistics refreshed"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1")
        assert cursor.fetchone()[0] > 0


@pytest.mark.django_db
def test_statistics_read_whole_indexes(make_user):
    """Sampled statistics (``PRAGMA analysis_limit``) saw the first thousand posts of the
    ``group_id`` index, all without a group, and said a thousand posts per value: the
    planner then read the public timeline through that index. Read whole, the index says
    every post shares the one value (none)."""
    from django.db import connection

    from wikisocial.core.db import refresh_statistics
    from wikisocial.posts.models import Post

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's statistics; PostgreSQL's autovacuum keeps its own")
    author = make_user("ana").account
    now = timezone.now()
    Post.objects.bulk_create(
        Post(author=author, content_html="<p>x</p>", created_at=now) for _ in range(1500)
    )
    refresh_statistics()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stat FROM sqlite_stat1 WHERE tbl = 'posts_post' AND idx LIKE '%group_id%'"
        )
        rows, per_value = (int(n) for n in cursor.fetchone()[0].split()[:2])
    assert rows == per_value >= 1500
