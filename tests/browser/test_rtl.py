"""Right-to-left, in a real browser.

- The interface in Arabic, chosen with the footer's language switcher as a person would (by
  mouse and by keyboard): the page is <html lang="ar" dir="rtl">, the main navigation and the
  skip link sit on the right, the compose form speaks Arabic, poll bars grow from the right,
  handles still read "@name@server", and nothing scrolls sideways on a 360 px phone.
- Arabic and Hebrew posts in an English page: each post's text has dir="auto" and is laid out
  right to left, while the page around it stays left to right.
- axe-core finds no WCAG 2.1 A/AA violation on the Arabic home page and profile.

Screenshots: test-output/screenshots/rtl-*.png.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import Locator, Page, expect

from tests.browser.axe import check_accessible
from tests.browser.conftest import PHONE, make_accounts
from tests.browser.person import Person, unique_name
from tests.servers import Instance

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
ARABIC_POST = "صباح الخير من الشرفة! زرعنا اليوم الطماطم والنعناع."
HEBREW_POST = "בוקר טוב מהמרפסת! היום שתלנו עגבניות ונענע."
ENGLISH_POST = "Which should we plant next spring?"
WRITER_NAME = "سلمى الحداد"

_SEED = r"""
import json
from wikisocial.accounts.models import Account
from wikisocial.accounts import actions as accounts
from wikisocial.posts import actions as posts
from wikisocial.social import actions as social
from wikisocial.timelines import fanout

names = json.loads(NAMES)
writer = Account.objects.get(username=names["writer"], domain="")
readers = [Account.objects.get(username=n, domain="") for n in names["readers"]]
accounts.update_profile(writer, accounts.ProfileChanges(
    display_name=names["display_name"], bio=names["arabic"], pronouns="", wiki_username="",
    locked=False, bot=False))
english = posts.create_post(writer, posts.Draft(text=names["english"], language="en",
    poll=posts.PollDraft(options=["Beans", "Peas", "Squash"])))
arabic = posts.create_post(writer, posts.Draft(text=names["arabic"], language="ar"))
# No language given: the worker may or may not have guessed it by the time the page is seen.
hebrew = posts.create_post(writer, posts.Draft(text=names["hebrew"]))
# A reply in Arabic that starts with a mention (dir="auto" would go by the "@name").
reply = posts.create_post(readers[0], posts.Draft(
    text="@" + writer.username + " " + names["arabic"], in_reply_to=arabic, language="ar"))
for index, reader in enumerate(readers):
    social.follow(reader, writer)
    # The worker fills the home feed after a follow; done here too, so that the home page
    # the test opens (once, without reloading) has the writer's posts however busy it is.
    fanout.backfill(reader, writer)
    posts.vote(reader, english.poll, [index % 2])  # two votes for beans, one for peas
print("JSON:" + json.dumps({
    "arabic": arabic.get_absolute_url(),
    "hebrew": hebrew.get_absolute_url(),
    "english": english.get_absolute_url(),
}))
"""


def arabic(message: str) -> str:
    """``message`` as the Arabic catalog has it; failing when it has no translation yet, so
    an assertion on it really tests the Arabic interface."""
    with translation.override("ar"):
        text = translation.gettext(message)
    assert text != message, f"the Arabic catalog does not translate {message!r}"
    return text


def _language_name(code: str) -> str:
    return translation.get_language_info(code)["name_local"]


@pytest.fixture(scope="module")
def rtl_world(site: Instance) -> dict:
    """A writer with an Arabic name and Arabic, Hebrew and English (poll) posts; three
    readers who follow the writer and voted in the poll: one for each way of switching to
    Arabic and one for the accessibility check."""
    writer = unique_name("salma")
    readers = {key: unique_name(f"rtl{key[:3]}") for key in ("mouse", "keyboard", "axe")}
    make_accounts(site, writer, *readers.values())
    names = {
        "writer": writer,
        "readers": list(readers.values()),
        "display_name": WRITER_NAME,
        "arabic": ARABIC_POST,
        "hebrew": HEBREW_POST,
        "english": ENGLISH_POST,
    }
    paths = site.shell_json(f"NAMES = {json.dumps(json.dumps(names))}\n" + _SEED)
    return {"writer": writer, "readers": readers, **paths}


def _screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"rtl-{name}.png", full_page=True)


# Elements a person would find cut off at the sides of the window, or pushing the page
# sideways: outside [0, width] and not inside something that scrolls or clips on its own.
_SIDEWAYS = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  const clipped = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.visually-hidden, .skip-link')) continue;
    const shut = el.closest('details:not([open])');  // not shown until opened
    if (shut && !el.closest('summary')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if ((box.left < -1 || box.right > width + 1) && !clipped(el)) {
      const path = [];
      for (let a = el; a && a !== document.body && path.length < 4; a = a.parentElement) {
        path.unshift(a.tagName.toLowerCase() + (a.id ? '#' + a.id : '')
          + (a.classList.length ? '.' + [...a.classList].join('.') : ''));
      }
      out.push(path.join(' > ') + ` [${Math.round(box.left)}, ${Math.round(box.right)}]`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 10)};
}"""


def _nothing_sideways(page: Page, where: str) -> None:
    found = page.evaluate(_SIDEWAYS)
    assert found["scrollWidth"] <= found["width"] + 1 and not found["out"], (
        f"{where}: content beyond the sides of a {found['width']} px window: {found}"
    )


def _box(locator: Locator) -> dict:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not laid out"
    return box


def _direction(locator: Locator) -> str:
    return locator.evaluate("el => getComputedStyle(el).direction")


def _switch_to_arabic(person: Person) -> None:
    """Choose العربيّة in the footer's language switcher and press its button."""
    footer = person.page.get_by_role("contentinfo")
    person.select(footer.get_by_label("Language"), _language_name("ar"))
    person.submit(footer.get_by_role("button", name="Change"))


@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
def test_the_interface_in_arabic_reads_right_to_left(people, site, rtl_world, keyboard):
    mode = "keyboard" if keyboard else "mouse"
    reader = people(rtl_world["readers"][mode], keyboard=keyboard)
    page = reader.page
    reader.go("/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    _switch_to_arabic(reader)

    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    assert _direction(page.locator("body")) == "rtl"
    # The switcher now shows the language chosen; the choice was saved on the account too.
    expect(page.get_by_role("contentinfo").locator("select")).to_have_value("ar")

    # The main navigation, in Arabic, starts at the right: its first link is right of the next.
    nav = page.get_by_role("navigation", name=arabic("Main"))
    home = nav.get_by_role("link", name=arabic("Home"))
    expect(home).to_be_visible()
    links = nav.get_by_role("link")
    first, second = _box(links.nth(0)), _box(links.nth(1))
    assert first["x"] > second["x"] + second["width"] - 1, (first, second)
    # The brand (the start of the header) is at the right edge, the navigation to its left.
    brand = _box(page.locator(".site-header .brand"))
    assert brand["x"] + brand["width"] > page.viewport_size["width"] / 2

    # The compose form speaks Arabic and sits right-aligned.
    text = page.get_by_label(arabic("What would you like to say?"))
    expect(text).to_be_visible()
    label = _box(page.locator("label[for=id_text]"))
    field = _box(text)
    assert label["x"] + label["width"] > field["x"] + field["width"] - 4, (label, field)

    # The posts were seen before switching (in English): they wait behind "Show older posts".
    older = page.locator("details.seen-before")
    if older.count() and not older.first.evaluate("el => el.open"):
        reader.click(older.first.locator(":scope > summary"))
        expect(older.first.locator(":scope > summary")).to_have_text(
            arabic("Show older posts anyway")
        )
    # The poll the reader voted in: its bars grow from the right edge of each answer.
    poll = page.locator(".poll-results li").first
    expect(poll).to_be_visible()
    bar, answer = _box(poll.locator(".bar")), _box(poll)
    assert abs((bar["x"] + bar["width"]) - (answer["x"] + answer["width"])) <= 1, (bar, answer)
    assert 0.5 * answer["width"] < bar["width"] < 0.8 * answer["width"]  # two votes of three

    # The writer's Arabic name is isolated; the handle still reads @name@server.
    author = page.locator(f"#post-{rtl_world['arabic'].rsplit('/', 1)[1]}")
    expect(author.locator("bdi.display-name")).to_have_text(WRITER_NAME)
    handle = author.locator(".post-header .handle")
    assert _direction(handle) == "ltr"
    expect(handle).to_have_text(f"@{rtl_world['writer']}")

    if keyboard:
        # The first Tab reaches the skip link, shown at the top right, inside the window.
        reader.go("/")
        page.keyboard.press("Tab")
        skip = page.locator(".skip-link")
        expect(skip).to_be_focused()
        box = _box(skip)
        width = page.viewport_size["width"]
        assert width / 2 < box["x"] + box["width"] <= width and box["y"] >= 0, box

    _screenshot(page, f"home-1280-{mode}")
    _nothing_sideways(page, "the Arabic home page at 1280 px")

    # Writing in the Arabic interface: the post comes out right to left.
    message = f"{ARABIC_POST} ({mode})"
    reader.fill(text, message)
    reader.submit(page.get_by_role("button", name=arabic("Post"), exact=True))
    mine = page.locator("article.post .content", has_text=message).first
    expect(mine).to_be_visible()
    assert mine.evaluate("el => el.matches(':dir(rtl)')")

    page.set_viewport_size(PHONE)
    reader.go("/")
    _screenshot(page, f"home-360-{mode}")
    _nothing_sideways(page, "the Arabic home page at 360 px")
    reader.go(f"/@{rtl_world['writer']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(WRITER_NAME)
    _screenshot(page, f"profile-360-{mode}")
    _nothing_sideways(page, "the Arabic profile page at 360 px")


_TEXT_EDGES = """el => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let left = Infinity, right = -Infinity;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    left = Math.min(left, r.left);
    right = Math.max(right, r.right);
  }
  const box = el.getBoundingClientRect();
  return {text: [left, right], box: [box.left, box.right]};
}"""

# Where the sign of a mention ("@" of "@ana") is drawn, against the name after it.
_SIGN_FIRST = """el => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let sign = walker.nextNode();
  while (sign && !sign.textContent.includes('@')) sign = walker.nextNode();
  const range = document.createRange();
  const at = sign.textContent.indexOf('@');
  range.setStart(sign, at);
  range.setEnd(sign, at + 1);
  const name = el.querySelector('span') || el;
  return {sign: range.getBoundingClientRect().left, name: name.getBoundingClientRect().left};
}"""


def _text_edges(locator: Locator) -> dict:
    """The left and right ends of the text inside an element, and of its box."""
    return locator.evaluate(_TEXT_EDGES)


def _reads_right_to_left(content: Locator, dir_attribute: set[str]) -> None:
    """The post text is laid out right to left: by its dir attribute, "rtl" when the post's
    language is a right-to-left one, "auto" (the first strong letter decides) when the
    language is not known."""
    assert content.get_attribute("dir") in dir_attribute, content.get_attribute("dir")
    assert content.evaluate("el => el.matches(':dir(rtl)')")
    assert _direction(content) == "rtl"
    # The text itself hugs the right edge of its box (short: space is left at the left).
    edges = _text_edges(content)
    assert abs(edges["text"][1] - edges["box"][1]) <= 2, edges
    assert edges["text"][0] - edges["box"][0] > 20, edges


def test_right_to_left_posts_in_an_english_page(people, rtl_world):
    visitor = people()
    page = visitor.page
    visitor.go(f"/@{rtl_world['writer']}")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert _direction(page.get_by_role("main")) == "ltr"

    for text, dir_attribute in ((ARABIC_POST, {"rtl"}), (HEBREW_POST, {"auto", "rtl"})):
        post = page.locator("article.post", has_text=text).first
        _reads_right_to_left(post.locator(".content"), dir_attribute)
        # Around the post the page stays left to right: the header starts at the left.
        assert _direction(post) == "ltr"
        assert post.evaluate("el => el.matches(':dir(ltr)')")
        name = post.locator("bdi.display-name")
        assert name.evaluate("el => el.matches(':dir(rtl)')")  # the Arabic name, isolated
        header, author = _box(post.locator(".post-header")), _box(post.locator(".author"))
        assert author["x"] - header["x"] < 2, (author, header)
        # The name reads right to left but lines up at the left with the handle under it.
        edges = _text_edges(name)
        assert edges["text"][0] - edges["box"][0] < 2, edges

    english = page.locator("article.post", has_text=ENGLISH_POST).first.locator(".content")
    assert english.get_attribute("dir") == "auto"
    assert english.evaluate("el => el.matches(':dir(ltr)')")
    # The profile's bio (Arabic too) is laid out on its own, right to left.
    bio = page.locator(".bio")
    assert bio.evaluate("el => el.matches(':dir(rtl)')")
    _screenshot(page, "posts-in-english-1280")

    # The post's own page, and a reply on it, the same way.
    visitor.go(rtl_world["arabic"])
    focus = page.locator("article.post.focus .content")
    _reads_right_to_left(focus, {"rtl"})
    reply = page.locator("article.post.reply .content").first
    mention = reply.locator("a.mention")
    expect(mention).to_have_text(f"@{rtl_world['writer']}")
    _reads_right_to_left(reply, {"rtl"})
    # In the right-to-left reply the mention still reads "@name": the sign is left of the name.
    where = mention.evaluate(_SIGN_FIRST)
    assert where["sign"] < where["name"], where
    assert _direction(page.get_by_role("main")) == "ltr"
    _screenshot(page, "post-in-english-1280")


def test_the_arabic_pages_are_accessible(people, rtl_world):
    reader = people(rtl_world["readers"]["axe"])
    page = reader.page
    reader.go("/")
    _switch_to_arabic(reader)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    check_accessible(page, "rtl-home-ar-1280")
    reader.go(f"/@{rtl_world['writer']}")
    check_accessible(page, "rtl-profile-ar-1280")
    reader.go(rtl_world["english"])
    check_accessible(page, "rtl-post-ar-1280")
    _screenshot(page, "post-ar-1280")
