"""The settings pages about client access: "Authorised apps" (see and revoke what apps may
do with the account) and "Development" (personal access tokens for one's own bots)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Application, RefreshToken

from wikisocial.api.models import AppProfile
from wikisocial.api.tokens import create_personal_token

pytestmark = pytest.mark.django_db

APPS = "/settings/apps"
DEVELOPMENT = "/settings/development"
VERIFY = "/api/v1/accounts/verify_credentials"
CALLBACK = "https://tooter.example/callback"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
NEW_TOKEN = re.compile(r'id="new-token" value="([^"]+)"')


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register(client, name: str = "Tooter", scopes: str = "read write follow") -> dict:
    body = {"client_name": name, "redirect_uris": CALLBACK, "scopes": scopes}
    return client.post("/api/v1/apps", body).json()


def authorise(browser, app: dict, scope: str = "read write") -> dict:
    """The whole flow, as a person in a browser and the app's server do it."""
    query = {"response_type": "code", "client_id": app["client_id"]}
    query.update({"redirect_uri": CALLBACK, "scope": scope})
    page = browser.get("/oauth/authorize?" + urlencode(query))
    fields = dict(HIDDEN.findall(page.content.decode()))
    answer = browser.post("/oauth/authorize", {**fields, "decision": "approve"})
    code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
    token = Client().post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    return token.json()


@pytest.mark.parametrize("url", [APPS, DEVELOPMENT])
def test_pages_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/login?next=")


def test_settings_navigation_links_to_both_pages(logged_in):
    page = logged_in.get("/settings/profile").content.decode()
    assert f'href="{APPS}"' in page
    assert f'href="{DEVELOPMENT}"' in page
    apps_page = logged_in.get(APPS).content.decode()
    assert f'href="{APPS}" aria-current="page"' in apps_page


# --- authorised apps ---------------------------------------------------------------------------


def test_authorised_apps_are_listed_with_their_scopes(logged_in, user):
    tooter = register(logged_in, "Tooter")
    authorise(logged_in, tooter, scope="read")
    authorise(logged_in, tooter, scope="write:statuses")
    register(logged_in, "Never used")
    create_personal_token(user, ["read"], name="My bot")

    page = logged_in.get(APPS)
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count("<bdi>Tooter</bdi></strong>") == 1  # one row per app
    assert "read, write:statuses" in text
    assert "Authorised on" in text
    assert "Never used" not in text
    assert "My bot" not in text  # personal tokens are on the Development page


def test_nothing_authorised_yet(logged_in):
    assert "You have not authorised any app." in logged_in.get(APPS).content.decode()


def test_revoking_an_app_ends_its_access_for_this_person_only(logged_in, client, make_user):
    app = register(logged_in)
    mine = authorise(logged_in, app)
    bea = Client()
    bea.force_login(make_user("bea"))
    theirs = authorise(bea, app)
    app_id = Application.objects.get(client_id=app["client_id"]).pk

    response = logged_in.post(f"/settings/apps/{app_id}/revoke")
    assert response.status_code == 302
    assert response["Location"] == APPS
    assert client.get(VERIFY, headers=bearer(mine["access_token"])).status_code == 401
    assert not RefreshToken.objects.filter(user__username="ana").exists()
    refresh = client.post(
        "/oauth/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": mine["refresh_token"],
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert refresh.status_code == 400
    assert client.get(VERIFY, headers=bearer(theirs["access_token"])).status_code == 200
    page = logged_in.get(APPS).content.decode()
    assert "The app can no longer use your account." in page
    assert "Tooter" not in page.split("</nav>", 1)[1]


def test_revoking_needs_post_and_an_app_of_ones_own(logged_in, make_user):
    app = register(logged_in)
    bea = Client()
    bea.force_login(make_user("bea"))
    authorise(bea, app)
    app_id = Application.objects.get(client_id=app["client_id"]).pk
    assert logged_in.get(f"/settings/apps/{app_id}/revoke").status_code == 405
    assert logged_in.post(f"/settings/apps/{app_id}/revoke").status_code == 404
    assert logged_in.post("/settings/apps/999999/revoke").status_code == 404
    assert AccessToken.objects.filter(user__username="bea").exists()


# --- personal access tokens --------------------------------------------------------------------


def test_development_page_offers_a_form_with_read_checked(logged_in):
    page = logged_in.get(DEVELOPMENT)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="name"' in text
    assert re.search(r'value="read"[^>]*checked', text)
    assert "write:statuses: publish posts" in text
    assert "You have no personal access tokens." in text
    assert page["Cache-Control"].startswith("max-age=0")


def test_creating_a_token_shows_it_once_and_it_works(logged_in, client):
    response = logged_in.post(DEVELOPMENT, {"name": "News bot", "scopes": ["read", "write"]})
    assert response.status_code == 200
    token = NEW_TOKEN.search(response.content.decode())[1]
    assert "shown only this once" in response.content.decode()

    me = client.get(VERIFY, headers=bearer(token))
    assert me.status_code == 200
    assert me.json()["username"] == "ana"
    stored = AccessToken.objects.get(application__name="News bot")
    assert stored.token == ""  # kept only as a checksum
    assert stored.scope == "read write"

    again = logged_in.get(DEVELOPMENT).content.decode()
    assert token not in again
    assert NEW_TOKEN.search(again) is None
    assert "News bot" in again
    assert "read, write" in again


def test_a_token_is_held_to_the_scopes_chosen(logged_in, client):
    response = logged_in.post(DEVELOPMENT, {"name": "Poster", "scopes": ["write:statuses"]})
    token = NEW_TOKEN.search(response.content.decode())[1]
    assert client.get(VERIFY, headers=bearer(token)).status_code == 403


@pytest.mark.parametrize(
    ("data", "kept", "error"),
    [
        ({"name": "Bot", "scopes": []}, 'value="Bot"', "Choose at least one scope."),
        ({"name": "", "scopes": ["write"]}, 'value="write"', "This field is required."),
        ({"name": "x", "scopes": ["admin:read"]}, 'value="x"', "Select a valid choice."),
        ({"name": "y" * 61, "scopes": ["read"]}, "y" * 61, "at most 60 characters"),
    ],
    ids=["no-scope", "no-name", "unknown-scope", "long-name"],
)
def test_form_errors_are_shown_and_what_was_typed_is_kept(logged_in, data, kept, error):
    response = logged_in.post(DEVELOPMENT, data)
    assert response.status_code == 400
    text = response.content.decode()
    assert error in text
    assert kept in text
    assert "Please correct what is marked below." in text
    assert NEW_TOKEN.search(text) is None
    assert not AccessToken.objects.exists()


def test_a_kept_scope_stays_checked_after_an_error(logged_in):
    text = logged_in.post(DEVELOPMENT, {"name": "", "scopes": ["write:media"]}).content.decode()
    assert re.search(r'value="write:media"[^>]*checked', text)
    assert not re.search(r'value="read"[^>]*checked', text)


def test_revoking_a_personal_token(logged_in, client, make_user):
    response = logged_in.post(DEVELOPMENT, {"name": "Bot", "scopes": ["read"]})
    token = NEW_TOKEN.search(response.content.decode())[1]
    app_id = Application.objects.get(name="Bot").pk

    bea = Client()
    bea.force_login(make_user("bea"))
    assert bea.post(f"/settings/development/{app_id}/revoke").status_code == 404
    assert client.get(VERIFY, headers=bearer(token)).status_code == 200

    response = logged_in.post(f"/settings/development/{app_id}/revoke")
    assert response.status_code == 302
    assert response["Location"] == DEVELOPMENT
    assert client.get(VERIFY, headers=bearer(token)).status_code == 401
    assert not Application.objects.filter(pk=app_id).exists()
    assert "The token has been revoked." in logged_in.get(DEVELOPMENT).content.decode()


def test_tokens_from_the_command_line_are_listed_too(logged_in, user):
    create_personal_token(user, ["read", "follow"], name="Script")
    text = logged_in.get(DEVELOPMENT).content.decode()
    assert "Script" in text
    assert "read, follow" in text


# --- forgery and framing -----------------------------------------------------------------------


def test_every_change_needs_the_csrf_token(user, make_user):
    """Another site cannot make a logged-in browser create a token or revoke access."""
    setup = Client()
    setup.force_login(user)
    app = register(setup)
    authorise(setup, app)
    create_personal_token(user, ["read"], name="Bot")
    app_id = Application.objects.get(client_id=app["client_id"]).pk
    bot_id = Application.objects.get(name="Bot").pk

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.post(DEVELOPMENT, {"name": "Evil", "scopes": ["write"]}).status_code == 403
    assert browser.post(f"/settings/apps/{app_id}/revoke").status_code == 403
    assert browser.post(f"/settings/development/{bot_id}/revoke").status_code == 403
    assert not Application.objects.filter(name="Evil").exists()
    assert AccessToken.objects.filter(application_id=app_id).exists()
    assert AccessToken.objects.filter(application_id=bot_id).exists()


@pytest.mark.parametrize("url", [APPS, DEVELOPMENT])
def test_the_pages_may_not_be_framed(logged_in, url):
    assert logged_in.get(url)["X-Frame-Options"] == "DENY"


def test_an_apps_website_is_linked_only_if_it_is_a_web_address(logged_in):
    app = register(logged_in)
    authorise(logged_in, app)
    profile = AppProfile.objects.get(application__client_id=app["client_id"])
    profile.website = "https://tooter.example"
    profile.save()
    assert 'href="https://tooter.example"' in logged_in.get(APPS).content.decode()
    profile.website = "javascript:alert(document.cookie)"
    profile.save()
    assert "javascript:" not in logged_in.get(APPS).content.decode()
