"""The "Show counts" preference (Settings → Display): numbers of likes, boosts, replies,
followers and members are shown by default, quietly; a person may hide them from their own web
pages. Everyone else, and the client API, still get them."""

from __future__ import annotations

import re

import pytest

from wikisocial.accounts.models import Account
from wikisocial.api.tokens import create_personal_token
from wikisocial.communities import forum
from wikisocial.communities.actions import GroupDraft, create_group, join
from wikisocial.communities.models import ReactionKind
from wikisocial.posts import actions as posts
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db

COUNT = re.compile(r'<span class="count[^"]*">')


@pytest.fixture
def ana(make_user):
    return make_user("ana")


@pytest.fixture
def bea(make_user):
    return make_user("bea")


@pytest.fixture
def liked(ana, bea):
    """A post of Ana's that Bea liked, boosted and answered; Bea follows Ana."""
    post = posts.create_post(ana.account, posts.Draft(text="Counting sheep"))
    social.follow(bea.account, ana.account)
    posts.like(bea.account, post)
    posts.boost(bea.account, post)
    posts.create_post(bea.account, posts.Draft(text="Baa", in_reply_to=post))
    return post


def hide_counts(user) -> None:
    Account.objects.filter(pk=user.account.pk).update(show_counts=False)


def test_counts_are_shown_by_default(client, ana, liked):
    assert Account.objects.get(pk=ana.account.pk).show_counts is True
    client.force_login(ana)
    page = client.get(liked.get_absolute_url()).text
    actions = page[page.index(f'id="actions-{liked.pk}"') :]
    actions = actions[: actions.index("</div>")]
    # Reply 1, Boost 1, Like 1: each number small and apart from its word.
    assert len(COUNT.findall(actions)) == 3
    assert '<span class="count">1</span>' in actions
    profile = client.get("/@ana").text
    assert "<strong>1</strong> follower<" in profile and "<strong>1</strong> post<" in profile


def test_the_display_settings_page_saves_the_choice(client, ana):
    client.force_login(ana)
    page = client.get("/settings/display")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Display</h1>" in text
    assert re.search(r'<input type="checkbox" name="show_counts"[^>]* checked', text)
    assert 'href="/settings/display" aria-current="page"' in text  # in the settings menu

    response = client.post("/settings/display", {})  # the box unticked
    assert response.status_code == 302 and response["Location"] == "/settings/display"
    assert Account.objects.get(pk=ana.account.pk).show_counts is False
    text = client.get("/settings/display").text
    assert "Your display settings have been saved." in text
    assert not re.search(r'<input type="checkbox" name="show_counts"[^>]* checked', text)

    client.post("/settings/display", {"show_counts": "on"})
    assert Account.objects.get(pk=ana.account.pk).show_counts is True


def test_the_display_settings_need_a_login(client):
    response = client.get("/settings/display")
    assert response.status_code == 302 and "/auth/login" in response["Location"]


def test_hidden_counts_leave_posts_and_profiles_without_numbers(client, ana, bea, liked):
    hide_counts(ana)
    client.force_login(ana)
    page = client.get(liked.get_absolute_url()).text
    assert not COUNT.search(page)
    # The actions are all still there, with their names.
    for name in ("Reply", "Boost", "Like", "Bookmark"):
        assert f">{name}</span>" in page, name
    home = client.get("/").text
    assert "Counting sheep" in home and not COUNT.search(home)
    profile = client.get("/@ana").text
    assert 'href="/@ana/followers">Followers</a>' in profile
    assert 'href="/@ana/following">Following</a>' in profile
    assert "<strong>" not in profile[profile.index('class="counts"') :].split("</ul>")[0]


def test_hidden_counts_stay_hidden_in_the_htmx_answer(client, ana, bea):
    hide_counts(ana)
    post = posts.create_post(bea.account, posts.Draft(text="Likeable"))
    client.force_login(ana)
    response = client.post(post.get_absolute_url() + "/like", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = response.text
    assert fragment.lstrip().startswith('<div class="post-actions"')
    assert "Unlike" in fragment and not COUNT.search(fragment)


def test_others_and_visitors_still_see_the_counts(client, ana, bea, liked):
    hide_counts(ana)
    client.force_login(bea)
    assert len(COUNT.findall(client.get(liked.get_absolute_url()).text)) >= 3
    client.logout()
    page = client.get(liked.get_absolute_url()).text
    assert "1 like" in page and "1 boost" in page
    assert "<strong>1</strong> follower<" in client.get("/@ana").text


def test_hidden_counts_leave_groups_without_member_and_reaction_numbers(client, ana, bea):
    group = create_group(ana.account, "sheep", GroupDraft(name="Sheep counters"), by_operator=True)
    join(bea.account, group)
    topic = forum.create_topic(ana.account, group, "How many?", posts.Draft(text="Let's count"))
    forum.react(bea.account, topic.post, ReactionKind.THANKS)
    client.force_login(ana)
    shown = client.get(forum.topic_url(topic)).text
    assert "2 members" in shown and '<span class="count">1</span>' in shown

    hide_counts(ana)
    for url in (forum.topic_url(topic), group.get_absolute_url(), "/groups", "/g/sheep/about"):
        page = client.get(url).text
        assert "2 members" not in page, url
        assert not COUNT.search(page), url
    # The reaction Bea gave is still there, and Ana can still react.
    page = client.get(forum.topic_url(topic)).text
    assert 'title="Thanks"' in page


def test_the_client_api_keeps_the_numbers(client, ana, bea, liked):
    hide_counts(ana)
    token = create_personal_token(ana, ["read"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    status = client.get(f"/api/v1/statuses/{liked.pk}", **auth).json()
    assert status["favourites_count"] == 1 and status["reblogs_count"] == 1
    assert status["replies_count"] == 1
    account = client.get(f"/api/v1/accounts/{ana.account.pk}", **auth).json()
    assert account["followers_count"] == 1


def test_private_lists_do_not_give_the_numbers_away(client, ana, bea):
    """Where a list is private its page gives only a number: hidden counts hide that too."""
    Account.objects.filter(pk=bea.account.pk).update(hide_network=True)
    social.follow(ana.account, bea.account)
    group = create_group(
        bea.account, "quiet", GroupDraft(name="Quiet ones", members_hidden=True), by_operator=True
    )
    join(ana.account, group)
    client.force_login(ana)
    assert "1 follower. The list is private." in client.get("/@bea/followers").text
    assert "This group has 2 members." in client.get("/g/quiet/members").text

    hide_counts(ana)
    page = client.get("/@bea/followers").text
    assert "The list is private." in page and "1 follower" not in page
    page = client.get("/g/quiet/members").text
    assert "Only moderators see this list." in page and "2 members" not in page
