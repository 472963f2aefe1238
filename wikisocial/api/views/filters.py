"""Filters (v2, matched on the server): a filter has a title, the contexts it applies in, an
action (warn, hide, blur), an optional expiry, keywords and single posts. The legacy v1
listing shows one V1::Filter per keyword, as Mastodon 4 does."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from wikisocial.api.base import Param, endpoint, not_found
from wikisocial.api.params import Params
from wikisocial.api.serializers.filters import (
    filter_entity,
    filter_keyword,
    filter_status,
    v1_filter,
)
from wikisocial.core.pagination import as_id
from wikisocial.filters import actions
from wikisocial.filters.actions import KEEP, KeywordChange
from wikisocial.filters.models import Action, Filter, FilterKeyword, FilterStatus
from wikisocial.posts.models import Post

FILTER_PARAMS = (
    Param("title", description="The filter's name"),
    Param("context", "array", "Where it applies: home, notifications, public, thread, account"),
    Param("filter_action", enum=tuple(Action.values), description="What a match does"),
    Param("expires_in", "integer", "Seconds until it expires (empty: never)"),
    Param("keywords_attributes", "array", "Keywords to add, change (id) or remove (_destroy)"),
)
KEYWORD_PARAMS = (
    Param("keyword", description="The words to match", required=True),
    Param("whole_word", "boolean", "Match at word boundaries only"),
)


def _own(model: type, request: HttpRequest, id: str, owner: str) -> Any:
    """The viewer's object ``id`` of ``model`` (``owner``: the path to its account)."""
    found = model.objects.filter(pk=as_id(id), **{owner: request.account}).first()
    if found is None:
        raise not_found()
    return found


def _own_filter(request: HttpRequest, id: str) -> Filter:
    return _own(Filter, request, id, "account")


def _with_parts(request: HttpRequest) -> Any:
    return Filter.objects.filter(account=request.account).prefetch_related("keywords", "statuses")


def _keyword_changes(params: Params) -> list[KeywordChange]:
    changes = []
    for item in params.list("keywords_attributes"):
        one = Params(item if isinstance(item, dict) else {})
        changes.append(
            KeywordChange(
                keyword=one.str("keyword") if "keyword" in one else None,
                whole_word=one.bool("whole_word") if "whole_word" in one else None,
                id=one.id("id"),
                destroy=one.bool("_destroy"),
            )
        )
    return changes


def _expires_in(params: Params) -> int | None:
    return params.int("expires_in") if params.raw("expires_in") not in (None, "") else None


def _reloaded(request: HttpRequest, row: Filter) -> dict[str, Any]:
    return filter_entity(_with_parts(request).get(pk=row.pk))


@endpoint("GET", "v2/filters", scope="read:filters", tag="filters", summary="The viewer's filters")
def index(request: HttpRequest) -> list[dict[str, Any]]:
    return [filter_entity(row) for row in _with_parts(request).order_by("id")]


@endpoint(
    "POST",
    "v2/filters",
    scope="write:filters",
    params=FILTER_PARAMS,
    tag="filters",
    summary="Create a filter",
)
def create(request: HttpRequest) -> dict[str, Any]:
    params = request.params
    try:
        row = actions.create_filter(
            request.account,
            title=params.str("title"),
            context=params.strs("context"),
            action=params.str("filter_action", Action.WARN),
            expires_in=_expires_in(params),
            keywords=_keyword_changes(params),
        )
    except FilterKeyword.DoesNotExist:
        raise not_found() from None
    return _reloaded(request, row)


@endpoint("GET", "v2/filters/<id>", scope="read:filters", tag="filters", summary="One filter")
def show(request: HttpRequest, id: str) -> dict[str, Any]:
    row = _with_parts(request).filter(pk=as_id(id)).first()
    if row is None:
        raise not_found()
    return filter_entity(row)


@endpoint(
    "PUT",
    "v2/filters/<id>",
    scope="write:filters",
    params=FILTER_PARAMS,
    tag="filters",
    summary="Change a filter and its keywords",
)
def update(request: HttpRequest, id: str) -> dict[str, Any]:
    row = _own_filter(request, id)
    params = request.params
    try:
        actions.update_filter(
            row,
            title=params.str("title") if "title" in params else None,
            context=params.strs("context") if "context" in params else None,
            action=params.str("filter_action") if "filter_action" in params else None,
            expires_in=_expires_in(params) if "expires_in" in params else KEEP,
            keywords=_keyword_changes(params),
        )
    except FilterKeyword.DoesNotExist:
        raise not_found() from None
    return _reloaded(request, row)


@endpoint(
    "DELETE", "v2/filters/<id>", scope="write:filters", tag="filters", summary="Delete a filter"
)
def destroy(request: HttpRequest, id: str) -> dict[str, Any]:
    actions.delete_filter(_own_filter(request, id))
    return {}


# --- keywords ---------------------------------------------------------------------------------


@endpoint(
    "GET",
    "v2/filters/<filter_id>/keywords",
    scope="read:filters",
    tag="filters",
    summary="A filter's keywords",
)
def keywords(request: HttpRequest, filter_id: str) -> list[dict[str, Any]]:
    return [filter_keyword(k) for k in _own_filter(request, filter_id).keywords.all()]


@endpoint(
    "POST",
    "v2/filters/<filter_id>/keywords",
    scope="write:filters",
    params=KEYWORD_PARAMS,
    tag="filters",
    summary="Add a keyword to a filter",
)
def add_keyword(request: HttpRequest, filter_id: str) -> dict[str, Any]:
    row = _own_filter(request, filter_id)
    params = request.params
    keyword = actions.add_keyword(row, params.str("keyword"), params.bool("whole_word", True))
    return filter_keyword(keyword)


@endpoint(
    "GET", "v2/filters/keywords/<id>", scope="read:filters", tag="filters", summary="One keyword"
)
def show_keyword(request: HttpRequest, id: str) -> dict[str, Any]:
    return filter_keyword(_own(FilterKeyword, request, id, "filter__account"))


@endpoint(
    "PUT",
    "v2/filters/keywords/<id>",
    scope="write:filters",
    params=KEYWORD_PARAMS,
    tag="filters",
    summary="Change a keyword",
)
def update_keyword(request: HttpRequest, id: str) -> dict[str, Any]:
    row = _own(FilterKeyword, request, id, "filter__account")
    params = request.params
    row = actions.update_keyword(
        row,
        keyword=params.str("keyword") if "keyword" in params else None,
        whole_word=params.bool("whole_word") if "whole_word" in params else None,
    )
    return filter_keyword(row)


@endpoint(
    "DELETE",
    "v2/filters/keywords/<id>",
    scope="write:filters",
    tag="filters",
    summary="Remove a keyword",
)
def remove_keyword(request: HttpRequest, id: str) -> dict[str, Any]:
    actions.remove_keyword(_own(FilterKeyword, request, id, "filter__account"))
    return {}


# --- statuses ---------------------------------------------------------------------------------


@endpoint(
    "GET",
    "v2/filters/<filter_id>/statuses",
    scope="read:filters",
    tag="filters",
    summary="The posts a filter applies to",
)
def filtered_statuses(request: HttpRequest, filter_id: str) -> list[dict[str, Any]]:
    return [filter_status(s) for s in _own_filter(request, filter_id).statuses.all()]


@endpoint(
    "POST",
    "v2/filters/<filter_id>/statuses",
    scope="write:filters",
    tag="filters",
    params=(Param("status_id", description="The post to filter", required=True),),
    summary="Add a post to a filter",
)
def add_status(request: HttpRequest, filter_id: str) -> dict[str, Any]:
    row = _own_filter(request, filter_id)
    post_id = request.params.id("status_id")
    post = Post.objects.visible_to(request.account).filter(pk=post_id).first() if post_id else None
    if post is None:
        raise not_found()
    return filter_status(actions.add_status(row, post))


@endpoint(
    "GET",
    "v2/filters/statuses/<id>",
    scope="read:filters",
    tag="filters",
    summary="One filtered post",
)
def show_status(request: HttpRequest, id: str) -> dict[str, Any]:
    return filter_status(_own(FilterStatus, request, id, "filter__account"))


@endpoint(
    "DELETE",
    "v2/filters/statuses/<id>",
    scope="write:filters",
    tag="filters",
    summary="Remove a post from a filter",
)
def remove_status(request: HttpRequest, id: str) -> dict[str, Any]:
    actions.remove_status(_own(FilterStatus, request, id, "filter__account"))
    return {}


# --- v1 -------------------------------------------------------------------------------------


def _v1_keywords(request: HttpRequest) -> Any:
    return FilterKeyword.objects.filter(filter__account=request.account).select_related("filter")


@endpoint(
    "GET",
    "v1/filters",
    scope="read:filters",
    tag="filters",
    summary="The viewer's keywords as legacy filters (deprecated: use v2)",
)
def v1_index(request: HttpRequest) -> list[dict[str, Any]]:
    return [v1_filter(k) for k in _v1_keywords(request).order_by("id")]


@endpoint(
    "GET",
    "v1/filters/<id>",
    scope="read:filters",
    tag="filters",
    summary="One keyword as a legacy filter (deprecated: use v2)",
)
def v1_show(request: HttpRequest, id: str) -> dict[str, Any]:
    keyword = _v1_keywords(request).filter(pk=as_id(id)).first()
    if keyword is None:
        raise not_found()
    return v1_filter(keyword)
