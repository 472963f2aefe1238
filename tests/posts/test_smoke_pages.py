"""Every posting page renders for the main cases (a net for template errors)."""

from __future__ import annotations

import pytest

from wikisocial.posts import actions
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db


def test_pages_render(client, make_user):
    ana, bea = make_user("ana"), make_user("bea")
    social.follow(bea.account, ana.account)
    post = actions.create_post(
        ana.account, actions.Draft(text="Hello **world** #wiki [[Foo]] @bea", spoiler_text="")
    )
    actions.create_post(
        bea.account, actions.Draft(text="Nice!", in_reply_to=post, spoiler_text="spoiler")
    )
    poll = actions.create_post(
        ana.account,
        actions.Draft(text="Vote", poll=actions.PollDraft(options=["a", "b"], multiple=True)),
    )
    actions.like(bea.account, post)
    actions.boost(bea.account, post)
    client.force_login(bea)
    urls = [
        "/",
        "/local",
        "/federated",
        "/tags/wiki",
        "/compose",
        "/bookmarks",
        "/notifications",
        "/notifications?filter=mentions",
        "/notifications?filter=kept",
        "/follow-requests",
        "/settings/notifications",
        "/settings/relations",
        "/@ana",
        "/@ana/with_replies",
        "/@ana/media",
        "/@ana/wall",
        "/@ana/followers",
        "/@ana/following",
        post.get_absolute_url(),
        f"{post.get_absolute_url()}/history",
        poll.get_absolute_url(),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    client.logout()
    for url in ["/", "/local", "/@ana", post.get_absolute_url()]:
        assert client.get(url).status_code == 200, url
