"""Public streams carry one serialisation for everyone; the streaming process holds a status
back from viewers who block, are blocked by or mute someone in it, who hide its author's
domain (unless they follow the author) or whose "hide" filters match it, and gives viewers
whose other filters match a copy with ``filtered`` set for them."""

from __future__ import annotations

import json

import pytest

from tests.posts.helpers import remote_account, write
from wikisocial.filters.actions import KeywordChange, create_filter
from wikisocial.posts.models import Post
from wikisocial.social.actions import block, block_domain, follow, mute
from wikisocial.streaming.events import render
from wikisocial.streaming.filtering import screen

pytestmark = pytest.mark.django_db


def everyone(*people) -> set[int]:
    return {p.account.pk for p in people}


def test_nobody_is_held_back_without_a_reason(ana, bea, cem):
    payload = render(write(ana, "Hello"), None)
    screened = screen(payload, everyone(bea, cem))
    assert screened.hidden == set()
    assert screened.payloads == {}


def test_blocks_either_way_and_mutes_hold_a_status_back(ana, bea, cem, make_user):
    dan, eve = make_user("dan"), make_user("eve")
    block(bea.account, ana.account)  # bea blocks the author
    block(ana.account, cem.account)  # the author blocks cem
    mute(dan.account, eve.account)  # dan mutes someone the status mentions
    payload = render(write(ana, "Hello @eve"), None)
    assert screen(payload, everyone(bea, cem, dan, eve)).hidden == everyone(bea, cem, dan)


def test_a_hidden_domain_holds_back_its_accounts_unless_followed(bea, cem):
    faraway = remote_account()
    post = Post.objects.create(
        author=faraway,
        local=False,
        uri="https://remote.example/1",
        content_html="<p>Hi</p>",
        created_at=faraway.created_at,
    )
    block_domain(bea.account, "remote.example")
    block_domain(cem.account, "remote.example")
    from wikisocial.social.models import Follow

    Follow.objects.create(follower=cem.account, target=faraway)
    assert screen(render(post, None), everyone(bea, cem)).hidden == everyone(bea)


def test_public_filters_hide_or_mark_the_status_per_viewer(ana, bea, cem, make_user):
    dan = make_user("dan")
    create_filter(
        bea.account,
        title="Gone",
        context=["public"],
        action="hide",
        keywords=[KeywordChange("spoiler")],
    )
    create_filter(
        cem.account, title="Warn", context=["public"], keywords=[KeywordChange("spoiler")]
    )
    create_filter(
        dan.account,
        title="Home only",
        context=["home"],
        action="hide",
        keywords=[KeywordChange("spoiler")],
    )
    payload = render(write(ana, "A spoiler ahead"), None)

    screened = screen(payload, everyone(bea, cem, dan))

    assert screened.hidden == everyone(bea)
    assert set(screened.payloads) == everyone(cem)
    mine = json.loads(screened.payloads[cem.account.pk])
    assert mine["filtered"][0]["filter"]["title"] == "Warn"
    assert mine["filtered"][0]["keyword_matches"] == ["spoiler"]
    assert mine["content"] == json.loads(payload)["content"]


def test_what_is_not_a_status_passes(bea):
    assert screen("117", everyone(bea)).hidden == set()
    assert screen("{}", everyone(bea)).hidden == set()


def test_following_does_not_undo_a_block(ana, bea):
    follow(bea.account, ana.account)
    block(bea.account, ana.account)
    payload = render(write(ana, "Hello"), None)
    assert screen(payload, everyone(bea)).hidden == everyone(bea)
