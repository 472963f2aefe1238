"""A real WikiSocial server for the client tests: Mastodon.py, masto.js and schemathesis talk
to it over loopback exactly as they would talk to a Mastodon server.

``wikisocial run`` serves the web app, the worker and the streaming server (on
``--streaming-port``, announced to clients as ``urls.streaming_api``), with its own data folder,
its own database (SQLite in the data folder; a fresh PostgreSQL database when DATABASE_URL points
at PostgreSQL, dropped at the end) and free loopback ports. People are made with
``wikisocial accounts create`` (confirmed and approved, as an operator makes them) and get their
tokens the way a person does: an app registers with ``POST /api/v1/apps``, the person logs in
through the site's login form and approves the app on the consent page, and the app trades the
code for a token.

The server is started once per test session (so once per xdist worker that runs a client
test) and stopped at the end; each test module uses people of its own, so modules do not read
each other's posts.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.cli.helpers import (
    clean_env,
    free_port,
    fresh_databases,
    run_cli,
    spawn,
    unique_word,
    wait_for_http,
)
from tests.cli.helpers import wait_until as shared_wait_until
from tests.servers import RunningServer

PASSWORD = "clients drive a real server"
START_TIMEOUT = 120  # seconds for the server to migrate and answer
OOB = "urn:ietf:wg:oauth:2.0:oob"


# --- waiting ---------------------------------------------------------------------------------


def wait_until(check: Callable[[], object], what: str, timeout: float = 30) -> object:
    """The shared wait (tests/cli/helpers.py), polling four times a second."""
    return shared_wait_until(check, what, timeout, interval=0.25)


word = unique_word


# --- reading forms ---------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    # (name, value, label) of each submit button; name may be "" (then nothing is sent)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    """The forms of a page with their fields (inputs with a value, hidden or not; checked
    boxes) and submit buttons, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        kind = a.get("type", "text" if tag == "input" else "submit").lower()
        if tag == "input" and kind == "submit":
            form.buttons.append((a.get("name", ""), a.get("value", ""), a.get("value", "")))
        elif tag == "input" and kind in ("checkbox", "radio"):
            if "checked" in a and a.get("name"):
                form.fields[a["name"]] = a.get("value", "on")
        elif tag == "input" and a.get("name"):
            form.fields[a["name"]] = a.get("value", "")
        elif tag == "button" and kind == "submit":
            self._button = [a.get("name", ""), a.get("value", ""), ""]
        elif tag == "textarea" and a.get("name"):
            form.fields[a["name"]] = ""

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None and self.forms:
            name, value, label = self._button
            self.forms[-1].buttons.append((name, value, label.strip()))
            self._button = None


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


APPROVE = re.compile(r"authori[sz]e|approve|allow|accept", re.I)


def approval_form(html: str) -> tuple[Form, dict[str, str]]:
    """The consent page's form that approves, with the data its approve button sends."""
    for form in forms(html):
        if form.method != "post":
            continue
        for name, value, label in form.buttons:
            if APPROVE.search(label) or APPROVE.search(value) or APPROVE.search(name):
                data = dict(form.fields)
                if name:
                    data[name] = value
                return form, data
    raise AssertionError(f"no approve button on the consent page:\n{html[:4000]}")


def shown_code(html: str) -> str | None:
    """The authorization code an out-of-band consent shows the person to copy: in a read-only
    field or a <code> element (Mastodon shows it in `input.oauth-code`)."""
    for pattern in (
        r'<input[^>]*class="[^"]*oauth-code[^"]*"[^>]*value="([^"]+)"',
        r'<input[^>]*value="([^"]+)"[^>]*class="[^"]*oauth-code',
        r'<input[^>]*readonly[^>]*value="([A-Za-z0-9_\-]{16,})"',
        r'<input[^>]*value="([A-Za-z0-9_\-]{16,})"[^>]*readonly',
        r"<code[^>]*>\s*([A-Za-z0-9_\-]{16,})\s*</code>",
    ):
        match = re.search(pattern, html)
        if match:
            return unescape(match[1])
    return None


# --- PKCE ------------------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) as RFC 7636 defines them."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# --- the server ------------------------------------------------------------------------------


@dataclass
class Server(RunningServer):
    """One running WikiSocial: web app, worker and streaming server."""

    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    streaming_port: int = 0
    proc: subprocess.Popen | None = None
    env: dict[str, str] = field(default_factory=dict)
    drop_database: Callable[[], None] = lambda: None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @property
    def domain(self) -> str:
        return f"localhost:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.domain}"

    # running

    def start(self) -> None:
        databases, self.drop_database = fresh_databases("clients", ["server"])
        database = databases.get("server")
        for attempt in range(3):
            self.port, self.streaming_port = free_port(), free_port()
            args = ["run", "--port", str(self.port), "--streaming-port", str(self.streaming_port)]
            # Behind a "proxy" (these tests), each Browser gives an address of its own in
            # X-Forwarded-For: the log-in limit (10 per address in 5 minutes) then counts each
            # person's attempts, as it would for people on their own machines.
            extra = {
                "WIKISOCIAL_DOMAIN": self.domain,
                "WIKISOCIAL_EMAIL_BACKEND": "file",
                "WIKISOCIAL_BEHIND_PROXY": "1",
            }
            if database:
                extra["DATABASE_URL"] = database
            self.env = clean_env(self.data, **extra, **self.extra_env)
            self.proc = spawn(args, self.env, self.log)
            try:
                self.wait_ready()
                return
            except AssertionError:
                # Another process may take a free port before the server binds it.
                if attempt == 2 or "in use" not in self.tail():
                    raise
                self.stop()

    def wait_ready(self) -> None:
        assert self.proc is not None
        wait_for_http(self.proc, self.port, "/about", timeout=START_TIMEOUT, log=self.log)
        wait_for_http(
            self.proc,
            self.streaming_port,
            "/api/v1/streaming/health",
            timeout=START_TIMEOUT,
            log=self.log,
        )

    def errors_in_log(self) -> list[str]:
        """The tracebacks the server logged (a 500 leaves one), each told by its frames in
        our own code and its exception, without repeats."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        found = re.findall(r"Traceback \(most recent call last\):\n(?:[ \t].*\n)*\S.*", text)
        told: list[str] = []
        for traceback in found:
            lines = traceback.splitlines()
            ours = [
                line.strip()
                for line in lines
                if line.lstrip().startswith("File ") and "site-packages" not in line
            ]
            summary = "\n  ".join([*ours, lines[-1]])
            if summary not in told:
                told.append(summary)
        return told

    # people

    def create_user(self, username: str, *, bot: bool = False) -> str:
        """A confirmed, approved account with password PASSWORD; returns the username."""
        args = ["accounts", "create", username, "--email", f"{username}@example.org"]
        if bot:
            args.append("--bot")
        result = run_cli(
            [*args, "--password-stdin"], self.data, input=PASSWORD + "\n", env=self.env
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return username

    def browser(self, username: str) -> Browser:
        browser = Browser(self)
        browser.login(username)
        return browser

    def personal_token(self, username: str, scopes: str = "read write follow push") -> str:
        """A token made on the command line (`wikisocial tokens create`), as an operator
        makes one for a bot."""
        result = run_cli(
            ["tokens", "create", username, "--scopes", scopes], self.data, env=self.env
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout.strip().splitlines()[-1]

    def register_app(
        self, name: str, redirect_uri: str = OOB, scopes: str = "read write follow push"
    ) -> dict:
        response = httpx.post(
            f"{self.url}/api/v1/apps",
            data={
                "client_name": name,
                "redirect_uris": redirect_uri,
                "scopes": scopes,
                "website": "https://example.org/app",
            },
            timeout=30,
        )
        assert response.status_code == 200, (
            f"POST /api/v1/apps → {response.status_code}\n{response.text[:2000]}"
        )
        return response.json()

    def user_token(
        self, username: str, scopes: str = "read write follow push", *, pkce: bool = True
    ) -> str:
        """A token for ``username`` through the whole authorization-code flow: register an
        app, log in and approve on the consent page (with a loopback redirect URI, whose
        ?code= the browser would carry back to the app), exchange the code (with PKCE)."""
        redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
        app = self.register_app(f"client tests {uuid.uuid4().hex[:6]}", redirect_uri, scopes)
        verifier, challenge = pkce_pair()
        params = {
            "client_id": app["client_id"],
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": scopes,
            "state": secrets.token_urlsafe(8),
        }
        if pkce:
            params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
        with Browser(self) as browser:
            code = browser.authorize(
                f"{self.url}/oauth/authorize?{urlencode(params)}", username, params["state"]
            )
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": redirect_uri,
            "scope": scopes,
        }
        if pkce:
            data["code_verifier"] = verifier
        response = httpx.post(f"{self.url}/oauth/token", data=data, timeout=30)
        assert response.status_code == 200, (
            f"POST /oauth/token → {response.status_code}\n{response.text[:2000]}"
        )
        return response.json()["access_token"]


class Browser:
    """A person's web browser on the server: cookies, CSRF tokens, redirects within the site
    followed one by one (so a redirect to an app's URI is seen, not fetched)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        address = (
            f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"
        )
        self.client = httpx.Client(
            timeout=30, follow_redirects=False, headers={"X-Forwarded-For": address}
        )
        self.username: str | None = None

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def _absolute(self, url: str) -> str:
        return url if "://" in url else f"{self.server.url}{url}"

    def _on_site(self, url: str) -> bool:
        return urlsplit(self._absolute(url)).netloc == self.server.domain

    def get(self, url: str) -> httpx.Response:
        """GET ``url``, following redirects that stay on the site; the last response."""
        response = self.client.get(self._absolute(url))
        for _ in range(10):
            location = response.headers.get("location")
            if response.status_code not in (301, 302, 303, 307, 308) or not location:
                break
            if not self._on_site(location):
                break
            response = self.client.get(self._absolute(location))
        return response

    def submit(self, url: str, data: dict[str, str]) -> httpx.Response:
        """POST a form (with the CSRF token) from the page at ``url``."""
        fields = {"csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""), **data}
        return self.client.post(
            self._absolute(url), data=fields, headers={"Referer": self._absolute(url)}
        )

    def _log_in_form(self, page: httpx.Response, username: str) -> httpx.Response:
        form = next(f for f in forms(page.text) if "password" in f.fields)
        data = {**form.fields, "username": username, "password": PASSWORD}
        action = form.action or str(page.url)
        response = self.submit(action, data)
        assert response.status_code in (302, 303), (
            f"logging in as {username} → {response.status_code}\n{response.text[:3000]}"
        )
        self.username = username
        return response

    def login(self, username: str) -> None:
        self._log_in_form(self.get("/auth/login"), username)

    def authorize(self, url: str, username: str, state: str | None = None) -> str:
        """Open the authorize URL as a person does: log in when asked, approve on the consent
        page; returns the code (from the redirect to the app, or the page showing it)."""
        page = self.get(url)
        if "/auth/login" in str(page.url):
            after = self._log_in_form(page, username)
            page = self.get(after.headers["location"])
        assert page.status_code == 200, (
            f"GET {page.url} (consent page) → {page.status_code}\n{page.text[:3000]}"
        )
        form, data = approval_form(page.text)
        response = self.submit(form.action or str(page.url), data)
        return self._code_from(response, state)

    def _code_from(self, response: httpx.Response, state: str | None) -> str:
        for _ in range(5):
            location = response.headers.get("location")
            if response.status_code in (301, 302, 303) and location:
                query = parse_qs(urlsplit(location).query)
                if "code" in query and not self._on_site(location):
                    if state is not None:
                        assert query.get("state") == [state], f"state not returned: {location}"
                    return query["code"][0]
                if "error" in query:
                    raise AssertionError(f"the consent ended in an error: {location}")
                if not self._on_site(location):
                    raise AssertionError(f"approving sent the browser to {location}")
                response = self.client.get(self._absolute(location))
                continue
            break
        assert response.status_code == 200, (
            f"approving → {response.status_code}\n{response.text[:3000]}"
        )
        code = shown_code(response.text)
        if code is None:
            query = parse_qs(urlsplit(str(response.url)).query)
            code = query.get("code", [None])[0]
        assert code, f"no authorization code on the page after approving:\n{response.text[:3000]}"
        return code


# --- fixtures --------------------------------------------------------------------------------


class _LogsOnFailure:
    """Adds the tail of the server's log to the report of a failing client test."""

    def __init__(self, servers: list[Server]) -> None:
        self.servers = servers

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.failed and "/clients/" in str(item.path):
            for server in self.servers:
                report.sections.append((f"server log {server.url}", server.tail()))


def start_server(root: Path, **extra_env: str) -> Server:
    server = Server(root, dict(extra_env))
    try:
        server.start()
    except BaseException:
        server.stop()
        server.drop_database()
        raise
    return server


def stop_server(server: Server) -> None:
    try:
        server.stop()
    finally:
        server.drop_database()


@pytest.fixture(scope="session")
def server(request, tmp_path_factory) -> Iterator[Server]:
    """The session's running server (Mastodon's default rate limits on)."""
    started = start_server(tmp_path_factory.mktemp("server"))
    plugin = _LogsOnFailure([started])
    request.config.pluginmanager.register(plugin)
    try:
        yield started
    finally:
        request.config.pluginmanager.unregister(plugin)
        stop_server(started)


@pytest.fixture(scope="module")
def people(server) -> Callable[[str], str]:
    """people("ana") → a username of this module's own ("ana_1a2b3c"), created once."""
    suffix = uuid.uuid4().hex[:6]
    made: dict[str, str] = {}

    def person(name: str) -> str:
        if name not in made:
            made[name] = server.create_user(f"{name}_{suffix}")
        return made[name]

    return person
