"""Posting with fan-out to 10,000 local followers and 1,000 remote inboxes: the time from the
call of the real action (`posts.actions.create_post`, what the web and API doors call) until
every follower's FeedEntry row and every remote inbox's Delivery row exists.

The Delivery rows are written by the action in the poster's transaction; the feed rows by the
`fan_out_post` task, which is run here in this process right after the commit (what a worker
would do as soon as it takes the task; the queue's own latency is not counted). The queued
send tasks are dropped afterwards and the rows deleted, so nothing is sent.
"""

from __future__ import annotations

import time

from bench.lib import Context, result
from bench.scenarios.delivery import ensure_django

NAME = "fan-out to 10,000 local followers and 1,000 remote inboxes"


def _one(author, expected_feeds: int, expected_deliveries: int) -> dict[str, float]:
    from wikisocial.federation.models import Delivery
    from wikisocial.posts.actions import Draft, create_post
    from wikisocial.timelines.models import FeedEntry
    from wikisocial.timelines.tasks import fan_out_post

    start = time.perf_counter()
    post = create_post(author, Draft(text=f"Benchmark post {time.time_ns()} #bench"))
    posted = time.perf_counter()
    fan_out_post.call(post.pk)
    done = time.perf_counter()
    feeds = FeedEntry.objects.filter(post=post).count()
    deliveries = Delivery.objects.filter(activity_id__startswith=_activity_prefix(post)).count()
    if feeds < expected_feeds or deliveries < expected_deliveries:
        raise RuntimeError(f"fan-out incomplete: {feeds} feed rows, {deliveries} deliveries")
    _clean(post)
    return {"total": (done - start) * 1000, "post": (posted - start) * 1000}


def _activity_prefix(post) -> str:
    from wikisocial.posts.activitypub import activity_of

    return activity_of(post)["id"]


def _clean(post) -> None:
    """Forget the deliveries and their queued tasks (nothing is to be sent) and the post."""
    from django_tasks_db.models import DBTaskResult

    from wikisocial.federation.models import Delivery
    from wikisocial.posts.models import Post
    from wikisocial.timelines.models import FeedEntry

    Delivery.objects.filter(activity_id__startswith=_activity_prefix(post)).delete()
    queued = DBTaskResult.objects.filter(status="READY")
    queued.filter(task_path__regex=r"(send_deliver|fan_out_post)").delete()
    FeedEntry.objects.filter(post=post).delete()
    Post.objects.filter(pk=post.pk).delete()


def run(ctx: Context) -> list[dict]:
    ensure_django(ctx)
    from wikisocial.accounts.models import Account

    author = Account.objects.get(pk=ctx.data["fanout_author"])
    feeds = ctx.sizes.get("fanout_local", 10_000)
    remote = ctx.sizes.get("fanout_remote", 1_000)
    runs = 5 if ctx.quick else 15
    _one(author, feeds, remote)  # warm-up: caches, the author's key
    samples = [_one(author, feeds, remote) for _ in range(runs)]
    return [
        result(
            NAME,
            ctx.database,
            [s["total"] for s in samples],
            post_p50_ms=round(sorted(s["post"] for s in samples)[len(samples) // 2], 1),
            local_followers=feeds,
            remote_inboxes=remote,
            how="create_post, then the fan_out_post task run in this process",
        )
    ]
