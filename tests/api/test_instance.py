"""The instance as clients see it: v1 and v2 against Mastodon's recorded answers, limits read
from where they are enforced, rules, peers, weekly activity, the code of conduct as terms of
service, and the small endpoints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

import wikisocial
from tests.api.shapes import assert_same_shape, golden, shape_differences
from wikisocial.accounts.models import Account, User
from wikisocial.instance.models import CodeOfConduct, InstanceSettings, RegistrationMode, Rule
from wikisocial.posts import actions as posts

pytestmark = pytest.mark.django_db


def get(client, path: str, **query):
    response = client.get(path, query)
    assert response.status_code == 200, response.content
    return response.json()


# --- the golden shapes ------------------------------------------------------------------------


def test_v1_has_mastodons_shape(client, make_user):
    make_user("ana")
    data = get(client, "/api/v1/instance/")  # Mastodon.py asks with the trailing slash
    assert_same_shape(data, golden("instance_v1"))


def test_v2_has_mastodons_shape(client, make_user):
    make_user("ana")
    data = get(client, "/api/v2/instance/")
    assert_same_shape(data, golden("instance_v2"))


def test_contact_account_is_the_first_admin_with_the_account_shape(client, make_user):
    make_user("ana")
    boss = make_user("boss")
    User.objects.filter(pk=boss.pk).update(is_superuser=True, is_staff=True)
    v1 = get(client, "/api/v1/instance")
    v2 = get(client, "/api/v2/instance")
    assert v1["contact_account"]["username"] == "boss"
    assert v2["contact"]["account"]["id"] == str(boss.account.pk)
    account_shape = golden("notifications_mention")[0]["account"]
    assert_same_shape(v1["contact_account"], account_shape)
    assert_same_shape(v2["contact"]["account"], account_shape)


def test_the_shape_check_itself_catches_differences():
    gold = {"a": 1, "b": {"c": "x"}, "d": [{"e": True}], "url": "u", "f": None}
    assert shape_differences({"a": 2.5, "b": {"c": "y"}, "d": [], "url": None, "f": 3}, gold) == []
    problems = shape_differences({"a": "1", "b": {}, "d": [{"e": 1}], "url": "u", "f": 1}, gold)
    assert problems == [
        "a: string, Mastodon gives number",
        "b.c: missing",
        "d[0].e: number, Mastodon gives boolean",
    ]
    assert shape_differences({"a": None, "b": {"c": "x"}, "d": [], "url": "u"}, gold) == [
        "a: null, Mastodon gives number",
        "f: missing",
    ]


# --- what they say ----------------------------------------------------------------------------


def test_version_and_api_versions(client):
    v1 = get(client, "/api/v1/instance")
    v2 = get(client, "/api/v2/instance")
    expected = f"4.3.0 (compatible; WikiSocial {wikisocial.__version__})"
    assert v1["version"] == v2["version"] == expected
    assert v2["api_versions"] == {"mastodon": 2}


def test_limits_come_from_the_settings_that_enforce_them(client):
    InstanceSettings.objects.update_or_create(pk=1, defaults={"max_post_chars": 777})
    v1 = get(client, "/api/v1/instance")["configuration"]
    v2 = get(client, "/api/v2/instance")["configuration"]
    limits = settings.POST_LIMITS
    for config in (v1, v2):
        assert config["statuses"]["max_characters"] == 777
        assert config["statuses"]["max_media_attachments"] == limits["media"]
        assert config["polls"] == {
            "max_options": limits["poll_options"][1],
            "max_characters_per_option": limits["poll_option_chars"],
            "min_expiration": limits["poll_duration"][0],
            "max_expiration": limits["poll_duration"][1],
        }
        media = config["media_attachments"]
        assert media["image_size_limit"] == settings.IMAGE_LIMITS["max_bytes"]
        assert media["image_matrix_limit"] == settings.IMAGE_LIMITS["max_pixels"]
        assert media["supported_mime_types"] == [
            "image/jpeg",
            "image/png",
            "image/gif",
            "image/webp",
        ]
    assert v2["media_attachments"]["description_limit"] == limits["alt_text"]
    assert v2["accounts"]["max_pinned_statuses"] == limits["pins"]
    assert v2["accounts"]["max_profile_fields"] == settings.PROFILE_LIMITS["fields"]


def test_streaming_url(client, settings):
    settings.STREAMING_URL = "wss://stream.example"
    assert get(client, "/api/v1/instance")["urls"] == {"streaming_api": "wss://stream.example"}
    urls = get(client, "/api/v2/instance")["configuration"]["urls"]
    assert urls["streaming"] == "wss://stream.example"
    assert urls["about"] == f"{settings.SITE_URL}/about"


@pytest.mark.parametrize(
    ("mode", "enabled", "approval"),
    [
        (RegistrationMode.OPEN, True, False),
        (RegistrationMode.APPROVAL, True, True),
        (RegistrationMode.CLOSED, False, False),
    ],
)
def test_registrations_follow_the_mode(client, mode, enabled, approval):
    InstanceSettings.objects.update_or_create(pk=1, defaults={"registration_mode": mode})
    v1 = get(client, "/api/v1/instance")
    v2 = get(client, "/api/v2/instance")["registrations"]
    assert (v1["registrations"], v1["approval_required"]) == (enabled, approval)
    assert (v2["enabled"], v2["approval_required"], v2["reason_required"]) == (
        enabled,
        approval,
        approval,
    )


def test_title_description_and_counts(client, make_user):
    InstanceSettings.objects.update_or_create(
        pk=1,
        defaults={
            "name": "Wiki Town",
            "description": "A **friendly** place.",
            "contact_email": "hello@example.org",
        },
    )
    ana = make_user("ana")
    make_user("bea")
    posts.create_post(ana.account, posts.Draft(text="one"))
    posts.create_post(ana.account, posts.Draft(text="two"))
    Account.objects.create(username="far", domain="far.example")
    Account.objects.create(username="away", domain="far.example")
    Account.objects.create(username="other", domain="other.example")
    v1 = get(client, "/api/v1/instance")
    assert v1["title"] == "Wiki Town"
    assert v1["short_description"] == "A friendly place."
    assert v1["email"] == "hello@example.org"
    assert v1["uri"] == settings.DOMAIN
    assert v1["stats"] == {"user_count": 2, "status_count": 2, "domain_count": 2}
    v2 = get(client, "/api/v2/instance")
    assert v2["contact"]["email"] == "hello@example.org"
    assert v2["usage"]["users"]["active_month"] == 1  # ana posted; bea never logged in
    assert get(client, "/api/v1/instance/extended_description")["content"] == (
        "<p>A <strong>friendly</strong> place.</p>"
    )


def test_counts_are_cached_for_a_while(client, make_user):
    get(client, "/api/v1/instance")
    make_user("ana")
    assert get(client, "/api/v1/instance")["stats"]["user_count"] == 0


# --- rules, peers, activity -------------------------------------------------------------------


def test_rules(client):
    Rule.objects.all().delete()  # the one a migration adds
    second = Rule.objects.create(text="Be kind", hint="Always.", position=2)
    first = Rule.objects.create(text="Cite sources", position=1)
    expected = [
        {"id": str(first.pk), "text": "Cite sources", "hint": "", "translations": {}},
        {"id": str(second.pk), "text": "Be kind", "hint": "Always.", "translations": {}},
    ]
    assert get(client, "/api/v1/instance/rules") == expected
    assert get(client, "/api/v1/instance")["rules"] == expected
    assert get(client, "/api/v2/instance")["rules"] == expected


def test_peers_are_the_domains_of_known_accounts(client, make_user):
    make_user("ana")
    for name, domain in [("a", "b.example"), ("b", "a.example"), ("c", "b.example")]:
        Account.objects.create(username=name, domain=domain)
    assert get(client, "/api/v1/instance/peers") == ["a.example", "b.example"]


def test_activity_counts_twelve_weeks(client, make_user):
    ana = make_user("ana")
    User.objects.filter(pk=ana.pk).update(last_login=timezone.now())
    old = make_user("old")
    three_weeks = timezone.now() - timedelta(weeks=3)
    User.objects.filter(pk=old.pk).update(date_joined=three_weeks, last_login=three_weeks)
    posts.create_post(ana.account, posts.Draft(text="this week"))
    weeks = get(client, "/api/v1/instance/activity")
    assert len(weeks) == 12
    assert all(set(w) == {"week", "statuses", "logins", "registrations"} for w in weeks)
    assert all(isinstance(v, str) for w in weeks for v in w.values())
    starts = [int(w["week"]) for w in weeks]
    assert starts == sorted(starts, reverse=True)
    assert starts[0] - starts[1] == 7 * 24 * 3600
    assert (weeks[0]["statuses"], weeks[0]["logins"], weeks[0]["registrations"]) == ("1", "1", "1")
    assert (weeks[3]["logins"], weeks[3]["registrations"]) == ("1", "1")
    assert sum(int(w["registrations"]) for w in weeks) == 2


def test_activity_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        get(client, "/api/v1/instance/activity")


# --- code of conduct, languages, the rest -----------------------------------------------------


def test_terms_of_service_is_the_code_of_conduct(client):
    CodeOfConduct.objects.all().delete()
    assert client.get("/api/v1/instance/terms_of_service").status_code == 404
    assert get(client, "/api/v2/instance")["configuration"]["urls"]["terms_of_service"] is None
    first = CodeOfConduct.objects.create(version=1, text="Be *nice*.")
    CodeOfConduct.objects.filter(pk=first.pk).update(
        published_at=timezone.now() - timedelta(days=10)
    )
    CodeOfConduct.objects.create(version=2, text="Be nicer.")
    today = timezone.now().date()
    current = get(client, "/api/v1/instance/terms_of_service")
    assert current == {
        "effective_date": today.isoformat(),
        "effective": True,
        "content": "<p>Be nicer.</p>",
        "succeeded_by": None,
    }
    earlier = (today - timedelta(days=5)).isoformat()
    assert get(client, f"/api/v1/instance/terms_of_service/{earlier}") == {
        "effective_date": (today - timedelta(days=10)).isoformat(),
        "effective": False,
        "content": "<p>Be <em>nice</em>.</p>",
        "succeeded_by": today.isoformat(),
    }
    long_ago = (today - timedelta(days=50)).isoformat()
    assert client.get(f"/api/v1/instance/terms_of_service/{long_ago}").status_code == 404
    assert client.get("/api/v1/instance/terms_of_service/2025-13-45").status_code == 404
    assert client.get("/api/v1/instance/terms_of_service/soon").status_code == 404
    urls = get(client, "/api/v2/instance")["configuration"]["urls"]
    assert urls["terms_of_service"] == f"{settings.SITE_URL}/about/code-of-conduct"


def test_no_privacy_policy_is_claimed(client):
    assert get(client, "/api/v2/instance")["configuration"]["urls"]["privacy_policy"] is None
    response = client.get("/api/v1/instance/privacy_policy")
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def test_languages(client):
    found = get(client, "/api/v1/instance/languages")
    by_code = {item["code"]: item["name"] for item in found}
    assert by_code["en"] == "English" and by_code["de"] == "German"
    assert all(set(item) == {"code", "name"} for item in found)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/instance/translation_languages", {}),
        ("/api/v1/instance/domain_blocks", []),
        ("/api/v1/custom_emojis", []),
    ],
)
def test_empty_but_well_formed(client, path, expected):
    assert get(client, path) == expected


def test_no_token_is_looked_at(client):
    response = client.get("/api/v2/instance", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 200
