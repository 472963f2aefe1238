"""GET /api/v1/timelines/{home,public,tag/:hashtag,list/:id,direct}: what each holds, its
parameters, pagination with Link headers, limits, errors, and a fixed number of queries per
page whatever its length."""

from __future__ import annotations

import pytest
from django.utils import timezone

# The people fixtures (tests/api/conftest.py does not provide them); tests take them
# as arguments, which ruff reads as redefinitions.
from tests.posts.helpers import remote_account, write
from tests.timelines.helpers import Api, attach_image, count_queries, ids
from wikisocial.posts import actions as posts
from wikisocial.posts.models import Post, Visibility
from wikisocial.social import actions as social
from wikisocial.timelines import actions as timelines

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    def make(user=None, scopes=("read", "write", "follow")):
        return Api(client, user, scopes)

    return make


def remote_post(text: str, **fields) -> Post:
    author = fields.pop("author", None) or remote_account()
    return Post.objects.create(
        author=author,
        local=False,
        uri=f"https://remote.example/notes/{text.replace(' ', '-')}",
        content_html=f"<p>{text}</p>",
        created_at=timezone.now(),
        **fields,
    )


# --- home -------------------------------------------------------------------------------------


def test_home_holds_own_and_followed_posts_newest_first(api, ana, bea, cem):
    social.follow(ana.account, bea.account)
    own, followed = write(ana, "mine"), write(bea, "from Bea")
    write(cem, "not followed")
    data = api(ana).get("/api/v1/timelines/home")
    assert ids(data) == [followed.pk, own.pk]
    assert data[0]["account"]["username"] == "bea" and data[0]["filtered"] == []


def test_home_pages_with_link_headers(api, ana):
    made = [write(ana, f"post {i}") for i in range(5)]
    caller = api(ana)
    response = caller.call("get", "/api/v1/timelines/home", {"limit": 2})
    assert ids(response.json()) == [made[4].pk, made[3].pk]
    link = response["Link"]
    assert f"max_id={made[3].pk}" in link and 'rel="next"' in link
    assert f"min_id={made[4].pk}" in link and 'rel="prev"' in link and "limit=2" in link
    older = caller.get("/api/v1/timelines/home", {"limit": 2, "max_id": made[3].pk})
    assert ids(older) == [made[2].pk, made[1].pk]
    newer = caller.get("/api/v1/timelines/home", {"min_id": made[1].pk, "limit": 2})
    assert ids(newer) == [made[3].pk, made[2].pk]
    assert ids(caller.get("/api/v1/timelines/home", {"since_id": made[3].pk})) == [made[4].pk]
    empty = caller.call("get", "/api/v1/timelines/home", {"max_id": made[0].pk})
    assert empty.json() == [] and not empty.has_header("Link")


def test_limits_are_clamped_and_bad_ids_ignored(api, ana):
    for i in range(45):
        Post.objects.create(
            author=ana.account, content_html=f"<p>{i}</p>", created_at=timezone.now()
        )
    from wikisocial.timelines.fanout import fan_out

    for post in Post.objects.filter(author=ana.account):
        fan_out(post)
    caller = api(ana)
    assert len(caller.get("/api/v1/timelines/home", {"limit": 1000})) == 40
    assert len(caller.get("/api/v1/timelines/home", {"limit": "-3"})) == 20
    assert len(caller.get("/api/v1/timelines/home", {"limit": "x", "max_id": "nope"})) == 20
    assert len(caller.get("/api/v1/timelines/home", {"limit": 0})) == 20


def test_home_needs_a_user_token_with_read_scope(api, ana):
    api().call("get", "/api/v1/timelines/home", expect=401)
    bad = api()
    bad.headers = {"Authorization": "Bearer not-a-token"}
    bad.call("get", "/api/v1/timelines/home", expect=401)
    api(ana, scopes=("write",)).call("get", "/api/v1/timelines/home", expect=403)
    assert api(ana, scopes=("read:statuses",)).get("/api/v1/timelines/home") == []


def test_a_home_page_of_40_costs_what_a_page_of_2_costs(api, ana, bea, cem, make_user):
    """Boosts, media, polls, mentions, hashtags and a filter on every page: the queries do not
    grow with the page."""
    dan = make_user("dan")
    social.follow(ana.account, bea.account)
    social.follow(ana.account, cem.account)
    poll = posts.PollDraft(options=["yes", "no"])
    for i in range(20):
        boosted = write(dan, f"dan {i} #commons @cem", poll=poll)
        attach_image(boosted, "a picture")
        posts.boost(bea.account, boosted)
        own = write(cem, f"cem {i} #commons @ana", poll=poll)
        attach_image(own, "another picture")
        posts.like(ana.account, own)
    from wikisocial.filters import actions as filters

    filters.create_filter(
        ana.account,
        title="Spoilers",
        context=["home"],
        keywords=[filters.KeywordChange(keyword="finale")],
    )
    caller = api(ana)
    assert len(caller.get("/api/v1/timelines/home", {"limit": 40})) == 40
    small = count_queries(lambda: caller.get("/api/v1/timelines/home", {"limit": 2}))
    large = count_queries(lambda: caller.get("/api/v1/timelines/home", {"limit": 40}))
    assert large == small, (small, large)


def test_exclusive_list_members_leave_home(api, ana, bea, cem):
    social.follow(ana.account, bea.account)
    social.follow(ana.account, cem.account)
    from_bea, from_cem, own = write(bea, "bea"), write(cem, "cem"), write(ana, "own")
    friends = timelines.create_list(ana.account, "Friends", exclusive=True)
    timelines.add_to_list(friends, [bea.account, ana.account])
    caller = api(ana)
    assert ids(caller.get("/api/v1/timelines/home")) == [own.pk, from_cem.pk]
    assert ids(caller.get(f"/api/v1/timelines/list/{friends.pk}")) == [own.pk, from_bea.pk]
    timelines.update_list(friends, exclusive=False)
    assert from_bea.pk in ids(caller.get("/api/v1/timelines/home"))


# --- public -----------------------------------------------------------------------------------


def test_public_timeline_local_remote_and_media(api, ana, bea):
    here = write(ana, "here")
    pictured = write(bea, "pictured")
    attach_image(pictured)
    there = remote_post("there")
    write(bea, "just followers", visibility=Visibility.FOLLOWERS)
    anonymous = api()
    assert ids(anonymous.get("/api/v1/timelines/public")) == [there.pk, pictured.pk, here.pk]
    assert ids(anonymous.get("/api/v1/timelines/public", {"local": "true"})) == [
        pictured.pk,
        here.pk,
    ]
    assert ids(anonymous.get("/api/v1/timelines/public", {"remote": 1})) == [there.pk]
    both = {"local": "true", "remote": "true"}
    assert ids(anonymous.get("/api/v1/timelines/public", both)) == [there.pk, pictured.pk, here.pk]
    assert ids(api(ana).get("/api/v1/timelines/public", {"only_media": "1"})) == [pictured.pk]
    assert "favourited" not in anonymous.get("/api/v1/timelines/public")[0]
    assert api(ana).get("/api/v1/timelines/public")[0]["favourited"] is False


def test_public_timeline_rejects_bad_tokens_and_bad_booleans(api):
    bad = api()
    bad.headers = {"Authorization": "Bearer nope"}
    bad.call("get", "/api/v1/timelines/public", expect=401)
    api().call("get", "/api/v1/timelines/public", {"local": "perhaps"}, expect=422)


# --- hashtag ----------------------------------------------------------------------------------


def test_tag_timeline_with_any_all_none(api, ana, bea):
    cats = write(ana, "#Cats")
    cats_dogs = write(bea, "#cats and #dogs")
    dogs = write(bea, "#dogs only")
    birds = write(ana, "#birds")
    there = remote_post("remote cats")
    there.hashtags.add(posts.hashtag_named("cats"))
    caller = api()
    assert ids(caller.get("/api/v1/timelines/tag/cats")) == [there.pk, cats_dogs.pk, cats.pk]
    assert ids(caller.get("/api/v1/timelines/tag/CATS", {"local": "1"})) == [cats_dogs.pk, cats.pk]
    assert ids(caller.get("/api/v1/timelines/tag/cats", {"remote": "1"})) == [there.pk]
    assert ids(caller.get("/api/v1/timelines/tag/cats", {"all[]": ["dogs"]})) == [cats_dogs.pk]
    assert ids(caller.get("/api/v1/timelines/tag/cats", {"none[]": ["dogs"]})) == [
        there.pk,
        cats.pk,
    ]
    any_of = caller.get("/api/v1/timelines/tag/cats", {"any[]": ["dogs", "birds"]})
    assert ids(any_of) == [there.pk, birds.pk, dogs.pk, cats_dogs.pk, cats.pk]
    assert caller.get("/api/v1/timelines/tag/nobodyusesthis") == []
    assert caller.get("/api/v1/timelines/tag/%23%23") == []


# --- list -------------------------------------------------------------------------------------


def test_list_timeline_follows_the_replies_policy(api, ana, bea, cem, make_user):
    dan = make_user("dan")
    for who in (bea, cem, dan):
        social.follow(ana.account, who.account)
    club = timelines.create_list(ana.account, "Club", replies_policy="list")
    timelines.add_to_list(club, [bea.account, cem.account])
    to_member = write(bea, "@cem hello", in_reply_to=write(cem, "question"))
    to_followed = write(bea, "@dan hi", in_reply_to=write(dan, "dan's"))
    stranger = make_user("eve")
    to_stranger = write(bea, "@eve hey", in_reply_to=write(stranger, "eve's"))
    to_owner = write(bea, "@ana yes", in_reply_to=write(ana, "ana asks"))
    own_thread = write(bea, "and more", in_reply_to=write(bea, "thread start"))
    caller = api(ana)
    path = f"/api/v1/timelines/list/{club.pk}"
    shown = set(ids(caller.get(path, {"limit": 40})))
    assert {to_member.pk, to_owner.pk, own_thread.pk} <= shown
    assert not {to_followed.pk, to_stranger.pk} & shown
    timelines.update_list(club, replies_policy="followed")
    shown = set(ids(caller.get(path, {"limit": 40})))
    assert {to_member.pk, to_followed.pk, to_owner.pk} <= shown and to_stranger.pk not in shown
    timelines.update_list(club, replies_policy="none")
    shown = set(ids(caller.get(path, {"limit": 40})))
    assert {to_owner.pk, own_thread.pk} <= shown
    assert not {to_member.pk, to_followed.pk, to_stranger.pk} & shown


def test_list_timeline_shows_what_the_owner_may_see_and_boosts(api, ana, bea, cem):
    social.follow(ana.account, bea.account)
    club = timelines.create_list(ana.account, "Club")
    timelines.add_to_list(club, [bea.account])
    secret = write(bea, "@cem only", visibility=Visibility.DIRECT)
    followers = write(bea, "followers", visibility=Visibility.FOLLOWERS)
    boost = posts.boost(bea.account, write(cem, "worth sharing"))
    data = api(ana).get(f"/api/v1/timelines/list/{club.pk}")
    assert ids(data) == [boost.pk, followers.pk]
    assert data[0]["reblog"]["content"] and secret.pk not in ids(data)


def test_someone_elses_list_or_a_bad_id_is_not_found(api, ana, bea):
    theirs = timelines.create_list(bea.account, "Bea's")
    caller = api(ana)
    for path in (
        f"/api/v1/timelines/list/{theirs.pk}",
        "/api/v1/timelines/list/x",
        "/api/v1/timelines/list/99999",
    ):
        assert caller.call("get", path, expect=404).json() == {"error": "Record not found"}
    api(ana, scopes=("read:statuses",)).call(
        "get", f"/api/v1/timelines/list/{theirs.pk}", expect=403
    )


# --- direct -----------------------------------------------------------------------------------


def test_direct_timeline_holds_direct_posts_to_and_from_the_viewer(api, ana, bea, cem):
    to_ana = write(bea, "@ana psst", visibility=Visibility.DIRECT)
    from_ana = write(ana, "@cem psst", visibility=Visibility.DIRECT)
    write(bea, "@cem not for ana", visibility=Visibility.DIRECT)
    write(ana, "public")
    assert ids(api(ana).get("/api/v1/timelines/direct")) == [from_ana.pk, to_ana.pk]
    assert ids(api(cem).get("/api/v1/timelines/direct")) != []


def test_public_tag_and_list_pages_cost_a_fixed_number_of_queries(api, ana, bea, cem):
    social.follow(ana.account, bea.account)
    social.follow(ana.account, cem.account)
    club = timelines.create_list(ana.account, "Club")
    timelines.add_to_list(club, [bea.account, cem.account])
    poll = posts.PollDraft(options=["yes", "no"])
    for i in range(12):
        one = write(bea, f"bea {i} #commons @cem", poll=poll)
        attach_image(one, "picture")
        posts.boost(cem.account, write(ana, f"ana {i} #commons"))
        write(cem, f"cem {i} #commons @bea")
    caller = api(ana)
    for path in (
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/commons",
        f"/api/v1/timelines/list/{club.pk}",
    ):
        small = count_queries(lambda path=path: caller.get(path, {"limit": 3}))
        large = count_queries(lambda path=path: caller.get(path, {"limit": 40}))
        assert large == small, (path, small, large)
