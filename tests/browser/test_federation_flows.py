"""Federation in a real browser: two instances (A and B), each a real `wikisocial run` on
loopback, talking ActivityPub over HTTP. ana on A finds bob on B with the search box and
follows him; bob posts with a wikilink; the post reaches ana's home on A; she likes it and
replies; bob reads both in his notifications on B. By mouse and by keyboard alone.

Things travel between the servers through their workers, so the pages that wait for them are
reloaded until what is awaited shows, for WAIT seconds at most. A failure names the step it
happened in and adds the last lines of both servers' logs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.conftest import make_accounts
from tests.browser.person import Person, step, unique_name
from tests.cli.helpers import unique_word, wait_until
from tests.servers import Instance, running_instances

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser-federation")]

WAIT = 60  # seconds, at most, for anything to travel between the instances
WIKILINK = ("Douglas Adams", "https://en.wikipedia.org/wiki/Douglas_Adams")


@pytest.fixture(scope="module")
def instances(chromium, tmp_path_factory) -> Iterator[dict[str, Instance]]:
    root = tmp_path_factory.mktemp("browserfed")
    with running_instances(root, ["A", "B"], "browserfed", WIKISOCIAL_BEHIND_PROXY="1") as found:
        yield found


def server_logs(instances: dict[str, Instance]) -> Callable[[], str]:
    """The last lines of each server's log, for a failing step."""
    return lambda: "\n\n".join(
        f"=== instance {i.name} ({i.domain}) ===\n{i.tail(40)}" for i in instances.values()
    )


def reload_until(person: Person, path: str, found: Callable[[], Locator], what: str) -> Locator:
    """Open ``path`` and reload it until ``found()`` matches something (WAIT seconds at most);
    returns the match."""

    def look() -> Locator | None:
        person.go(path)
        match = found()
        return match if match.count() else None

    return wait_until(look, f"{person}: {what} on {path}", timeout=WAIT, interval=1)


@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
def test_follow_post_like_and_reply_across_servers(people, instances, keyboard):
    server_a, server_b = instances["A"], instances["B"]
    ana_name, bob_name = unique_name("ana"), unique_name("bob")
    with ThreadPoolExecutor(max_workers=2) as pool:  # one shell on each server, at once
        list(pool.map(make_accounts, [server_a, server_b], [ana_name, bob_name]))
    bob_handle = server_b.handle(bob_name)
    ana_handle = server_a.handle(ana_name)
    ana = people(ana_name, keyboard=keyboard, instance=server_a)
    bob = people(bob_name, keyboard=keyboard, instance=server_b)
    a_page, b_page = ana.page, bob.page

    with step(f"ana on A finds {bob_handle} with the search box", server_logs(instances)):
        ana.go("/")
        header = a_page.get_by_role("banner")
        ana.fill(header.get_by_role("searchbox", name="Search people"), bob_handle)
        ana.submit(header.get_by_role("button", name="Search"))
        people_found = a_page.get_by_role("region", name="People")
        ana.submit(people_found.get_by_role("link", name=re.compile(re.escape(bob_handle))))
        expect(a_page.get_by_role("heading", level=1)).to_have_text(bob_name)
        expect(a_page.get_by_role("main")).to_contain_text(f"This account is on {server_b.domain}")

    with step("ana follows bob and B accepts", server_logs(instances)):
        ana.submit(a_page.get_by_role("button", name="Follow", exact=True))
        reload_until(
            ana,
            f"/@{bob_name}@{server_b.domain}",
            lambda: a_page.get_by_role("button", name="Unfollow"),
            "the Unfollow button (B accepted the follow)",
        )

    word = unique_word("wiki")
    with step("bob on B posts with a wikilink", server_logs(instances)):
        bob.go("/")
        bob.fill(
            b_page.get_by_label("What would you like to say?"),
            f"Reading about [[{WIKILINK[0]}]] today, {word}",
        )
        bob.submit(b_page.get_by_role("button", name="Post", exact=True))
        mine = b_page.get_by_role("article").filter(has_text=word).first
        expect(mine.get_by_role("link", name=WIKILINK[0])).to_have_attribute("href", WIKILINK[1])

    with step("bob's post reaches ana's home on A, its wikilink a link", server_logs(instances)):
        post = reload_until(
            ana,
            "/",
            lambda: a_page.get_by_role("article").filter(has_text=word),
            f"bob's post {word} in the home timeline",
        ).first
        expect(post.get_by_role("link", name=WIKILINK[0])).to_have_attribute("href", WIKILINK[1])
        expect(post).to_contain_text(bob_handle)

    with step("ana likes bob's post", server_logs(instances)):
        ana.click(post.get_by_role("button", name="Like", exact=True))
        liked = post.get_by_role("button", name=re.compile("Unlike"))
        expect(liked).to_have_attribute("aria-pressed", "true")
        expect(liked).to_contain_text("1")

    reply_word = unique_word("reply")
    with step("ana replies to bob's post", server_logs(instances)):
        ana.submit(post.get_by_role("link", name="Reply"))
        reply_box = a_page.get_by_role("region", name="Reply").get_by_label(
            "What would you like to say?"
        )
        expect(reply_box).to_have_value(re.compile(re.escape(bob_handle)))
        ana.fill(reply_box, f"{bob_handle} Thanks for the link, {reply_word}")
        ana.submit(a_page.get_by_role("button", name="Reply", exact=True))
        # The reply's own page: bob's post above it, in the thread.
        thread = a_page.get_by_role("article")
        expect(thread.filter(has_text=reply_word)).to_be_visible()
        expect(thread.first).to_contain_text(word)
        expect(thread.filter(has_text=reply_word)).to_contain_text(f"Replying to {bob_handle}")

    with step("bob on B reads the like and the reply in his notifications", server_logs(instances)):
        liked_note = reload_until(
            bob,
            "/notifications",
            lambda: b_page.get_by_role("listitem").filter(has_text="liked your post"),
            "ana's like",
        ).first
        expect(liked_note.get_by_role("link", name=ana_name).first).to_have_attribute(
            "href", re.compile(re.escape(f"/@{ana_name}@{server_a.domain}"))
        )
        expect(liked_note).to_contain_text(word)
        reply_note = reload_until(
            bob,
            "/notifications",
            lambda: b_page.get_by_role("listitem").filter(has_text=reply_word),
            "ana's reply",
        ).first
        expect(reply_note).to_contain_text(re.compile("replied to you|mentioned you"))
        expect(reply_note.get_by_role("link", name=ana_name).first).to_be_visible()

    with step("bob opens the reply from the notification", server_logs(instances)):
        bob.submit(reply_note.get_by_role("link", name=re.compile(reply_word)))
        expect(b_page.get_by_role("main")).to_contain_text(reply_word)
        expect(b_page.get_by_role("main")).to_contain_text(ana_handle)
