"""Two instances on one machine: separate processes, data folders, domains and ports."""

from __future__ import annotations

import subprocess
import tempfile
import time

import pytest

from tests.cli.helpers import (
    WIKISOCIAL,
    clean_env,
    free_port,
    http_get,
    kill_group,
    run_cli,
    wait_for_http,
)

pytestmark = pytest.mark.e2e


def test_two_instances_side_by_side(tmp_path):
    instances = []
    try:
        for name in ("a", "b"):
            port = free_port()
            data = tmp_path / name
            env = clean_env(data, WIKISOCIAL_DOMAIN=f"{name}.localhost:{port}")
            log = tmp_path / f"{name}.log"
            with log.open("w") as out:
                proc = subprocess.Popen(
                    [*WIKISOCIAL, "run", "--port", str(port)],
                    env=env,
                    cwd=tempfile.gettempdir(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            instances.append((name, port, data, env, proc, log))
        for name, port, data, env, proc, log in instances:
            wait_for_http(proc, port, "/about", timeout=90, log=log)
            created = run_cli(
                ["accounts", "create", f"only_on_{name}", "--email", f"{name}@example.org"],
                data,
                env=env,
            )
            assert created.returncode == 0, created.stderr
        for name, port, _data, _env, _proc, _log in instances:
            other = "b" if name == "a" else "a"
            status, body = http_get(port, f"/@only_on_{name}")
            assert status == 200
            # Each instance knows itself by its own domain.
            assert f"@only_on_{name}@{name}.localhost:{port}".encode() in body
            assert http_get(port, f"/@only_on_{other}")[0] == 404
    finally:
        for *_rest, proc, _log in instances:
            proc.terminate()
        deadline = time.monotonic() + 30
        for *_rest, proc, _log in instances:
            try:
                proc.wait(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                kill_group(proc)
                proc.wait(timeout=10)
