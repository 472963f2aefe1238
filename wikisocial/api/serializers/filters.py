"""The Filter, FilterKeyword, FilterStatus and FilterResult entities, and the legacy V1::Filter
(one per keyword, as Mastodon 4 gives them)."""

from __future__ import annotations

from typing import Any

from wikisocial.api.serializers.accounts import iso
from wikisocial.filters.matching import Match
from wikisocial.filters.models import Action, Filter, FilterKeyword, FilterStatus


def filter_keyword(row: FilterKeyword) -> dict[str, Any]:
    return {"id": str(row.pk), "keyword": row.keyword, "whole_word": row.whole_word}


def filter_status(row: FilterStatus) -> dict[str, Any]:
    return {"id": str(row.pk), "status_id": str(row.post_id)}


def _filter_fields(row: Filter) -> dict[str, Any]:
    return {
        "id": str(row.pk),
        "title": row.title,
        "context": list(row.context),
        "expires_at": iso(row.expires_at),
        "filter_action": row.action,
    }


def filter_entity(row: Filter) -> dict[str, Any]:
    """The Filter entity with its keywords and statuses (loaded with it, ideally prefetched)."""
    return {
        **_filter_fields(row),
        "keywords": [filter_keyword(k) for k in row.keywords.all()],
        "statuses": [filter_status(s) for s in row.statuses.all()],
    }


def filter_result(match: Match) -> dict[str, Any]:
    """A FilterResult, as in a Status's ``filtered``: the filter without its keywords."""
    return {
        "filter": _filter_fields(match.filter),
        "keyword_matches": match.keyword_matches or None,
        "status_matches": match.status_matches or None,
    }


def v1_filter(keyword: FilterKeyword) -> dict[str, Any]:
    """The legacy V1::Filter: one keyword with its filter's settings (``irreversible`` is a
    hiding filter)."""
    row = keyword.filter
    return {
        "id": str(keyword.pk),
        "phrase": keyword.keyword,
        "context": list(row.context),
        "whole_word": keyword.whole_word,
        "expires_at": iso(row.expires_at),
        "irreversible": row.action == Action.HIDE,
    }
