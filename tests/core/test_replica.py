"""Read-replica routing: with DATABASE_REPLICA_URL, the timeline reads decorated in
timelines/queries.py read the replica; everything else, and every write (even one made
inside a replica block), goes to the primary.

The end-to-end test runs the real settings in `wikisocial shell` against two real databases
(PostgreSQL when the suite runs on it, with the connection pool on; else two SQLite files):
the replica is a copy of the migrated, seeded primary, whose post is then changed, so the
same row's text shows which database answered."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError

from tests.cli.helpers import PG_SCHEMES, clean_env, fresh_databases, run_cli, shell_json
from wikisocial.core import db
from wikisocial.core.db import REPLICA, ReplicaRouter, reading_from_replica, reads_from_replica
from wikisocial.posts.models import Post

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")

WITH_REPLICA = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    "replica": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
}


def test_reads_stay_on_the_primary_unless_asked(settings):
    settings.DATABASES = WITH_REPLICA
    router = ReplicaRouter()
    # Never None: Django would then read where an instance came from (the replica).
    assert router.db_for_read(Post) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Post, instance=Post(pk=1)) == DEFAULT_DB_ALIAS
    assert not reading_from_replica()


def test_a_decorated_function_reads_the_replica(settings):
    settings.DATABASES = WITH_REPLICA
    router = ReplicaRouter()

    @reads_from_replica
    def timeline() -> tuple[str, str]:
        return router.db_for_read(Post), router.db_for_write(Post)

    assert timeline() == (REPLICA, DEFAULT_DB_ALIAS)
    assert router.db_for_read(Post) == DEFAULT_DB_ALIAS  # reset afterwards


def test_without_a_replica_the_decorator_changes_nothing(settings):
    settings.DATABASES = {"default": WITH_REPLICA["default"]}

    @reads_from_replica
    def timeline() -> str:
        return ReplicaRouter().db_for_read(Post)

    assert timeline() == DEFAULT_DB_ALIAS


def test_a_failing_replica_falls_back_to_the_primary(settings, monkeypatch, caplog):
    settings.DATABASES = WITH_REPLICA
    monkeypatch.setattr(db, "_replica_paused_until", 0.0)
    router, tried = ReplicaRouter(), []

    @reads_from_replica
    def timeline() -> str:
        alias = router.db_for_read(Post)
        tried.append(alias)
        if alias == REPLICA:
            raise OperationalError("connection to replica.internal refused")
        return alias

    assert timeline() == DEFAULT_DB_ALIAS
    assert tried == [REPLICA, DEFAULT_DB_ALIAS]
    assert "read replica failed" in caplog.text
    tried.clear()
    assert timeline() == DEFAULT_DB_ALIAS  # paused: the replica is not tried again at once
    assert tried == [DEFAULT_DB_ALIAS]
    monkeypatch.setattr(db, "_replica_paused_until", 0.0)
    assert router.db_for_read(Post) == DEFAULT_DB_ALIAS


def test_the_replica_is_never_migrated():
    router = ReplicaRouter()
    assert router.allow_migrate(REPLICA, "posts") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "posts") is True


SEED = """
from wikisocial.accounts import actions
from wikisocial.posts.actions import Draft, create_post
user = actions.register(
    username="ana", email="ana@example.org", password=None, code_of_conduct=None,
    bot=False, by_operator=True,
)
post = create_post(user.account, Draft(text="only on the replica"))
print("JSON:" + str(post.pk))
"""

CHECK = """
import json
from django.db import connections
from wikisocial.accounts.models import Account
from wikisocial.core.db import replica_reads
from wikisocial.core.pagination import cursor_from
from wikisocial.posts.actions import Draft, create_post
from wikisocial.posts.models import Post
from wikisocial.timelines import queries

def texts(timeline):
    return sorted(p.content for p in timeline.posts)

# The replica is a copy of this database: from here on they differ.
Post.objects.filter(pk={pk}).update(content="only on the primary")
Account.objects.filter(username="ana").update(display_name="Ana on the primary")
ana = Account.objects.get(username="ana")
result = {{
    "aliases": sorted(connections.settings),
    "local": texts(queries.local(None, cursor_from({{}}))),
    "federated": texts(queries.federated(None, cursor_from({{}}))),
    "all_posts": sorted(Post.objects.values_list("content", flat=True)),
}}
with replica_reads():
    post = Post.objects.get(pk={pk})
    result["in_block"] = post.content
    create_post(ana, Draft(text="written inside a replica block"))
post.refresh_from_db()  # outside the block: the primary, not where it was loaded from
result["refreshed_after"] = post.content
result["author_after"] = post.author.display_name  # a related object: the primary too
result["after_write_primary"] = sorted(Post.objects.values_list("content", flat=True))
result["after_write_replica"] = sorted(
    Post.objects.using("replica").values_list("content", flat=True)
)
options = {{a: connections[a].settings_dict["OPTIONS"] for a in ("default", "replica")}}
result["pooled"] = [a for a, o in options.items() if "pool" in o]

# The replica goes away: timelines read the primary instead of failing.
replica = connections["replica"]
replica.close()
if hasattr(replica, "close_pool"):
    replica.close_pool()
{break_replica}
result["local_without_replica"] = texts(queries.local(None, cursor_from({{}})))
print("JSON:" + json.dumps(result))
"""

BREAK_SQLITE = 'replica.settings_dict["NAME"] = "/nonexistent/h4/replica.sqlite3"'
BREAK_PG = 'replica.settings_dict["PORT"] = {port}'


def _copy_database(primary: str, replica: str) -> None:
    """Make ``replica`` a copy of ``primary`` (PostgreSQL: a new database from it as
    template; SQLite: the file)."""
    if not primary.startswith(PG_SCHEMES):
        shutil.copyfile(urlsplit(primary).path, urlsplit(replica).path)
        return
    import psycopg

    parts = urlsplit(primary)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    source, copy = parts.path.lstrip("/"), urlsplit(replica).path.lstrip("/")
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{source}"')


@pytest.fixture
def two_databases(tmp_path):
    """(primary URL, replica URL): new PostgreSQL databases, or two SQLite files."""
    urls, drop = fresh_databases("fixopsreplica", ["primary", "replica"])
    if not urls:
        urls = {
            name: f"sqlite:///{tmp_path / f'{name}.sqlite3'}" for name in ("primary", "replica")
        }
    try:
        yield urls["primary"], urls["replica"]
    finally:
        drop()


def test_timelines_read_the_replica_and_writes_go_to_the_primary(tmp_path, two_databases):
    from tests.cli.helpers import free_port

    primary, replica = two_databases
    data = tmp_path / "data"
    seed_env = clean_env(data, DATABASE_URL=primary, SECRET_KEY="replica-test")
    migrated = run_cli(["migrate", "-v0"], data, env=seed_env, timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    pk = shell_json(data, SEED, DATABASE_URL=primary, SECRET_KEY="replica-test")
    _copy_database(primary, replica)
    pooled = primary.startswith(PG_SCHEMES)
    extra = {"WIKISOCIAL_DB_POOL_SIZE": "3", "WIKISOCIAL_DB_POOL_TIMEOUT": "2"} if pooled else {}
    broken = BREAK_PG.format(port=free_port()) if pooled else BREAK_SQLITE
    result = shell_json(
        data,
        CHECK.format(pk=pk, break_replica=broken),
        DATABASE_URL=primary,
        DATABASE_REPLICA_URL=replica,
        SECRET_KEY="replica-test",
        **extra,
    )
    assert result["aliases"] == ["default", "replica"]
    assert result["local"] == ["only on the replica"]
    assert result["federated"] == ["only on the replica"]
    assert result["all_posts"] == ["only on the primary"]
    assert result["in_block"] == "only on the replica"
    assert result["refreshed_after"] == "only on the primary"
    assert result["author_after"] == "Ana on the primary"
    assert result["after_write_primary"] == [
        "only on the primary",
        "written inside a replica block",
    ]
    assert result["after_write_replica"] == ["only on the replica"]
    assert result["pooled"] == (["default", "replica"] if pooled else [])
    assert result["local_without_replica"] == [
        "only on the primary",
        "written inside a replica block",
    ]
