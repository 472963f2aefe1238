"""Joining, in a real browser: sign up, confirm the e-mail address with the link from the
server's outbox, log in, log out; by mouse and by keyboard alone."""

from __future__ import annotations

import re
from email import message_from_bytes

import pytest
from playwright.sync_api import expect

from tests.browser.person import PASSWORD, unique_name
from tests.cli.helpers import wait_until
from tests.servers import Instance

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def confirmation_link(instance: Instance, address: str) -> str:
    """The confirmation link of the last e-mail sent to ``address`` (file backend)."""

    def find() -> str | None:
        outbox = instance.outbox()
        if not outbox.exists():
            return None
        for path in sorted(outbox.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True):
            for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                message = message_from_bytes(raw.strip())
                if address not in str(message.get("To", "")):
                    continue
                body = _text_of(message)
                link = re.search(r"https?://\S+/auth/confirm/\S+", body)
                if link:
                    return link[0]
        return None

    return wait_until(find, f"a confirmation e-mail to {address}", timeout=30)


def _text_of(message) -> str:
    if message.is_multipart():
        return "\n".join(_text_of(part) for part in message.get_payload())
    payload = message.get_payload(decode=True) or b""
    return payload.decode(message.get_content_charset() or "utf-8", errors="replace")


@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
def test_sign_up_confirm_log_in_and_out(people, site, keyboard):
    username = unique_name("new")
    email = f"{username}@example.org"
    visitor = people(keyboard=keyboard)
    visitor.go("/")
    visitor.click(visitor.page.get_by_role("link", name="Sign up").first)
    page = visitor.page
    expect(page.get_by_role("heading", level=1)).to_contain_text("Join")
    visitor.fill(page.get_by_label("Username"), username)
    visitor.fill(page.get_by_label("E-mail address"), email)
    visitor.fill(page.get_by_label("Password", exact=True), PASSWORD)
    visitor.fill(page.get_by_label("Password again"), PASSWORD)
    visitor.check(page.get_by_role("checkbox"))
    visitor.submit(page.get_by_role("button", name="Create my account"))
    expect(page.get_by_role("main")).to_contain_text(email)

    visitor.go(confirmation_link(site, email))
    expect(page.get_by_role("main")).to_contain_text("confirmed")

    visitor.log_in(username)
    expect(page.get_by_role("link", name="My profile")).to_be_visible()
    visitor.log_out()
    visitor.go("/settings/profile")
    assert "/auth/login" in page.url
