"""An index on the post–hashtag table by (hashtag, post): a hashtag timeline reads it in
post order and stops after a page, for a tag on every twentieth post as for a rare one. With
only the index on the hashtag, a rare tag's page walked the posts index from the newest post
down (1.4–4 s at a million posts) and a busy tag's sorted all its posts. The table is the one
Django makes for ``Post.hashtags``, so the index is made in SQL; on PostgreSQL CONCURRENTLY,
so posting (which writes to this table) goes on while it is built on a large instance."""

from django.db import migrations

INDEX = "posts_post_hashtags_tag_post"


def create(apps, schema_editor) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {INDEX} "
        "ON posts_post_hashtags (hashtag_id, post_id)"
    )


def drop(apps, schema_editor) -> None:
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("posts", "0004_post_group")]

    operations = [migrations.RunPython(create, drop)]
