"""Reporting an account and some of its posts (POST /api/v1/reports)."""

from __future__ import annotations

import pytest

from tests.api.test_accounts import Caller
from wikisocial.instance.models import Rule
from wikisocial.moderation.models import Report
from wikisocial.posts import actions as posts
from wikisocial.posts.models import Visibility
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db
BOTH = pytest.mark.parametrize("how", ["json", "form"])


@pytest.fixture
def ana(client, make_user) -> Caller:
    return Caller(client, make_user("ana"))


@pytest.fixture
def bea(client, make_user) -> Caller:
    return Caller(client, make_user("bea"))


def post(caller: Caller, text: str, **fields):
    return posts.create_post(caller.account, posts.Draft(text=text, **fields))


@BOTH
def test_a_report_with_posts_and_a_comment(ana, bea, how):
    one, two = post(bea, "spam one"), post(bea, "spam two")
    data = {"account_id": str(bea.account.pk), "comment": "Buy now!", "category": "spam"}
    if how == "json":
        data["status_ids"] = [str(one.pk), str(two.pk)]
    else:
        data["status_ids[]"] = [str(one.pk), str(two.pk)]
    response = ana.post("/api/v1/reports", data, how=how)
    assert response.status_code == 200, response.content
    body = response.json()
    row = Report.objects.get()
    assert body["id"] == str(row.pk) and body["comment"] == "Buy now!"
    assert body["category"] == "spam" and body["rule_ids"] is None
    assert body["action_taken"] is False and body["action_taken_at"] is None
    assert body["forwarded"] is False and body["created_at"].endswith("Z")
    assert sorted(body["status_ids"]) == sorted([str(one.pk), str(two.pk)])
    assert body["target_account"]["id"] == str(bea.account.pk)
    assert row.reporter == ana.account and row.target == bea.account
    assert set(row.posts.all()) == {one, two}


def test_a_report_naming_broken_rules(ana, bea):
    rule = Rule.objects.create(text="Be kind")
    response = ana.post("/api/v1/reports", {"account_id": bea.account.pk, "rule_ids": [rule.pk]})
    body = response.json()
    assert body["category"] == "violation" and body["rule_ids"] == [str(rule.pk)]


@pytest.mark.parametrize(
    "data",
    [
        {"category": "nonsense"},
        {"category": "violation"},
        {"category": "violation", "rule_ids": [424242]},
        {"comment": {"not": "text"}},
    ],
    ids=["category", "no-rules", "unknown-rule", "comment"],
)
def test_bad_reports_are_422(ana, bea, data):
    response = ana.post("/api/v1/reports", {"account_id": bea.account.pk, **data})
    assert response.status_code == 422, response.content
    assert not Report.objects.exists()


def test_unknown_accounts_and_posts_are_not_found(ana, bea, make_user):
    other = post(Caller(ana.client, make_user("cem")), "not bea's")
    private = post(bea, "followers only", visibility=Visibility.FOLLOWERS)
    cases = [
        {"account_id": 424242},
        {"account_id": "nope"},
        {"account_id": bea.account.pk, "status_ids": [other.pk]},
        {"account_id": bea.account.pk, "status_ids": [private.pk]},
        {"account_id": bea.account.pk, "status_ids": ["nope"]},
    ]
    for data in cases:
        assert ana.post("/api/v1/reports", data).status_code == 404, data
    assert not Report.objects.exists()


def test_someone_who_blocked_the_reporter_may_still_be_reported(ana, bea):
    public = post(bea, "nasty")
    social.block(bea.account, ana.account)
    response = ana.post(
        "/api/v1/reports", {"account_id": bea.account.pk, "status_ids": [public.pk]}
    )
    assert response.status_code == 200, response.content
    assert Report.objects.get().posts.get() == public


def test_reports_need_write_reports(client, make_user, bea):
    reader = Caller(client, make_user("ana"), scopes=["read"])
    assert reader.post("/api/v1/reports", {"account_id": bea.account.pk}).status_code == 403
    reporter = Caller(client, make_user("cem"), scopes=["write:reports"])
    assert reporter.post("/api/v1/reports", {"account_id": bea.account.pk}).status_code == 200
