"""The social graph: follows, follow requests, network lists, friends, blocks, mutes and followed
hashtags, through the actions and through the web."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.posts.helpers import body, write
from wikisocial.accounts.models import Account
from wikisocial.notifications.models import Kind, Notification
from wikisocial.posts import actions as posts
from wikisocial.posts.models import Post
from wikisocial.social import actions
from wikisocial.social.models import Block, Follow, FollowRequest, HashtagFollow, Mute
from wikisocial.social.queries import followers_of, following_of, relationship
from wikisocial.timelines import queries
from wikisocial.timelines.models import FeedEntry

pytestmark = pytest.mark.django_db


def counts(user) -> tuple[int, int]:
    account = Account.objects.get(pk=user.account.pk)
    return account.followers_count, account.following_count


def home_ids(user) -> list[int]:
    return [p.pk for p in queries.home(user.account, queries.Cursor(limit=40)).posts]


# --- following ------------------------------------------------------------------------------


def test_follow_and_unfollow(ana, bea):
    row = actions.follow(ana.account, bea.account)
    assert isinstance(row, Follow)
    assert actions.follow(ana.account, bea.account).pk == row.pk  # again: the same follow
    assert counts(ana) == (0, 1) and counts(bea) == (1, 0)
    assert list(followers_of(bea.account)) == [ana.account]
    assert list(following_of(ana.account)) == [bea.account]
    actions.unfollow(ana.account, bea.account)
    actions.unfollow(ana.account, bea.account)
    assert counts(ana) == (0, 0) and counts(bea) == (0, 0)
    assert not Follow.objects.exists()


def test_no_cap_on_follows(ana, bea, cem):
    many = Account.objects.bulk_create(Account(username=f"someone{i}") for i in range(2020))
    for account in many[:10]:
        actions.follow(account, ana.account)
    for account in many[10:20]:
        actions.follow(ana.account, account)
    assert counts(ana) == (10, 10)
    # A thousand more each way, as rows: following and being followed go on without a limit.
    Follow.objects.bulk_create(Follow(follower=a, target=ana.account) for a in many[20:1020])
    Follow.objects.bulk_create(Follow(follower=ana.account, target=a) for a in many[1020:])
    assert isinstance(actions.follow(bea.account, ana.account), Follow)
    assert isinstance(actions.follow(ana.account, cem.account), Follow)
    assert followers_of(ana.account).count() == 1011
    assert following_of(ana.account).count() == 1011


def test_following_oneself_is_refused(ana):
    with pytest.raises(ValidationError, match="can't follow yourself"):
        actions.follow(ana.account, ana.account)


def test_follow_options_change_on_following_again(ana, bea):
    actions.follow(ana.account, bea.account)
    actions.follow(ana.account, bea.account, show_boosts=False, notify=True, languages=["de"])
    row = Follow.objects.get()
    assert (row.show_boosts, row.notify, row.languages) == (False, True, ["de"])
    assert relationship(ana.account, bea.account).show_boosts is False


def test_follow_and_unfollow_from_the_web(ana, bea, as_):
    client = as_(ana)
    page = body(client.get("/@bea"))
    assert "/@bea/follow" in page
    assert client.post("/@bea/follow").status_code == 302
    assert Follow.objects.filter(follower=ana.account, target=bea.account).exists()
    page = body(client.get("/@bea"))
    assert "Unfollow" in page and "<strong>1</strong> follower<" in page
    client.post("/@bea/unfollow")
    assert not Follow.objects.exists()
    assert client.post("/@ana/follow").status_code == 404  # oneself
    assert client.post("/@nobody/follow").status_code == 404


def test_the_relation_endpoints_need_post_and_login(ana, bea, client):
    assert client.post("/@bea/follow").status_code == 302  # to the login page
    assert not Follow.objects.exists()
    client.force_login(ana)
    assert client.get("/@bea/follow").status_code == 405


# --- follow requests ------------------------------------------------------------------------


@pytest.fixture
def locked_bea(bea):
    bea.account.locked = True
    bea.account.save()
    return bea


def test_following_a_locked_account_asks_first(ana, locked_bea):
    request = actions.follow(ana.account, locked_bea.account)
    assert isinstance(request, FollowRequest) and not Follow.objects.exists()
    assert relationship(ana.account, locked_bea.account).requested
    assert Notification.objects.filter(
        recipient=locked_bea.account, kind=Kind.FOLLOW_REQUEST, actor=ana.account
    ).exists()
    actions.follow(ana.account, locked_bea.account)  # asking again: still one request
    assert FollowRequest.objects.count() == 1


def test_approving_a_follow_request(ana, locked_bea, as_):
    actions.follow(ana.account, locked_bea.account)
    client = as_(locked_bea)
    page = body(client.get("/follow-requests"))
    request = FollowRequest.objects.get()
    assert "@ana" in page and f"/follow-requests/{request.pk}/approve" in page
    client.post(f"/follow-requests/{request.pk}/approve")
    assert Follow.objects.filter(follower=ana.account, target=locked_bea.account).exists()
    assert not FollowRequest.objects.exists()
    assert counts(locked_bea) == (1, 0)
    assert "No one is waiting." in body(client.get("/follow-requests"))


def test_rejecting_a_follow_request(ana, locked_bea, as_):
    actions.follow(ana.account, locked_bea.account)
    request = FollowRequest.objects.get()
    as_(locked_bea).post(f"/follow-requests/{request.pk}/reject")
    assert not FollowRequest.objects.exists() and not Follow.objects.exists()
    assert counts(locked_bea) == (0, 0)


def test_only_the_target_answers_a_request(ana, locked_bea, cem, as_):
    actions.follow(ana.account, locked_bea.account)
    request = FollowRequest.objects.get()
    client = as_(cem)
    assert client.post(f"/follow-requests/{request.pk}/approve").status_code == 404
    assert client.post(f"/follow-requests/{request.pk}/reject").status_code == 404
    with pytest.raises(PermissionDenied):
        actions.approve_follow_request(cem.account, request)
    with pytest.raises(PermissionDenied):
        actions.reject_follow_request(cem.account, request)
    assert FollowRequest.objects.exists() and not Follow.objects.exists()


def test_asking_from_the_web(ana, locked_bea, as_):
    client = as_(ana)
    assert "Ask to follow" in body(client.get("/@bea"))
    response = client.post("/@bea/follow", follow=True)
    assert "Request sent." in body(response)
    assert "Cancel follow request" in body(client.get("/@bea"))
    client.post("/@bea/unfollow")
    assert not FollowRequest.objects.exists()


# --- network lists and friends --------------------------------------------------------------


def test_followers_and_following_lists(ana, bea, cem, client):
    actions.follow(bea.account, ana.account)
    actions.follow(ana.account, cem.account)
    followers = body(client.get("/@ana/followers"))
    following = body(client.get("/@ana/following"))
    assert "@bea" in followers and "@cem" not in followers.split("</h1>")[1]
    assert "@cem" in following


def test_a_hidden_network_shows_only_counts_except_to_its_owner(ana, bea, cem, as_):
    Account.objects.filter(pk=ana.account.pk).update(hide_network=True)
    actions.follow(bea.account, ana.account)
    actions.follow(ana.account, cem.account)
    for who in (bea, None):
        client = as_(who) if who else as_(cem)
        if who is None:
            client.logout()
        followers = body(client.get("/@ana/followers"))
        following = body(client.get("/@ana/following"))
        assert "1 follower. The list is private." in followers
        assert "Follows 1 account. The list is private." in following
        assert 'class="account-card"' not in followers + following
    own = as_(ana)
    assert 'class="account-card"' in body(own.get("/@ana/followers"))
    assert "@cem" in body(own.get("/@ana/following"))
    profile = body(as_(cem).get("/@ana"))
    assert "<strong>1</strong> follower<" in profile and "<strong>1</strong> following" in profile


def test_mutual_follows_are_friends(ana, bea, as_):
    actions.follow(ana.account, bea.account)
    client = as_(ana)
    assert "Friends: you follow each other" not in body(client.get("/@bea"))
    actions.follow(bea.account, ana.account)
    assert relationship(ana.account, bea.account).friends
    assert "Friends: you follow each other" in body(client.get("/@bea"))
    actions.unfollow(bea.account, ana.account)
    assert "Friends" not in body(as_(bea).get("/@ana"))
    assert "Follows you" in body(as_(bea).get("/@ana"))


# --- blocks ---------------------------------------------------------------------------------


def test_a_block_ends_follows_both_ways(ana, bea, cem):
    actions.follow(ana.account, bea.account)
    actions.follow(bea.account, ana.account)
    Account.objects.filter(pk=ana.account.pk).update(locked=True)
    ana.account.refresh_from_db()
    actions.follow(cem.account, ana.account)
    actions.block(ana.account, bea.account)
    assert not Follow.objects.filter(follower=ana.account, target=bea.account).exists()
    assert not Follow.objects.filter(follower=bea.account, target=ana.account).exists()
    assert counts(ana) == (0, 0) and counts(bea) == (0, 0)
    assert FollowRequest.objects.filter(follower=cem.account).exists()  # others keep theirs
    rel = relationship(ana.account, bea.account)
    assert rel.blocking and not rel.following
    assert relationship(bea.account, ana.account).blocked_by


def test_a_blocked_person_cannot_follow_or_ask(ana, bea):
    actions.block(ana.account, bea.account)
    with pytest.raises(PermissionDenied):
        actions.follow(bea.account, ana.account)
    with pytest.raises(PermissionDenied):
        actions.follow(ana.account, bea.account)  # the blocker neither, until unblocking
    actions.unblock(ana.account, bea.account)
    actions.follow(bea.account, ana.account)


def test_a_block_hides_each_from_the_other(ana, bea, as_):
    ana_post = write(ana, "Ana's public words")
    bea_post = write(bea, "Bea's public words")
    actions.block(ana.account, bea.account)
    for viewer, post in ((bea, ana_post), (ana, bea_post)):
        assert not Post.objects.visible_to(viewer.account).filter(pk=post.pk).exists()
        assert as_(viewer).get(post.get_absolute_url()).status_code == 404
    client = as_(bea)
    assert client.get("/@ana").status_code == 404  # the blocked side: no profile
    assert "Ana&#x27;s public words" not in body(client.get("/local"))
    assert client.post("/@ana/follow").status_code == 404
    client = as_(ana)
    page = body(client.get("/@bea"))  # the blocker sees the profile, to unblock
    assert "Unblock" in page and "Bea&#x27;s public words" not in page
    client.post("/@bea/unblock")
    assert not Block.objects.exists()
    assert as_(bea).get("/@ana").status_code == 200


def test_a_block_stops_notifications(ana, bea):
    post = write(ana, "Hello")
    actions.block(ana.account, bea.account)
    Notification.objects.all().delete()
    write(bea, "@ana are you there?")
    with pytest.raises(PermissionDenied):
        posts.like(bea.account, post)
    assert not Notification.objects.filter(recipient=ana.account).exists()
    actions.block(bea.account, ana.account)  # and the other way round
    write(ana, "@bea hello?")
    assert not Notification.objects.filter(recipient=bea.account).exists()


def test_blocking_oneself_is_refused(ana):
    with pytest.raises(ValidationError):
        actions.block(ana.account, ana.account)


def test_blocking_from_the_web_says_so(ana, bea, as_):
    response = as_(ana).post("/@bea/block", follow=True)
    assert "You blocked bea." in body(response)
    assert Block.objects.filter(account=ana.account, target=bea.account).exists()
    assert "bea" in body(as_(ana).get("/settings/relations"))


def test_the_blocked_side_sees_none_of_the_profile_pages(ana, bea, as_):
    actions.block(ana.account, bea.account)
    client = as_(bea)
    for url in ("/@ana", "/@ana/with_replies", "/@ana/media"):
        assert client.get(url).status_code == 404, url
    for url in ("/@ana/wall", "/@ana/followers", "/@ana/following"):
        assert client.get(url).status_code == 404, url


# --- mutes ----------------------------------------------------------------------------------


def test_muted_posts_leave_home_and_local_but_the_post_page_opens(ana, bea, as_):
    actions.follow(ana.account, bea.account)
    post = write(bea, "Muted words")
    boost = posts.boost(bea.account, write(ana, "Ana's own"))
    actions.mute(ana.account, bea.account)
    assert post.pk not in home_ids(ana) and boost.pk not in home_ids(ana)
    client = as_(ana)
    assert "Muted words" not in body(client.get("/"))
    assert "Muted words" not in body(client.get("/local"))
    assert client.get(post.get_absolute_url()).status_code == 200
    assert "Muted words" in body(client.get("/@bea"))  # visiting them on purpose
    actions.unmute(ana.account, bea.account)
    assert post.pk in home_ids(ana)


def test_a_boost_of_a_muted_author_leaves_home(ana, bea, cem):
    actions.follow(ana.account, cem.account)
    boost = posts.boost(cem.account, write(bea, "Through a boost"))
    assert boost.pk in home_ids(ana)
    actions.mute(ana.account, bea.account)
    assert boost.pk not in home_ids(ana)


def test_a_mute_can_last_a_while(ana, bea):
    actions.follow(ana.account, bea.account)
    post = write(bea, "Later")
    row = actions.mute(ana.account, bea.account, duration=timedelta(hours=1))
    assert timedelta(minutes=59) < row.expires_at - timezone.now() <= timedelta(hours=1)
    assert post.pk not in home_ids(ana)
    assert relationship(ana.account, bea.account).muting
    Mute.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert post.pk in home_ids(ana)  # an expired mute no longer applies
    assert not relationship(ana.account, bea.account).muting
    write(bea, "@ana hello again")
    assert Notification.objects.filter(recipient=ana.account, kind=Kind.MENTION).exists()


def test_a_mute_may_leave_notifications_on(ana, bea, cem):
    actions.mute(ana.account, bea.account, hide_notifications=False)
    actions.mute(ana.account, cem.account)
    write(bea, "@ana still notifying")
    write(cem, "@ana quiet")
    kinds = Notification.objects.filter(recipient=ana.account)
    assert list(kinds.values_list("actor", flat=True)) == [bea.account.pk]
    assert not relationship(ana.account, bea.account).muting_notifications
    assert relationship(ana.account, cem.account).muting_notifications


def test_muting_oneself_is_refused(ana):
    with pytest.raises(ValidationError):
        actions.mute(ana.account, ana.account)


def test_muting_from_the_web_with_a_duration(ana, bea, as_):
    client = as_(ana)
    response = client.post("/@bea/mute", {"duration": "86400", "notifications": "1"}, follow=True)
    assert "You muted bea." in body(response)
    row = Mute.objects.get()
    assert row.hide_notifications
    assert timedelta(hours=23) < row.expires_at - timezone.now() <= timedelta(days=1)
    assert "Unmute" in body(client.get("/@bea"))
    assert "for 23" in body(client.get("/settings/relations"))
    client.post("/@bea/unmute")
    assert not Mute.objects.exists()


def test_muting_from_the_web_without_hiding_notifications(ana, bea, as_):
    as_(ana).post("/@bea/mute", {"duration": ""})  # the box unchecked: browsers send nothing
    assert Mute.objects.get().hide_notifications is False


# --- followed hashtags ----------------------------------------------------------------------


def test_followed_hashtags_bring_public_posts_home(ana, bea):
    actions.follow_hashtag(ana.account, "#WikiLove")
    public = write(bea, "Thanks! #wikilove")
    unlisted = write(bea, "Quiet #WikiLove", visibility="unlisted")
    private = write(bea, "Followers #wikilove", visibility="private")
    other = write(bea, "Other #commons")
    ids = home_ids(ana)
    assert public.pk in ids
    assert unlisted.pk not in ids and private.pk not in ids and other.pk not in ids
    actions.unfollow_hashtag(ana.account, "wikilove")
    assert not HashtagFollow.objects.exists()


def test_following_a_hashtag_from_the_web(ana, bea, as_):
    client = as_(ana)
    assert "Follow hashtag" in body(client.get("/tags/wikilove"))
    client.post("/tags/wikilove/follow")
    assert HashtagFollow.objects.filter(account=ana.account, hashtag__name="wikilove").exists()
    post = write(bea, "Hello #WikiLove")
    assert "Hello" in body(client.get("/"))
    assert FeedEntry.objects.filter(owner=ana.account, post=post).exists()
    assert "Unfollow hashtag" in body(client.get("/tags/wikilove"))
    client.post("/tags/wikilove/follow", {"undo": "1"})
    assert not HashtagFollow.objects.exists()


def test_a_bad_hashtag_cannot_be_followed(ana, as_):
    with pytest.raises(ValidationError, match="is not a hashtag"):
        actions.follow_hashtag(ana.account, "#1234")
    response = as_(ana).post("/tags/1234/follow", follow=True)
    assert "is not a hashtag" in body(response)
    assert not HashtagFollow.objects.exists()


def test_unfollowing_a_hashtag_as_written(ana):
    actions.follow_hashtag(ana.account, "#WikiLove")
    actions.unfollow_hashtag(ana.account, "#WikiLove")
    assert not HashtagFollow.objects.exists()
