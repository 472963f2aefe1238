"""Read-replica routing: timeline reads may go to a replica (DATABASE_REPLICA_URL), everything
else, and every write, to the primary.

Routing by model would send every read of a post to the replica, including the one an action
makes just before it writes, where replication lag turns into lost updates. So nothing goes
to the replica unless the code asks: a function decorated with :func:`reads_from_replica` (or
a ``with replica_reads():`` block) reads from it, and only its reads. The flag lives in a
context variable, so concurrent requests in threads don't see each other's.

The router is installed only when a replica is configured; without one the decorators cost a
context-variable set and reset.

A replica that stops answering must not take the timelines down with it: a decorated function
whose replica read fails with a connection error runs again on the primary, and this process
reads from the primary for :data:`REPLICA_PAUSE_SECONDS` before trying the replica again
(/ready reports it ``degraded`` meanwhile, without failing).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

import orjson
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.backends.postgresql.base import Cursor, ServerBindingCursor  # psycopg is required
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

logger = logging.getLogger(__name__)

REPLICA = "replica"
# How long this process reads from the primary after the replica failed.
REPLICA_PAUSE_SECONDS = 30.0

# time.monotonic() until which the replica is not used (per process).
_replica_paused_until = 0.0

_replica_reads: ContextVar[bool] = ContextVar("wikisocial_replica_reads", default=False)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside this block go to the replica (when there is one). Querysets must be
    evaluated inside it: a lazy queryset evaluated later reads wherever it is then."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def reads_from_replica(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: ``func``'s reads go to the replica; for functions that return evaluated
    results (lists, pages), never lazy querysets."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads():
            if not reading_from_replica():
                return func(*args, **kwargs)
            try:
                return func(*args, **kwargs)
            except (OperationalError, InterfaceError) as exc:
                # The block reads nothing but the replica: its connection failed.
                pause_replica(exc)
        return func(*args, **kwargs)  # on the primary; its own errors propagate

    return wrapper


def pause_replica(reason: object) -> None:
    """Read from the primary for REPLICA_PAUSE_SECONDS (the replica failed: ``reason``), and
    drop this thread's replica connection so the next try opens a new one."""
    global _replica_paused_until
    logger.warning(
        "read replica failed (%s); reading from the primary for %.0f s",
        reason,
        REPLICA_PAUSE_SECONDS,
    )
    _replica_paused_until = time.monotonic() + REPLICA_PAUSE_SECONDS
    try:
        connections[REPLICA].close()
    except Exception:  # already broken: closing it is all we wanted
        logger.debug("closing the replica connection failed", exc_info=True)


def replica_paused() -> bool:
    return time.monotonic() < _replica_paused_until


def reading_from_replica() -> bool:
    """Whether reads here would go to the replica (a replica is configured, asked for, and
    not paused after a failure)."""
    return _replica_reads.get() and REPLICA in settings.DATABASES and not replica_paused()


class ReplicaRouter:
    """Django database router (settings.DATABASE_ROUTERS when DATABASE_REPLICA_URL is set)."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        # Never None: Django would then read where the instance came from, and an object
        # loaded in a replica block would keep reading the replica (related objects,
        # refresh_from_db) long after it.
        return REPLICA if reading_from_replica() else DEFAULT_DB_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str:
        # Rows read from the replica are saved to the primary all the same.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same data on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # The replica follows the primary's schema through replication.
        return db != REPLICA


# --- prepared statements ----------------------------------------------------------------------
#
# Django sends every query with its values inlined (psycopg's client-side binding), so
# PostgreSQL plans each one afresh. For the timelines that is most of the database's work: the
# page of posts a home timeline shows is joined to authors, boosts, groups and polls for the
# visibility rule and the display, 14 joins that took 4.6 ms to plan and 0.5 ms to run
# (bench/README.md). Inside :func:`prepared_statements` queries go to PostgreSQL as prepared
# statements instead (server-side binding, prepared on first use, kept per connection by
# psycopg, at most ``prepared_max`` of them) and run with a generic plan: planned once per
# connection and query shape. Connections get ``plan_cache_mode=force_generic_plan``
# (wikisocial/config/env.py), which only prepared statements obey, so every other query is
# planned as before. A generic plan does not know the values, so this is only for queries
# whose best plan does not depend on them: not the hashtag timeline (a tag on 5% of posts
# and a rare one need different plans).

_prepare: ContextVar[bool] = ContextVar("wikisocial_prepare", default=False)


@contextmanager
def prepared_statements() -> Iterator[None]:
    """Queries in this block run as prepared statements with a generic plan on PostgreSQL
    (nothing changes on SQLite). Evaluate querysets inside the block."""
    token = _prepare.set(True)
    try:
        yield
    finally:
        _prepare.reset(token)


class PreparingCursor(ServerBindingCursor):
    """Django's server-side binding cursor, preparing every statement it runs."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        kwargs["prepare"] = True
        try:
            return super().execute(query, params, **kwargs)
        except (pg_errors.FeatureNotSupported, pg_errors.InvalidSqlStatementName):
            # "cached plan must not change result type": a migration changed a column this
            # statement reads, and PostgreSQL refuses the statement until it is prepared
            # again. Outside a transaction (which the error would have aborted): forget every
            # prepared statement of the connection (psycopg forgets its own with it) and run
            # this one again, instead of failing until the connection is replaced.
            if self.connection.info.transaction_status != TransactionStatus.IDLE:
                raise
            self.connection.execute("DEALLOCATE ALL")
            return super().execute(query, params, **kwargs)


def preparing() -> bool:
    """Whether queries run here would be prepared (inside :func:`prepared_statements`)."""
    return _prepare.get()


def cursor_factory(connection: Any, **kwargs: Any) -> Any:
    """psycopg's cursor factory for our PostgreSQL connections (settings OPTIONS): Django's
    own cursor (client-side binding), or a preparing one inside :func:`prepared_statements`."""
    return (PreparingCursor if _prepare.get() else Cursor)(connection, **kwargs)


# --- a list as one parameter ------------------------------------------------------------------
#
# Inserting a row per value of a list (a post into 10,000 home feeds, an activity to 500
# inboxes) with bulk_create builds a model and binds every column once per row; sent as one
# parameter and turned into rows by the database, the same INSERT … SELECT was 2–2.5× faster
# for feed rows, and for deliveries it stopped binding the same 1 KB body once per inbox
# (quoting those was 85% of queuing).

_LIST_ROWS = {
    "postgresql": "unnest(%s::{type}[]) AS {alias}(value)",
    "sqlite": "json_each(%s) AS {alias}",  # its rows have a column named value
}


def list_rows(
    connection: Any, values: list, *, sql_type: str, alias: str
) -> tuple[str, object] | None:
    """A FROM item that reads ``values`` as rows with one column, ``{alias}.value``, and the
    parameter to bind for it (``sql_type``: PostgreSQL's type of the values, "bigint" or
    "text"); None on a database without such a form (callers then use bulk_create). A
    SELECT from it followed by ON CONFLICT needs a WHERE (SQLite's parser asks for one)."""
    form = _LIST_ROWS.get(connection.vendor)
    if form is None:
        return None
    param = values if connection.vendor == "postgresql" else orjson.dumps(values).decode()
    return form.format(type=sql_type, alias=alias), param


def refresh_statistics() -> str:
    """Refresh the query planner's statistics on SQLite: a periodic job (core/periodic.py).
    Without them SQLite's planner reads the public timeline through the index on
    ``group_id`` (NULL for nearly every post) and sorts the whole table: 400 ms instead of
    1.5 ms at 30,000 posts (bench/README.md). The whole of every index is read (0.6 s at a
    million posts): with ``PRAGMA analysis_limit`` SQLite reads only the first entries of
    each, saw a thousand posts without a group and guessed a thousand per value, and the
    public timeline at a million posts went back to the ``group_id`` index and ran for
    minutes. PostgreSQL's autovacuum analyses by itself."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "sqlite":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return "statistics refreshed"
