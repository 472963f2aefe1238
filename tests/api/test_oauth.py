"""OAuth 2 through HTTP, the way Mastodon clients drive it: the consent page (log in first,
approve, deny), the authorization code with and without PKCE, out-of-band codes, exact
redirect URIs, token, refresh and revocation, scopes, and the server metadata."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from tests.conftest import PASSWORD
from wikisocial.api.models import AppProfile, ExchangedCode
from wikisocial.api.oauth import views as oauth_views
from wikisocial.api.scopes import ALL

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "mastodon-api"
OOB = "urn:ietf:wg:oauth:2.0:oob"
CALLBACK = "https://tooter.example/callback"
VERIFY = "/api/v1/accounts/verify_credentials"
NOT_OFFERED = ("admin:", "read:collections", "write:collections")
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def register(client, redirect_uris=(CALLBACK, OOB), scopes="read write follow") -> dict:
    response = client.post(
        "/api/v1/apps",
        {
            "client_name": "Tooter",
            "redirect_uris": list(redirect_uris),
            "scopes": scopes,
            "website": "https://tooter.example",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def authorize_url(app: dict, **params: str) -> str:
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "scope": "read write",
        "state": "s-123",
        **params,
    }
    return "/oauth/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})


def form_fields(response) -> dict[str, str]:
    """The consent form's hidden fields, as the browser would send them back."""
    page = response.content.decode()
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def answer(client, page, decision: str = "approve", **changes: str):
    fields = {**form_fields(page), **changes, "decision": decision}
    return client.post("/oauth/authorize", fields)


def query_of(response) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def exchange(client, app: dict, code: str, redirect_uri: str = CALLBACK, **extra):
    return client.post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": redirect_uri,
            **extra,
        },
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorised_code(client, app: dict, **params: str) -> str:
    page = client.get(authorize_url(app, **params))
    assert page.status_code == 200, page.content
    response = answer(client, page)
    assert response.status_code == 302
    return query_of(response)["code"]


@pytest.fixture
def app(client) -> dict:
    return register(client)


@pytest.fixture
def ana(logged_in, user):
    return user


# --- the consent page ----------------------------------------------------------------------


def test_logged_out_visitors_log_in_first_and_come_back_to_the_consent_page(client, user, app):
    url = authorize_url(app)
    response = client.get(url)
    assert response.status_code == 302
    login = urlsplit(response["Location"])
    assert login.path == "/auth/login"
    assert parse_qs(login.query)["next"] == [url]
    # The log-in page says which app asks for the account.
    assert "Log in to let “Tooter” use your account" in client.get(response["Location"]).text

    response = client.post("/auth/login", {"username": "ana", "password": PASSWORD, "next": url})
    assert response.status_code == 302
    assert response["Location"] == url
    page = client.get(url)
    assert page.status_code == 200
    assert b"Tooter" in page.content


def test_consent_page_shows_the_app_and_what_it_asks_for(client, ana, app):
    page = client.get(authorize_url(app, scope="read write:statuses"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Tooter" in text
    assert "https://tooter.example" in text
    assert "Read all your account&#x27;s data" in text  # each scope with its description
    assert "Publish posts" in text
    assert "write:statuses" in text
    assert "@ana" in text
    assert 'value="approve"' in text and 'value="deny"' in text
    assert form_fields(page)["scope"] == "read write:statuses"
    assert form_fields(page)["state"] == "s-123"
    assert page["Cache-Control"].startswith("max-age=0")


def test_approving_redirects_with_a_code_and_the_state_for_a_working_token(client, ana, app):
    page = client.get(authorize_url(app))
    response = answer(client, page)
    assert response.status_code == 302
    assert response["Location"].startswith(CALLBACK + "?")
    params = query_of(response)
    assert params["state"] == "s-123"

    response = exchange(client, app, params["code"])
    assert response.status_code == 200, response.content
    token = response.json()
    assert set(token) == {"access_token", "token_type", "scope", "created_at", "refresh_token"}
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "read write"
    assert isinstance(token["created_at"], int)
    assert response["Cache-Control"] == "no-store"

    me = client.get(VERIFY, headers=bearer(token["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "ana"
    stored = AccessToken.objects.get(user=ana)
    assert stored.token == ""  # only the checksum is kept
    assert stored.token_checksum == hashlib.sha256(token["access_token"].encode()).hexdigest()


def test_the_consent_page_is_shown_again_for_an_app_already_authorised(client, ana, app):
    exchange(client, app, authorised_code(client, app))
    page = client.get(authorize_url(app))
    assert page.status_code == 200
    assert 'value="approve"' in page.content.decode()


def test_a_code_works_once(client, ana, app):
    code = authorised_code(client, app)
    assert exchange(client, app, code).status_code == 200
    again = exchange(client, app, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_a_code_used_again_revokes_what_it_gave(client, ana, app):
    """RFC 6749 §4.1.2: someone else holds the code, so the tokens it gave are not safe."""
    code = authorised_code(client, app)
    first = exchange(client, app, code).json()
    refreshed = refresh(client, app, first["refresh_token"]).json()
    assert client.get(VERIFY, headers=bearer(refreshed["access_token"])).status_code == 200

    again = exchange(client, app, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    for token in (first["access_token"], refreshed["access_token"]):
        assert client.get(VERIFY, headers=bearer(token)).status_code == 401
    assert refresh(client, app, refreshed["refresh_token"]).status_code == 400
    assert not AccessToken.objects.exists()


def test_a_code_used_again_by_another_app_revokes_too(client, ana, app):
    code = authorised_code(client, app)
    token = exchange(client, app, code).json()["access_token"]
    assert exchange(client, register(client), code).json()["error"] == "invalid_grant"
    assert client.get(VERIFY, headers=bearer(token)).status_code == 401


def test_a_code_is_bound_to_its_app(client, ana, app):
    code = authorised_code(client, app)
    other = register(client)
    assert exchange(client, other, code).json()["error"] == "invalid_grant"
    assert exchange(client, app, code).status_code == 200  # the code was not spent


def test_a_code_exchanged_twice_at_once_gives_one_token(client, ana, app, monkeypatch):
    """Two requests with the same code: the one that loses the race to retire it hands out
    nothing, and the token it had stored goes, with the winner's."""
    from oauth2_provider.oauth2_validators import OAuth2Validator

    original = OAuth2Validator.invalidate_authorization_code

    def other_request_won(self, client_id, code, request, *args, **kwargs):
        Grant.objects.filter(code=code).delete()
        return original(self, client_id, code, request, *args, **kwargs)

    monkeypatch.setattr(OAuth2Validator, "invalidate_authorization_code", other_request_won)
    response = exchange(client, app, authorised_code(client, app))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()


def test_exchanged_codes_are_remembered_by_checksum_for_a_day(client, ana, app):
    from django.utils import timezone

    code = authorised_code(client, app)
    exchange(client, app, code)
    remembered = ExchangedCode.objects.get()
    assert remembered.code_checksum == hashlib.sha256(code.encode()).hexdigest()
    ExchangedCode.objects.update(created=timezone.now() - timedelta(days=2))
    exchange(client, app, authorised_code(client, app))
    assert ExchangedCode.objects.count() == 1  # the old one is gone


def test_denying_redirects_with_access_denied_and_grants_nothing(client, ana, app):
    page = client.get(authorize_url(app))
    response = answer(client, page, decision="deny")
    assert response.status_code == 302
    assert response["Location"].startswith(CALLBACK + "?")
    assert query_of(response) == {"error": "access_denied", "state": "s-123"}
    assert not Grant.objects.exists()
    assert not AccessToken.objects.exists()


def test_the_consent_form_needs_its_csrf_token(ana, app):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(ana)
    page = browser.get(authorize_url(app))
    fields = {**form_fields(page), "decision": "approve"}
    fields.pop("csrfmiddlewaretoken", None)
    assert browser.post("/oauth/authorize", fields).status_code == 403
    assert not Grant.objects.exists()


def test_the_consent_page_may_not_be_framed(client, ana, app):
    """Clickjacking: no other site may show the Authorise button in a frame."""
    page = client.get(authorize_url(app))
    assert page.status_code == 200
    assert page["X-Frame-Options"] == "DENY"
    assert client.get(authorize_url({"client_id": "nobody"}))["X-Frame-Options"] == "DENY"


def test_the_consent_page_escapes_what_the_app_registered(client, ana):
    response = client.post(
        "/api/v1/apps",
        {
            "client_name": "<script>alert(1)</script>",
            "redirect_uris": CALLBACK,
            "website": 'https://tooter.example/"><script>alert(2)</script>',
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    page = client.get(authorize_url(response.json(), scope="read")).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="https://tooter.example/&quot;&gt;&lt;script&gt;alert(2)' in page


def test_a_website_that_is_no_web_address_is_never_a_link(client, ana, app):
    """Registration takes http(s) websites only; one set another way is still not linked."""
    AppProfile.objects.filter(application__client_id=app["client_id"]).update(
        website="javascript:alert(document.cookie)"
    )
    page = client.get(authorize_url(app)).content.decode()
    assert "javascript:" not in page


@pytest.mark.parametrize(
    "changes",
    [
        {"scope": "read admin:write"},
        {"response_type": "token"},
        {"code_challenge": "short", "code_challenge_method": "S256"},
        {"code_challenge": "a" * 43, "code_challenge_method": "plain"},
    ],
    ids=["bad-scope", "bad-response-type", "bad-challenge", "plain-pkce"],
)
def test_errors_never_redirect_to_an_unregistered_uri(client, ana, app, changes):
    """An error the app would be told at its redirect URI is shown here instead when the
    redirect URI is not one it registered: no open redirect."""
    response = client.get(authorize_url(app, redirect_uri="https://evil.example/", **changes))
    assert response.status_code == 400
    assert "Location" not in response
    assert b"Mismatching redirect URI" in response.content


def test_denying_with_a_tampered_redirect_uri_does_not_redirect(client, ana, app):
    page = client.get(authorize_url(app))
    response = answer(client, page, decision="deny", redirect_uri="https://evil.example/cb")
    assert response.status_code == 400
    assert "Location" not in response
    response = answer(client, page, decision="deny", client_id="nobody")
    assert response.status_code == 400
    assert "Location" not in response


def test_unknown_client_gets_an_error_page_and_no_redirect(client, ana, app):
    response = client.get(authorize_url({"client_id": "nobody"}))
    assert response.status_code == 400
    assert "Location" not in response
    assert b"Invalid client_id" in response.content


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://tooter.example/callback/",
        "https://tooter.example/callback?x=1",
        "https://TOOTER.example/callback",
        "https://tooter.example:443/callback",
        "http://tooter.example/callback",
        "https://evil.example/callback",
    ],
)
def test_redirect_uri_must_match_a_registered_one_exactly(client, ana, app, redirect_uri):
    response = client.get(authorize_url(app, redirect_uri=redirect_uri))
    assert response.status_code == 400
    assert "Location" not in response
    assert b"Mismatching redirect URI" in response.content


def test_loopback_redirect_uris_get_no_port_leeway(client, ana):
    app = register(client, redirect_uris=["http://127.0.0.1:8000/cb"])
    other_port = authorize_url(app, redirect_uri="http://127.0.0.1:9999/cb")
    assert client.get(other_port).status_code == 400
    assert (
        client.get(authorize_url(app, redirect_uri="http://127.0.0.1:8000/cb")).status_code == 200
    )


def test_native_app_schemes_are_redirected_to(client, ana):
    app = register(client, redirect_uris=["com.tooter.app://oauth"])
    page = client.get(authorize_url(app, redirect_uri="com.tooter.app://oauth"))
    response = answer(client, page)
    assert response.status_code == 302
    assert response["Location"].startswith("com.tooter.app://oauth?code=")


def test_a_tampered_redirect_uri_in_the_form_is_refused_without_redirect(client, ana, app):
    page = client.get(authorize_url(app))
    response = answer(client, page, redirect_uri="https://evil.example/callback")
    assert response.status_code == 400
    assert "Location" not in response
    assert not Grant.objects.exists()


def test_token_request_must_repeat_the_same_redirect_uri(client, ana, app):
    code = authorised_code(client, app)
    response = exchange(client, app, code, redirect_uri=OOB)
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_request", "invalid_grant")


def test_redirect_uri_may_be_left_out_when_the_app_registered_one(client, ana):
    app = register(client, redirect_uris=[CALLBACK])
    page = client.get(authorize_url(app, redirect_uri=None))
    assert page.status_code == 200
    response = answer(client, page)
    assert response["Location"].startswith(CALLBACK + "?code=")


def test_response_mode_fragment_puts_the_code_in_the_fragment(client, ana, app):
    page = client.get(authorize_url(app, response_mode="fragment"))
    assert form_fields(page)["response_mode"] == "fragment"
    response = answer(client, page)
    target = urlsplit(response["Location"])
    assert target.query == ""
    assert parse_qs(target.fragment)["state"] == ["s-123"]
    assert exchange(client, app, parse_qs(target.fragment)["code"][0]).status_code == 200


# --- scopes ------------------------------------------------------------------------------------


def test_scopes_beyond_the_apps_are_refused(client, ana):
    app = register(client, scopes="read")
    response = client.get(authorize_url(app, scope="read write"))
    assert response.status_code == 302
    assert query_of(response)["error"] == "invalid_scope"
    assert query_of(response)["state"] == "s-123"


def test_unknown_scopes_are_refused(client, ana, app):
    response = client.get(authorize_url(app, scope="read admin:write"))
    assert query_of(response)["error"] == "invalid_scope"


def test_granular_scopes_within_a_registered_top_level_one_are_allowed(client, ana, app):
    code = authorised_code(client, app, scope="read:statuses write:statuses")
    assert exchange(client, app, code).json()["scope"] == "read:statuses write:statuses"


def test_scopes_widened_in_the_form_are_refused(client, ana):
    app = register(client, scopes="read")
    page = client.get(authorize_url(app, scope="read"))
    response = answer(client, page, scope="read write")
    assert query_of(response)["error"] == "invalid_scope"
    assert not Grant.objects.exists()


def test_no_scope_means_read(client, ana, app):
    code = authorised_code(client, app, scope=None)
    assert exchange(client, app, code).json()["scope"] == "read"


def test_a_token_is_held_to_its_scopes(client, ana, app):
    code = authorised_code(client, app, scope="write:statuses")
    token = exchange(client, app, code).json()["access_token"]
    response = client.get(VERIFY, headers=bearer(token))
    assert response.status_code == 403  # verify_credentials needs profile (or read)
    assert response.json() == {"error": "This action is outside the authorized scopes"}

    code = authorised_code(client, app, scope="read")
    token = exchange(client, app, code).json()["access_token"]
    assert client.get(VERIFY, headers=bearer(token)).status_code == 200


def test_only_the_code_response_type_is_offered(client, ana, app):
    response = client.get(authorize_url(app, response_type="token"))
    assert response.status_code == 302
    assert query_of(response)["error"] == "unsupported_response_type"


# --- PKCE --------------------------------------------------------------------------------------


def test_pkce_with_the_right_verifier(client, ana, app):
    verifier, challenge = pkce_pair()
    code = authorised_code(client, app, code_challenge=challenge, code_challenge_method="S256")
    response = exchange(client, app, code, code_verifier=verifier)
    assert response.status_code == 200


def test_pkce_with_a_wrong_or_missing_verifier_is_refused(client, ana, app):
    _verifier, challenge = pkce_pair()
    code = authorised_code(client, app, code_challenge=challenge, code_challenge_method="S256")
    wrong = exchange(client, app, code, code_verifier=pkce_pair()[0])
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    missing = exchange(client, app, code)
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    assert not AccessToken.objects.exists()


def test_a_verifier_for_a_code_issued_without_challenge_is_refused(client, ana, app):
    """RFC 9700 §2.1.1 (PKCE downgrade): the challenge was stripped from the authorization
    request, so the verifier that comes with the code proves nothing."""
    code = authorised_code(client, app)
    response = exchange(client, app, code, code_verifier=pkce_pair()[0])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()


def test_pkce_plain_method_is_refused(client, ana, app):
    response = client.get(
        authorize_url(app, code_challenge="a" * 43, code_challenge_method="plain")
    )
    assert response.status_code == 302
    assert query_of(response)["error"] == "invalid_request"


def test_pkce_challenge_survives_the_consent_form(client, ana, app):
    verifier, challenge = pkce_pair()
    page = client.get(authorize_url(app, code_challenge=challenge, code_challenge_method="S256"))
    assert form_fields(page)["code_challenge"] == challenge
    code = query_of(answer(client, page))["code"]
    assert Grant.objects.get().code_challenge == challenge
    assert exchange(client, app, code, code_verifier=verifier).status_code == 200


@pytest.mark.parametrize("challenge", ["c" * 129, "short", "a" * 42 + "!"])
def test_a_malformed_pkce_challenge_is_refused_before_it_is_stored(client, ana, app, challenge):
    response = client.get(
        authorize_url(app, code_challenge=challenge, code_challenge_method="S256")
    )
    assert response.status_code == 302
    assert query_of(response)["error"] == "invalid_request"
    assert query_of(response)["state"] == "s-123"


# --- out of band -------------------------------------------------------------------------------


def test_out_of_band_shows_the_code_to_copy(client, ana, app):
    page = client.get(authorize_url(app, redirect_uri=OOB))
    assert page.status_code == 200
    assert b"shown a code" in page.content
    response = answer(client, page)
    assert response.status_code == 200
    code = re.search(r'id="authorisation-code"[^>]* value="([^"]+)"', response.content.decode())[1]
    token = exchange(client, app, code, redirect_uri=OOB)
    assert token.status_code == 200
    assert client.get(VERIFY, headers=bearer(token.json()["access_token"])).status_code == 200


def test_out_of_band_denial_says_so(client, ana, app):
    page = client.get(authorize_url(app, redirect_uri=OOB))
    response = answer(client, page, decision="deny")
    assert response.status_code == 200
    assert b"You denied" in response.content
    assert "Location" not in response


# --- token endpoint ----------------------------------------------------------------------------


def test_token_request_as_json(client, ana, app):
    code = authorised_code(client, app)
    response = client.post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": CALLBACK,
            "scope": "read write",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "read write"


def test_token_request_with_a_wrong_secret_is_401(client, ana, app):
    code = authorised_code(client, app)
    response = exchange(client, app, code, client_secret="wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "error_description" in response.json()


@pytest.mark.parametrize("grant_type", ["password", "implicit", "nonsense"])
def test_other_grants_are_refused(client, app, grant_type):
    response = client.post(
        "/oauth/token",
        {
            "grant_type": grant_type,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": "ana",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_token_endpoint_answers_cors_preflight(client):
    response = client.options(
        "/oauth/token",
        headers={"Origin": "https://web.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"


def test_nul_characters_are_a_bad_request_not_a_server_error(client, ana, app):
    """PostgreSQL cannot store or compare text holding NUL: such requests stop at the door."""
    token_request = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    for data in (
        {**token_request, "grant_type": "authorization_code", "code": "a\x00b"},
        {**token_request, "grant_type": "refresh_token", "refresh_token": "a\x00b"},
        {"grant_type": "client_credentials", "client_id": "a\x00b", "client_secret": "x"},
    ):
        response = client.post("/oauth/token", data)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"
    assert client.post("/oauth/revoke", {**token_request, "token": "a\x00"}).status_code == 400
    assert client.get(authorize_url(app, state="a\x00b")).status_code == 400
    assert client.get(authorize_url(app, client_id="a\x00b")).status_code == 400


def test_nul_characters_in_basic_credentials_are_refused_not_a_server_error(client, app):
    for credentials in (b"a\x00b:x", b"a%00b:x", app["client_id"].encode() + b":x%00"):
        headers = {"Authorization": "Basic " + base64.b64encode(credentials).decode()}
        response = client.post(
            "/oauth/token", {"grant_type": "client_credentials"}, headers=headers
        )
        assert response.status_code == 401
        assert client.post("/oauth/revoke", {"token": "x"}, headers=headers).status_code == 401


def wrong_secret(client, app, **headers):
    data = {"grant_type": "client_credentials", "client_id": app["client_id"]}
    return client.post("/oauth/token", {**data, "client_secret": "wrong"}, headers=headers)


def test_an_address_that_keeps_failing_must_wait(client, app, settings):
    settings.API_RATE_LIMITS = True
    for _ in range(oauth_views.FAILURES.count):
        assert wrong_secret(client, app).status_code == 401
    blocked = wrong_secret(client, app)
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "Too many requests"
    assert int(blocked["Retry-After"]) > 0
    assert blocked["Access-Control-Allow-Origin"] == "*"
    # Even the right secret is not checked now: guessing cannot go on.
    right = {"grant_type": "client_credentials", **app}
    assert client.post("/oauth/token", right).status_code == 429
    assert client.post("/oauth/revoke", {"token": "x", **app}).status_code == 429
    # Other addresses are not held up.
    other = {"REMOTE_ADDR": "192.0.2.9"}
    assert client.post("/oauth/token", right, **other).status_code == 200


def test_successes_do_not_count_against_an_address(client, app, settings):
    settings.API_RATE_LIMITS = True
    right = {"grant_type": "client_credentials", **app}
    for _ in range(oauth_views.FAILURES.count + 5):
        assert client.post("/oauth/token", right).status_code == 200
    assert wrong_secret(client, app).status_code == 401


def test_failures_are_not_counted_when_rate_limits_are_off(client, app, settings):
    settings.API_RATE_LIMITS = False
    for _ in range(oauth_views.FAILURES.count + 1):
        assert wrong_secret(client, app).status_code == 401


# --- refresh and revoke ------------------------------------------------------------------------


def refresh(client, app: dict, refresh_token: str, **extra):
    return client.post(
        "/oauth/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            **extra,
        },
    )


def test_refresh_gives_a_new_token_and_retires_the_old_one(client, ana, app):
    first = exchange(client, app, authorised_code(client, app)).json()
    response = refresh(client, app, first["refresh_token"])
    assert response.status_code == 200, response.content
    second = response.json()
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == "read write"
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get(VERIFY, headers=bearer(second["access_token"])).status_code == 200
    assert client.get(VERIFY, headers=bearer(first["access_token"])).status_code == 401
    assert refresh(client, app, first["refresh_token"]).status_code == 400  # used up


def test_refresh_may_narrow_but_not_widen_the_scopes(client, ana, app):
    first = exchange(client, app, authorised_code(client, app, scope="read")).json()
    wider = refresh(client, app, first["refresh_token"], scope="read write")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"
    code = authorised_code(client, app, scope="read write")
    both = exchange(client, app, code).json()
    narrower = refresh(client, app, both["refresh_token"], scope="read")
    assert narrower.json()["scope"] == "read"


def test_a_refresh_token_used_again_revokes_its_successors(client, ana, app):
    """RFC 9700 §4.14.2: a rotated refresh token that comes back has leaked."""
    first = exchange(client, app, authorised_code(client, app)).json()
    second = refresh(client, app, first["refresh_token"]).json()
    assert refresh(client, app, first["refresh_token"]).status_code == 400
    assert client.get(VERIFY, headers=bearer(second["access_token"])).status_code == 401
    assert refresh(client, app, second["refresh_token"]).status_code == 400


def test_a_refresh_token_is_bound_to_its_app(client, ana, app):
    first = exchange(client, app, authorised_code(client, app)).json()
    other = register(client)
    assert refresh(client, other, first["refresh_token"]).json()["error"] == "invalid_grant"


def revoke(client, app: dict, token: str, **extra):
    data = {
        "token": token,
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        **extra,
    }
    return client.post("/oauth/revoke", data)


def test_revoked_token_gets_401(client, ana, app):
    token = exchange(client, app, authorised_code(client, app)).json()
    response = revoke(client, app, token["access_token"])
    assert response.status_code == 200
    assert response.json() == {}
    assert client.get(VERIFY, headers=bearer(token["access_token"])).status_code == 401
    assert refresh(client, app, token["refresh_token"]).status_code == 400  # gone too
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()


def test_revoking_as_json(client, ana, app):
    token = exchange(client, app, authorised_code(client, app)).json()["access_token"]
    response = client.post(
        "/oauth/revoke",
        {"token": token, "client_id": app["client_id"], "client_secret": app["client_secret"]},
        content_type="application/json",
    )
    assert (response.status_code, response.json()) == (200, {})
    assert client.get(VERIFY, headers=bearer(token)).status_code == 401


def test_revoking_an_unknown_token_is_still_200(client, app):
    response = revoke(client, app, "no-such-token")
    assert (response.status_code, response.json()) == (200, {})


def test_an_app_cannot_revoke_another_apps_token(client, ana, app):
    token = exchange(client, app, authorised_code(client, app)).json()["access_token"]
    other = register(client)
    assert revoke(client, other, token).status_code == 200
    assert client.get(VERIFY, headers=bearer(token)).status_code == 200


def test_revoking_with_a_wrong_secret_is_401(client, ana, app):
    token = exchange(client, app, authorised_code(client, app)).json()["access_token"]
    response = revoke(client, app, token, client_secret="wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert client.get(VERIFY, headers=bearer(token)).status_code == 200


# --- userinfo and metadata ---------------------------------------------------------------------


def test_userinfo_says_who_the_token_acts_for(client, ana, app, settings):
    token = exchange(client, app, authorised_code(client, app)).json()["access_token"]
    response = client.get("/oauth/userinfo", headers=bearer(token))
    assert response.status_code == 200
    info = response.json()
    assert info["preferred_username"] == "ana"
    assert info["iss"] == settings.SITE_URL + "/"
    assert info["sub"].endswith("/@ana")
    assert set(info) == {"iss", "sub", "name", "preferred_username", "profile", "picture"}
    assert client.get("/oauth/userinfo").status_code == 401


def test_userinfo_refuses_tokens_that_act_for_nobody(client, app):
    data = {"grant_type": "client_credentials", **app}
    token = client.post("/oauth/token", data).json()["access_token"]
    response = client.get("/oauth/userinfo", headers=bearer(token))
    assert response.status_code in (401, 422)
    assert "preferred_username" not in response.json()


def test_userinfo_ignores_the_session_cookie(client, ana):
    assert client.get("/oauth/userinfo").status_code == 401


def test_server_metadata_has_mastodons_fields_with_our_urls(client, settings):
    golden = json.loads((FIXTURES / "oauth_authorization_server_metadata.json").read_text())
    response = client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    meta = response.json()
    assert list(meta) == list(golden)
    site = settings.SITE_URL
    assert meta["issuer"] == site + "/"
    assert meta["authorization_endpoint"] == site + "/oauth/authorize"
    assert meta["token_endpoint"] == site + "/oauth/token"
    assert meta["revocation_endpoint"] == site + "/oauth/revoke"
    assert meta["userinfo_endpoint"] == site + "/oauth/userinfo"
    assert meta["app_registration_endpoint"] == site + "/api/v1/apps"
    assert meta["response_types_supported"] == ["code"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["grant_types_supported"]) >= {"authorization_code", "client_credentials"}
    assert (
        meta["token_endpoint_auth_methods_supported"]
        == golden["token_endpoint_auth_methods_supported"]
    )
    assert meta["scopes_supported"] == list(ALL)
    # Every scope Mastodon offers users (not admin scopes, not collections) is offered here.
    theirs = {s for s in golden["scopes_supported"] if not s.startswith(NOT_OFFERED)}
    assert theirs <= set(meta["scopes_supported"])
