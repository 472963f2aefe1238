"""/api/v2/filters (and the legacy /api/v1/filters listing): managing filters, keywords and
filtered posts, and filters at work in timelines (``filtered`` results, "hide" removing)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

# The people fixtures (tests/api/conftest.py does not provide them); tests take them
# as arguments, which ruff reads as redefinitions.
from tests.posts.helpers import write
from tests.timelines.helpers import Api, attach_image, ids
from wikisocial.filters.models import Filter, FilterKeyword
from wikisocial.posts import actions as posts
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    def make(user=None, scopes=("read", "write")):
        return Api(client, user, scopes)

    return make


def make_filter(caller, **fields) -> dict:
    body = {"title": "Spoilers", "context": ["home", "public"], **fields}
    return caller.post("/api/v2/filters", body)


# --- managing filters -------------------------------------------------------------------------


def test_create_as_json_with_keywords(api, ana):
    made = make_filter(
        api(ana),
        filter_action="hide",
        expires_in=3600,
        keywords_attributes=[
            {"keyword": "finale", "whole_word": False},
            {"keyword": "plot twist"},
        ],
    )
    assert made["title"] == "Spoilers" and made["context"] == ["home", "public"]
    assert made["filter_action"] == "hide" and made["statuses"] == []
    assert made["expires_at"].endswith("Z")
    assert [(k["keyword"], k["whole_word"]) for k in made["keywords"]] == [
        ("finale", False),
        ("plot twist", True),
    ]
    assert all(isinstance(k["id"], str) for k in made["keywords"])


def test_create_as_a_form_the_way_mastodons_docs_show(api, ana):
    made = api(ana).post(
        "/api/v2/filters",
        [
            ("title", "test"),
            ("context[]", "public"),
            ("keywords_attributes[][keyword]", "foo"),
            ("keywords_attributes[][whole_word]", "false"),
            ("keywords_attributes[][keyword]", "bar"),
            ("keywords_attributes[][whole_word]", "true"),
        ],
        form=True,
    )
    assert made["filter_action"] == "warn" and made["expires_at"] is None
    assert [(k["keyword"], k["whole_word"]) for k in made["keywords"]] == [
        ("foo", False),
        ("bar", True),
    ]


def test_update_keywords_attributes_change_and_destroy(api, ana):
    caller = api(ana)
    made = make_filter(caller, keywords_attributes=[{"keyword": "foo"}, {"keyword": "bar"}])
    foo, bar = (k["id"] for k in made["keywords"])
    body = (
        f"keywords_attributes[][id]={foo}&keywords_attributes[][_destroy]=true"
        f"&keywords_attributes[][id]={bar}&keywords_attributes[][keyword]=baz"
        "&keywords_attributes[][keyword]=new&title=Renamed&filter_action=blur"
    )
    response = caller.client.put(
        f"/api/v2/filters/{made['id']}",
        body,
        content_type="application/x-www-form-urlencoded",
        headers=caller.headers,
    )
    changed = response.json()
    assert changed["title"] == "Renamed" and changed["filter_action"] == "blur"
    assert changed["context"] == ["home", "public"]
    kept = [(k["id"], k["keyword"]) for k in changed["keywords"]]
    assert kept[0] == (bar, "baz") and kept[1][1] == "new"
    again = caller.put(f"/api/v2/filters/{made['id']}", {"expires_in": None, "context": ["thread"]})
    assert again["expires_at"] is None and again["context"] == ["thread"]


def test_keywords_of_another_filter_are_not_found(api, ana, bea):
    caller = api(ana)
    mine = make_filter(caller)
    theirs = make_filter(api(bea), keywords_attributes=[{"keyword": "x"}])
    other_id = theirs["keywords"][0]["id"]
    caller.put(
        f"/api/v2/filters/{mine['id']}",
        {"keywords_attributes": [{"id": other_id, "keyword": "stolen"}]},
        expect=404,
    )
    assert FilterKeyword.objects.get(pk=other_id).keyword == "x"
    caller.post(
        "/api/v2/filters",
        {"title": "t", "context": ["home"], "keywords_attributes": [{"id": other_id}]},
        expect=404,
    )
    assert Filter.objects.filter(account=ana.account).count() == 1


def test_bad_input_is_422_and_saves_nothing(api, ana):
    caller = api(ana)
    blank = caller.post("/api/v2/filters", {"title": "", "context": ["home"]}, expect=422)
    assert blank["error"] == "Validation failed: Title can't be blank"
    caller.post("/api/v2/filters", {"title": "t", "context": ["everywhere"]}, expect=422)
    caller.post("/api/v2/filters", {"title": "t"}, expect=422)
    caller.post(
        "/api/v2/filters", {"title": "t", "context": ["home"], "filter_action": "zap"}, expect=422
    )
    caller.post(
        "/api/v2/filters", {"title": "t", "context": ["home"], "expires_in": "soon"}, expect=422
    )
    caller.post(
        "/api/v2/filters", {"title": "t", "context": ["home"], "expires_in": -5}, expect=422
    )
    caller.post(
        "/api/v2/filters",
        {"title": "t", "context": ["home"], "keywords_attributes": [{"keyword": " "}]},
        expect=422,
    )
    assert not Filter.objects.exists()
    made = make_filter(caller)
    caller.put(f"/api/v2/filters/{made['id']}", {"context": ["home", "nowhere"]}, expect=422)
    caller.post(f"/api/v2/filters/{made['id']}/keywords", {"keyword": ""}, expect=422)
    assert caller.get(f"/api/v2/filters/{made['id']}")["context"] == ["home", "public"]
    api(ana, scopes=("read",)).post(
        "/api/v2/filters", {"title": "t", "context": ["home"]}, expect=403
    )
    api().call("get", "/api/v2/filters", expect=401)


def test_keywords_and_statuses_endpoints(api, ana, bea):
    caller = api(ana)
    made = make_filter(caller)
    path = f"/api/v2/filters/{made['id']}"
    keyword = caller.post(f"{path}/keywords", {"keyword": "some", "whole_word": False})
    assert keyword == {"id": keyword["id"], "keyword": "some", "whole_word": False}
    assert caller.get(f"{path}/keywords") == [keyword]
    assert caller.get(f"/api/v2/filters/keywords/{keyword['id']}") == keyword
    changed = caller.put(f"/api/v2/filters/keywords/{keyword['id']}", {"keyword": "other"})
    assert changed == {**keyword, "keyword": "other"}
    post = write(bea, "annoying")
    filtered = caller.post(f"{path}/statuses", {"status_id": str(post.pk)})
    assert filtered == {"id": filtered["id"], "status_id": str(post.pk)}
    assert caller.get(f"{path}/statuses") == [filtered]
    assert caller.get(f"/api/v2/filters/statuses/{filtered['id']}") == filtered
    caller.post(f"{path}/statuses", {"status_id": str(post.pk)}, expect=422)
    caller.post(f"{path}/statuses", {"status_id": "123"}, expect=404)
    caller.post(f"{path}/statuses", {"status_id": "x"}, expect=404)
    whole = caller.get(path)
    assert whole["keywords"] == [changed] and whole["statuses"] == [filtered]
    assert caller.delete(f"/api/v2/filters/keywords/{keyword['id']}") == {}
    assert caller.delete(f"/api/v2/filters/statuses/{filtered['id']}") == {}
    assert caller.get(path)["keywords"] == [] and caller.get(path)["statuses"] == []
    assert caller.delete(path) == {}
    assert caller.get("/api/v2/filters") == []


def test_a_post_the_owner_cannot_see_cannot_be_filtered(api, ana, bea):
    hidden = write(bea, "followers only", visibility="private")
    made = make_filter(api(ana))
    api(ana).post(
        f"/api/v2/filters/{made['id']}/statuses", {"status_id": str(hidden.pk)}, expect=404
    )


def test_nobody_elses_filters(api, ana, bea):
    theirs = make_filter(api(bea), keywords_attributes=[{"keyword": "x"}])
    post = write(bea, "post")
    status = api(bea).post(f"/api/v2/filters/{theirs['id']}/statuses", {"status_id": str(post.pk)})
    keyword_id, status_id = theirs["keywords"][0]["id"], status["id"]
    caller = api(ana)
    assert caller.get("/api/v2/filters") == [] and caller.get("/api/v1/filters") == []
    for method, path in [
        ("get", f"/api/v2/filters/{theirs['id']}"),
        ("put", f"/api/v2/filters/{theirs['id']}"),
        ("delete", f"/api/v2/filters/{theirs['id']}"),
        ("get", f"/api/v2/filters/{theirs['id']}/keywords"),
        ("post", f"/api/v2/filters/{theirs['id']}/keywords"),
        ("get", f"/api/v2/filters/{theirs['id']}/statuses"),
        ("get", f"/api/v2/filters/keywords/{keyword_id}"),
        ("put", f"/api/v2/filters/keywords/{keyword_id}"),
        ("delete", f"/api/v2/filters/keywords/{keyword_id}"),
        ("get", f"/api/v2/filters/statuses/{status_id}"),
        ("delete", f"/api/v2/filters/statuses/{status_id}"),
        ("get", f"/api/v1/filters/{keyword_id}"),
        ("get", "/api/v2/filters/nope"),
    ]:
        caller.call(
            method, path, {"keyword": "k", "title": "t"} if method != "get" else None, expect=404
        )
    assert api(bea).get(f"/api/v2/filters/{theirs['id']}")["keywords"][0]["keyword"] == "x"


def test_v1_lists_one_filter_per_keyword(api, ana):
    caller = api(ana)
    made = make_filter(
        caller,
        filter_action="hide",
        keywords_attributes=[{"keyword": "foo", "whole_word": False}, {"keyword": "bar"}],
    )
    legacy = caller.get("/api/v1/filters")
    assert [f["phrase"] for f in legacy] == ["foo", "bar"]
    assert legacy[0] == {
        "id": made["keywords"][0]["id"],
        "phrase": "foo",
        "context": ["home", "public"],
        "whole_word": False,
        "expires_at": None,
        "irreversible": True,
    }
    assert caller.get(f"/api/v1/filters/{legacy[1]['id']}")["phrase"] == "bar"


# --- filters at work --------------------------------------------------------------------------


@pytest.fixture
def followed(ana, bea):
    social.follow(ana.account, bea.account)


def test_a_warning_filter_marks_matching_statuses(api, ana, bea, followed):
    caller = api(ana)
    made = make_filter(caller, keywords_attributes=[{"keyword": "Finale"}])
    match = write(bea, "The finale was great")
    write(bea, "Finales are overrated")  # whole word: no match
    plain = write(bea, "Nothing here")
    by_id = {int(s["id"]): s for s in caller.get("/api/v1/timelines/home")}
    assert len(by_id) == 3 and by_id[plain.pk]["filtered"] == []
    [result] = by_id[match.pk]["filtered"]
    assert result == {
        "filter": {
            "id": made["id"],
            "title": "Spoilers",
            "context": ["home", "public"],
            "expires_at": None,
            "filter_action": "warn",
        },
        "keyword_matches": ["Finale"],
        "status_matches": None,
    }


def test_a_hiding_filter_removes_statuses_and_boosts_of_them(api, ana, bea, make_user, followed):
    caller = api(ana)
    make_filter(caller, filter_action="hide", keywords_attributes=[{"keyword": "finale"}])
    hidden = write(bea, "the FINALE!")
    boosted = posts.boost(bea.account, write(make_user("dan"), "finale talk"))
    kept = write(bea, "something else")
    assert ids(caller.get("/api/v1/timelines/home")) == [kept.pk]
    public = ids(caller.get("/api/v1/timelines/public"))
    assert hidden.pk not in public and kept.pk in public
    assert hidden.pk in ids(api(bea).get("/api/v1/timelines/home"))  # Bea has no filter
    assert boosted.pk in ids(api(bea).get("/api/v1/timelines/home"))


def test_filters_apply_only_in_their_contexts_and_until_they_expire(api, ana, bea, followed):
    caller = api(ana)
    made = make_filter(
        caller,
        context=["public"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "finale"}],
    )
    post = write(bea, "finale")
    assert ids(caller.get("/api/v1/timelines/home")) == [post.pk]
    assert caller.get("/api/v1/timelines/home")[0]["filtered"] == []
    assert post.pk not in ids(caller.get("/api/v1/timelines/public"))
    Filter.objects.filter(pk=made["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert post.pk in ids(caller.get("/api/v1/timelines/public"))


def test_status_filters_match_the_post_and_boosts_of_it(api, ana, bea, make_user, followed):
    caller = api(ana)
    dan = make_user("dan")
    original = write(dan, "some post")
    boost = posts.boost(bea.account, original)
    made = make_filter(caller)
    caller.post(f"/api/v2/filters/{made['id']}/statuses", {"status_id": str(original.pk)})
    [status] = caller.get("/api/v1/timelines/home")
    assert int(status["id"]) == boost.pk
    for filtered in (status["filtered"], status["reblog"]["filtered"]):
        assert filtered[0]["status_matches"] == [str(original.pk)]
        assert filtered[0]["keyword_matches"] is None


def test_keywords_match_content_warnings_and_alt_text(api, ana, bea, followed):
    caller = api(ana)
    make_filter(caller, keywords_attributes=[{"keyword": "spider"}, {"keyword": "snake"}])
    warned = write(bea, "look", spoiler_text="Spider inside")
    pictured = write(bea, "a picture")
    attach_image(pictured, "A snake on a branch")
    by_id = {int(s["id"]): s for s in caller.get("/api/v1/timelines/home")}
    assert by_id[warned.pk]["filtered"][0]["keyword_matches"] == ["spider"]
    assert by_id[pictured.pk]["filtered"][0]["keyword_matches"] == ["snake"]
