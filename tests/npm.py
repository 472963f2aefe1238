"""npm packages the tests use (masto.js, axe-core), each folder with its own package.json and
package-lock.json: `npm ci` installs the locked versions into that folder's node_modules when
they are missing.

Without node and npm, the tests needing them are skipped with a message, except in CI
(CI=true), where that is a failure: CI must run them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest


def node_and_npm(what: str) -> tuple[str, str]:
    """Paths of node and npm; skips (or fails, in CI) the test needing them for ``what``."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        return node, npm
    message = f"{what} need node and npm (Debian: apt-get install nodejs npm)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run them")
    pytest.skip(message)


def _pinned(folder: Path, package: str) -> str:
    return json.loads((folder / "package.json").read_text())["dependencies"][package]


def _installed(folder: Path, package: str) -> str | None:
    manifest = folder / "node_modules" / package / "package.json"
    with contextlib.suppress(FileNotFoundError, ValueError, KeyError):
        return json.loads(manifest.read_text())["version"]
    return None


def npm_ci(folder: Path, package: str, what: str) -> Path:
    """Install ``folder``'s locked packages unless ``package`` is already there at its pinned
    version, and return ``folder/node_modules/package``. A lock file keeps two xdist workers
    from running npm in the same folder at the same time."""
    _node, npm = node_and_npm(what)
    with (folder / ".npm-install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _installed(folder, package) != _pinned(folder, package):
                result = subprocess.run(
                    [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                    cwd=folder,
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=False,
                )
                assert result.returncode == 0, (
                    f"npm ci in {folder} failed:\n{result.stdout}\n{result.stderr}"
                )
                assert _installed(folder, package) == _pinned(folder, package)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder / "node_modules" / package
