"""Cursor pagination (core/pagination.py), directly and through the timeline pages: max_id goes
down, since_id gives the newest page above an id, min_id the page just above it."""

from __future__ import annotations

import re

import pytest
from django.utils.timezone import now

from tests.posts.helpers import body, write
from wikisocial.core.pagination import Cursor, cursor_from, paginate
from wikisocial.posts.models import Post
from wikisocial.timelines.models import FeedEntry

pytestmark = pytest.mark.django_db


# --- reading a cursor from query parameters -------------------------------------------------


def test_no_parameters_give_the_default_cursor():
    assert cursor_from({}) == Cursor(max_id=None, since_id=None, min_id=None, limit=20)
    assert cursor_from({}, default=5).limit == 5


def test_ids_are_read():
    cursor = cursor_from({"max_id": "300", "since_id": "100", "min_id": "200", "limit": "7"})
    assert cursor == Cursor(max_id=300, since_id=100, min_id=200, limit=7)


@pytest.mark.parametrize("bad", ["abc", "", "-1", "1.5", "1e3", "0x10", str(2**63), "12abc", None])
def test_bad_ids_are_ignored(bad):
    cursor = cursor_from({"max_id": bad, "since_id": bad, "min_id": bad})
    assert (cursor.max_id, cursor.since_id, cursor.min_id) == (None, None, None)


def test_the_largest_id_is_accepted():
    assert cursor_from({"max_id": str(2**63 - 1)}).max_id == 2**63 - 1


@pytest.mark.parametrize(
    ("given", "expected"),
    [("1", 1), ("7", 7), ("40", 40), ("41", 40), ("1000000", 40)],
)
def test_the_limit_is_clamped(given, expected):
    assert cursor_from({"limit": given}, default=20, maximum=40).limit == expected


@pytest.mark.parametrize("given", ["0", "-5", "many", "", "99999999999999999999"])
def test_a_useless_limit_still_gives_a_page(given):
    assert 1 <= cursor_from({"limit": given}, default=20, maximum=40).limit <= 40


# --- paginating -----------------------------------------------------------------------------


@pytest.fixture
def ten(ana):
    """Ten posts, oldest first."""
    return [write(ana, f"post {i}") for i in range(10)]


def page(cursor: Cursor, key: str = "id"):
    return paginate(Post.objects.all(), cursor, key=key)


def pks(items) -> list[int]:
    return [item.pk for item in items]


def test_the_first_page_is_the_newest(ten):
    result = page(Cursor(limit=3))
    assert pks(result.items) == pks([ten[9], ten[8], ten[7]])
    assert result.next_max_id == ten[7].pk and result.prev_min_id == ten[9].pk


def test_max_id_gives_older_items(ten):
    result = page(Cursor(max_id=ten[7].pk, limit=3))
    assert pks(result.items) == pks([ten[6], ten[5], ten[4]])


def test_since_id_gives_the_newest_items_above(ten):
    result = page(Cursor(since_id=ten[2].pk, limit=3))
    assert pks(result.items) == pks([ten[9], ten[8], ten[7]])  # newest first, maybe a gap


def test_min_id_gives_the_items_just_above(ten):
    result = page(Cursor(min_id=ten[2].pk, limit=3))
    assert pks(result.items) == pks([ten[5], ten[4], ten[3]])  # no gap, newest first
    assert result.prev_min_id == ten[5].pk and result.next_max_id == ten[3].pk


def test_ranges_combine(ten):
    assert pks(page(Cursor(min_id=ten[2].pk, max_id=ten[5].pk)).items) == pks([ten[4], ten[3]])
    assert pks(page(Cursor(since_id=ten[2].pk, max_id=ten[7].pk, limit=10)).items) == pks(
        [ten[6], ten[5], ten[4], ten[3]]
    )


def test_an_empty_page(ten):
    result = page(Cursor(max_id=ten[0].pk))
    assert result.items == [] and result.next_max_id is None and result.prev_min_id is None
    assert page(Cursor(since_id=ten[9].pk)).items == []


def test_walking_down_and_up_visits_everything_once(ten):
    seen, cursor = [], Cursor(limit=3)
    while True:
        result = page(cursor)
        if not result.items:
            break
        seen += pks(result.items)
        cursor = Cursor(max_id=result.next_max_id, limit=3)
    assert seen == pks(reversed(ten))

    seen, cursor = [], Cursor(min_id=ten[0].pk - 1, limit=4)
    while True:
        result = page(cursor)
        if not result.items:
            break
        seen = pks(result.items) + seen
        cursor = Cursor(min_id=result.prev_min_id, limit=4)
    assert seen == pks(reversed(ten))


def test_paginating_on_another_key(ana, ten):
    entries = FeedEntry.objects.filter(owner=ana.account)
    result = paginate(entries, Cursor(max_id=ten[5].pk, limit=2), key="post_id")
    assert [e.post_id for e in result.items] == [ten[4].pk, ten[3].pk]
    assert result.next_max_id == ten[3].pk


# --- through the pages ----------------------------------------------------------------------


def titles(html: str) -> list[str]:
    return re.findall(r"post (\d)", html.split('<div class="timeline">')[1])


def test_pages_read_the_cursor(client, ten):
    assert titles(body(client.get("/local?limit=2"))) == ["9", "8"]
    html = body(client.get("/local?limit=2"))
    assert f'href="?max_id={ten[8].pk}"' in html
    assert titles(body(client.get(f"/local?limit=2&max_id={ten[8].pk}"))) == ["7", "6"]
    assert titles(body(client.get(f"/local?limit=3&min_id={ten[2].pk}"))) == ["5", "4", "3"]
    assert titles(body(client.get(f"/local?since_id={ten[7].pk}"))) == ["9", "8"]


def test_pages_ignore_bad_cursors(client, ten):
    for query in ("max_id=abc", "max_id=-1", f"max_id={2**64}", "limit=lots", "min_id=%00"):
        response = client.get(f"/local?{query}")
        assert response.status_code == 200, query
        assert titles(body(response))[:2] == ["9", "8"], query


def test_pages_clamp_the_limit(client, ana):
    Post.objects.bulk_create(
        Post(author=ana.account, content=f"p{i}", content_html=f"<p>p{i}</p>", created_at=now())
        for i in range(45)
    )
    html = body(client.get("/local?limit=1000"))
    assert html.count('<article class="post') == 40
