"""The ``wikisocial`` command: Django's management commands with our settings, plus a clear
message (not a traceback) when the configuration or the database is wrong."""

from __future__ import annotations

import os
import sys

# Commands that cannot do anything useful without the database.
NEEDS_DATABASE = {
    "run",
    "serve",
    "worker",
    "migrate",
    "createadmin",
    "accounts",
    "groups",
    "tokens",
    "shell",
    "createsuperuser",
    "changepassword",
    "dbshell",
    "db_worker",
}
# Of those, the ones that bring the schema up to date themselves.
MIGRATES_ITSELF = {"run", "migrate", "dbshell", "shell"}


def fail(message: str) -> None:
    print(f"wikisocial: {message}", file=sys.stderr)
    sys.exit(2)


def check_database() -> None:
    from django.db import connection
    from django.db.utils import OperationalError

    from wikisocial.config.env import redacted_database_url

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        where = redacted_database_url() or "the SQLite file in WIKISOCIAL_DATA_DIR"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        fail(f"cannot connect to the database at {where}: {reason}\nCheck DATABASE_URL.")


def check_migrated() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        fail("the database is not up to date: run `wikisocial migrate` first")


def main(argv: list[str] | None = None) -> None:
    argv = list(argv if argv is not None else sys.argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wikisocial.config.settings")
    import django
    from django.core.management import execute_from_command_line

    from wikisocial.config.env import ConfigError

    try:
        django.setup()
    except ConfigError as exc:
        fail(str(exc))
    command = argv[1] if len(argv) > 1 else "help"
    if command in NEEDS_DATABASE and not {"-h", "--help"} & set(argv[2:]):
        check_database()
        if command not in MIGRATES_ITSELF:
            check_migrated()
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
