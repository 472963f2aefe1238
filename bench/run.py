"""Run the benchmark suite (what `make bench` runs).

    .venv/bin/python bench/run.py                      # both databases, full size
    .venv/bin/python bench/run.py --quick --database sqlite --only reads
    .venv/bin/python bench/run.py --size posts=200000 --size accounts=20000

Per database, in a process of its own (Django's settings are per process): a fresh database
(SQLite in var/bench/sqlite; PostgreSQL in the database `wikisocial_bench` at 127.0.0.1, or
BENCH_DATABASE_URL, skipped when it does not answer), migrate, generate the data
(bench/data.py), run the scenario modules in order, and merge the results into
bench/results/latest.json and latest.md. ``--reuse`` skips the first three steps and runs the
scenarios against the data of the last run (for profiling and developing a scenario).
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import data as bench_data  # noqa: E402
from bench import lib  # noqa: E402

SCENARIOS = ("reads", "process", "fanout", "inbox", "delivery", "catchup")
DATABASES = ("sqlite", "postgresql")
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/wikisocial_bench"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run the benchmark suite.")
    parser.add_argument("--database", choices=[*DATABASES, "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="small sizes, for development")
    parser.add_argument("--only", action="append", choices=SCENARIOS, help="scenario module(s)")
    parser.add_argument(
        "--size", action="append", default=[], metavar="NAME=N", help="override a size"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the last run's data")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def sizes_of(args: argparse.Namespace) -> dict[str, int]:
    sizes = dict(bench_data.QUICK if args.quick else bench_data.SIZES)
    for item in args.size:
        name, _, number = item.partition("=")
        if name not in sizes or not number.replace("_", "").isdigit():
            sys.exit(f"--size {item!r}: expected NAME=N with NAME one of {', '.join(sizes)}")
        sizes[name] = int(number)
    try:
        bench_data.check_sizes(sizes)
    except bench_data.SizeError as exc:
        sys.exit(f"bad sizes: {exc}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.child:
        return child(args)
    sizes_of(args)  # refuse bad sizes before starting anything
    databases = DATABASES if args.database == "both" else (args.database,)
    status = 0
    for database in databases:
        command = [sys.executable, __file__, "--child", "--database", database]
        command += ["--quick"] * args.quick + ["--reuse"] * args.reuse
        command += [f"--only={m}" for m in args.only or ()]
        command += [f"--size={s}" for s in args.size]
        print(f"== {database}", flush=True)
        status = subprocess.run(command, cwd=ROOT, check=False).returncode or status
    print(f"Report: {lib.RESULTS.relative_to(ROOT)}/latest.md")
    return status


def postgres_url() -> str:
    import os

    return os.environ.get("BENCH_DATABASE_URL", POSTGRES_URL)


def fresh_postgres(url: str, reuse: bool) -> bool:
    """Drop and create the benchmark database; False (with a message) when PostgreSQL does not
    answer."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            if not reuse:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL skipped: {admin.rsplit('/', 1)[0]} does not answer ({exc})".strip())
        return False
    return True


def context(args: argparse.Namespace) -> lib.Context | None:
    data_dir = ROOT / "var" / "bench" / args.database
    if not args.reuse:
        shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "WIKISOCIAL_DATA_DIR": str(data_dir),
        "SECRET_KEY": "bench-not-secret",
        "WIKISOCIAL_DEV_FEDERATION": "1",
    }
    if args.database == "postgresql":
        if not fresh_postgres(postgres_url(), args.reuse):
            return None
        env["DATABASE_URL"] = postgres_url()
    return lib.Context(args.database, env, data_dir, sizes_of(args), {}, args.quick)


def prepare(ctx: lib.Context, reuse: bool) -> dict:
    """Migrate and generate (or, with ``reuse``, read what the last generation made)."""
    saved = ctx.data_dir / "data.json"
    if reuse:
        if not saved.exists():
            sys.exit(f"--reuse: no data in {saved}; run without --reuse first")
        return json.loads(saved.read_text())
    from django.core.management import call_command

    start = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"  migrate: {time.perf_counter() - start:.1f} s", flush=True)
    data = bench_data.generate(ctx.sizes)
    saved.write_text(json.dumps(data, indent=2))
    return data


def child(args: argparse.Namespace) -> int:
    ctx = context(args)
    if ctx is None:
        return 0
    lib.setup_django(ctx.env)
    ctx.data = prepare(ctx, args.reuse)
    results, timings, failed = [], {}, []
    for module in args.only or SCENARIOS:
        scenario = load(module)
        if scenario is None:
            continue
        start = time.perf_counter()
        try:
            found = scenario.run(ctx)
        except Exception:  # one broken scenario must not lose the others' numbers
            traceback.print_exc()
            failed.append(module)
            continue
        timings[module] = round(time.perf_counter() - start, 1)
        print(f"  {module}: {len(found)} results in {timings[module]} s", flush=True)
        results += found
    meta = {
        **lib.machine(),
        "sizes": ctx.sizes,
        "quick": ctx.quick,
        "generation_s": ctx.data.get("generation_s", {}),
        "scenario_s": timings,
        "failed": failed,
    }
    if results:
        print(f"  written: {lib.save(results, meta).relative_to(ROOT)}")
    return 1 if failed else 0


def load(module: str) -> object | None:
    name = f"bench.scenarios.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        print(f"  {module}: skipped (no {name.replace('.', '/')}.py yet)", flush=True)
        return None


if __name__ == "__main__":
    sys.exit(main())
