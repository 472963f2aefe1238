"""An index on the post–hashtag table by (hashtag, post): a hashtag timeline reads it in
post order and stops after a page, for a tag on every twentieth post as for a rare one. With
only the index on the hashtag, a rare tag's page walked the posts index from the newest post
down (4 s at a million posts) and a busy tag's sorted all its posts. The table is the one
Django makes for ``Post.hashtags``, so the index is made in SQL (the same on SQLite and
PostgreSQL)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("posts", "0004_post_group")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX posts_post_hashtags_tag_post"
            " ON posts_post_hashtags (hashtag_id, post_id)",
            "DROP INDEX posts_post_hashtags_tag_post",
        )
    ]
