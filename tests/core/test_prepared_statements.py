"""Prepared statements with generic plans for timeline reads (core/db.py): on PostgreSQL the
queries inside ``prepared_statements()`` are prepared once per connection and run with a
generic plan, the others are sent with their values as before; on SQLite nothing changes."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.posts.helpers import write
from wikisocial.core.db import prepared_statements
from wikisocial.posts.models import Post

pytestmark = pytest.mark.django_db


def _prepared() -> dict[str, tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return {sql: (generic, custom) for sql, generic, custom in cursor.fetchall()}


def _visible_ids(viewer, ids: list[int]) -> list[int]:
    return sorted(Post.objects.visible_to(viewer).filter(pk__in=ids).values_list("pk", flat=True))


def test_the_same_rows_inside_and_outside(make_user):
    ana, bea = make_user("ana"), make_user("bea")
    made = [write(bea, "public"), write(bea, "for followers", visibility="private")]
    ids = [p.pk for p in made]
    plain = _visible_ids(ana.account, ids)
    with prepared_statements():
        assert _visible_ids(ana.account, ids) == plain == [made[0].pk]


def test_on_postgresql_prepared_once_with_a_generic_plan(make_user):
    ana, bea = make_user("ana"), make_user("bea")
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (SQLite runs the same queries)")
    ids = [write(bea, f"post {i}").pk for i in range(3)]
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"
    before = _prepared()
    _visible_ids(ana.account, ids)
    assert _prepared() == before  # outside the block: values inlined, planned as usual
    for _ in range(3):
        with prepared_statements():
            assert _visible_ids(ana.account, ids) == sorted(ids)
    new = {sql: plans for sql, plans in _prepared().items() if sql not in before}
    [(generic, custom)] = [plans for sql, plans in new.items() if "posts_post" in sql]
    assert (generic, custom) == (3, 0)


@pytest.mark.django_db(transaction=True)
def test_a_column_changed_by_a_migration_meanwhile_costs_no_error(make_user):
    """ "cached plan must not change result type": another connection (a migration) changes a
    column a prepared statement reads; the next run prepares it again instead of failing."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    import psycopg

    bea = make_user("bea")
    post = write(bea, "before the migration")

    def read() -> list[str]:
        with prepared_statements():
            return list(Post.objects.filter(pk=post.pk).values_list("language", flat=True))

    before = read()
    assert read() == before
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    )
    try:
        other.execute("ALTER TABLE posts_post ALTER COLUMN language TYPE varchar(20)")
        assert read() == before
    finally:
        other.execute("ALTER TABLE posts_post ALTER COLUMN language TYPE varchar(16)")
        other.close()


def test_the_timelines_read_their_posts_prepared(make_user):
    """The home, local and federated timelines load their posts through prepared statements;
    the hashtag timeline's first step (candidates by tag) is planned with its values."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    from wikisocial.core.pagination import Cursor
    from wikisocial.social import actions as social
    from wikisocial.timelines import queries

    ana, bea = make_user("ana"), make_user("bea")
    social.follow(ana.account, bea.account)
    post = write(bea, "#survey hello")
    for read in (
        lambda: queries.home(ana.account, Cursor()),
        lambda: queries.local(ana.account, Cursor()),
        lambda: queries.federated(None, Cursor()),
        lambda: queries.hashtag("survey", ana.account, Cursor()),
    ):
        before = _prepared()
        assert [p.pk for p in read().posts] == [post.pk]
        new = [sql for sql in _prepared() if sql not in before]
        assert any('FROM "posts_post"' in sql for sql in new)
        assert not any('FROM "posts_post_hashtags"' in sql for sql in new)
