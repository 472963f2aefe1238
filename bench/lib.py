"""What every benchmark scenario shares: timing, the result objects, the report, and real
servers started against the benchmark's database.

A scenario module (bench/scenarios/*.py) has ``run(ctx: Context) -> list[dict]``; each dict is
made by ``result()`` (latencies) or ``rate()`` (throughput only) so that
bench/results/latest.json holds one object per scenario and database with the same fields:
``name``, ``database``, ``p50_ms``, ``p95_ms``, ``p99_ms``, ``throughput_per_s``, and
``floor_ratio`` where a floor applies, plus what else the scenario wants to say (``extra``).
Numbers, never assertions.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
_SCRIPT = Path(sys.executable).with_name("wikisocial")
WIKISOCIAL = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "wikisocial"]


@dataclass
class Context:
    """What a scenario gets: which database, the environment that points a child process
    (server, worker, shell) at it, the generator's sizes and what it made (ids of the accounts
    and hashtags the scenarios read, see bench/data.py), and whether this is a quick run."""

    database: str  # "sqlite" or "postgresql"
    env: dict[str, str]
    data_dir: Path
    sizes: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    quick: bool = False


def setup_django(env: dict[str, str], settings: str = "bench.settings") -> None:
    """Configure Django in this process for ``env`` (the same database the servers use)."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 3)

    return {"p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99)}


def measure(fn: Callable[[], object], runs: int, warmup: int = 5) -> list[float]:
    """Milliseconds per call of ``fn``, ``runs`` times after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def result(
    name: str,
    database: str,
    samples_ms: list[float],
    *,
    throughput_per_s: float | None = None,
    floor: dict | None = None,
    **extra: object,
) -> dict:
    """A latency scenario. ``floor``: the result of the floor measured in the same run (its
    p50 divides this p50 into ``floor_ratio``). Throughput defaults to one caller's rate."""
    stats = percentiles(samples_ms)
    if throughput_per_s is None and samples_ms:
        throughput_per_s = len(samples_ms) / (sum(samples_ms) / 1000)
    out = {
        "name": name,
        "database": database,
        **stats,
        "throughput_per_s": round(throughput_per_s, 1) if throughput_per_s else None,
        "runs": len(samples_ms),
    }
    if floor is not None and floor.get("p50_ms"):
        out["floor"] = floor["name"]
        out["floor_ratio"] = round(stats["p50_ms"] / floor["p50_ms"], 2)
    out.update(extra)
    return out


def rate(name: str, database: str, count: int, seconds: float, **extra: object) -> dict:
    """A throughput scenario: ``count`` things done in ``seconds`` (no per-item latencies;
    p50/p95/p99 are None unless ``extra`` gives them)."""
    throughput = round(count / seconds, 1) if seconds else None
    return value(name, database, count=count, seconds=round(seconds, 3), **extra) | {
        "throughput_per_s": throughput
    }


def value(name: str, database: str, **extra: object) -> dict:
    """A scenario that measures one quantity (memory, say): the standard fields empty, the
    quantity in ``extra``."""
    out = {
        "name": name,
        "database": database,
        "p50_ms": None,
        "p95_ms": None,
        "p99_ms": None,
        "throughput_per_s": None,
    }
    out.update(extra)
    return out


def save(results: list[dict], meta: dict) -> Path:
    """Merge ``results`` into bench/results/latest.json (replacing the same name and database
    from earlier runs) and write the Markdown report beside it (latest.md)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "latest.json"
    old = json.loads(path.read_text()) if path.exists() else {"scenarios": []}
    fresh = {(r["name"], r["database"]) for r in results}
    kept = [r for r in old.get("scenarios", []) if (r["name"], r["database"]) not in fresh]
    runs = {**old.get("runs", {}), **{r["database"]: meta for r in results}}
    report = {"runs": runs, "scenarios": kept + results}
    path.write_text(json.dumps(report, indent=2) + "\n")
    from bench.report import markdown

    (RESULTS / "latest.md").write_text(markdown(report))
    return path


def machine() -> dict:
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 60) -> float:
    """Seconds until ``url`` answers (any HTTP status); raises if ``proc`` dies first."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                pass
            return time.perf_counter() - start
        except urllib.error.HTTPError:
            return time.perf_counter() - start
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    started_in_s: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def serve(
    ctx: Context, *args: str, command: str = "serve", log: Path | None = None, **env: str
) -> Iterator[Server]:
    """A real `wikisocial serve` (Granian, WSGI) on loopback against the benchmark database,
    with bench/urls.py (the site plus the floor views) as its URL conf; stopped afterwards.
    ``args`` go to the command (e.g. "--workers", "2")."""
    port = free_port()
    out = log.open("w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [*WIKISOCIAL, command, "--host", "127.0.0.1", "--port", str(port), *args],
        env=server_env(ctx, port, **env),
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        started = wait_for(f"http://127.0.0.1:{port}/bench/floor?bytes=10", proc)
        yield Server(proc, port, started)
    finally:
        stop(proc)
        if log:
            out.close()


def server_env(ctx: Context, port: int, **env: str) -> dict[str, str]:
    """The environment of a child process serving the benchmark database on ``port``."""
    return {
        **os.environ,
        **ctx.env,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(ROOT),
        "WIKISOCIAL_DOMAIN": f"127.0.0.1:{port}",
        "WIKISOCIAL_API_RATE_LIMITS": "0",
        **env,
    }


def stop(proc: subprocess.Popen) -> None:
    """End a child started with ``start_new_session`` and everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)
        proc.wait(timeout=10)


def rss_mb(pid: int) -> float:
    """Resident memory of one process in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for {pid}")


def children(pid: int) -> list[int]:
    """The process ids below ``pid`` (Granian's worker processes, say)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        path = task / "children"
        if path.exists():
            found += [int(c) for c in path.read_text().split()]
    return found + [g for c in found for g in children(c)]
