"""A page of posts costs a fixed number of queries, whatever its length."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wikisocial.posts import actions
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/", "/local", "/@ana"])
def test_timeline_pages_cost_a_fixed_number_of_queries(client, make_user, url):
    ana, bea = make_user("ana"), make_user("bea")
    social.follow(bea.account, ana.account)
    client.force_login(bea)

    def post(n):
        for i in range(n):
            made = actions.create_post(ana.account, actions.Draft(text=f"post {i} #tag @bea"))
            actions.like(bea.account, made)

    post(2)
    queries_for(client, url)  # warm caches (instance settings, code of conduct version)
    few = queries_for(client, url)
    post(15)
    queries_for(client, url)  # the read marker moves once (an UPDATE), as on any visit
    many = queries_for(client, url)
    assert many == few, f"{url}: {few} queries for 2 posts, {many} for 17"
