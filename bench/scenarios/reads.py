"""Timeline reads through real HTTP: the home timeline (API and web page, a reader of 500 busy
accounts and one of 500 quiet accounts), the public timeline and the busy hashtag's timeline.

One `wikisocial serve` (Granian, one process, THREADS threads). Latencies come from sequential
requests on one keep-alive connection, each real request paired with a request to the floor
view answering the same number of bytes (JSON or HTML) so that both see the same moment of a
noisy machine; throughput from CLIENTS client threads for a few seconds. The SQL floors are the
home timeline's queries replayed directly on the database, in this process: the query that
picks the page's ids, and every query the timeline and its serialisation issue.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
from collections.abc import Callable

from bench import lib

THREADS = 4  # server threads (Granian blocking threads, one worker process)
CLIENTS = 4
PAGE = 20


class Client:
    """GET over one keep-alive connection; a non-200 answer is an error, not a sample."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port, self.headers = port, headers
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str) -> bytes:
        for attempt in (1, 2):
            try:
                self.conn.request("GET", path, headers=self.headers)
                response = self.conn.getresponse()
                body = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
        return body

    def close(self) -> None:
        self.conn.close()


def paired(real: Callable[[], object], floor: Callable[[], object], runs: int, warmup: int = 10):
    """Milliseconds of ``real`` and ``floor`` called alternately, ``runs`` times each."""
    for _ in range(warmup):
        real()
        floor()
    real_ms, floor_ms = [], []
    for _ in range(runs):
        for fn, samples in ((real, real_ms), (floor, floor_ms)):
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
    return real_ms, floor_ms


def throughput(port: int, headers: dict[str, str], path: str, seconds: float) -> float:
    """Requests per second that CLIENTS threads, each on its own connection, get answered."""
    counts = [0] * CLIENTS
    errors: list[BaseException] = []
    deadline = time.perf_counter() + seconds

    def client(n: int) -> None:
        session = Client(port, headers)
        try:
            while time.perf_counter() < deadline and counts[n] < 100_000:
                session.get(path)
                counts[n] += 1
        except Exception as exc:  # reported below: a failed run has no throughput
            errors.append(exc)
        finally:
            session.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    if errors:
        raise errors[0]
    return sum(counts) / (time.perf_counter() - start)


def cases(ctx: lib.Context) -> list[tuple[str, str, dict[str, str], bool]]:
    """(scenario name, path, headers, is_html)."""
    from django.conf import settings

    tokens, sessions = ctx.data["tokens"], ctx.data["sessions"]

    def bearer(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[user]}"}

    def cookie(user: str) -> dict[str, str]:
        return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={sessions[user]}"}

    home = f"/api/v1/timelines/home?limit={PAGE}"
    return [
        ("home timeline API (busy reader)", home, bearer("busy"), False),
        ("home timeline API (quiet reader)", home, bearer("quiet"), False),
        ("home timeline web (busy reader)", "/", cookie("busy"), True),
        ("home timeline web (quiet reader)", "/", cookie("quiet"), True),
        ("public timeline API", f"/api/v1/timelines/public?limit={PAGE}", bearer("busy"), False),
        (
            "hashtag timeline API",
            f"/api/v1/timelines/tag/{ctx.data['hashtag']}?limit={PAGE}",
            bearer("busy"),
            False,
        ),
    ]


def http_results(ctx: lib.Context, server: lib.Server) -> list[dict]:
    runs = 60 if ctx.quick else 300
    seconds = 1.5 if ctx.quick else 4.0
    out = []
    for name, path, headers, html in cases(ctx):
        client = Client(server.port, headers)
        body = client.get(path)
        kind = "HTML" if html else "JSON"
        floor_path = f"/bench/floor?bytes={len(body)}" + ("&html=1" if html else "")
        real_ms, floor_ms = paired(
            lambda c=client, p=path: c.get(p), lambda c=client, p=floor_path: c.get(p), runs
        )
        client.close()
        floor = lib.result(
            f"floor: minimal {kind} view (same size as {name})",
            ctx.database,
            floor_ms,
            throughput_per_s=throughput(server.port, {}, floor_path, seconds),
            bytes=len(body),
        )
        posts = None if html else len(json.loads(body))
        real = lib.result(
            name,
            ctx.database,
            real_ms,
            throughput_per_s=throughput(server.port, headers, path, seconds),
            floor=floor,
            bytes=len(body),
            posts=posts,
            server=f"granian, 1 process, {THREADS} threads; {CLIENTS} clients for throughput",
        )
        print(f"    {name}: p50 {real['p50_ms']} ms (floor {floor['p50_ms']} ms)", flush=True)
        out += [real, floor]
    return out


# What the feed table replaces (docs/architecture.md, "Home feeds"): the page's ids straight
# from the posts of the people one follows.
PLAIN_JOIN = (
    "SELECT id FROM posts_post WHERE deleted_at IS NULL AND author_id IN "
    "(SELECT target_id FROM social_follow WHERE follower_id = %(reader)d) "
    f"ORDER BY id DESC LIMIT {PAGE}"
)


Call = tuple[str, object, bool]  # SQL, parameters, whether it ran prepared


def _recorder(calls: list[Call]) -> Callable:
    """A Django execute wrapper that keeps each query as it ran."""
    from wikisocial.core.db import preparing

    def record(execute: Callable, sql: str, params: object, many: bool, context: dict) -> object:
        calls.append((sql, params, preparing()))
        return execute(sql, params, many, context)

    return record


def replay(statements: list[Call]) -> None:
    """Run recorded queries again as the page ran them (prepared where it prepared them)."""
    from django.db import connection

    from wikisocial.core.db import prepared_statements

    for sql, params, prepared in statements:
        prepared_or_not = prepared_statements() if prepared else contextlib.nullcontext()
        with prepared_or_not, connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()


def sql_floors(ctx: lib.Context) -> list[dict]:
    """The home timeline's SQL replayed on the database: the ids query, and all of it."""
    from django.db import connection

    from wikisocial.accounts.models import Account
    from wikisocial.api.serializers import statuses
    from wikisocial.core.pagination import Cursor
    from wikisocial.timelines import queries

    runs = 100 if ctx.quick else 300
    out = []
    for reader in ("busy", "quiet"):
        viewer = Account.objects.select_related("user").get(pk=ctx.data[f"{reader}_reader"])
        calls: list[Call] = []
        with connection.execute_wrapper(_recorder(calls)):
            timeline = queries.home(viewer, Cursor(limit=PAGE))
            statuses(timeline.posts, viewer, "home")
        ids_call = next(call for call in calls if "timelines_feedentry" in call[0])

        label = f"{reader} reader"
        join = [(PLAIN_JOIN % {"reader": int(viewer.pk)}, None, False)]
        out.append(
            lib.result(
                f"floor: timeline SQL ({label})",
                ctx.database,
                lib.measure(lambda c=ids_call: replay([c]), runs),
                sql=ids_call[0],
                plain_join_p50_ms=lib.percentiles(lib.measure(lambda j=join: replay(j), 20, 2))[
                    "p50_ms"
                ],
            )
        )
        out.append(
            lib.result(
                f"floor: all SQL of the home timeline API ({label})",
                ctx.database,
                lib.measure(lambda c=calls: replay(c), runs),
                queries=len(calls),
                prepared=sum(1 for call in calls if call[2]),
            )
        )
    return out


def run(ctx: lib.Context) -> list[dict]:
    log = ctx.data_dir / "reads-server.log"
    with lib.serve(ctx, "--threads", str(THREADS), log=log) as server:
        results = http_results(ctx, server)
    results += sql_floors(ctx)
    by_name = {r["name"]: r for r in results}
    for reader in ("busy", "quiet"):
        api = by_name[f"home timeline API ({reader} reader)"]
        sql = by_name[f"floor: timeline SQL ({reader} reader)"]
        whole = by_name[f"floor: all SQL of the home timeline API ({reader} reader)"]
        api["sql_floor_ratio"] = round(api["p50_ms"] / sql["p50_ms"], 1)
        api["all_sql_p50_ms"] = whole["p50_ms"]
    return results
