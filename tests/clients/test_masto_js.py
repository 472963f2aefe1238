"""masto.js (npm `masto`, pinned in tests/clients/js/package.json) against a running WikiSocial,
run with the machine's Node: REST calls as JSON bodies (masto's way), media as multipart, the
streaming API over WebSocket with the token in the subprotocol header and in the query.

The people get their tokens through the authorization-code flow (ana with PKCE, bob without),
in Python; tests/clients/js/flow.mjs does the rest and prints a JSON report, one entry per step,
which the tests below read: one test per step, so a failure names what broke.

`npm ci` installs the locked packages into tests/clients/js/node_modules when they are missing
(tests/npm.py); without node and npm the tests are skipped, except in CI.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.npm import node_and_npm, npm_ci

pytestmark = pytest.mark.e2e

JS = Path(__file__).parent / "js"
STEPS = [
    "verify credentials",
    "instance v2",
    "post with a poll and a content warning",
    "upload media (v2) and post with it",
    "read home and public timelines",
    "thread context",
    "favourite",
    "reblog",
    "edit",
    "delete",
    "follow, then receive a streamed update (token in the subprotocol)",
    "receive a streamed update (token in the query)",
]


def small_png(path: Path) -> Path:
    image = Image.new("RGB", (40, 30), (200, 40, 90))
    image.paste((20, 160, 80), (0, 0, 20, 30))
    out = io.BytesIO()
    image.save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return path


@pytest.fixture(scope="module")
def report(server, people, tmp_path_factory) -> dict:
    node, _npm = node_and_npm("masto.js tests")
    npm_ci(JS, "masto", "masto.js tests")
    ana = server.user_token(people("ana"), pkce=True)
    bob = server.user_token(people("bob"), pkce=False)
    image = small_png(tmp_path_factory.mktemp("masto") / "picture.png")
    env = {
        **os.environ,
        "WS_URL": server.url,
        "WS_TOKEN": ana,
        "WS_OTHER_TOKEN": bob,
        "WS_IMAGE": str(image),
        "WS_TIMEOUT_MS": "20000",
    }
    result = subprocess.run(
        [node, "flow.mjs"],
        cwd=JS,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, f"flow.mjs exited {result.returncode}:\n{result.stderr}"
    try:
        return json.loads(result.stdout)
    except ValueError:
        raise AssertionError(
            f"flow.mjs printed no JSON report:\n{result.stdout}\n{result.stderr}"
        ) from None


def test_the_script_ran_every_step(report):
    assert [s["name"] for s in report["steps"]] == STEPS


@pytest.mark.parametrize("name", STEPS)
def test_step(report, name):
    found = [s for s in report["steps"] if s["name"] == name]
    assert found, f"flow.mjs has no step {name!r}"
    result = found[0]
    assert result["ok"], f"{name}: {result.get('error')}"
