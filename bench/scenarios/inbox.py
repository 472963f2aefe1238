"""Inbox ingestion with signature verification: signed POSTs (draft-cavage, RSA-2048, as
federation/signatures signs) from the generator's remote signers to our shared inbox and to
local people's inboxes, through a real server (`wikisocial serve --workers 2`), 10% of them
with a broken signature (expected: 401), from 16 client threads with keep-alive connections
(a busy instance hears from many servers at once; with 4 clients, each waiting for its answer,
at most 4 of the server's 2 × 4 threads were ever busy). A mix of Create (a Note addressed to
a local person), Like, Follow and Announce.

Requests are signed before the clock starts (a sender's cost, not ours). Reported: accepted
activities per second (202s over the wall time of the whole run), per-request latency
percentiles over all requests, and how many were refused. The stored activities are left for
the worker (catch-up scenario) or deleted (``clean``).
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime

import orjson

from bench.lib import Context, children, result, serve
from bench.scenarios.delivery import cpu_seconds, ensure_django

NAME = "inbox ingestion (10% bad signatures)"
BAD_SHARE = 0.10
THREADS = 16
KINDS = ("Create", "Like", "Follow", "Announce")


def requests_for(ctx: Context, base_url: str, count: int, tag: str, bad_share: float) -> list:
    """(path, body, headers, is_bad) for ``count`` activities, signed for ``base_url``."""
    from wikisocial.federation.signatures import load_private_key, sign_request
    from wikisocial.posts.models import Post

    rng = random.Random(count)
    signers = ctx.data["remote_signers"]
    users = ctx.data["local_usernames"]
    local_posts = list(
        Post.objects.filter(local=True, visibility="public", deleted_at__isnull=True)
        .order_by("-id")
        .values_list("author__username", "id")[:200]
    ) or [(users[0], 1)]
    keys = {s["key_id"]: load_private_key(s["private_pem"]) for s in signers}
    host = base_url.split("://", 1)[1]
    out = []
    for n in range(count):
        signer = signers[n % len(signers)]
        user = users[rng.randrange(len(users))]
        path = "/inbox" if n % 2 else f"/@{user}/inbox"
        author, post_id = local_posts[rng.randrange(len(local_posts))]
        activity = _activity(
            KINDS[n % len(KINDS)],
            signer["actor_url"],
            f"{base_url}/@{user}",
            f"{base_url}/@{author}/{post_id}",
            f"{tag}-{n}",
        )
        body = orjson.dumps(activity)
        headers = {"Content-Type": "application/activity+json", "Host": host}
        key = keys[signer["key_id"]]
        headers |= sign_request("POST", f"{base_url}{path}", headers, body, signer["key_id"], key)
        bad = rng.random() < bad_share
        if bad:  # a signature that does not match: one character of it changed
            sig = headers["Signature"]
            at = sig.index('signature="') + 20
            headers["Signature"] = sig[:at] + ("A" if sig[at] != "A" else "B") + sig[at + 1 :]
        out.append((path, body, headers, bad))
    return out


def _activity(kind: str, actor: str, local_actor: str, local_post: str, tag: str) -> dict:
    activity_id = f"{actor}/activities/{tag}"
    base = {"@context": "https://www.w3.org/ns/activitystreams", "id": activity_id, "actor": actor}
    if kind == "Create":
        note = {
            "id": f"{actor}/notes/{tag}",
            "type": "Note",
            "attributedTo": actor,
            "content": f'<p>Hello <a href="{local_actor}">@someone</a>, a benchmark note.</p>',
            "published": datetime.now(UTC).isoformat(timespec="seconds"),
            "to": [local_actor],
            "cc": [],
            "tag": [{"type": "Mention", "href": local_actor}],
        }
        return {**base, "type": "Create", "object": note, "to": [local_actor]}
    if kind == "Follow":
        return {**base, "type": "Follow", "object": local_actor}
    return {**base, "type": kind, "object": local_post}


def post_all(base_url: str, requests: list, threads: int) -> tuple[list[float], Counter, float]:
    """Send every request from ``threads`` keep-alive connections; latencies in ms, statuses,
    wall seconds."""
    host, port = base_url.split("://", 1)[1].split(":")
    shares = [requests[i::threads] for i in range(threads)]
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()

    def client(mine: list) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        mine_ms, mine_statuses = [], Counter()
        for path, body, headers, _ in mine:
            start = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine_ms.append((time.perf_counter() - start) * 1000)
            mine_statuses[response.status] += 1
        conn.close()
        with lock:
            latencies.extend(mine_ms)
            statuses.update(mine_statuses)

    workers = [threading.Thread(target=client, args=(share,)) for share in shares]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(600)
    return latencies, statuses, time.perf_counter() - start


def clean(tag_prefix: str) -> None:
    """Forget what this run stored and queued (the catch-up scenario makes its own)."""
    from django_tasks_db.models import DBTaskResult

    from wikisocial.federation.models import InboxItem

    InboxItem.objects.filter(activity_id__contains=f"/activities/{tag_prefix}").delete()
    queued = DBTaskResult.objects.filter(status="READY")
    queued.filter(task_path__endswith="process_inbox_item").delete()


def run(ctx: Context) -> list[dict]:
    ensure_django(ctx)
    count = 2000 if ctx.quick else 10_000
    tag = f"inbox{time.time_ns()}"
    with serve(ctx, "--workers", "2") as server:
        warm = requests_for(ctx, server.url, 200, f"{tag}w", BAD_SHARE)
        post_all(server.url, warm, THREADS)
        requests = requests_for(ctx, server.url, count, tag, BAD_SHARE)
        pids = [server.proc.pid, *children(server.proc.pid)]
        cpu_before = cpu_seconds(pids)
        latencies, statuses, seconds = post_all(server.url, requests, THREADS)
        server_cpu = cpu_seconds(pids) - cpu_before
    expected_bad = sum(1 for r in requests if r[3])
    clean(tag)
    accepted = statuses.get(202, 0)
    return [
        result(
            NAME,
            ctx.database,
            latencies,
            throughput_per_s=accepted / seconds,
            requests=count,
            accepted=accepted,
            rejected=sum(n for status, n in statuses.items() if status != 202),
            bad_signatures_sent=expected_bad,
            statuses={str(k): v for k, v in statuses.items()},
            requests_per_s=round(count / seconds, 1),
            client_threads=THREADS,
            server_cpu_ms_per_request=round(server_cpu * 1000 / count, 3),
            server="wikisocial serve --workers 2 (Granian, WSGI)",
            note=f"server CPU {server_cpu * 1000 / count:.2f} ms per request, "
            f"{THREADS} client threads",
        )
    ]
