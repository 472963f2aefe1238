"""Which of a reader's filters a post matches. The reader's active filters are loaded once per
page (:func:`active_filters`, a fixed number of queries) and matched in Python, so filtering a
page of 40 posts costs no more queries than a page of one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wikisocial.accounts.models import Account
from wikisocial.core.markup import excerpt
from wikisocial.filters.models import CONTEXTS, Filter, FilterKeyword
from wikisocial.posts.models import Poll, Post


@dataclass
class ActiveFilter:
    """A filter ready to match: its keywords compiled, its posts as a set of ids."""

    filter: Filter
    keywords: list[tuple[str, re.Pattern[str]]]
    post_ids: set[int] = field(default_factory=set)


@dataclass
class Match:
    filter: Filter
    keyword_matches: list[str]
    status_matches: list[str]


def keyword_pattern(keyword: FilterKeyword) -> re.Pattern[str]:
    """Case-insensitive; with ``whole_word``, a word character at either end of the keyword
    may not continue into the text around it (Mastodon's rule, Unicode-aware)."""
    text = re.escape(keyword.keyword)
    if keyword.whole_word:
        if re.match(r"\w", keyword.keyword):
            text = r"(?<!\w)" + text
        if re.search(r"\w$", keyword.keyword):
            text += r"(?!\w)"
    return re.compile(text, re.IGNORECASE)


def compile_filter(row: Filter) -> ActiveFilter:
    """``row`` with its keywords and statuses already loaded."""
    return ActiveFilter(
        filter=row,
        keywords=[(k.keyword, keyword_pattern(k)) for k in row.keywords.all()],
        post_ids={s.post_id for s in row.statuses.all()},
    )


def active_filters(account: Account, context: str) -> list[ActiveFilter]:
    """The account's unexpired filters that apply in ``context`` (three queries at most)."""
    if context not in CONTEXTS:
        raise ValueError(f"unknown filter context {context!r}")
    rows = Filter.objects.active().filter(account=account).prefetch_related("keywords", "statuses")
    return [compile_filter(row) for row in rows if context in row.context]


def matchable_text(post: Post) -> str:
    """What keywords are matched against: the content warning, the text, the media
    descriptions and the poll's choices (the media and poll already loaded with the post)."""
    # excerpt() with room for everything is the plain text of the HTML.
    parts = [post.spoiler_text, excerpt(post.content_html, len(post.content_html) + 1)]
    parts.extend(m.description for m in post.media.all() if m.description)
    try:
        poll = post.poll
    except Poll.DoesNotExist:
        poll = None
    if poll is not None:
        parts.extend(option.title for option in poll.options.all())
    return "\n\n".join(p for p in parts if p)


def matches(post: Post, filters: list[ActiveFilter]) -> list[Match]:
    """The filters ``post`` matches (a boost is judged by the post it boosts)."""
    if not filters:
        return []
    original = post.boost_of or post
    text = matchable_text(original) if any(f.keywords for f in filters) else ""
    found = []
    for active in filters:
        words = [word for word, pattern in active.keywords if pattern.search(text)]
        posts = [str(original.pk)] if original.pk in active.post_ids else []
        if words or posts:
            found.append(Match(active.filter, words, posts))
    return found
