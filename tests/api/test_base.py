"""The endpoint machinery every client-API view runs through: tokens, scopes, errors as JSON,
rate-limit headers, Link pagination, unknown paths and methods."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import RequestFactory, override_settings

from wikisocial.api.base import (
    APP,
    OPTIONAL,
    USER,
    ApiError,
    Endpoint,
    Reply,
    dispatcher,
    link_header,
)
from wikisocial.api.tokens import create_personal_token

pytestmark = pytest.mark.django_db
rf = RequestFactory()
VERIFY = "/api/v1/accounts/verify_credentials"


def make_view(view, auth=USER, scope=None, method="GET"):
    endpoint = Endpoint(method, "v1/test", view, auth, scope, (), "", "test", False)
    return dispatcher([endpoint])


def body(response) -> object:
    return json.loads(response.content)


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_missing_and_unknown_tokens_are_401(client):
    assert client.get(VERIFY).status_code == 401
    response = client.get(VERIFY, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


def test_a_token_in_the_query_string_works(client, make_user):
    token = create_personal_token(make_user("ana"), ["read"])
    assert client.get(f"{VERIFY}?access_token={token}").json()["username"] == "ana"


def test_scope_outside_the_token_is_403(make_user):
    token = create_personal_token(make_user("ana"), ["read"])
    view = make_view(lambda request: {"ok": True}, scope="write:statuses", method="POST")
    response = view(rf.post("/x", **bearer(token)))
    assert response.status_code == 403
    granular = create_personal_token(make_user("bo"), ["write:statuses"])
    assert view(rf.post("/x", **bearer(granular))).status_code == 200


def test_optional_auth_lets_anonymous_in_but_not_a_bad_token():
    seen = []
    view = make_view(lambda request: seen.append(request.account) or {}, auth=OPTIONAL)
    assert view(rf.get("/x")).status_code == 200
    assert seen == [None]
    assert view(rf.get("/x", **bearer("bad"))).status_code == 401


def test_user_endpoints_refuse_app_tokens_with_422(make_user):
    from oauth2_provider.models import AccessToken

    token = create_personal_token(make_user("ana"), ["read"])
    AccessToken.objects.update(user=None)  # as a client_credentials token has no user
    assert make_view(lambda r: {}, auth=USER)(rf.get("/x", **bearer(token))).status_code == 422
    assert make_view(lambda r: {}, auth=APP)(rf.get("/x", **bearer(token))).status_code == 200


def test_errors_are_json_with_their_status():
    def fail(request):
        raise ApiError(404, "Record not found")

    def invalid(request):
        raise ValidationError({"status": ["Too long."]})

    def wrong_type(request):
        return request.params.int("limit")

    response = make_view(fail, auth=OPTIONAL)(rf.get("/x"))
    assert (response.status_code, body(response)) == (404, {"error": "Record not found"})
    response = make_view(invalid, auth=OPTIONAL)(rf.get("/x"))
    assert response.status_code == 422
    assert body(response)["details"] == {"status": ["Too long."]}
    response = make_view(wrong_type, auth=OPTIONAL)(rf.get("/x?limit=ten"))
    assert response.status_code == 422
    assert "limit" in body(response)["error"]


def test_bad_json_body_is_400():
    view = make_view(lambda r: {}, auth=OPTIONAL, method="POST")
    response = view(rf.post("/x", "{oops", "application/json"))
    assert response.status_code == 400


def test_wrong_method_is_405_with_allow():
    response = make_view(lambda r: {}, auth=OPTIONAL)(rf.delete("/x"))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_reply_sets_status_and_headers():
    view = make_view(lambda r: Reply({"id": "1"}, status=202, headers={"X-A": "b"}), auth=OPTIONAL)
    response = view(rf.get("/x"))
    assert (response.status_code, response["X-A"], body(response)) == (202, "b", {"id": "1"})


def test_rate_limit_headers_count_down(client, make_user):
    token = create_personal_token(make_user("ana"), ["read"])
    first = client.get(VERIFY, headers={"Authorization": f"Bearer {token}"})
    second = client.get(VERIFY, headers={"Authorization": f"Bearer {token}"})
    assert first["X-RateLimit-Limit"] == "300"
    assert int(second["X-RateLimit-Remaining"]) == int(first["X-RateLimit-Remaining"]) - 1
    assert first["X-RateLimit-Reset"].endswith("Z")


@override_settings(API_RATE_LIMITS=True)
def test_over_the_limit_is_429(monkeypatch, make_user):
    from wikisocial.api import base

    monkeypatch.setattr(base, "RATE_LIMIT", 2)
    view = make_view(lambda r: {}, auth=OPTIONAL)
    codes = [view(rf.get("/x", REMOTE_ADDR="192.0.2.7")).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_link_header_keeps_other_parameters():
    request = rf.get("/api/v1/timelines/home?limit=5&max_id=9&exclude_types[]=follow")
    header = link_header(request, 100, 200)["Link"]
    assert "max_id=100" in header and 'rel="next"' in header
    assert "min_id=200" in header and 'rel="prev"' in header
    assert "limit=5" in header and "exclude_types%5B%5D=follow" in header
    assert "max_id=9" not in header
    assert link_header(request, None, None) == {}


def test_unknown_api_paths_are_json_404(client):
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def test_trailing_slash_is_accepted(client, make_user):
    token = create_personal_token(make_user("ana"), ["read"])
    response = client.get(VERIFY + "/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_openapi_describes_every_endpoint(client):
    from wikisocial.api.base import REGISTRY

    document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    for endpoint in REGISTRY:
        route = "/api/" + endpoint.path.replace("<", "{").replace(">", "}")
        assert endpoint.method.lower() in document["paths"][route]


def test_browser_apps_may_call_across_origins(client):
    preflight = client.options(
        VERIFY, headers={"Origin": "https://elk.example", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in preflight["Access-Control-Allow-Headers"]
    answer = client.get(VERIFY)
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert "Link" in answer["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("auth", [OPTIONAL, "none"])
def test_views_never_see_the_session_user(make_user, auth):
    seen = []
    view = make_view(lambda request: seen.append(request.user) or {}, auth=auth)
    request = rf.get("/x")
    request.user = make_user("ana")  # as AuthenticationMiddleware sets it from the cookie
    assert view(request).status_code == 200
    assert isinstance(seen[0], AnonymousUser)


def test_views_see_the_tokens_user(make_user):
    seen = []
    token = create_personal_token(make_user("ana"), ["read"])
    view = make_view(lambda request: seen.append(request.user) or {}, auth=OPTIONAL)
    request = rf.get("/x", **bearer(token))
    request.user = make_user("bea")
    view(request)
    assert seen[0].username == "ana"


def test_hostile_bodies_are_client_errors(client, make_user):
    token = create_personal_token(make_user("ana"), ["read", "write"])
    auth = {"Authorization": f"Bearer {token}"}
    many = "&".join(f"k{i}=1" for i in range(5000))
    form = "application/x-www-form-urlencoded"
    for response in (
        client.post("/api/v1/statuses", many, content_type=form, headers=auth),
        client.get(f"/api/v1/timelines/home?{many}", headers=auth),
        client.patch("/api/v1/accounts/update_credentials", many, content_type=form, headers=auth),
        client.post("/api/v1/statuses", "a" + "[b]" * 100 + "=1", content_type=form, headers=auth),
        client.post("/api/v1/statuses", "[" * 100 + "]" * 100, "application/json", headers=auth),
        client.post("/api/v1/statuses", "[" * 2000 + "]" * 2000, "application/json", headers=auth),
    ):
        assert response.status_code == 400
        assert response["Content-Type"].startswith("application/json")


def test_numbers_too_big_for_the_database_are_422(client, make_user):
    token = create_personal_token(make_user("ana"), ["read"])
    auth = {"Authorization": f"Bearer {token}"}
    response = client.get("/api/v1/directory?offset=99999999999999999999999", headers=auth)
    assert response.status_code == 422
    assert "offset" in response.json()["error"]


def test_nul_characters_are_a_422_not_a_crash(client, make_user):
    token = create_personal_token(make_user("ana"), ["read"])
    headers = {"Authorization": f"Bearer {token}"}
    for path in (
        "/api/v2/search?q=a%00b",
        "/api/v1/timelines/tag/a%00b",
        "/api/v2/notifications/a%00b",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 422, path
        assert "NUL" in response.json()["error"]
    posted = client.post(
        "/api/v1/statuses", {"status": "a\x00b"}, content_type="application/json", headers=headers
    )
    assert posted.status_code == 403  # the scope is checked first
