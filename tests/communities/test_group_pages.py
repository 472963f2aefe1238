"""The group pages through HTTP: the directory, creating a group, the header, About,
members, joining and leaving, requests, invitations, bans, settings and the log; who may see
each (a 404 for anyone who may not), and every bad input keeping what was typed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.posts.helpers import png_bytes
from wikisocial.accounts.models import Account, User
from wikisocial.communities import access, actions
from wikisocial.communities.models import (
    Group,
    GroupBan,
    GroupLogEntry,
    Invitation,
    JoinRequest,
    JoinRequestState,
    LogAction,
    Membership,
    Role,
)
from wikisocial.instance.models import CodeOfConduct
from wikisocial.notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return response.content.decode()


def tab_current(response, name: str) -> bool:
    return bool(re.search(rf'aria-current="page">{name}<', text_of(response)))


@pytest.fixture
def crew(ana, bea, cem, make_group):
    """A public group: Ana owns it, Bea moderates it, Cem is a member."""
    group = make_group(
        ana.account,
        "birds",
        description="All about *birds*.",
        rules="Be kind to **owls**.",
        category="wikiproject",
        language="de",
    )
    actions.join(bea.account, group)
    actions.join(cem.account, group)
    actions.set_role(ana.account, group, bea.account, Role.MODERATOR)
    return group


@pytest.fixture
def dan(make_user):
    return make_user("dan")


# --- the directory ----------------------------------------------------------------------------


def test_directory_lists_groups_but_never_hidden_ones(client, ana, make_group):
    make_group(ana.account, "open_g", description="Open to all")
    make_group(ana.account, "closed_g", kind="restricted")
    make_group(ana.account, "quiet_g", kind="private")
    make_group(ana.account, "secret_g", kind="hidden")
    for who in (None, ana):  # not even for the hidden group's own owner
        if who is not None:
            client.force_login(who)
        page = text_of(client.get("/groups"))
        assert "open_g" in page and "closed_g" in page and "quiet_g" in page
        assert "secret_g" not in page
    assert "Open to all" in page
    assert "Restricted: anyone reads" in page
    assert "1 member" in page


def test_directory_filters_searches_and_sorts(client, ana, bea, make_group):
    make_group(ana.account, "chapter_de", name="Wikimedia Deutschland", category="chapter",
               language="de")  # fmt: skip
    busy = make_group(ana.account, "busy", category="interest", language="en")
    make_group(ana.account, "newest", category="interest", language="en")
    actions.join(bea.account, busy)

    by_category = text_of(client.get("/groups?category=chapter"))
    assert "!chapter_de" in by_category and "!busy" not in by_category
    by_language = text_of(client.get("/groups?language=DE"))
    assert "!chapter_de" in by_language and "!newest" not in by_language
    by_name = text_of(client.get("/groups?q=deutsch"))
    assert "!chapter_de" in by_name and "!busy" not in by_name
    by_members = text_of(client.get("/groups?sort=members"))
    assert by_members.index("!busy") < by_members.index("!newest")
    by_newest = text_of(client.get("/groups?sort=newest"))
    assert by_newest.index("!newest") < by_newest.index("!busy")


def test_directory_ignores_nonsense_filters(client, ana, make_group):
    make_group(ana.account, "birds")
    response = client.get("/groups?category=nope&sort=worst&page=zz&scope=x&q=" + "x" * 500)
    assert response.status_code == 200
    assert "!birds" in text_of(response)


def test_directory_is_paginated_keeping_the_filters(client, ana, make_group, monkeypatch):
    monkeypatch.setattr("wikisocial.communities.views.groups.PAGE_SIZE", 2)
    for i in range(3):
        make_group(ana.account, f"group_{i}", category="interest")
    first = text_of(client.get("/groups?category=interest&sort=newest"))
    assert "Page 1 of 2" in first
    assert "category=interest&amp;sort=newest&amp;page=2" in first
    second = text_of(client.get("/groups?category=interest&sort=newest&page=2"))
    assert "group_0" in second and "group_2" not in second


def test_directory_escapes_hostile_names(client, ana, make_group):
    make_group(ana.account, "evil", name="<script>alert(1)</script>")
    page = text_of(client.get("/groups"))
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_main_navigation_links_to_groups(client):
    response = client.get("/groups")
    assert '<a href="/groups" aria-current="page">Groups</a>' in text_of(response)
    assert 'href="/directory" aria-current' not in text_of(response)


# --- creating a group -------------------------------------------------------------------------


def new_group_form(**overrides) -> dict:
    data = {
        "handle": "birds",
        "name": "WikiProject Birds",
        "description": "We write about birds.",
        "rules": "Be kind.",
        "kind": "restricted",
        "category": "wikiproject",
        "language": "en",
        "questions": "Which birds do you like?\nWhy?",
    }
    data.update(overrides)
    return data


def test_creating_needs_a_login(client):
    response = client.get("/groups/new")
    assert response.status_code == 302 and "/auth/login" in response.url


def test_create_a_group_through_the_page(logged_in, ana):
    assert logged_in.get("/groups/new").status_code == 200
    response = logged_in.post("/groups/new", new_group_form())

    assert response.status_code == 302 and response.url == "/g/birds"
    group = Group.objects.get(account__username="birds")
    assert group.kind == "restricted" and group.category == "wikiproject"
    assert group.questions == ["Which birds do you like?", "Why?"]
    assert access.membership_of(ana.account, group).role == Role.OWNER


def test_people_create_a_few_groups_a_day(logged_in, monkeypatch):
    from wikisocial.core.ratelimit import Limit

    monkeypatch.setattr(actions, "CREATION_LIMIT", Limit(1, 3600))
    assert logged_in.post("/groups/new", new_group_form()).status_code == 302
    response = logged_in.post("/groups/new", {**new_group_form(), "handle": "more_birds"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "several groups today" in html and 'value="more_birds"' in html
    assert not Group.objects.filter(account__username="more_birds").exists()


def test_the_command_line_and_staff_are_not_limited(ana, monkeypatch):
    from wikisocial.core.ratelimit import Limit

    monkeypatch.setattr(actions, "CREATION_LIMIT", Limit(1, 3600))
    for handle in ("first", "second"):
        actions.create_group(ana.account, handle, actions.GroupDraft(name=handle), by_operator=True)
    ana.is_staff = True
    ana.save()
    actions.create_group(ana.account, "third", actions.GroupDraft(name="third"))
    assert Group.objects.count() == 3


def test_create_with_avatar_and_banner(logged_in):
    avatar = SimpleUploadedFile("a.png", png_bytes((64, 64)), content_type="image/png")
    banner = SimpleUploadedFile("b.png", png_bytes((300, 100)), content_type="image/png")
    response = logged_in.post("/groups/new", {**new_group_form(), "avatar": avatar,
                                              "header": banner})  # fmt: skip
    assert response.status_code == 302
    account = Group.objects.get().account
    assert account.avatar and account.header
    about = text_of(logged_in.get("/g/birds/about"))
    assert account.avatar.url in about and account.header.url in about


def test_a_bad_picture_keeps_what_was_typed(logged_in):
    junk = SimpleUploadedFile("a.png", b"not an image" * 20, content_type="image/png")
    response = logged_in.post("/groups/new", {**new_group_form(), "avatar": junk})
    assert response.status_code == 400
    assert "not a JPEG, PNG, GIF or WebP" in text_of(response)
    assert "We write about birds." in text_of(response)
    assert not Group.objects.exists()


@pytest.mark.parametrize("handle", ["ANA", "Birds_Old", "BIRDS_OLD"])
def test_a_taken_handle_is_refused_keeping_everything(logged_in, ana, make_group, handle):
    make_group(ana.account, "birds_old")
    response = logged_in.post("/groups/new", new_group_form(handle=handle))

    assert response.status_code == 400
    page = text_of(response)
    assert "taken by a person or another group" in page
    assert "WikiProject Birds" in page and "We write about birds." in page
    assert "Which birds do you like?" in page
    assert re.search(r'value="restricted"[^>]*checked', page)
    assert Group.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"handle": "admin"}, "is reserved"),
        ({"handle": "two words"}, "letters A–Z"),
        ({"name": ""}, "This field is required"),
        ({"kind": "secret"}, "Select a valid choice"),
        ({"language": "klingonish"}, "not a language code we know"),
        ({"questions": "\n".join(f"q{i}" for i in range(6))}, "at most 5 questions"),
        ({"rules": "r" * 10001}, "at most 10000 characters"),
    ],
)
def test_bad_input_re_renders_with_400(logged_in, overrides, message):
    data = new_group_form(**overrides)
    response = logged_in.post("/groups/new", data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert data["description"] in text_of(response)
    assert not Group.objects.exists()


def test_hostile_text_is_shown_harmlessly(logged_in):
    data = new_group_form(
        name="<b>Bold</b>\u202e",
        description="<script>alert(1)</script> hi",
        rules="<img src=x onerror=alert(1)>",
        kind="public",
    )
    assert logged_in.post("/groups/new", data).status_code == 302
    page = text_of(logged_in.get("/g/birds/about"))
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "<bdi>&lt;b&gt;Bold&lt;/b&gt;</bdi>" in page


# --- the header and the About page ------------------------------------------------------------


def test_about_page_shows_everything(client, crew):
    response = client.get("/g/birds/about")
    page = text_of(response)
    assert response.status_code == 200
    assert '<h1 id="group-name"><bdi>Birds</bdi></h1>' in page
    assert "!birds@" in page and "Public group" in page and "3 members" in page
    assert "<em>birds</em>" in page and "<strong>owls</strong>" in page
    assert "WikiProject" in page and 'lang="de"' in page
    assert "Public: anyone reads, anyone joins" in page
    assert "@ana" in page and "@bea" in page and "@cem" not in page  # the moderators
    assert crew.created_at.strftime("%Y") in page
    assert tab_current(response, "About")
    assert "Log in to join" in page
    assert ">Settings<" not in page


def test_header_for_each_state(client, crew, ana, bea, dan, make_group):
    client.force_login(dan)
    assert ">Join</button>" in text_of(client.get("/g/birds/about"))
    closed = make_group(ana.account, "closed", kind="restricted")
    assert "Ask to join" in text_of(client.get("/g/closed/about"))
    actions.join(dan.account, closed)
    assert "waiting for a moderator" in text_of(client.get("/g/closed/about"))
    actions.reject(ana.account, JoinRequest.objects.get(group=closed))
    page = text_of(client.get("/g/closed/about"))
    assert "was declined" in page and 'href="/g/closed/join">Ask again' in page
    actions.join(dan.account, crew)
    page = text_of(client.get("/g/birds/about"))
    assert "You are a member" in page and 'href="/g/birds/leave">Leave</a>' in page
    actions.ban(bea.account, crew, dan.account, "", timezone.now() + timedelta(days=1))
    page = text_of(client.get("/g/birds/about"))
    assert "You are banned from this group until" in page
    assert ">Join</button>" not in page


def test_header_tabs_on_the_forum_page(client, crew, ana, make_group):
    response = client.get("/g/birds")
    page = text_of(response)
    assert response.status_code == 200 and tab_current(response, "Forum")
    for tab in ("/g/birds/wiki/", "/g/birds/about", "/g/birds/members", "/g/birds/log"):
        assert f'href="{tab}"' in page
    make_group(ana.account, "quiet", kind="private")
    page = text_of(client.get("/g/quiet"))
    assert 'href="/g/quiet/about"' in page
    for tab in ("/g/quiet/wiki/", "/g/quiet/members", "/g/quiet/log"):
        assert f'href="{tab}"' not in page


def test_moderators_get_the_settings_and_requests_tabs(client, crew, bea):
    client.force_login(bea)
    response = client.get("/g/birds/settings")
    assert response.status_code == 200
    assert tab_current(response, "Settings")
    assert ">Requests" in text_of(response)


def test_staff_moderate_any_local_group(client, crew, make_user):
    staff = make_user("steward")
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    client.force_login(staff)
    assert client.get("/g/birds/settings").status_code == 200


def test_private_groups_show_their_door_but_not_their_inside(client, ana, bea, make_group):
    make_group(ana.account, "quiet", kind="private", members_hidden=False)
    for who in (None, bea):
        if who is not None:
            client.force_login(who)
        about = client.get("/g/quiet/about")
        assert about.status_code == 200 and "Private group" in text_of(about)
        assert 'href="/g/quiet/members"' not in text_of(about)
        assert 'href="/g/quiet/log"' not in text_of(about)
        for path in ("/g/quiet/members", "/g/quiet/log"):
            assert client.get(path).status_code == 404
    client.force_login(ana)
    for path in ("/g/quiet/members", "/g/quiet/log"):
        assert client.get(path).status_code == 200


HIDDEN_PAGES = [
    "/g/secret/about",
    "/g/secret/members",
    "/g/secret/log",
    "/g/secret/join",
    "/g/secret",
    "/@secret",
]


def test_hidden_groups_are_404_to_everyone_outside(client, ana, bea, make_group):
    make_group(ana.account, "secret", kind="hidden")
    for who in (None, bea):
        if who is not None:
            client.force_login(who)
        for path in HIDDEN_PAGES:
            expected = 302 if who is None and path.endswith("join") else 404  # log in first
            assert client.get(path).status_code == expected, path
        assert client.post("/g/secret/join").status_code in (302, 404)
    assert not Membership.objects.filter(account=bea.account).exists()


def test_hidden_groups_open_to_members_and_invitees(client, ana, bea, make_group):
    group = make_group(ana.account, "secret", kind="hidden")
    actions.invite(ana.account, group, bea.account)
    client.force_login(bea)
    page = text_of(client.get("/g/secret/about"))
    assert "invited you to join this group" in page and "Accept and join" in page
    response = client.post("/g/secret/join")
    assert response.status_code == 302
    assert access.is_member(bea.account, group)
    for path in ("/g/secret/about", "/g/secret/members", "/g/secret/log"):
        assert client.get(path).status_code == 200


def test_at_handle_of_a_group_redirects_to_its_page(client, crew):
    response = client.get("/@birds")
    assert response.status_code == 302 and response.url == "/g/birds"
    response = client.get("/@BIRDS")
    assert response.status_code == 302


# --- members ----------------------------------------------------------------------------------


def test_members_page_lists_people_with_roles(client, crew):
    response = client.get("/g/birds/members")
    page = text_of(response)
    assert response.status_code == 200 and tab_current(response, "Members")
    assert page.index("@ana") < page.index("@bea") < page.index("@cem")
    assert "owner" in page and "moderator" in page
    assert "Remove" not in page and "Make moderator" not in page


def test_hidden_member_list_shows_only_the_count(client, ana, bea, cem, make_group):
    group = make_group(ana.account, "birds", members_hidden=True)
    actions.join(bea.account, group)
    actions.join(cem.account, group)
    client.force_login(cem)
    page = text_of(client.get("/g/birds/members"))
    assert "3 members" in page and "keep the member list private" in page
    assert "@bea" not in page
    client.force_login(ana)
    page = text_of(client.get("/g/birds/members"))
    assert "@bea" in page and "@cem" in page and "Only moderators see this list" in page


def test_moderator_buttons_on_the_members_page(client, crew, ana, bea):
    client.force_login(bea)
    page = text_of(client.get("/g/birds/members"))
    assert "/g/birds/members/cem/ban" in page and "/g/birds/members/cem/remove" in page
    assert "/g/birds/members/ana/ban" not in page  # a moderator can't act on the owner
    assert "Make owner" not in page
    client.force_login(ana)
    page = text_of(client.get("/g/birds/members"))
    assert "Make moderator" in page and "Make owner" in page
    assert "/g/birds/members/bea/ban" in page


def test_a_moderator_removes_a_member_with_a_reason(client, crew, bea, cem):
    client.force_login(bea)
    assert client.get("/g/birds/members/cem/remove").status_code == 200
    response = client.post("/g/birds/members/cem/remove", {"reason": "Off-topic spam"})
    assert response.status_code == 302 and response.url == "/g/birds/members"
    assert not access.is_member(cem.account, crew)
    log = text_of(client.get("/g/birds/log"))
    assert "removed a member" in log and "Off-topic spam" in log and "@cem" in log


def test_a_moderator_bans_for_a_week(client, crew, bea, cem):
    client.force_login(bea)
    response = client.post("/g/birds/members/cem/ban", {"reason": "Trolling", "duration": "7"})
    assert response.status_code == 302
    ban = GroupBan.objects.get(account=cem.account)
    assert ban.reason == "Trolling" and ban.banned_by == bea.account
    assert timedelta(days=6) < ban.expires_at - timezone.now() <= timedelta(days=7)
    log = text_of(client.get("/g/birds/log"))
    assert "banned someone" in log and "Trolling" in log and "until" in log


def test_refusals_on_member_actions_are_shown(client, crew, bea):
    client.force_login(bea)
    response = client.post("/g/birds/members/ana/ban", {"reason": "coup", "duration": ""})
    assert response.status_code == 400
    assert "Only an owner may ban a moderator." in text_of(response)
    assert "coup" in text_of(response)  # the reason typed is kept
    assert not GroupBan.objects.exists()
    response = client.post("/g/birds/members/cem/role", {"role": "owner"})
    assert response.status_code == 400 and "Only an owner may change roles." in text_of(response)
    response = client.post("/g/birds/members/cem/ban", {"duration": "9999"})
    assert response.status_code == 400 and not GroupBan.objects.exists()


def test_owners_change_roles(client, crew, ana, cem):
    client.force_login(ana)
    response = client.post("/g/birds/members/cem/role", {"role": "moderator"})
    assert response.status_code == 302
    assert access.can_moderate(cem.account, crew)
    response = client.post("/g/birds/members/ana/role", {"role": "member"})
    assert response.status_code == 400 and "at least one owner" in text_of(response)


def test_unknown_people_and_actions_are_404(client, crew, bea):
    client.force_login(bea)
    assert client.get("/g/birds/members/nobody/ban").status_code == 404
    assert client.post("/g/birds/members/cem/explode").status_code == 404


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/g/birds/members/bea/remove", {"reason": "x"}),
        ("/g/birds/members/bea/ban", {"reason": "x"}),
        ("/g/birds/members/bea/unban", {}),
        ("/g/birds/members/cem/role", {"role": "owner"}),
        ("/g/birds/settings", {"name": "Mine", "kind": "public", "category": "other"}),
        ("/g/birds/requests", {"request": "1", "decision": "approve"}),
        ("/g/birds/bans", {}),
    ],
)
def test_non_moderators_get_404_on_moderator_pages(client, crew, cem, dan, path, data):
    before = (Membership.objects.count(), GroupBan.objects.count(), GroupLogEntry.objects.count())
    for who in (cem, dan):
        client.force_login(who)
        assert client.get(path).status_code == 404
        assert client.post(path, data).status_code == 404
    after = (Membership.objects.count(), GroupBan.objects.count(), GroupLogEntry.objects.count())
    assert before == after
    crew.refresh_from_db()
    assert crew.name == "Birds"
    client.logout()
    assert client.post(path, data).status_code == 302  # to the log-in page


# --- joining and leaving ----------------------------------------------------------------------


def test_joining_a_public_group(client, crew, dan):
    client.force_login(dan)
    response = client.post("/g/birds/join")
    assert response.status_code == 302 and response.url == "/g/birds"
    assert access.is_member(dan.account, crew)
    crew.refresh_from_db()
    assert crew.members_count == 4
    assert client.get("/g/birds/join").status_code == 302  # members are sent home


def test_asking_to_join_with_answers(client, ana, dan, make_group):
    group = make_group(ana.account, "closed", kind="restricted", questions=["Why?", "Who?"])
    client.force_login(dan)
    page = text_of(client.get("/g/closed/join"))
    assert "Why?" in page and "Who?" in page and "Send the request" in page

    response = client.post("/g/closed/join", {"answer_0": "I love it", "answer_1": ""})
    assert response.status_code == 400
    assert "I love it" in text_of(response) and "This field is required" in text_of(response)
    assert not JoinRequest.objects.exists()

    response = client.post("/g/closed/join", {"answer_0": "I love it", "answer_1": "Dan"})
    assert response.status_code == 302 and response.url == "/g/closed/about"
    request = JoinRequest.objects.get(group=group)
    assert request.answers[0] == {"question": "Why?", "answer": "I love it"}
    assert not access.is_member(dan.account, group)


def test_banned_people_are_refused_at_the_join_page(client, crew, bea, dan):
    actions.ban(bea.account, crew, dan.account, "spam")
    client.force_login(dan)
    page = text_of(client.get("/g/birds/join"))
    assert "You are banned from this group." in page
    assert "Send the request" not in page and ">Join</button>" not in page
    response = client.post("/g/birds/join")
    assert response.status_code == 400 and "banned" in text_of(response)
    assert not access.is_member(dan.account, crew)


def test_leaving(client, crew, cem):
    client.force_login(cem)
    assert client.get("/g/birds/leave").status_code == 200
    response = client.post("/g/birds/leave")
    assert response.status_code == 302 and response.url == "/g/birds/about"
    assert not access.is_member(cem.account, crew)


def test_the_last_owner_is_told_why_they_cannot_leave(client, crew, ana):
    client.force_login(ana)
    response = client.post("/g/birds/leave")
    assert response.status_code == 400
    assert "only owner: make someone else owner first" in text_of(response)
    assert access.is_member(ana.account, crew)


def test_leaving_a_hidden_group_goes_to_the_directory(client, ana, bea, make_group):
    group = make_group(ana.account, "secret", kind="hidden")
    actions.invite(ana.account, group, bea.account)
    actions.join(bea.account, group)
    client.force_login(bea)
    response = client.post("/g/secret/leave")
    assert response.status_code == 302 and response.url == "/groups"


def test_withdrawing_a_request(client, ana, dan, make_group):
    make_group(ana.account, "closed", kind="restricted")
    client.force_login(dan)
    client.post("/g/closed/join")
    assert JoinRequest.objects.exists()
    page = text_of(client.get("/g/closed/about"))
    assert "Withdraw the request" in page
    client.post("/g/closed/leave")
    assert not JoinRequest.objects.exists()


# --- requests ---------------------------------------------------------------------------------


def test_moderators_approve_and_decline_requests(client, ana, bea, cem, make_group):
    group = make_group(ana.account, "closed", kind="private", questions=["Why?"])
    first = actions.join(bea.account, group, ["Birds <3"])
    second = actions.join(cem.account, group, ["<script>x</script>"])
    client.force_login(ana)
    response = client.get("/g/closed/requests")
    page = text_of(response)
    assert response.status_code == 200
    assert re.search(r'aria-current="page">Requests <span class="unread-count">2<', page)
    assert "Birds &lt;3" in page and "&lt;script&gt;" in page and "<script>x" not in page

    client.post("/g/closed/requests", {"request": first.pk, "decision": "approve"})
    client.post("/g/closed/requests", {"request": second.pk, "decision": "decline"})

    assert access.is_member(bea.account, group)
    second.refresh_from_db()
    assert second.state == JoinRequestState.REJECTED
    assert Notification.objects.filter(recipient=bea.account, kind=Kind.JOIN_APPROVED).exists()


def test_request_decisions_with_bad_input(client, ana, bea, make_group):
    group = make_group(ana.account, "closed", kind="private")
    other = make_group(ana.account, "other", kind="private")
    stray = actions.join(bea.account, other)
    actions.join(bea.account, group)
    client.force_login(ana)
    for wrong in ("x", stray.pk, ""):
        response = client.post("/g/closed/requests", {"request": wrong, "decision": "approve"})
        assert response.status_code == 404
    request = JoinRequest.objects.get(group=group)
    response = client.post("/g/closed/requests", {"request": request.pk, "decision": "maybe"})
    assert response.status_code == 400 and "approve or to decline" in text_of(response)
    assert not access.is_member(bea.account, group)


# --- invitations ------------------------------------------------------------------------------


def test_moderators_invite_by_username(client, ana, dan, make_group):
    group = make_group(ana.account, "quiet", kind="private")
    client.force_login(ana)
    response = client.post("/g/quiet/invite", {"username": "@DAN"})
    assert response.status_code == 302
    assert Invitation.objects.filter(group=group, account=dan.account).exists()
    assert Notification.objects.filter(recipient=dan.account, kind=Kind.GROUP_INVITE).exists()
    assert "@dan" in text_of(client.get("/g/quiet/invite"))


def test_invite_errors_keep_the_name(client, crew, ana, cem):
    client.force_login(ana)
    response = client.post("/g/birds/invite", {"username": "nobody_here"})
    assert response.status_code == 400
    assert "nobody on this server by that name" in text_of(response)
    assert 'value="nobody_here"' in text_of(response)
    response = client.post("/g/birds/invite", {"username": "cem"})
    assert response.status_code == 400 and "already a member" in text_of(response)
    response = client.post("/g/birds/invite", {"username": "birds"})  # the group itself
    assert response.status_code == 400


def test_who_reaches_the_invite_page(client, crew, ana, cem, dan, make_group):
    client.force_login(cem)
    assert client.get("/g/birds/invite").status_code == 200  # members of public groups
    client.force_login(dan)
    assert client.get("/g/birds/invite").status_code == 404
    closed = make_group(ana.account, "closed", kind="restricted")
    actions.approve(ana.account, actions.join(cem.account, closed))
    client.force_login(cem)
    assert client.get("/g/closed/invite").status_code == 404
    assert client.post("/g/closed/invite", {"username": "dan"}).status_code == 404
    assert not Invitation.objects.exists()


def test_declining_and_withdrawing_invitations(client, ana, bea, cem, make_group):
    group = make_group(ana.account, "secret", kind="hidden")
    actions.invite(ana.account, group, bea.account)
    invitation = actions.invite(ana.account, group, cem.account)
    client.force_login(bea)
    response = client.post("/g/secret/invitation/decline")
    assert response.status_code == 302 and response.url == "/groups"
    assert client.get("/g/secret/about").status_code == 404
    client.force_login(ana)
    client.post("/g/secret/invite", {"withdraw": invitation.pk})
    assert not Invitation.objects.exists()


# --- bans -------------------------------------------------------------------------------------


def test_bans_page_lists_and_lifts(client, crew, bea, cem):
    actions.ban(bea.account, crew, cem.account, "Rude\u202e words")
    client.force_login(bea)
    page = text_of(client.get("/g/birds/bans"))
    assert "@cem" in page and "Rude words" in page and "for good" in page
    response = client.post("/g/birds/members/cem/unban")
    assert response.status_code == 302 and response.url == "/g/birds/bans"
    assert not access.is_banned(cem.account, crew)


def test_ban_someone_by_name(client, crew, bea, dan):
    client.force_login(bea)
    response = client.get("/g/birds/bans?username=DAN")
    assert response.status_code == 302 and response.url == "/g/birds/members/dan/ban"
    response = client.get("/g/birds/bans?username=ghost")
    assert response.status_code == 400 and "We know nobody by that name" in text_of(response)
    assert 'value="ghost"' in text_of(response)


# --- settings ---------------------------------------------------------------------------------


def test_settings_edit_everything_but_the_handle(client, crew, bea):
    client.force_login(bea)
    page = text_of(client.get("/g/birds/settings"))
    assert 'name="handle"' not in page and "Be kind to **owls**." in page
    data = {"name": "Birds & Bees", "description": "New", "rules": "", "kind": "private",
            "category": "interest", "language": "", "questions": "Why?",
            "members_hidden": "on"}  # fmt: skip
    response = client.post("/g/birds/settings", data)
    assert response.status_code == 302
    crew.refresh_from_db()
    assert crew.name == "Birds & Bees" and crew.kind == "private" and crew.members_hidden
    assert crew.questions == ["Why?"] and crew.account.username == "birds"


def test_settings_errors_keep_what_was_typed(client, crew, bea):
    client.force_login(bea)
    data = {"name": "", "description": "Half-written text", "kind": "public",
            "category": "other"}  # fmt: skip
    response = client.post("/g/birds/settings", data)
    assert response.status_code == 400
    assert "Half-written text" in text_of(response)
    crew.refresh_from_db()
    assert crew.name == "Birds"


def test_removing_pictures(client, ana, make_group):
    from django.core.files.base import ContentFile

    group = make_group(ana.account, "birds", avatar=ContentFile(png_bytes(), name="a.png"))
    assert group.account.avatar
    client.force_login(ana)
    data = {"name": "Birds", "kind": "public", "category": "other", "remove_avatar": "on"}
    assert client.post("/g/birds/settings", data).status_code == 302
    group.account.refresh_from_db()
    assert not group.account.avatar


# --- the log ----------------------------------------------------------------------------------


def test_the_log_says_who_did_what_to_whom(client, crew, ana, cem):
    actions.set_role(ana.account, crew, cem.account, Role.MODERATOR)
    response = client.get("/g/birds/log")
    page = text_of(response)
    assert response.status_code == 200 and tab_current(response, "Log")
    assert "created the group" in page
    assert "changed someone&#x27;s role" in page and "@cem" in page and "moderator" in page


def test_the_log_keeps_hidden_members_discreet(client, ana, bea, cem, make_group):
    group = make_group(ana.account, "birds", kind="restricted", members_hidden=True)
    actions.approve(ana.account, actions.join(bea.account, group))
    actions.approve(ana.account, actions.join(cem.account, group))
    client.force_login(cem)
    page = text_of(client.get("/g/birds/log"))
    assert "approved a request to join" in page and "@bea" not in page
    client.force_login(ana)
    assert "@bea" in text_of(client.get("/g/birds/log"))


# --- names people and groups share ------------------------------------------------------------


def signup_form(username: str) -> dict:
    data = {
        "username": username,
        "email": f"{username.lower()}@example.org",
        "password1": "a long enough passphrase",
        "password2": "a long enough passphrase",
        "accept_code": "on",
    }
    code = CodeOfConduct.current()
    if code is not None:
        data["code_version"] = code.version
    return data


@pytest.mark.parametrize("name", ["birds", "BIRDS", "Birds"])
def test_sign_up_refuses_a_name_a_group_holds(ana, make_group, name):
    make_group(ana.account, "birds")
    response = Client().post("/auth/signup", signup_form(name))
    assert response.status_code == 400
    assert "That username is taken." in text_of(response)
    assert not User.objects.filter(username__iexact="birds").exists()
    assert Account.objects.filter(username__iexact="birds").count() == 1


def test_log_entries_from_other_areas_show_their_detail(client, crew, ana):
    actions.log(crew, ana.account, LogAction.LOCK, detail="A heated topic", reason="Cool down")
    page = text_of(client.get("/g/birds/log"))
    assert "locked a topic" in page and "A heated topic" in page and "Cool down" in page
