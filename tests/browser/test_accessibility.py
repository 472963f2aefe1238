"""Accessibility of the main pages, in a real browser: axe-core finds no WCAG 2.1 A/AA
violation on any of them, in light and dark, on a desktop (1280 px) and a phone (360 px); no
page scrolls sideways on the phone; every image has an alt attribute (empty only for
decorative ones); motion stops when the person asks for less of it.

Each page is one test running its four variants; a failure names the page and the variant.
In two variants the page is checked again with every <details> open (menus, content warnings,
the compose form's extras). Each variant leaves a full-page screenshot in
test-output/screenshots/<page>-<width>-<scheme>.png and axe's findings in
test-output/axe/<page>-<width>-<scheme>.json. Refused forms (sign-up, log-in) are checked in
their error state too: the alert is focused and each field in error carries its message.

The pages show the world of tests/browser/world.py, made once per test process.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.axe import check_accessible
from tests.browser.person import PASSWORD, Person
from tests.browser.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"

# Page name → whether it is seen logged in (as ana) or as a visitor.
PAGES = {
    "home": True,
    "profile": True,
    "post": True,
    "long-post": True,
    "thread": True,
    "notifications": True,
    "settings-profile": True,
    "settings-notifications": True,
    "settings-account": True,
    "compose": True,
    "group": True,
    "topic": True,
    "wiki-page": True,
    "wiki-diff": True,
    "wiki-history": True,
    "wiki-edit": True,
    "consent": True,
    "local": True,
    "search": True,
    "groups": True,
    "about": True,
    "landing": False,
    "signup": False,
    "login": False,
}
VARIANTS = [(phone, dark) for phone in (False, True) for dark in (False, True)]
# In two of them (desktop light, phone dark) the page is looked at again with all opened.

# Images without alt: none may be. Images with an empty alt are decorative; one that is all a
# link or a button holds would leave it nameless, so it may not be decorative, nor may an
# image attached to a post (it is what the post shows).
_IMAGES = """() => {
  const missing = [], nameless = [];
  for (const img of document.images) {
    const where = img.outerHTML.slice(0, 160);
    if (!img.hasAttribute('alt')) { missing.push(where); continue; }
    if (img.getAttribute('alt').trim() !== '') continue;
    if (img.closest('.media-item')) { missing.push(where); continue; }
    const holder = img.closest('a, button');
    if (holder && holder.textContent.trim() === '' && !holder.getAttribute('aria-label')
        && ![...holder.querySelectorAll('img')].some(i => (i.alt || '').trim())) {
      nameless.push(where);
    }
  }
  return {missing, nameless};
}"""

_SIDEWAYS = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= window.innerWidth + 1) return null;
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
    .filter(el => !el.closest('.visually-hidden, .skip-link'))
    .slice(0, 8)
    .map(el => el.outerHTML.slice(0, 80) + ' (right edge '
         + Math.round(el.getBoundingClientRect().right) + 'px)');
  return {scrollWidth: root.scrollWidth, innerWidth: window.innerWidth, wide};
}"""

# Opens every closed <details>; how many there were.
_OPEN_ALL = """() => {
  const closed = document.querySelectorAll('details:not([open])');
  closed.forEach(details => { details.open = true; });
  return closed.length;
}"""

# Every element's transition and animation durations (all values of each list).
_MOVING = """() => {
  const moving = [];
  const seconds = v => v.split(',').map(s => parseFloat(s) * (s.trim().endsWith('ms') ? 0.001 : 1));
  for (const el of document.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    const busy = [...seconds(style.transitionDuration), ...seconds(style.animationDuration)]
      .some(s => s > 0) && (style.animationName !== 'none' || style.transitionProperty !== 'none');
    if (busy) moving.push(el.outerHTML.slice(0, 80) + ': transition ' + style.transitionDuration
      + ', animation ' + style.animationName + ' ' + style.animationDuration);
  }
  return moving.slice(0, 10);
}"""


@pytest.fixture(scope="module")
def world(site) -> dict:
    return build_world(site)


@pytest.fixture(scope="module")
def ana_cookies(world, chromium, site) -> list[dict]:
    """ana's session, logged in once for the module; every variant's browser takes a copy."""
    context = chromium.new_context(extra_http_headers={"X-Forwarded-For": "10.250.0.1"})
    try:
        person = Person(context.new_page(), site.url)
        person.log_in(world["ana"])
        return context.cookies()
    finally:
        context.close()


def _open(people, ana_cookies, world, logged_in: bool, phone: bool, dark: bool) -> Person:
    person = people(phone=phone, dark=dark)
    if logged_in:
        person.page.context.add_cookies(ana_cookies)
        person.username = world["ana"]
    return person


def _variant(phone: bool, dark: bool) -> str:
    return f"{360 if phone else 1280}-{'dark' if dark else 'light'}"


def _path(world: dict, name: str) -> str:
    return "/" if name == "landing" else world["paths"][name]


def _look_at(person: Person, name: str, variant: str, opened: bool = False) -> list[str]:
    """What is wrong with the page ``person`` has open (empty: nothing). ``opened``: look
    again with every <details> on it open (menus, content warnings, the compose form's
    extras), as a reader may open them."""
    page = person.page
    problems = []
    where = f"{name} at {variant}"
    page.wait_for_load_state("load")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{variant}.png", full_page=True)
    sideways = page.evaluate(_SIDEWAYS)
    if sideways:
        problems.append(f"{where}: the page scrolls sideways: {sideways}")
    images = page.evaluate(_IMAGES)
    if images["missing"]:
        problems.append(f"{where}: images without the alt text they need: {images['missing']}")
    if images["nameless"]:
        problems.append(
            f"{where}: links or buttons with only a decorative image: {images['nameless']}"
        )
    try:
        check_accessible(page, f"{name}-{variant}")
    except AssertionError as error:
        problems.append(f"{where}: {error}")
    if opened and page.evaluate(_OPEN_ALL):
        where = f"{name} at {variant}, everything opened"
        sideways = page.evaluate(_SIDEWAYS)
        if sideways:
            problems.append(f"{where}: the page scrolls sideways: {sideways}")
        try:
            check_accessible(page, f"{name}-{variant}-opened")
        except AssertionError as error:
            problems.append(f"{where}: {error}")
    return problems


@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_accessible(people, world, ana_cookies, name):
    problems = []
    for phone, dark in VARIANTS:
        variant = _variant(phone, dark)
        person = _open(people, ana_cookies, world, PAGES[name], phone, dark)
        try:
            person.go(_path(world, name))
            problems += _look_at(person, name, variant, opened=phone == dark)
        except (AssertionError, PlaywrightError) as error:
            problems.append(f"{name} at {variant} ({_path(world, name)}): {error}")
        finally:
            # Done with this browser (its screenshot and axe's findings are saved).
            person.page.context.close()
    assert not problems, "\n\n".join(problems)


def test_the_seeded_pages_show_what_they_should(people, world, ana_cookies):
    """The pages checked above hold what makes them worth checking (an image with its alt
    text, a content warning, a diff, the consent form), so a page that lost it fails here
    rather than passing axe with less on it."""
    ana = _open(people, ana_cookies, world, True, False, False)
    page = ana.page
    ana.go(world["paths"]["post"])
    expect(page.get_by_role("img", name="A ripe red tomato")).to_be_visible()
    ana.go(world["paths"]["local"])  # an image its author did not describe still says so
    expect(page.get_by_role("img", name="Image without a description")).to_be_visible()
    ana.go(world["paths"]["profile"])
    expect(page.get_by_text("Garden pests").first).to_be_visible()
    ana.go(world["paths"]["thread"])
    expect(page.get_by_text("It works with a small hive.")).to_be_visible()
    ana.go(world["paths"]["notifications"])
    expect(page.get_by_role("main")).to_contain_text("liked your post")
    ana.go(world["paths"]["topic"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("What grows in shade?")
    expect(page.get_by_text("Lettuce and mint do well.")).to_be_visible()
    ana.go(world["paths"]["wiki-diff"])
    expect(page.get_by_role("main")).to_contain_text("turn it weekly")
    ana.go(world["consent"])
    expect(page.get_by_role("main")).to_contain_text("Tooter")


def _check_light_and_dark(page, name: str) -> None:
    check_accessible(page, f"{name}-1280-light")
    page.emulate_media(color_scheme="dark")
    check_accessible(page, f"{name}-1280-dark")
    page.emulate_media(color_scheme="light")


def test_form_errors_are_announced_and_tied_to_their_fields(people, world):
    """A refused form says so at once (an alert, focused) and each field in error carries its
    message (aria-invalid, and the message in its accessible description); still no axe
    violation, in light and dark."""
    visitor = people()
    page = visitor.page
    visitor.go("/auth/signup")
    visitor.fill(page.get_by_label("Username"), "not a name")
    visitor.fill(page.get_by_label("E-mail address"), "nobody-at-example.org")
    visitor.fill(page.get_by_label("Password", exact=True), PASSWORD)
    visitor.fill(page.get_by_label("Password again"), PASSWORD + " but different")
    # The server's own checks are under test, not the browser's: skip its form validation.
    page.locator("form:has(#id_username)").evaluate("form => { form.noValidate = true; }")
    visitor.submit(page.get_by_role("button", name="Create my account"))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Please correct what is marked below.")
    expect(alert).to_be_focused()
    for label, message in (
        ("Username", "letters A–Z, digits and underscores only"),
        ("E-mail address", "Enter a valid email address"),
        ("Password again", "The two passwords differ"),
    ):
        field = page.get_by_label(label, exact=True)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description(re.compile(re.escape(message)))
    expect(page.get_by_label("Username", exact=True)).to_have_value("not a name")
    _check_light_and_dark(page, "signup-errors")

    visitor.go("/auth/login")
    visitor.fill(page.get_by_label("Username"), world["ana"])
    visitor.fill(page.get_by_label("Password"), "not the password")
    visitor.submit(page.get_by_role("button", name="Log in"))
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page.get_by_role("alert")).to_be_focused()
    _check_light_and_dark(page, "login-errors")


def test_nothing_moves_when_less_motion_is_asked_for(people, world, ana_cookies):
    ana = _open(people, ana_cookies, world, True, False, False)  # reduced_motion="reduce"
    page = ana.page
    for name in ("home", "profile", "post", "topic", "wiki-page"):
        ana.go(world["paths"][name])
        assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "auto"
        # Hover and focus a few controls, where transitions would start.
        for locator in (
            page.get_by_role("button", name="Search"),
            page.get_by_role("link", name="Notifications"),
            page.locator("main a:visible, main button:visible, main summary:visible").first,
            page.locator("main input:visible, main textarea:visible, main select:visible").first,
        ):
            if not locator.count():
                continue
            locator.hover()
            locator.focus()
            moving = page.evaluate(_MOVING)
            assert not moving, f"{name}: these move although less motion is asked for: {moving}"
    # A long post expanded in place (htmx swaps it) moves no more than the rest.
    ana.go(world["paths"]["profile"])
    ana.click(page.get_by_role("link", name="Show more").first)
    expect(page.get_by_text("Paragraph 13:")).to_be_visible()
    assert not page.evaluate(_MOVING)


def test_pages_still_work_with_motion(people, world, ana_cookies):
    """Without a motion preference the same pages work: the compose form is there, a content
    warning opens, a long post expands in place."""
    ana = _open(people, ana_cookies, world, True, False, False)
    page = ana.page
    page.emulate_media(reduced_motion="no-preference")
    assert page.evaluate("matchMedia('(prefers-reduced-motion: no-preference)').matches")
    ana.go("/")
    expect(page.get_by_role("textbox").first).to_be_visible()
    ana.go(world["paths"]["profile"])
    warning = page.locator("details.content-warning").first
    ana.click(warning.locator("summary"))
    expect(warning.get_by_text("The aphids are back.")).to_be_visible()
    profile = page.url
    ana.click(page.get_by_role("link", name="Show more").first)
    expect(page.get_by_text("Paragraph 13:")).to_be_visible()
    assert page.url == profile, "Show more should expand the post in place (htmx)"
