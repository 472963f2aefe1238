"""Matching posts against filters (filters/matching.py) and the filter actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.posts.helpers import write
from wikisocial.filters import actions
from wikisocial.filters.actions import KeywordChange
from wikisocial.filters.matching import active_filters, matches
from wikisocial.filters.models import Filter, FilterKeyword
from wikisocial.posts import actions as posts

pytestmark = pytest.mark.django_db


def keyword_filter(account, *words, whole_word=True, context=("home",), **fields) -> Filter:
    changes = [KeywordChange(keyword=w, whole_word=whole_word) for w in words]
    return actions.create_filter(account, title="F", context=context, keywords=changes, **fields)


def matched(post, account, context="home") -> list[list[str]]:
    return [m.keyword_matches for m in matches(post, active_filters(account, context))]


@pytest.mark.parametrize(
    ("keyword", "whole_word", "text", "hit"),
    [
        ("cat", True, "A cat sat", True),
        ("cat", True, "Categories", False),
        ("cat", False, "Categories", True),
        ("CAT", True, "cat!", True),
        ("plot twist", True, "What a plot twist.", True),
        ("@twitter.com", True, "see me@twitter.com", True),  # no word edge at "@"
        ("über", True, "Das ist Über-cool", True),
        ("über", True, "Überall", False),
        ("日本", False, "私は日本が好き", True),
    ],
)
def test_keyword_rules(ana, bea, keyword, whole_word, text, hit):
    keyword_filter(ana.account, keyword, whole_word=whole_word)
    post = write(bea, text)
    assert matched(post, ana.account) == ([[keyword]] if hit else [])


def test_html_is_matched_as_text(ana, bea):
    keyword_filter(ana.account, "bold move")
    post = write(bea, "a **bold** move")
    assert "<strong>" in post.content_html and matched(post, ana.account) == [["bold move"]]


def test_context_expiry_and_polls(ana, bea):
    keyword_filter(ana.account, "yes", context=("public",))
    post = write(bea, "Vote?", poll=posts.PollDraft(options=["yes", "no"]))
    assert matched(post, ana.account, "home") == []
    assert matched(post, ana.account, "public") == [["yes"]]
    Filter.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert matched(post, ana.account, "public") == []
    with pytest.raises(ValueError):
        active_filters(ana.account, "elsewhere")


def test_create_and_update_filters(ana):
    made = keyword_filter(ana.account, "foo", "bar", action="hide", expires_in=60)
    assert made.action == "hide" and made.expires_at > timezone.now()
    foo, bar = made.keywords.all()
    actions.update_filter(
        made,
        title="G",
        expires_in=None,
        keywords=[KeywordChange(id=foo.pk, destroy=True), KeywordChange(id=bar.pk, keyword="baz")],
    )
    made.refresh_from_db()
    assert made.title == "G" and made.expires_at is None
    assert [k.keyword for k in made.keywords.all()] == ["baz"]
    with pytest.raises(FilterKeyword.DoesNotExist):
        actions.update_filter(made, keywords=[KeywordChange(id=foo.pk, keyword="gone")])
    for bad in ({"title": " "}, {"context": []}, {"context": ["x"]}, {"action": "zap"}):
        with pytest.raises(ValidationError):
            actions.update_filter(made, **bad)
    with pytest.raises(ValidationError):
        actions.update_filter(made, expires_in=0)


def test_filtering_a_post_twice_is_refused(ana, bea):
    made = keyword_filter(ana.account)
    post = write(bea, "hello")
    actions.add_status(made, post)
    with pytest.raises(ValidationError):
        actions.add_status(made, post)
    [match] = matches(posts.boost(ana.account, post), active_filters(ana.account, "home"))
    assert match.status_matches == [str(post.pk)] and match.keyword_matches == []
