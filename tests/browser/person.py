"""A person using WikiSocial in a real browser (Playwright driving Chromium).

Flows are written once against ``Person`` and run two ways: with the mouse (``keyboard=False``:
Playwright's clicks and fills) and with the keyboard alone (``keyboard=True``): every control
is reached by pressing Tab from wherever the focus is, as a keyboard user would, and operated
with Enter or Space; text is typed. Reaching a control by Tab also proves two things on the
way: that it is in the tab order at all, and that the focus on it is visible.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

PASSWORD = "a passphrase for the browser tests"
MAX_TABS = 400  # presses of Tab to reach one control before we call it unreachable
TYPE_LIMIT = 160  # longer text is inserted at once (still keyboard input, not key by key)

# The focus is visible when the focused element has an outline or a box shadow.
_FOCUS_VISIBLE = """el => {
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return outline || style.boxShadow !== 'none';
}"""


@contextlib.contextmanager
def step(name: str, tell: Callable[[], str] | None = None) -> Iterator[None]:
    """A named step of a longer flow: a failure says which step broke (and, with ``tell``,
    whatever else helps, such as the servers' last log lines)."""
    try:
        yield
    except Exception as exc:
        extra = f"\n\n{tell()}" if tell else ""
        raise AssertionError(f"step '{name}' failed: {type(exc).__name__}: {exc}{extra}") from exc


def unique_name(label: str) -> str:
    """A username no other test takes (letters and digits, 30 characters at most)."""
    return f"{label}{uuid.uuid4().hex[:8]}"


class Person:
    def __init__(self, page: Page, base_url: str, *, keyboard: bool = False) -> None:
        self.page = page
        self.base_url = base_url
        self.keyboard = keyboard
        self.username: str | None = None
        # Listening turns on the interception of file choosers; Playwright does that without
        # waiting for the browser, so it is done here, long before a key opens one (turned on
        # only inside upload(), a quick Space could still open the native dialog unseen).
        page.on("filechooser", lambda chooser: None)

    def __repr__(self) -> str:
        return f"<{self.username or 'visitor'}{' by keyboard' if self.keyboard else ''}>"

    # --- going places ---------------------------------------------------------------------

    def go(self, path: str) -> None:
        """Open a page by its address (typing it into the address bar is keyboard work too)."""
        response = self.page.goto(path if "://" in path else self.base_url + path)
        assert response is not None and response.status < 400, (
            f"{self}: GET {path} answered {response and response.status}"
        )

    @property
    def nav(self) -> Locator:
        """The site's main navigation (in the header)."""
        return self.page.get_by_role("navigation", name="Main")

    def path(self) -> str:
        return re.sub(r"^https?://[^/]+", "", self.page.url)

    # --- operating controls ---------------------------------------------------------------

    def focus(self, target: Locator) -> None:
        """Keyboard: press Tab until ``target`` has the focus, then check the focus shows."""
        target = target.first if target.count() > 1 else target
        expect(target).to_be_visible()
        for _ in range(MAX_TABS):
            if target.evaluate("el => el === document.activeElement"):
                break
            self.page.keyboard.press("Tab")
        else:
            raise AssertionError(f"{self}: {MAX_TABS} presses of Tab never reached {target}")
        assert target.evaluate(_FOCUS_VISIBLE), f"{self}: the focus on {target} is not visible"

    def click(self, target: Locator) -> None:
        """Follow a link or press a button (or open a <summary>)."""
        if not self.keyboard:
            target.click()
            return
        self.focus(target)
        tag = target.evaluate("el => el.tagName.toLowerCase()")
        self.page.keyboard.press("Space" if tag in {"summary", "button"} else "Enter")

    def fill(self, target: Locator, text: str) -> None:
        if not self.keyboard:
            target.fill(text)
            return
        self.focus(target)
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.press("Delete")
        if len(text) > TYPE_LIMIT:
            self.page.keyboard.insert_text(text)
        else:
            self.page.keyboard.type(text)

    def check(self, target: Locator, on: bool = True) -> None:
        """Tick (or untick) a checkbox or choose a radio button."""
        if not self.keyboard:
            target.set_checked(on)
            return
        if target.is_checked() != on:
            self.focus(target)
            self.page.keyboard.press("Space")
        assert target.is_checked() == on

    def select(self, target: Locator, label: str) -> None:
        """Choose the option labelled ``label`` in a <select>."""
        if not self.keyboard:
            target.select_option(label=label)
            return
        self.focus(target)
        # A closed select changes with the arrow keys; walk to the option.
        options = target.locator("option").all_inner_texts()
        wanted = next(i for i, text in enumerate(options) if text.strip() == label)
        current = target.evaluate("el => el.selectedIndex")
        key = "ArrowDown" if wanted > current else "ArrowUp"
        for _ in range(abs(wanted - current)):
            self.page.keyboard.press(key)
        assert target.evaluate("el => el.selectedIndex") == wanted

    def upload(self, target: Locator, file: Path) -> None:
        """Choose a file in a file input (keyboard: Space opens the file chooser)."""
        if not self.keyboard:
            target.set_input_files(file)
            return
        self.focus(target)
        with self.page.expect_file_chooser() as chooser:
            self.page.keyboard.press("Space")
        chooser.value.set_files(file)

    def submit(self, button: Locator) -> None:
        """Press a form's submit button and wait for the page it leads to."""
        with self.page.expect_navigation():
            self.click(button)

    # --- common journeys ------------------------------------------------------------------

    def log_in(self, username: str, password: str = PASSWORD) -> None:
        """Log in with the form; accept the code of conduct when asked (accounts made on
        the command line have not yet)."""
        self.go("/auth/login")
        self.fill(self.page.get_by_label("Username"), username)
        self.fill(self.page.get_by_label("Password"), password)
        self.submit(self.page.get_by_role("button", name="Log in"))
        if "/settings/code-of-conduct" in self.page.url:
            accept = self.page.get_by_role("checkbox")
            if accept.count():
                self.check(accept.first)
            self.submit(self.page.get_by_role("button", name="Accept and continue"))
        expect(self.nav.get_by_role("button", name="Log out")).to_be_visible()
        self.username = username

    def log_out(self) -> None:
        self.submit(self.nav.get_by_role("button", name="Log out"))
        expect(self.nav.get_by_role("link", name="Log in")).to_be_visible()
        self.username = None
