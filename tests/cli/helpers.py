"""Running the real ``wikisocial`` command in child processes, for the command-line tests.

Every child gets the real settings (``wikisocial.config.settings``), not the test settings:
the variables the test suite puts into ``os.environ`` are removed, and the data folder is
the one the test gives.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

_SCRIPT = Path(sys.executable).with_name("wikisocial")
# The console script the package installs; `python -m wikisocial` if it is missing.
WIKISOCIAL = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "wikisocial"]

# Variables that would change what a child process does; each test sets what it means to.
_DROPPED_PREFIXES = ("WIKISOCIAL_", "EMAIL_", "DJANGO_")
_DROPPED = {"DATABASE_URL", "SECRET_KEY", "DEFAULT_FROM_EMAIL"}

JSON_MARK = "JSON:"


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """os.environ without the test suite's settings, with WIKISOCIAL_DATA_DIR=data_dir."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_DROPPED_PREFIXES) and k not in _DROPPED
    }
    env["WIKISOCIAL_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def kill_group(proc: subprocess.Popen) -> None:
    """Kill the process group of ``proc`` (started with start_new_session=True)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def kill_pid(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def run_cli(
    args: list[str],
    data_dir: Path,
    *,
    input: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run ``wikisocial *args`` to the end (or kill it and everything it started after
    ``timeout`` seconds) and return its exit status and output."""
    proc = subprocess.Popen(
        [*WIKISOCIAL, *args],
        env=env if env is not None else clean_env(data_dir),
        cwd=tempfile.gettempdir(),
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        stdout, stderr = proc.communicate(timeout=10)
        raise AssertionError(
            f"wikisocial {' '.join(args)} did not finish in {timeout}s\n{stdout}\n{stderr}"
        ) from None
    finally:
        if proc.poll() is None:
            kill_group(proc)
            proc.wait(timeout=10)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def shell_json(data_dir: Path, code: str, **env: str):
    """Run Python ``code`` in ``wikisocial shell -c``; it prints JSON_MARK + a JSON value,
    which is returned."""
    result = run_cli(["shell", "-c", code], data_dir, env=clean_env(data_dir, **env))
    assert result.returncode == 0, result.stderr
    for line in reversed(result.stdout.splitlines()):
        if line.startswith(JSON_MARK):
            return json.loads(line[len(JSON_MARK) :])
    raise AssertionError(f"no {JSON_MARK} line in:\n{result.stdout}\n{result.stderr}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(port: int, path: str, headers: dict | None = None, timeout: float = 15):
    """GET http://127.0.0.1:port/path without following redirects → (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def port_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_for_http(proc: subprocess.Popen, port: int, path: str, timeout: float, log: Path):
    """Poll until GET path answers 200; fail early if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"the server exited ({proc.returncode}) before answering:\n{log.read_text()}"
            )
        try:
            status, _ = http_get(port, path, timeout=5)
            if status == 200:
                return
            last = status
        except OSError as exc:
            last = exc
        time.sleep(0.25)
    raise AssertionError(
        f"GET {path} did not answer 200 within {timeout}s (last: {last!r}):\n{log.read_text()}"
    )


# --- processes, from /proc (Linux) -------------------------------------------------------


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def descendants(pid: int) -> set[int]:
    """Children, grandchildren, … of ``pid`` that exist now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                children.setdefault(stat[1], []).append(int(entry.name))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in {"Z", "X"}


# --- real processes: waiting, unique words, databases of their own ---------------------------

PG_SCHEMES = ("postgres://", "postgresql://", "pgsql://")


def wait_until(check: Callable[[], object], what: str, timeout: float = 60, interval=0.5):
    """Call ``check`` every ``interval`` seconds until it returns something truthy (returned),
    or fail after ``timeout`` seconds saying what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f}s in vain for: {what}")
        time.sleep(interval)


def unique_word(label: str) -> str:
    """A word no page or post contains by chance (letters and digits: no escaping in HTML)."""
    return f"{label}{uuid.uuid4().hex[:10]}"


def fresh_databases(stem: str, names: list[str]) -> tuple[dict[str, str], Callable[[], None]]:
    """One new PostgreSQL database per name when the suite runs on PostgreSQL (the
    DATABASE_URL it was given), with a function dropping them; else no URLs (the servers use
    SQLite in their data folders) and nothing to drop."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(PG_SCHEMES):
        return {}, lambda: None
    import psycopg

    parts = urlsplit(base)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    prefix = f"wikisocial_{stem}_{uuid.uuid4().hex[:8]}"
    databases = {name: f"{prefix}_{name.lower()}" for name in names}
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        for db in databases.values():
            conn.execute(f'CREATE DATABASE "{db}"')

    def drop() -> None:
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
            for db in databases.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    urls = {name: urlunsplit(parts._replace(path=f"/{db}")) for name, db in databases.items()}
    return urls, drop


def migrated_template(folder: Path, timeout: float = 120) -> Path:
    """A data folder in ``folder`` migrated once (SQLite), for tests to copy (``migrated``)."""
    data = folder / "data"
    result = run_cli(["migrate", "--verbosity", "0"], data, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return data


def migrated(tmp_path: Path, template: Path) -> Path:
    """A fresh data folder (no secret key yet) holding a copy of the template's database."""
    data = tmp_path / "data"
    data.mkdir()
    for db_file in template.glob("wikisocial.sqlite3*"):
        shutil.copy2(db_file, data / db_file.name)
    return data


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``wikisocial *args`` in a session of its own (so kill_group stops all it starts),
    its output into ``log``."""
    with log.open("w") as out:
        return subprocess.Popen(
            [*WIKISOCIAL, *args],
            env=env,
            cwd=tempfile.gettempdir(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
