"""Timelines: the materialised home feed (fan-out, backfill, removal), local, federated and
hashtag timelines, profile tabs, and the "you're caught up" line."""

from __future__ import annotations

import re

import pytest

from tests.posts.helpers import body, remote_account, write
from wikisocial.accounts.models import Account
from wikisocial.posts import actions as posts
from wikisocial.social import actions as social
from wikisocial.social.models import Follow
from wikisocial.timelines import queries
from wikisocial.timelines.models import FeedEntry, Marker

pytestmark = pytest.mark.django_db


def home_ids(user, **cursor) -> list[int]:
    return [p.pk for p in queries.home(user.account, queries.Cursor(limit=40, **cursor)).posts]


def feed_ids(account) -> set[int]:
    return set(FeedEntry.objects.filter(owner=account).values_list("post_id", flat=True))


def ids(timeline) -> list[int]:
    return [p.pk for p in timeline.posts]


# --- what enters the home feed --------------------------------------------------------------


def test_home_has_own_posts_followed_accounts_and_followed_hashtags(ana, bea, cem, make_user):
    dan = make_user("dan")
    social.follow(ana.account, bea.account)
    social.follow_hashtag(ana.account, "commons")
    own = write(ana, "Mine")
    followed = write(bea, "From Bea")
    tagged = write(cem, "Pictures #Commons")
    stranger = write(cem, "Not followed")
    untagged_dan = write(dan, "Dan says hi")
    home = home_ids(ana)
    assert own.pk in home and followed.pk in home and tagged.pk in home
    assert stranger.pk not in home and untagged_dan.pk not in home


def test_home_is_strictly_chronological(ana, bea, cem):
    social.follow(ana.account, bea.account)
    made = [write(who, f"post {i}") for i, who in enumerate([ana, bea, ana, bea, bea])]
    social.follow(ana.account, cem.account)  # backfilled posts land in their place, not on top
    older = write(cem, "older than the next")
    newest = write(bea, "newest")
    assert home_ids(ana) == [p.pk for p in reversed([*made, older, newest])]
    assert home_ids(ana) == sorted(home_ids(ana), reverse=True)


def test_replies_to_people_one_does_not_follow_stay_out_of_home(ana, bea, cem):
    social.follow(ana.account, bea.account)
    root_by_cem = write(cem, "Cem asks")
    root_by_bea = write(bea, "Bea asks")
    to_stranger = write(bea, "@cem answer", in_reply_to=root_by_cem)
    to_herself = write(bea, "more thoughts", in_reply_to=root_by_bea)
    home = home_ids(ana)
    assert to_stranger.pk not in home
    assert to_herself.pk in home
    social.follow(ana.account, cem.account)
    to_followed = write(bea, "@cem second answer", in_reply_to=root_by_cem)
    assert to_followed.pk in home_ids(ana)


def test_a_reply_to_me_from_someone_i_follow_is_in_my_home(ana, bea):
    social.follow(ana.account, bea.account)
    reply = write(bea, "@ana good point", in_reply_to=write(ana, "A thought"))
    assert reply.pk in home_ids(ana)


def test_followers_only_and_direct_posts_reach_the_right_homes(ana, bea, cem, make_user):
    dan = make_user("dan")
    for follower in (ana, cem):
        social.follow(follower.account, bea.account)
    followers_only = write(bea, "for followers and @dan", visibility="private")
    direct = write(bea, "@ana just you", visibility="direct")
    assert followers_only.pk in home_ids(ana) and followers_only.pk in home_ids(cem)
    assert followers_only.pk in home_ids(dan)  # mentioned
    assert direct.pk in home_ids(ana)
    assert direct.pk not in home_ids(cem) and direct.pk not in home_ids(dan)


def test_boosts_enter_home_unless_the_follower_hides_them(ana, bea, cem):
    social.follow(ana.account, bea.account)
    social.follow(cem.account, bea.account, show_boosts=False)
    boost = posts.boost(bea.account, write(cem, "worth sharing"))
    assert boost.pk in home_ids(ana)
    assert boost.pk not in home_ids(cem)


def test_a_follow_can_be_limited_to_languages(ana, bea):
    social.follow(ana.account, bea.account, languages=["de"])
    german = write(bea, "Guten Morgen", language="de")
    english = write(bea, "Good morning", language="en")
    unknown = write(bea, "ok")
    home = home_ids(ana)
    assert german.pk in home and english.pk not in home and unknown.pk in home


def test_following_brings_recent_posts_into_home(ana, bea, cem):
    earlier = [write(bea, f"earlier {i}") for i in range(3)]
    reply_to_cem = write(bea, "@cem hm", in_reply_to=write(cem, "?"))
    direct = write(bea, "@cem secret", visibility="direct")
    social.follow(ana.account, bea.account)
    home = home_ids(ana)
    assert all(p.pk in home for p in earlier)
    assert reply_to_cem.pk not in home and direct.pk not in home


def test_backfill_respects_the_follow_options(ana, bea, cem):
    boost = posts.boost(bea.account, write(cem, "shared"))
    german = write(bea, "Guten Tag", language="de")
    english = write(bea, "Good day", language="en")
    social.follow(ana.account, bea.account, show_boosts=False, languages=["en"])
    home = home_ids(ana)
    assert english.pk in home
    assert boost.pk not in home
    assert german.pk not in home


def test_unfollowing_removes_the_authors_posts(ana, bea):
    social.follow(ana.account, bea.account)
    theirs = write(bea, "Bea's")
    mine = write(ana, "Mine")
    boost_of_mine = posts.boost(bea.account, mine)
    social.unfollow(ana.account, bea.account)
    home = home_ids(ana)
    assert theirs.pk not in home and boost_of_mine.pk not in home
    assert mine.pk in home


@pytest.mark.parametrize("who_blocks", ["reader", "author"])
def test_a_block_removes_posts_from_home(ana, bea, who_blocks, django_capture_on_commit_callbacks):
    social.follow(ana.account, bea.account)
    social.follow(bea.account, ana.account)
    bea_post, ana_post = write(bea, "Bea's"), write(ana, "Ana's")
    # block() nests unfollow()'s atomic blocks: their on_commit tasks run when block() commits.
    with django_capture_on_commit_callbacks(execute=True):
        if who_blocks == "reader":
            social.block(ana.account, bea.account)
        else:
            social.block(bea.account, ana.account)
    assert bea_post.pk not in feed_ids(ana.account) and bea_post.pk not in home_ids(ana)
    assert ana_post.pk not in feed_ids(bea.account) and ana_post.pk not in home_ids(bea)
    later = write(bea, "After the block")
    assert later.pk not in feed_ids(ana.account)


def test_a_deleted_post_leaves_every_feed(ana, bea, cem):
    for follower in (bea, cem):
        social.follow(follower.account, ana.account)
    post = write(ana, "Soon gone")
    assert FeedEntry.objects.filter(post=post).count() == 3
    posts.delete_post(post, ana.account)
    assert not FeedEntry.objects.filter(post=post).exists()
    assert post.pk not in home_ids(bea)


# --- fan-out at scale -----------------------------------------------------------------------


@pytest.fixture
def popular(ana, bea, cem):
    """Ana with 2,500 local followers (plus Bea and Cem, who have logins)."""
    crowd = Account.objects.bulk_create(Account(username=f"fan{i}") for i in range(2498))
    Follow.objects.bulk_create(Follow(follower=a, target=ana.account) for a in crowd)
    social.follow(bea.account, ana.account)
    social.follow(cem.account, ana.account)
    return [*crowd, bea.account, cem.account]


def test_a_post_reaches_every_followers_feed(
    ana, bea, cem, popular, as_, django_capture_on_commit_callbacks
):
    assert Follow.objects.filter(target=ana.account).count() == 2500
    post = write(ana, "Hello, everyone")
    owners = set(FeedEntry.objects.filter(post=post).values_list("owner_id", flat=True))
    assert owners == {a.pk for a in popular} | {ana.account.pk}
    assert "Hello, everyone" in body(as_(bea).get("/"))

    social.unfollow(bea.account, ana.account)
    assert not FeedEntry.objects.filter(owner=bea.account, author=ana.account).exists()
    with django_capture_on_commit_callbacks(execute=True):
        social.block(ana.account, cem.account)
    assert not FeedEntry.objects.filter(owner=cem.account, author=ana.account).exists()
    assert FeedEntry.objects.filter(post=post).count() == 2499

    posts.delete_post(post, ana.account)
    assert not FeedEntry.objects.filter(post=post).exists()


# --- public timelines -----------------------------------------------------------------------


def test_the_local_timeline(ana, bea, cem):
    public = write(ana, "public")
    local_only = write(ana, "local only", visibility="local")
    unlisted = write(ana, "unlisted", visibility="unlisted")
    private = write(ana, "followers", visibility="private")
    reply = write(bea, "@ana reply", in_reply_to=public)
    thread = write(ana, "continuing", in_reply_to=public)
    boost = posts.boost(bea.account, public)
    remote = write(remote_account(), "from afar")
    seen = ids(queries.local(cem.account, queries.Cursor(limit=40)))
    assert seen == [thread.pk, local_only.pk, public.pk]
    for post in (unlisted, private, reply, boost, remote):
        assert post.pk not in seen
    anonymous = ids(queries.local(None, queries.Cursor(limit=40)))
    assert anonymous == [thread.pk, public.pk]


def test_the_federated_timeline_adds_other_servers(ana):
    here = write(ana, "here")
    afar = write(remote_account(), "afar")
    quiet = write(remote_account("quiet"), "afar, unlisted", visibility="unlisted")
    assert ids(queries.federated(None, queries.Cursor())) == [afar.pk, here.pk]
    assert ids(queries.federated(None, queries.Cursor(), remote_only=True)) == [afar.pk]
    assert quiet.pk not in ids(queries.federated(ana.account, queries.Cursor()))


def test_the_hashtag_timeline(ana, bea, client):
    first = write(ana, "#Wikidata rocks")
    second = write(bea, "so does #wikidata")
    write(bea, "#wikidata quietly", visibility="unlisted")
    posts.boost(ana.account, second)
    assert ids(queries.hashtag("wikidata", None, queries.Cursor())) == [second.pk, first.pk]
    response = client.get("/tags/WikiData")
    assert response.status_code == 302 and response["Location"] == "/tags/wikidata"
    page = body(client.get("/tags/wikidata"))
    assert "rocks" in page and "so does" in page and "quietly" not in page


def test_a_hashtag_page_reads_on_past_posts_it_may_not_show(ana, bea, cem, as_):
    """The page is read in two steps: candidates from the tag index with the timeline's own
    filters (so followers-only posts or a none[] tag never take a place), then the visibility
    rule, which leaves out what only this reader may not see (a muted author here). Those
    make it read further, up to TAG_ROUNDS candidate pages; a page cut short still leads on."""
    shown = [write(bea, f"#Survey public {i}") for i in range(3)]
    for i in range(10):
        write(bea, f"#survey for followers {i}", visibility="private")
        write(bea, f"#survey #spam {i}")
    assert ids(queries.hashtag("survey", None, queries.Cursor(limit=2), none_of=["spam"])) == [
        shown[2].pk,
        shown[1].pk,
    ]
    social.mute(ana.account, cem.account)
    muted = [write(cem, f"#survey muted {i}") for i in range(10)]

    def page(**cursor):
        found = queries.hashtag(
            "survey", ana.account, queries.Cursor(limit=2, **cursor), none_of=["spam"]
        )
        return ids(found), found.page

    assert page()[0] == [shown[2].pk, shown[1].pk]  # past 10 muted posts (3 rounds of 4)
    assert page(max_id=shown[1].pk)[0] == [shown[0].pk]
    # Just above the oldest post, with min_id: the closest ones, newest first; and above
    # the newest shown post, reading up past the muted ones finds nothing more.
    assert page(min_id=shown[0].pk)[0] == [shown[2].pk, shown[1].pk]
    assert page(min_id=shown[2].pk) == ([], queries.Page([], None, None))

    muted += [write(cem, f"#survey muted {i}") for i in range(10, 20)]
    first, cut = page()
    assert first == [] and cut.more  # 4 rounds of 4 candidates, all muted
    assert cut.next_max_id == muted[4].pk  # the last candidate read
    assert page(max_id=cut.next_max_id)[0] == [shown[2].pk, shown[1].pk]
    web = body(as_(ana).get("/tags/survey?limit=2"))  # the empty page still leads on
    assert f'href="?max_id={cut.next_max_id}" rel="next"' in web.replace("&amp;", "&")
    # Going up from the newest shown post: 16 muted candidates read, then poll on from there.
    up, cut = page(min_id=shown[2].pk)
    assert up == [] and cut.more and cut.prev_min_id == muted[15].pk
    assert page(min_id=cut.prev_min_id) == ([], queries.Page([], None, None))


def test_the_profile_tabs(ana, bea):
    plain = write(ana, "plain")
    reply_to_bea = write(ana, "@bea reply", in_reply_to=write(bea, "q"))
    boost = posts.boost(ana.account, write(bea, "shared"))
    tab = {
        name: ids(queries.profile(ana.account, None, queries.Cursor(), name))
        for name in queries.PROFILE_TABS
    }
    assert tab["posts"] == [boost.pk, plain.pk]
    assert tab["replies"] == [boost.pk, reply_to_bea.pk, plain.pk]
    assert tab["media"] == []


# --- the web pages --------------------------------------------------------------------------


def test_home_pages_go_down_with_older_posts_links(ana, logged_in):
    made = [write(ana, f"number {i:02d}") for i in range(25)]
    page = body(logged_in.get("/"))
    assert "number 24" in page and "number 05" in page and "number 04" not in page
    link = re.search(r'href="\?max_id=(\d+)" rel="next"', page)
    assert link and int(link.group(1)) == made[5].pk
    older = body(logged_in.get(f"/?max_id={link.group(1)}"))
    assert "number 04" in older and "number 00" in older and "number 05" not in older
    assert "That&#x27;s all." in older or "That's all." in older
    end = body(logged_in.get(f"/?max_id={made[0].pk}"))
    assert "You have reached the beginning of your timeline." in end


def test_home_for_someone_logged_out_is_the_landing_page(client, ana):
    write(ana, "not for strangers' home")
    response = client.get("/")
    assert response.status_code == 200 and "not for strangers" not in body(response)


def test_the_caught_up_line(ana, bea, as_):
    social.follow(ana.account, bea.account)
    seen = [write(bea, f"seen {i}") for i in range(2)]
    client = as_(ana)
    first_visit = body(client.get("/"))
    assert 'class="caught-up"' not in first_visit
    marker = Marker.objects.get(account=ana.account, timeline=Marker.HOME)
    assert marker.last_read_id == seen[-1].pk

    new = [write(bea, f"new {i}") for i in range(2)]
    page = body(client.get("/"))
    line = page.index('class="caught-up"')
    assert page.index("new 1") < page.index("new 0") < line
    assert line < page.index("seen 1") < page.index("seen 0")
    assert "You&#x27;re caught up." in page or "You're caught up." in page
    marker.refresh_from_db()
    assert marker.last_read_id == new[-1].pk

    # Reading an older page never moves the read position back.
    client.get(f"/?max_id={new[0].pk}")
    marker.refresh_from_db()
    assert marker.last_read_id == new[-1].pk


def test_the_local_timeline_page(ana, bea, client):
    write(ana, "Visible to all")
    write(bea, "Only here", visibility="local")
    page = body(client.get("/local"))
    assert "Visible to all" in page and "Only here" not in page
    client.force_login(bea)
    assert "Only here" in body(client.get("/local"))
    assert client.get("/federated").status_code == 200
