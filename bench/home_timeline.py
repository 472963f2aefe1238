"""Home-timeline reads and fan-out, measured on SQLite or PostgreSQL.

    .venv/bin/python bench/home_timeline.py                        # SQLite in a temp folder
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/wikisocial_bench \
        .venv/bin/python bench/home_timeline.py --posts 1000000

Builds a data set (accounts, a follow graph, posts spread over 30 days, the materialised home
feeds of two readers), then times:
- the home timeline of a reader who follows 500 active accounts, first page and deeper pages,
  through the real query (timelines.queries.home) and through the plain join it replaces;
- the same for a reader who follows only quiet accounts (the case that sinks the plain join);
- fanning one post out to N local followers (timelines.fanout.fan_out).
Results: a Markdown table on stdout and JSON in bench/results/. Numbers, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(data_dir: str) -> None:
    os.environ.setdefault("WIKISOCIAL_DATA_DIR", data_dir)
    os.environ["WIKISOCIAL_TASKS_BACKEND"] = "immediate"
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "wikisocial.config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def timed(fn, runs: int) -> dict:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()

    def pct(p: float) -> float:
        return round(samples[min(len(samples) - 1, int(p * len(samples)))], 3)

    return {"p50_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "runs": runs}


def build(args) -> dict:
    from django.db import connection, transaction

    from wikisocial.accounts.models import Account, User
    from wikisocial.core.ids import new_id
    from wikisocial.posts.models import Post
    from wikisocial.social.models import Follow
    from wikisocial.timelines.models import FeedEntry

    rng = random.Random(42)
    started = time.perf_counter()
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(
                username=f"u{i}",
                email=f"u{i}@example.org",
                password="!",
                email_confirmed_at=datetime.now(UTC),
            )
            for i in range(args.accounts)
        )
        accounts = Account.objects.bulk_create(Account(user=u, username=u.username) for u in users)
    ids = [a.pk for a in accounts]
    reader, quiet_reader, celebrity = ids[0], ids[1], ids[2]
    active = ids[10 : 10 + args.followees]
    quiet = ids[-args.followees :]
    # Posts: active accounts post a lot, quiet ones a handful each, over 30 days.
    now = datetime.now(UTC)
    span = timedelta(days=30).total_seconds()
    batch = []
    made = 0
    quiet_posts = max(1, args.followees // 50)
    plan = [(a, None) for a in quiet for _ in range(1)][: quiet_posts * 50]
    total = args.posts
    for i in range(total):
        author = rng.choice(active) if i % 10 else rng.choice(ids[10:])
        if plan and i % (total // max(1, len(plan))) == 0:
            author = plan.pop()[0]
        when = now - timedelta(seconds=rng.random() * span)
        batch.append(
            Post(
                id=new_id(when),
                author_id=author,
                content="x" * 80,
                content_html="<p>" + "x" * 80 + "</p>",
                created_at=when,
            )
        )
        if len(batch) == 5000:
            Post.objects.bulk_create(batch)
            made += len(batch)
            batch = []
    if batch:
        Post.objects.bulk_create(batch)
    Follow.objects.bulk_create(
        [Follow(follower_id=reader, target_id=t) for t in active]
        + [Follow(follower_id=quiet_reader, target_id=t) for t in quiet]
        + [Follow(follower_id=f, target_id=celebrity) for f in ids if f != celebrity][: args.fanout]
    )
    # The readers' materialised feeds, as the fan-out task would have written them.
    for owner, followees in ((reader, active), (quiet_reader, quiet)):
        with connection.cursor() as cur:
            params = ",".join(["%s"] * len(followees))
            cur.execute(
                f"INSERT INTO timelines_feedentry (owner_id, post_id, author_id) "
                f"SELECT %s, id, author_id FROM posts_post WHERE author_id IN ({params})",
                [owner, *followees],
            )
    feed_rows = FeedEntry.objects.count()
    return {
        "reader": reader,
        "quiet_reader": quiet_reader,
        "celebrity": celebrity,
        "active": active,
        "quiet": quiet,
        "build_s": round(time.perf_counter() - started, 1),
        "feed_rows": feed_rows,
    }


def scenarios(data: dict, args) -> list[dict]:
    from wikisocial.accounts.models import Account
    from wikisocial.core.pagination import Cursor
    from wikisocial.posts.models import Post
    from wikisocial.timelines import fanout, queries

    results = []
    for label, key, followees in (
        ("active", "reader", "active"),
        ("quiet", "quiet_reader", "quiet"),
    ):
        viewer = Account.objects.get(pk=data[key])
        first = queries.home(viewer, Cursor(limit=20))
        deep_max = first.page.next_max_id
        for _ in range(4):
            if deep_max is None:
                break
            deep_max = queries.home(viewer, Cursor(max_id=deep_max, limit=20)).page.next_max_id
        results.append(
            {
                "name": f"home feed, first page ({label} followees)",
                **timed(lambda v=viewer: queries.home(v, Cursor(limit=20)), args.runs),
            }
        )
        if deep_max:
            results.append(
                {
                    "name": f"home feed, page 6 ({label} followees)",
                    **timed(
                        lambda v=viewer, m=deep_max: queries.home(v, Cursor(max_id=m, limit=20)),
                        args.runs,
                    ),
                }
            )
        ids = data[followees]

        def plain_join(ids=ids):
            list(
                Post.objects.filter(author_id__in=ids, deleted_at__isnull=True)
                .order_by("-id")
                .values_list("id", flat=True)[:20]
            )

        def feed_ids(viewer=viewer):
            from wikisocial.timelines.models import FeedEntry

            list(
                FeedEntry.objects.filter(owner=viewer)
                .order_by("-post_id")
                .values_list("post_id", flat=True)[:20]
            )

        results.append(
            {
                "name": f"feed table ids, first page ({label} followees)",
                **timed(feed_ids, args.runs),
            }
        )
        results.append(
            {
                "name": f"plain join ids, first page ({label} followees)",
                **timed(plain_join, args.runs),
            }
        )
    celebrity = Account.objects.get(pk=data["celebrity"])
    from django.utils import timezone

    def fan() -> None:
        post = Post.objects.create(
            author=celebrity, content="hi", content_html="<p>hi</p>", created_at=timezone.now()
        )
        fanout.fan_out(post)

    results.append(
        {"name": f"fan-out of one post to {args.fanout} followers", **timed(fan, args.fanout_runs)}
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=12_000)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--followees", type=int, default=500)
    parser.add_argument("--fanout", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--fanout-runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(tmp)
        from django.db import connection

        database = connection.vendor
        if database == "postgresql":
            from django.core.management import call_command

            call_command("flush", interactive=False, verbosity=0)
        data = build(args)
        if database == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        results = scenarios(data, args)
    report = {
        "database": database,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "params": vars(args),
        "build_s": data["build_s"],
        "feed_rows": data["feed_rows"],
        "scenarios": results,
    }
    out = ROOT / "bench" / "results" / f"home_timeline-{database}.json"
    out.write_text(json.dumps(report, indent=2))
    print(
        f"\n{database}: {args.posts:,} posts, {args.accounts:,} accounts, "
        f"{data['feed_rows']:,} feed rows (built in {data['build_s']} s)\n"
    )
    print("| scenario | p50 ms | p95 ms | p99 ms |\n| --- | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['name']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} |")
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
