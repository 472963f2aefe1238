"""Browser tests: Playwright from PyPI driving Debian's Chromium against real running servers.

- ``chromium``: one browser per test module. Without Playwright or Chromium the tests are
  skipped with a message saying what to install; with WIKISOCIAL_REQUIRE_BROWSER=1 (.ci/run)
  that is a failure instead.
- ``site``: a real `wikisocial run` (web server and worker) per test process, with its own
  data folder and database, e-mails written to its outbox folder.
- ``people``: opens a fresh browser (a new context: no cookies, no cache) as a person, by
  mouse or by keyboard, with or without JavaScript, light or dark, phone or desktop size.
  Each context sends its own X-Forwarded-For address (the server trusts it with
  WIKISOCIAL_BEHIND_PROXY=1), so the per-address log-in limit never mixes up two tests.
- A failing test leaves a screenshot and the HTML of every page it had open under
  test-output/browser/<test>/ (the summary at the end of the run prints the path); any
  JavaScript error on a page fails the test.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.browser import OUTPUT
from tests.browser.person import PASSWORD, Person
from tests.servers import Instance, running_instances

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
_addresses = itertools.count(1)


def _unavailable(reason: str) -> None:
    if os.environ.get("WIKISOCIAL_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; WIKISOCIAL_REQUIRE_BROWSER=1 requires the browser tests")
    pytest.skip(reason)


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("WIKISOCIAL_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def browser_available() -> str:
    """The Chromium to drive; skips the test (fails it with WIKISOCIAL_REQUIRE_BROWSER=1)
    when Playwright or Chromium is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("SKIPPED browser tests: Playwright is missing (make .venv/.installed-dev)")
    path = chromium_path()
    if path is None:
        _unavailable("SKIPPED browser tests: no Chromium (Debian: apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def chromium():
    """One Chromium per test module. Playwright's sync API keeps an asyncio loop running in
    this thread while it is open, and the async tests that an xdist worker runs next would
    find it there (asyncio.run() cannot nest): so it closes with each module."""
    path = browser_available()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Iterator[Instance]:
    """One real server for this test process's browser tests."""
    browser_available()
    root = tmp_path_factory.mktemp("browser-site")
    with running_instances(root, ["site"], "browser", WIKISOCIAL_BEHIND_PROXY="1") as found:
        yield found["site"]


def make_accounts(instance: Instance, *usernames: str) -> None:
    """Accounts made at once in one `wikisocial shell` (confirmed, approved, password
    PASSWORD, the current code of conduct accepted), as `wikisocial accounts create` makes
    them."""
    code = (
        "import json\n"
        "from wikisocial.accounts import actions\n"
        "from wikisocial.instance.models import CodeOfConduct\n"
        "code = CodeOfConduct.objects.order_by('-version').first()\n"
        f"for name in {list(usernames)!r}:\n"
        "    user = actions.register(username=name, email=name + '@example.org',\n"
        f"        password={PASSWORD!r}, code_of_conduct=None, by_operator=True)\n"
        "    if code is not None:\n"
        "        actions.accept_code_of_conduct(user, code)\n"
        "print('JSON:' + json.dumps(len(" + repr(list(usernames)) + ")))\n"
    )
    assert instance.shell_json(code) == len(usernames)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


_reports = pytest.StashKey[dict]()


def _failed(item: pytest.Item) -> bool:
    return any(report.failed for report in item.stash.get(_reports, {}).values())


def _save(person: Person, folder: Path, index: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{index}-{person.username or 'visitor'}"
    try:
        person.page.screenshot(path=folder / f"{stem}.png", full_page=True)
        (folder / f"{stem}.html").write_text(person.page.content())
        (folder / f"{stem}.url").write_text(person.page.url + "\n")
    except Exception as exc:  # the page may be gone with what broke it
        (folder / f"{stem}.error").write_text(repr(exc))


@pytest.fixture
def people(request, chromium) -> Iterator[Callable[..., Person]]:
    """people(username=None, keyboard=False, javascript=True, dark=False, phone=False,
    locale="en-US", instance=None) → a Person in a fresh browser on ``instance`` (by default
    ``site``), logged in as username when one is given."""
    opened: list[Person] = []
    errors: list[str] = []

    def open_browser(
        username: str | None = None,
        *,
        keyboard: bool = False,
        javascript: bool = True,
        dark: bool = False,
        phone: bool = False,
        locale: str = "en-US",
        instance: Instance | None = None,
    ) -> Person:
        # The shared server starts only for the tests that use it.
        server = instance or request.getfixturevalue("site")
        n = next(_addresses)
        address = f"10.{os.getpid() % 250}.{n // 250 % 250}.{n % 250 + 1}"
        context = chromium.new_context(
            java_script_enabled=javascript,
            color_scheme="dark" if dark else "light",
            reduced_motion="reduce",
            viewport=PHONE if phone else DESKTOP,
            locale=locale,
            extra_http_headers={"X-Forwarded-For": address},
        )
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        person = Person(page, server.url, keyboard=keyboard)
        opened.append(person)
        if username:
            person.log_in(username)
        return person

    yield open_browser

    try:
        if _failed(request.node):
            folder = OUTPUT / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.nodeid).strip("-")
            for index, person in enumerate(opened):
                _save(person, folder, index)
    finally:
        for person in opened:
            person.page.context.close()
    assert not errors, "JavaScript errors on the pages:\n" + "\n".join(errors)
