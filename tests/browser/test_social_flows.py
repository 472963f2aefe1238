"""Social life in a real browser, by mouse and by keyboard alone: editing one's profile with an
avatar; posting with an image, its alt text, a [[wikilink]] and a content warning; following
someone and seeing their posts; liking, boosting and replying; reading the notifications; a
long post collapsed and expanded; "You're caught up."; and posting without JavaScript."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Locator, expect

from tests.browser.conftest import make_accounts
from tests.browser.person import Person, step, unique_name
from tests.servers import Instance

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

MODES = pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
FEED_WAIT = 30  # seconds for the worker to bring posts into a home feed
COMPOSE_TEXT = "What would you like to say?"
LONG_TEXT = " ".join(f"Sentence {n} of a long story about the engine." for n in range(30))
LAST_SENTENCE = "Sentence 29 of a long story about the engine."


def make_png(path: Path, color: tuple[int, int, int], size: tuple[int, int] = (48, 32)) -> Path:
    Image.new("RGB", size, color).save(path, "PNG")
    return path


def shell(site: Instance, code: str):
    """Run ``code`` in `wikisocial shell` with ``account(name)``, ``posts`` and ``social`` at
    hand; ``result`` is returned (as JSON)."""
    prelude = (
        "import json\n"
        "from wikisocial.accounts.models import Account\n"
        "from wikisocial.posts import actions as posts\n"
        "from wikisocial.social import actions as social\n"
        "def account(name):\n"
        "    return Account.objects.get(username=name, domain='')\n"
        "result = None\n"
    )
    return site.shell_json(prelude + code + "\nprint('JSON:' + json.dumps(result))\n")


def post_by(site: Instance, author: str, text: str) -> str:
    """A post made on the command line; its address (path) is returned."""
    return shell(
        site,
        f"result = posts.create_post(account({author!r}), "
        f"posts.Draft(text={text!r})).get_absolute_url()",
    )


def article(person: Person, text: str) -> Locator:
    """The post (an <article>) on the page that contains ``text``."""
    return person.page.locator("article.post").filter(has_text=text).first


def reload_until(
    person: Person, path: str, locator: Locator, what: str, *, visible: bool = True
) -> None:
    """Open ``path`` again until ``locator`` shows (or, ``visible=False``, is on the page at
    all): the worker writes home feeds."""
    deadline = time.monotonic() + FEED_WAIT
    while True:
        person.go(path)
        try:
            if visible:
                expect(locator).to_be_visible(timeout=1_000)
            else:
                expect(locator).to_be_attached(timeout=1_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{person}: {what} never showed on {path}") from None


def assert_image_loads(img: Locator) -> None:
    img.scroll_into_view_if_needed()
    img.page.wait_for_function(
        "el => el.complete && el.naturalWidth > 0", arg=img.element_handle(), timeout=10_000
    )


def focused_text(person: Person) -> str:
    return person.page.evaluate("() => document.activeElement?.textContent?.trim() ?? ''")


# --- 1. the profile ---------------------------------------------------------------------------


@MODES
def test_edit_profile_with_an_avatar(people, site, tmp_path, keyboard):
    name = unique_name("prof")
    make_accounts(site, name)
    person = people(name, keyboard=keyboard)
    page = person.page
    avatar = make_png(tmp_path / "avatar.png", (220, 120, 30), (64, 64))

    with step("fill in the profile form and save"):
        person.go("/settings/profile")
        person.fill(page.get_by_label("Display name"), "Ada of the Engines")
        person.fill(page.get_by_label("Bio"), "Counting with *cards*.")
        person.upload(page.get_by_label("Avatar", exact=True), avatar)
        person.submit(page.get_by_role("button", name="Save profile"))
        expect(page.get_by_role("status")).to_be_visible()

    with step("the profile shows the new name, bio and avatar"):
        person.submit(person.nav.get_by_role("link", name="My profile"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Ada of the Engines")
        bio = page.locator(".bio")
        expect(bio).to_have_text("Counting with cards.")
        expect(bio.locator("em")).to_have_text("cards")
        img = page.get_by_role("img", name="Avatar of Ada of the Engines")
        expect(img).to_have_attribute("src", re.compile(r"/media/.+"))
        assert_image_loads(img)


# --- 2. a post with an image, alt text, a wikilink and a content warning --------------------


def compose(person: Person, text: str, *, warning: str, image: Path, alt: str) -> None:
    """Fill the compose form on the current page and post it."""
    page = person.page
    form = page.locator("form.compose").first
    person.fill(form.get_by_label(COMPOSE_TEXT), text)
    person.click(form.locator("summary", has_text="Images"))
    person.upload(form.get_by_label("Add images (up to four)"), image)
    person.fill(form.get_by_label("Description of the images you add (alt text)"), alt)
    person.click(form.locator("summary", has_text="Content warning"))
    person.fill(form.get_by_label("Content warning", exact=True), warning)
    person.submit(form.get_by_role("button", name="Post", exact=True))


@MODES
def test_post_with_image_alt_text_wikilink_and_content_warning(people, site, tmp_path, keyboard):
    name = unique_name("cw")
    make_accounts(site, name)
    person = people(name, keyboard=keyboard)
    page = person.page
    warning = "Spoilers about engines"
    alt = "An orange rectangle, the engine's punched card"

    with step("compose on the home page and post"):
        person.go("/")
        compose(
            person,
            "Reading about [[Ada Lovelace]] today.",
            warning=warning,
            image=make_png(tmp_path / "card.png", (240, 140, 20)),
            alt=alt,
        )
        mine = article(person, warning)
        expect(mine).to_be_visible()
        assert "describe your images" not in page.get_by_role("main").inner_text()

    with step("open the post's page"):
        person.submit(mine.locator("a.time"))
        post = page.locator("article.post.focus")
        expect(post).to_be_visible()

    with step("the content warning hides the body until opened"):
        summary = post.locator("details.content-warning > summary")
        expect(summary).to_contain_text(warning)
        expect(post.locator(".content")).to_be_hidden()
        person.click(summary)
        expect(post.locator(".content")).to_be_visible()

    with step("the wikilink leads to Wikipedia and the image has its alt text"):
        link = post.locator(".content").get_by_role("link", name="Ada Lovelace")
        expect(link).to_have_attribute(
            "href", re.compile(r"^https://en\.wikipedia\.org/wiki/Ada_Lovelace$")
        )
        img = post.get_by_role("img", name=alt)
        expect(img).to_be_visible()
        assert_image_loads(img)


# --- 3, 4 and 5: follow, like, boost, reply, and the notifications ---------------------------


@MODES
def test_follow_like_boost_reply_and_read_the_notifications(people, site, keyboard):
    ana, bob = unique_name("ana"), unique_name("bob")
    make_accounts(site, ana, bob)
    bob_says = f"Hello from {bob}, about the difference engine."
    reply_text = "Lovely, thank you for writing this!"

    with step("B posts from the home page"):
        b = people(bob, keyboard=keyboard)
        b.go("/")
        b.fill(b.page.get_by_label(COMPOSE_TEXT), bob_says)
        b.submit(b.page.get_by_role("button", name="Post", exact=True))
        expect(article(b, bob_says)).to_be_visible()

    a = people(ana, keyboard=keyboard)
    page = a.page
    with step("A finds B with the search and follows"):
        a.fill(page.get_by_role("searchbox", name="Search people"), bob)
        a.submit(page.get_by_role("search").first.get_by_role("button", name="Search"))
        people_found = page.get_by_role("region", name="People")
        a.submit(people_found.get_by_role("link", name=re.compile(bob)))
        expect(page.get_by_role("heading", level=1)).to_have_text(bob)
        a.submit(page.get_by_role("button", name="Follow", exact=True))
        expect(page.get_by_role("button", name="Unfollow")).to_be_visible()

    with step("B's post shows on A's home timeline"):
        reload_until(a, "/", article(a, bob_says), "B's post")

    post = article(a, bob_says)
    post_path = post.locator("a.time").get_attribute("href")
    assert post_path
    with step("A likes B's post from the timeline"):
        a.click(post.get_by_role("button", name=re.compile(r"^Like")))
        unlike = post.get_by_role("button", name=re.compile(r"^Unlike"))
        expect(unlike).to_have_attribute("aria-pressed", "true")
        if keyboard:  # the swapped-in bar keeps the focus where it was
            assert "Unlike" in focused_text(a), focused_text(a)

    with step("A boosts B's post from the timeline"):
        a.click(post.get_by_role("button", name=re.compile(r"^Boost")))
        undo = post.get_by_role("button", name=re.compile(r"^Undo boost"))
        expect(undo).to_have_attribute("aria-pressed", "true")
        expect(post.get_by_role("button", name=re.compile(r"^Unlike"))).to_have_attribute(
            "aria-pressed", "true"
        )
        if keyboard:
            assert "Undo boost" in focused_text(a), focused_text(a)

    with step("A replies on the thread page"):
        a.submit(post.get_by_role("link", name=re.compile(r"^Reply")))
        assert page.url.endswith(post_path + "#reply"), page.url
        form = page.locator("#reply")
        a.fill(form.get_by_label(COMPOSE_TEXT), f"@{bob} {reply_text}")
        a.submit(form.get_by_role("button", name="Reply", exact=True))
        expect(page.locator("article.post.focus")).to_contain_text(reply_text)

    with step("the reply shows in B's thread"):
        a.go(post_path)
        replies = page.get_by_role("region", name="Replies")
        expect(replies.locator("article.post")).to_contain_text(reply_text)

    with step("B sees the unread count in the navigation"):
        b.go("/")
        expect(b.nav.get_by_role("link", name="Notifications 4 unread")).to_be_visible()

    with step("B reads A's follow, like, boost and reply"):
        b.submit(b.nav.get_by_role("link", name=re.compile("^Notifications")))
        items = b.page.locator("li.notification")
        for what in ("followed you", "liked your post", "boosted your post", "replied to you"):
            expect(items.filter(has_text=what).filter(has_text=ana)).to_have_count(1)
        expect(items.filter(has_text="liked your post")).to_contain_text(bob_says)

    with step("B opens the reply from its notification"):
        reply_item = items.filter(has_text="replied to you")
        b.submit(reply_item.locator("blockquote").get_by_role("link"))
        expect(b.page.locator("article.post.focus")).to_contain_text(reply_text)
        expect(b.nav.locator(".unread-count")).to_have_count(0)


# --- 6 and 7: a long post collapsed and expanded; "You're caught up." ----------------------


@MODES
def test_long_post_expands_and_you_are_caught_up(people, site, keyboard):
    ana, bob = unique_name("ana"), unique_name("bob")
    make_accounts(site, ana, bob)
    older = f"An older post by {bob}."
    long_text = f"{bob} writes: {LONG_TEXT}"
    shell(
        site,
        f"social.follow(account({ana!r}), account({bob!r}))\n"
        f"posts.create_post(account({bob!r}), posts.Draft(text={older!r}))\n"
        f"posts.create_post(account({bob!r}), posts.Draft(text={long_text!r}))\n",
    )
    a = people(ana, keyboard=keyboard)
    page = a.page

    with step("the long post shows collapsed on the local timeline"):
        a.go("/local")
        long_post = article(a, f"{bob} writes:")
        expect(long_post.locator(".content")).to_have_class(re.compile(r"\bcollapsed\b"))

    with step("Show more reveals the full text in place"):
        a.click(long_post.get_by_role("link", name="Show more"))
        expect(long_post.locator(".content")).not_to_have_class(re.compile(r"\bcollapsed\b"))
        expect(long_post.get_by_role("link", name="Show more")).to_have_count(0)
        expect(long_post.locator(".content")).to_contain_text(LAST_SENTENCE)
        assert a.path() == "/local", a.path()
        if keyboard:  # the focus moves to the text it revealed, not to the top of the page
            assert page.evaluate("() => document.activeElement.classList.contains('content')")

    with step("A reads the home timeline with B's post in it"):
        # Every reading of home moves the line: once the older post is there, it is read.
        reload_until(a, "/", article(a, older), "B's older post", visible=False)

    with step("B posts again; A comes back to a 'You're caught up.' line"):
        newer = f"A newer post by {bob}."
        post_by(site, bob, newer)
        reload_until(a, "/", article(a, newer), "B's newer post")
        timeline = page.locator(".timeline")
        expect(timeline.get_by_role("note")).to_contain_text("You're caught up.")
        order = timeline.evaluate(
            """(el, texts) => {
                const nodes = [...el.querySelectorAll('article.post, .caught-up')];
                return nodes.map(n => n.classList.contains('caught-up') ? 'MARK'
                    : texts.find(t => n.textContent.includes(t)) || '?');
            }""",
            [newer, older],
        )
        assert order.index(newer) < order.index("MARK") < order.index(older), order
        assert order[0] == newer, order

    with step("the posts read before are folded away below the line, and open"):
        expect(article(a, older)).to_be_hidden()
        a.click(timeline.locator("details.seen-before > summary"))
        expect(article(a, older)).to_be_visible()


# --- 8. posting without JavaScript ---------------------------------------------------------


@MODES
def test_posting_and_liking_without_javascript(people, site, tmp_path, keyboard):
    name = unique_name("nojs")
    make_accounts(site, name)
    long_text = f"{name} writes: {LONG_TEXT}"
    post_by(site, name, long_text)
    person = people(name, keyboard=keyboard, javascript=False)
    page = person.page
    warning = "Cats, lots of cats"
    alt = "A grey square standing in for a cat"

    with step("post with a content warning and an image"):
        person.go("/")
        compose(
            person,
            "A post written without JavaScript.",
            warning=warning,
            image=make_png(tmp_path / "cat.png", (128, 128, 128)),
            alt=alt,
        )
        mine = article(person, warning)
        expect(mine).to_be_visible()

    with step("the post is on the home timeline, its warning opens"):
        expect(mine.locator(".content")).to_be_hidden()
        person.click(mine.locator("details.content-warning > summary"))
        expect(mine.locator(".content")).to_contain_text("A post written without JavaScript.")
        img = mine.get_by_role("img", name=alt)
        expect(img).to_be_visible()
        assert_image_loads(img)

    with step("like it from the timeline: a full page round trip"):
        person.submit(mine.get_by_role("button", name=re.compile(r"^Like")))
        assert person.path().startswith("/#post-"), person.path()
        liked = article(person, warning).get_by_role("button", name=re.compile(r"^Unlike"))
        expect(liked).to_have_attribute("aria-pressed", "true")

    with step("Show more leads to the post's page with the full text"):
        person.go("/local")
        long_post = article(person, f"{name} writes:")
        expect(long_post.locator(".content")).to_have_class(re.compile(r"\bcollapsed\b"))
        person.submit(long_post.get_by_role("link", name="Show more"))
        shown = page.locator("article.post.focus")
        expect(shown.locator(".content")).not_to_have_class(re.compile(r"\bcollapsed\b"))
        expect(shown.locator(".content")).to_contain_text(LAST_SENTENCE)
        expect(shown.get_by_role("link", name="Show more")).to_have_count(0)
