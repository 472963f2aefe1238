"""The web process itself: its memory after warm-up, and how long it takes to start.

- memory: one `wikisocial serve` (Granian, one worker process, reads.THREADS threads) gets a
  few hundred mixed requests (home timeline API and page of both readers, public and hashtag
  timelines, profiles, a post page, the about page); then the resident memory (RSS) of its
  worker process, the one running Django.
- cold start: from spawning `wikisocial serve` to the first 200 of a real page (/about), a few
  times; and, on its own, the time a fresh interpreter takes to import the WSGI application
  (Django set up, URLs and apps loaded) — the share of the start that is ours, not Granian's.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request

from bench import lib
from bench.scenarios.reads import THREADS, Client, cases

COLD_PAGE = "/about"


def warm_paths(ctx: lib.Context) -> list[tuple[str, dict[str, str]]]:
    """The mixed requests of the warm-up: every read scenario plus a few other pages."""
    from wikisocial.posts.models import Post

    paths = [(path, headers) for _name, path, headers, _html in cases(ctx)]
    anyone: dict[str, str] = {}
    post = Post.objects.filter(local=True, visibility="public").order_by("-id").first()
    paths += [
        ("/about", anyone),
        ("/@famous", anyone),
        ("/@busy", paths[0][1]),
        (f"/tags/{ctx.data['hashtag']}", anyone),
        ("/api/v1/instance", anyone),
    ]
    if post is not None:
        paths.append((f"/@{post.author.username}/{post.pk}", anyone))
    return paths


def memory(ctx: lib.Context) -> dict:
    requests = 100 if ctx.quick else 400
    paths = warm_paths(ctx)
    log = ctx.data_dir / "process-server.log"
    with lib.serve(ctx, "--threads", str(THREADS), log=log) as server:
        clients = {}
        for n in range(requests):
            path, headers = paths[n % len(paths)]
            key = tuple(sorted(headers.items()))
            clients.setdefault(key, Client(server.port, headers)).get(path)
        for client in clients.values():
            client.close()
        workers = lib.children(server.proc.pid)
        sizes = {pid: lib.rss_mb(pid) for pid in workers}
        parent = lib.rss_mb(server.proc.pid)
    worker_mb = max(sizes.values()) if sizes else parent
    return lib.value(
        "memory: web process after warm-up",
        ctx.database,
        rss_mb=worker_mb,
        launcher_rss_mb=parent,
        requests=requests,
        note=f"{worker_mb} MB RSS of the Granian worker after {requests} mixed requests "
        f"({THREADS} threads; the launcher process: {parent} MB)",
    )


def first_200(url: str, proc: subprocess.Popen, timeout: float = 60) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.01)
    raise RuntimeError(f"{url} gave no 200 in {timeout} s")


def cold_start(ctx: lib.Context) -> dict:
    runs = 3 if ctx.quick else 7
    samples = []
    for _ in range(runs):
        port = lib.free_port()
        proc = subprocess.Popen(
            [*lib.WIKISOCIAL, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=lib.server_env(ctx, port),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        start = time.perf_counter()
        try:
            first_200(f"http://127.0.0.1:{port}{COLD_PAGE}", proc)
            samples.append((time.perf_counter() - start) * 1000)
        finally:
            lib.stop(proc)
    imports = [wsgi_import_ms(ctx) for _ in range(runs)]
    imports.sort()
    out = lib.result(
        "cold start",
        ctx.database,
        samples,
        page=COLD_PAGE,
        wsgi_import_p50_ms=round(imports[len(imports) // 2], 1),
        note=f"spawn → first 200 of {COLD_PAGE}; importing the WSGI app alone: "
        f"{imports[len(imports) // 2]:.0f} ms p50",
    )
    out["throughput_per_s"] = None  # one start at a time: a rate means nothing here
    return out


IMPORT_TIMER = (
    "import time; t = time.perf_counter(); "
    "from wikisocial.config.wsgi import application; "
    "print((time.perf_counter() - t) * 1000)"
)


def wsgi_import_ms(ctx: lib.Context) -> float:
    env = lib.server_env(ctx, 8000)
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_TIMER],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def run(ctx: lib.Context) -> list[dict]:
    return [memory(ctx), cold_start(ctx)]
