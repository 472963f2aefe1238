"""An app asks for access to an account, in a real browser: the app registers through the
Mastodon API (POST /api/v1/apps), sends a person who is not logged in to the consent page,
the person logs in, lands back on the consent page, reads what the app asks for in plain
words and approves it (by mouse and by keyboard alone) or denies it.

Two kinds of redirect: ``urn:ietf:wg:oauth:2.0:oob`` (the page shows the code to copy) and a
loopback address (http://127.0.0.1:PORT/cb, served by nothing: the address the browser is sent
to is read from its failed request, as the app listening there would have received it). The
code is exchanged for a token with a plain HTTP client; the token acts for the person who
approved.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Locator, expect

from tests.browser.axe import check_accessible
from tests.browser.conftest import make_accounts
from tests.browser.person import PASSWORD, Person, step, unique_name
from tests.cli.helpers import free_port
from tests.servers import Instance

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = "read write"
# What the consent page says each scope lets the app do.
SCOPE_WORDS = {
    "read": "Read all your account's data",
    "write": "Modify all your account's data",
}


class App:
    """A client application registered on ``instance`` through the Mastodon API, with an
    out-of-band redirect and a loopback one (on a port nothing listens on)."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.name = f"Pocket reader {uuid.uuid4().hex[:6]}"
        self.loopback = f"http://127.0.0.1:{free_port()}/cb"
        response = httpx.post(
            f"{instance.url}/api/v1/apps",
            data={
                "client_name": self.name,
                "redirect_uris": f"{OOB}\n{self.loopback}",
                "scopes": SCOPES,
                "website": "https://pocket-reader.example",
            },
            timeout=30,
        )
        assert response.status_code == 200, f"POST /api/v1/apps: {response.status_code}"
        found = response.json()
        self.client_id: str = found["client_id"]
        self.client_secret: str = found["client_secret"]

    def authorize_path(self, redirect_uri: str, state: str = "") -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
        }
        if state:
            query["state"] = state
        return "/oauth/authorize?" + urlencode(query)

    def exchange(self, code: str, redirect_uri: str) -> httpx.Response:
        return httpx.post(
            f"{self.instance.url}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "redirect_uri": redirect_uri,
            },
            timeout=30,
        )

    def who(self, token: str) -> str:
        """The username the token acts for (verify_credentials)."""
        response = httpx.get(
            f"{self.instance.url}/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200, f"verify_credentials: {response.status_code}"
        return response.json()["username"]


def answer_sent_to_app(person: Person, app: App, button: Locator) -> str:
    """Press ``button`` on the consent page; return the address the browser was then sent to
    at the app's loopback redirect. Nothing listens there, so the browser's request fails
    (Playwright's routes do not see the targets of redirects); its address is the answer."""
    with person.page.expect_event(
        "requestfailed", lambda request: request.url.startswith(app.loopback)
    ) as failed:
        person.click(button)
    # Chromium then shows its error page; let it settle before the next navigation.
    person.page.wait_for_url(lambda url: url.startswith("chrome-error:"))
    return failed.value.url


def log_in_here(person: Person, username: str) -> None:
    """Log in on the log-in page the browser was sent to (it goes on to where it was)."""
    page = person.page
    person.fill(page.get_by_label("Username"), username)
    person.fill(page.get_by_label("Password"), PASSWORD)
    person.submit(page.get_by_role("button", name="Log in"))
    if "/settings/code-of-conduct" in page.url:
        accept = page.get_by_role("checkbox")
        if accept.count():
            person.check(accept.first)
        person.submit(page.get_by_role("button", name="Accept and continue"))
    person.username = username


def expect_consent_page(person: Person, app: App, username: str) -> None:
    """The consent page names the app, says who is logged in, lists the scopes in words and
    offers Authorise and Deny."""
    page = person.page
    main = page.get_by_role("main")
    assert urlsplit(page.url).path == "/oauth/authorize", f"not on the consent page: {page.url}"
    expect(page.get_by_role("heading", level=1)).to_have_text("Authorisation required")
    expect(main).to_contain_text(f"{app.name} would like to use your account")
    expect(main).to_contain_text(f"You are logged in as @{username}")
    for words in SCOPE_WORDS.values():
        expect(main.get_by_role("listitem").filter(has_text=words)).to_be_visible()
    expect(page.get_by_role("button", name="Authorise")).to_be_visible()
    expect(page.get_by_role("button", name="Deny")).to_be_visible()


@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
def test_consent_page_approves_a_client(people, site, keyboard):
    username = unique_name("reader")
    make_accounts(site, username)
    app = App(site)
    person = people(keyboard=keyboard)
    page = person.page

    with step("a visitor opening the consent page is sent to log in"):
        person.go(app.authorize_path(OOB))
        assert urlsplit(page.url).path == "/auth/login", f"not sent to log in: {page.url}"
        assert "/oauth/authorize" in parse_qs(urlsplit(page.url).query)["next"][0]

    with step("logging in leads back to the consent page"):
        log_in_here(person, username)
        expect_consent_page(person, app, username)
        expect(page.get_by_role("main")).to_contain_text("you will be shown a code to copy")
        if not keyboard:
            check_accessible(page, "oauth-consent")

    with step("approving an out-of-band request shows the code"):
        person.submit(page.get_by_role("button", name="Authorise"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Authorisation code")
        code_box = page.get_by_label(f"Copy this code and paste it into {app.name}")
        code = code_box.input_value()
        assert len(code) >= 20, f"no code in the box: {code!r}"
        if not keyboard:
            check_accessible(page, "oauth-code")

    with step("the app exchanges the code for a token that acts for the person"):
        answer = app.exchange(code, OOB)
        assert answer.status_code == 200, f"POST /oauth/token: {answer.status_code} {answer.text}"
        token = answer.json()
        assert token["token_type"] == "Bearer"
        assert set(token["scope"].split()) == set(SCOPES.split())
        assert app.who(token["access_token"]) == username

    with step("the code works only once"):
        again = app.exchange(code, OOB)
        assert again.status_code == 400, f"second exchange: {again.status_code}"
        assert again.json()["error"] == "invalid_grant"

    with step("approving a loopback request sends the code back to the app"):
        state = uuid.uuid4().hex
        person.go(app.authorize_path(app.loopback, state))
        expect_consent_page(person, app, username)
        expect(page.get_by_role("main")).to_contain_text(
            f"sent back to the application at {urlsplit(app.loopback).netloc}"
        )
        sent = answer_sent_to_app(person, app, page.get_by_role("button", name="Authorise"))
        query = parse_qs(urlsplit(sent).query)
        assert query.get("state") == [state], f"state not returned: {sent}"
        assert "error" not in query, sent
        answer = app.exchange(query["code"][0], app.loopback)
        assert answer.status_code == 200, f"POST /oauth/token: {answer.status_code} {answer.text}"
        assert app.who(answer.json()["access_token"]) == username

    with step("the authorised apps page lists the app"):
        person.go("/settings/apps")
        expect(page.get_by_role("main")).to_contain_text(app.name)
        expect(page.get_by_role("button", name=f"Revoke {app.name}")).to_be_visible()


def test_consent_page_denies_a_client(people, site):
    username = unique_name("careful")
    make_accounts(site, username)
    app = App(site)
    person = people(username)
    page = person.page

    with step("denying a loopback request tells the app access_denied, with no code"):
        state = uuid.uuid4().hex
        person.go(app.authorize_path(app.loopback, state))
        expect_consent_page(person, app, username)
        sent = answer_sent_to_app(person, app, page.get_by_role("button", name="Deny"))
        query = parse_qs(urlsplit(sent).query)
        assert query.get("error") == ["access_denied"], sent
        assert query.get("state") == [state], sent
        assert "code" not in query, f"a code was sent although denied: {sent}"

    with step("denying an out-of-band request shows no code"):
        person.go(app.authorize_path(OOB))
        expect_consent_page(person, app, username)
        person.submit(page.get_by_role("button", name="Deny"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Not authorised")
        expect(page.get_by_role("main")).to_contain_text("You denied the application access")
        expect(page.get_by_role("main").get_by_role("textbox")).to_have_count(0)

    with step("no app is listed among the authorised apps"):
        person.go("/settings/apps")
        expect(page.get_by_role("main")).not_to_contain_text(app.name)
        expect(page.get_by_role("main")).to_contain_text("You have not authorised any app.")
