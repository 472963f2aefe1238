"""WebFinger, host-meta and NodeInfo, through HTTP as other servers and clients ask for them.

The documents are checked against the published schemas in the shared fixtures (WebFinger JRD,
NodeInfo 2.0/2.1); those tests skip with a message when the fixtures are not there."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import jsonschema
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

import wikisocial
from wikisocial.accounts import actions as account_actions
from wikisocial.accounts.models import Account, ApprovalState, User
from wikisocial.instance.models import InstanceSettings, RegistrationMode
from wikisocial.posts import actions as post_actions
from wikisocial.posts.models import Post

DOMAIN = "social.example:8001"
SITE = f"https://{DOMAIN}"
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
ACTIVITY_JSON = "application/activity+json"
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
NODEINFO = "http://nodeinfo.diaspora.software/ns/schema/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _our_domain(settings):
    """A domain with a port and https, so host and port handling are both exercised."""
    settings.DOMAIN = DOMAIN
    settings.SITE_URL = SITE


def fixture_json(*parts: str) -> dict:
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared fixture {path} is not here (tests read ../shared/fixtures)")
    return json.loads(path.read_text(encoding="utf-8"))


def validator(*parts: str, cls=jsonschema.Draft202012Validator):
    schema = fixture_json(*parts)
    cls.check_schema(schema)
    return cls(schema)


def webfinger(client: Client, resource: str | None, **params):
    query = {} if resource is None else {"resource": resource}
    return client.get("/.well-known/webfinger", {**query, **params})


def jrd_of(client: Client, resource: str) -> dict:
    response = webfinger(client, resource)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/jrd+json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


# --- WebFinger ------------------------------------------------------------------------------


def test_webfinger_describes_a_local_account(client, make_user):
    make_user("Ana_B")
    jrd = jrd_of(client, f"acct:Ana_B@{DOMAIN}")
    actor = f"{SITE}/@Ana_B"
    assert jrd == {
        "subject": f"acct:Ana_B@{DOMAIN}",
        "aliases": [actor],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor},
            {"rel": PROFILE_PAGE, "type": "text/html", "href": actor},
        ],
    }


def test_webfinger_output_matches_the_jrd_schema(client, make_user):
    make_user("ana")
    schema = validator("webfinger", "jrd-schema.json")
    for resource in (f"acct:ana@{DOMAIN}", f"acct:{DOMAIN}@{DOMAIN}"):
        schema.validate(jrd_of(client, resource))


@pytest.mark.parametrize(
    "resource",
    [
        f"acct:ana_b@{DOMAIN}",
        f"acct:ANA_B@{DOMAIN.upper()}",
        f"acct:@ana_b@{DOMAIN}",
        f"ACCT:Ana_B@{DOMAIN}",
        f"acct:Ana%5FB@{DOMAIN}",
        f"  acct:ana_b@{DOMAIN}  ",
        f"{SITE}/@Ana_B",
        f"{SITE}/@ana_b",
        "HTTPS://SOCIAL.EXAMPLE:8001/@Ana_B",
        f"http://{DOMAIN}/@Ana_B",
    ],
)
def test_webfinger_finds_the_account_however_it_is_spelled(client, make_user, resource):
    make_user("Ana_B")
    jrd = jrd_of(client, resource)
    assert jrd["subject"] == f"acct:Ana_B@{DOMAIN}"  # the account's own spelling
    assert jrd["links"][0]["href"] == f"{SITE}/@Ana_B"


def test_webfinger_ignores_the_default_port_of_the_scheme(client, make_user, settings):
    settings.DOMAIN, settings.SITE_URL = "social.example", "https://social.example"
    make_user("ana")
    for resource in ("https://social.example:443/@ana", "http://social.example:80/@ana"):
        assert jrd_of(client, resource)["subject"] == "acct:ana@social.example"


def test_the_actor_id_in_webfinger_is_the_profile_url_that_serves_activitystreams(
    client, make_user
):
    make_user("ana")
    href = jrd_of(client, f"acct:ana@{DOMAIN}")["links"][0]["href"]
    assert href.startswith(SITE)
    response = client.get(href.removeprefix(SITE), headers={"accept": ACTIVITY_JSON})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(ACTIVITY_JSON)
    assert response.json()["id"] == href


@pytest.mark.parametrize(
    "resource", [f"acct:{DOMAIN}@{DOMAIN}", f"acct:SOCIAL.example:8001@{DOMAIN}", f"{SITE}/actor"]
)
def test_webfinger_describes_the_instance_actor(client, resource):
    jrd = jrd_of(client, resource)
    assert jrd["subject"] == f"acct:{DOMAIN}@{DOMAIN}"
    assert jrd["aliases"] == [f"{SITE}/actor", f"{SITE}/about"]
    assert {"rel": "self", "type": ACTIVITY_JSON, "href": f"{SITE}/actor"} in jrd["links"]
    assert {"rel": PROFILE_PAGE, "type": "text/html", "href": f"{SITE}/about"} in jrd["links"]


def test_webfinger_rel_parameters_keep_only_those_links(client, make_user):
    make_user("ana")
    response = webfinger(client, f"acct:ana@{DOMAIN}", rel="self")
    assert [link["rel"] for link in response.json()["links"]] == ["self"]
    response = webfinger(client, f"acct:ana@{DOMAIN}", rel=["self", PROFILE_PAGE])
    assert len(response.json()["links"]) == 2
    response = webfinger(client, f"acct:ana@{DOMAIN}", rel="http://example.org/other")
    assert response.json()["links"] == []
    assert response.json()["subject"] == f"acct:ana@{DOMAIN}"


def test_webfinger_answers_head(client, make_user):
    make_user("ana")
    response = client.head("/.well-known/webfinger", {"resource": f"acct:ana@{DOMAIN}"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jrd+json; charset=utf-8"


@pytest.mark.parametrize(
    "resource",
    [
        None,
        "",
        "   ",
        "ana",
        f"ana@{DOMAIN}",  # RFC 7033 wants a URI: no scheme is malformed
        "acct:",
        "acct:ana",
        f"acct:@{DOMAIN}",
        "acct:ana@",
        f"acct:ana@x@{DOMAIN}",
        f"acct:an a@{DOMAIN}",
        f"mailto:ana@{DOMAIN}",
        f"acct:ana%0A@{DOMAIN}",
        "https://",
        "https:///@ana",
        f"https://[{DOMAIN}/@ana",
        # Another server's accounts are not ours to describe.
        "acct:ana@example.org",
        "acct:ana@social.example",  # the port is part of the domain
        "acct:ana@social.example:8002",
        "https://example.org/@ana",
        "https://social.example/@ana",
        f"https://ana@{DOMAIN}/@ana",
    ],
)
def test_webfinger_refuses_a_missing_or_malformed_resource_or_another_domain(
    client, make_user, resource
):
    make_user("ana")
    response = webfinger(client, resource)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json()["error"]


@pytest.mark.parametrize(
    "resource",
    [
        f"acct:nobody@{DOMAIN}",
        f"acct:no.such-name@{DOMAIN}",
        f"{SITE}/@nobody",
        f"{SITE}/about",
        f"{SITE}/@ana/media",
        f"{SITE}/no/such/page",
    ],
)
def test_webfinger_404s_for_what_is_not_an_account_here(client, make_user, resource):
    make_user("ana")
    response = webfinger(client, resource)
    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json()["error"]


def _deleted(user: User) -> None:
    account_actions.delete_account(user.account)


def _pending(user: User) -> None:
    User.objects.filter(pk=user.pk).update(approval=ApprovalState.PENDING)


def _rejected(user: User) -> None:
    User.objects.filter(pk=user.pk).update(approval=ApprovalState.REJECTED)


def _unconfirmed(user: User) -> None:
    User.objects.filter(pk=user.pk).update(email_confirmed_at=None)


def _disabled(user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)


@pytest.mark.parametrize("hide", [_deleted, _pending, _rejected, _unconfirmed, _disabled])
def test_webfinger_404s_for_accounts_nobody_may_see(client, make_user, hide):
    hide(make_user("ana"))
    assert not Account.objects.visible_to(None).filter(username="ana").exists()
    for resource in (f"acct:ana@{DOMAIN}", f"{SITE}/@ana"):
        assert webfinger(client, resource).status_code == 404


def test_webfinger_404s_for_a_remote_account_or_a_local_one_without_a_user(client):
    Account.objects.create(username="bob", domain="remote.example")
    Account.objects.create(username="ghost", domain="")
    assert webfinger(client, f"acct:bob@{DOMAIN}").status_code == 404
    assert webfinger(client, f"acct:ghost@{DOMAIN}").status_code == 404


def test_webfinger_does_not_show_a_logged_in_person_their_own_pending_account(client, make_user):
    """What other servers learn must not depend on who happens to be logged in."""
    ana = make_user("ana")
    _pending(ana)
    client.force_login(ana)
    assert webfinger(client, f"acct:ana@{DOMAIN}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/webfinger",
        "/.well-known/host-meta",
        "/.well-known/host-meta.json",
        "/.well-known/nodeinfo",
        "/nodeinfo/2.0",
        "/nodeinfo/2.1",
    ],
)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_discovery_documents_only_answer_get_and_head(make_user, path, method):
    """With CSRF enforced as for a real client: the answer is 405, not a CSRF 403."""
    make_user("ana")
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(f"{path}?resource=acct:ana@{DOMAIN}")
    assert response.status_code == 405
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


def test_the_real_jrd_documents_pass_the_schema_and_a_broken_one_does_not():
    """A sanity check that the schema is really applied: the real-world documents pass, a link
    without ``rel`` does not."""
    schema = validator("webfinger", "jrd-schema.json")
    documents = sorted((FIXTURES / "webfinger" / "real").glob("*.json"))
    assert documents, "no real WebFinger documents in the shared fixtures"
    for path in documents:
        schema.validate(json.loads(path.read_text(encoding="utf-8")))
    with pytest.raises(jsonschema.ValidationError):
        schema.validate({"subject": "acct:a@b", "links": [{"href": "https://b/a"}]})


# --- host-meta ------------------------------------------------------------------------------

XRD_NS = "{http://docs.oasis-open.org/ns/xri/xrd-1.0}"


def test_host_meta_points_to_webfinger(client, make_user):
    make_user("ana")
    response = client.get("/.well-known/host-meta")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xrd+xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own document)
    assert root.tag == f"{XRD_NS}XRD"
    [link] = root.findall(f"{XRD_NS}Link")
    assert link.get("rel") == "lrdd"
    template = link.get("template")
    assert template == f"{SITE}/.well-known/webfinger?resource={{uri}}"
    # The template, filled in as RFC 6415 says, reaches the account.
    url = template.replace("{uri}", quote(f"acct:ana@{DOMAIN}", safe=""))
    assert client.get(url.removeprefix(SITE)).json()["subject"] == f"acct:ana@{DOMAIN}"


def test_host_meta_json(client):
    response = client.get("/.well-known/host-meta.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json() == {
        "links": [{"rel": "lrdd", "template": f"{SITE}/.well-known/webfinger?resource={{uri}}"}]
    }


def test_the_shared_host_meta_fixture_has_the_shape_we_serve():
    path = FIXTURES / "webfinger" / "real" / "mastodon-host-meta.xml"
    if not path.exists():
        pytest.skip(f"shared fixture {path} is not here")
    root = ElementTree.fromstring(path.read_bytes())  # noqa: S314 (a fixture)
    [link] = root.findall(f"{XRD_NS}Link")
    assert link.get("rel") == "lrdd" and "{uri}" in link.get("template")


# --- NodeInfo -------------------------------------------------------------------------------


def nodeinfo(client: Client, version: str) -> dict:
    response = client.get(f"/nodeinfo/{version}")
    assert response.status_code == 200
    assert response["Content-Type"] == f'application/json; profile="{NODEINFO}{version}#"'
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


def test_well_known_nodeinfo_links_both_versions(client):
    response = client.get("/.well-known/nodeinfo")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json() == {
        "links": [
            {"rel": f"{NODEINFO}2.0", "href": f"{SITE}/nodeinfo/2.0"},
            {"rel": f"{NODEINFO}2.1", "href": f"{SITE}/nodeinfo/2.1"},
        ]
    }
    for link in response.json()["links"]:
        assert client.get(link["href"].removeprefix(SITE)).status_code == 200


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_nodeinfo_matches_its_schema(client, make_user, version):
    make_user("ana")
    schema = validator("nodeinfo", f"schema-{version}.json", cls=jsonschema.Draft4Validator)
    document = nodeinfo(client, version)
    schema.validate(document)
    assert document["version"] == version
    assert document["software"] == {"name": "wikisocial", "version": wikisocial.__version__}
    assert document["protocols"] == ["activitypub"]
    assert document["services"] == {"inbound": [], "outbound": []}


def test_the_nodeinfo_schemas_accept_the_examples_and_refuse_a_bad_name():
    for version in ("2.0", "2.1"):
        schema = validator("nodeinfo", f"schema-{version}.json", cls=jsonschema.Draft4Validator)
        example = fixture_json("nodeinfo", f"example-{version}.json")
        schema.validate(example)
        example["software"]["name"] = "WikiSocial"
        with pytest.raises(jsonschema.ValidationError):
            schema.validate(example)


def test_unknown_nodeinfo_versions_are_404(client):
    for path in ("/nodeinfo/1.0", "/nodeinfo/2.2", "/nodeinfo/2.1.json", "/nodeinfo/"):
        assert client.get(path).status_code == 404


def test_nodeinfo_metadata_and_registrations(client):
    instance = InstanceSettings.current()
    instance.name, instance.description = "Wiki Café", "Talk about wikis."
    instance.registration_mode = RegistrationMode.OPEN
    instance.save()
    document = nodeinfo(client, "2.1")
    assert document["openRegistrations"] is True
    assert document["metadata"] == {"nodeName": "Wiki Café", "nodeDescription": "Talk about wikis."}
    for mode in (RegistrationMode.APPROVAL, RegistrationMode.CLOSED):
        InstanceSettings.objects.filter(pk=1).update(registration_mode=mode)
        assert nodeinfo(client, "2.0")["openRegistrations"] is False


def _last_seen(user: User, *, login_days: int | None = None, post_days: int | None = None):
    now = timezone.now()
    if login_days is not None:
        User.objects.filter(pk=user.pk).update(last_login=now - timedelta(days=login_days))
    if post_days is not None:
        Account.objects.filter(user=user).update(last_post_at=now - timedelta(days=post_days))


def test_nodeinfo_usage_counts_visible_local_people_and_their_activity(client, make_user):
    _last_seen(make_user("logged_in_today"), login_days=0)
    _last_seen(make_user("posted_last_week"), post_days=7)
    _last_seen(make_user("seen_in_spring"), login_days=100)
    _last_seen(make_user("posted_in_spring"), login_days=400, post_days=90)
    _last_seen(make_user("long_gone"), login_days=200, post_days=365)
    make_user("never_logged_in")
    for hide in (_deleted, _pending, _unconfirmed, _disabled):
        user = make_user(f"hidden_{hide.__name__.strip('_')}")
        _last_seen(user, login_days=0, post_days=0)
        hide(user)
    Account.objects.create(username="remote", domain="remote.example", last_post_at=timezone.now())
    Account.objects.create(username="no_user", domain="")
    for version in ("2.0", "2.1"):
        assert nodeinfo(client, version)["usage"]["users"] == {
            "total": 6,
            "activeMonth": 2,
            "activeHalfyear": 4,
        }


def test_nodeinfo_counts_local_posts_not_deleted_posts_boosts_or_remote_posts(client, make_user):
    ana, bob = make_user("ana").account, make_user("bob").account
    first = post_actions.create_post(ana, post_actions.Draft(text="First"))
    post_actions.create_post(bob, post_actions.Draft(text="Second"))
    gone = post_actions.create_post(ana, post_actions.Draft(text="Gone"))
    post_actions.delete_post(gone, ana)
    post_actions.boost(bob, first)
    remote = Account.objects.create(username="carol", domain="remote.example")
    Post.objects.create(
        author=remote, local=False, content_html="<p>Hi</p>", created_at=first.created_at
    )
    assert nodeinfo(client, "2.1")["usage"]["localPosts"] == 2


def test_nodeinfo_usage_is_cached_for_a_few_minutes(client, make_user):
    make_user("ana")
    assert nodeinfo(client, "2.1")["usage"]["users"]["total"] == 1
    make_user("bob")
    assert nodeinfo(client, "2.0")["usage"]["users"]["total"] == 1  # still the cached count
    cache.clear()
    assert nodeinfo(client, "2.1")["usage"]["users"]["total"] == 2
