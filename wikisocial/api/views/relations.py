"""Relations between accounts: followers and following, follow, block, mute and their lists,
follow requests, hidden domains, private notes, familiar followers and suggestions.

Lists of accounts page by the relation's own row (the Follow, the Block…), as Mastodon does:
its id is in the ``Link`` header only. A page of 40 costs a fixed number of queries.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from wikisocial.accounts.models import Account
from wikisocial.api import serializers
from wikisocial.api.base import OPTIONAL, ApiError, Param, Reply, cursor, endpoint, paged
from wikisocial.api.serializers.accounts import group_of, iso
from wikisocial.api.serializers.relations import relationship_with, relationships_of
from wikisocial.api.views.accounts import (
    ACCOUNTS_PAGE,
    NOT_ALLOWED,
    reachable_account,
    visible_account,
    visible_accounts,
)
from wikisocial.communities import access
from wikisocial.communities import actions as communities
from wikisocial.communities.models import Group, Membership
from wikisocial.core.pagination import Page, as_id, paginate
from wikisocial.core.wikilinks import is_language_code
from wikisocial.social import actions
from wikisocial.social.models import Block, DomainBlock, Follow, FollowRequest, Mute
from wikisocial.social.queries import suggested_accounts

RELATIONSHIPS_LIMIT = 80  # accounts one relationships request answers for
FAMILIAR_LIMIT = 40


def _page_of_accounts(request: HttpRequest, rows: QuerySet, field: str) -> Reply:
    """A page of relation ``rows`` (Follow, Block…) as the accounts in ``field``, paged by the
    rows' ids, keeping only accounts that still exist."""
    rows = rows.filter(**{f"{field}__deleted_at__isnull": True}).select_related(field)
    page = paginate(rows, cursor(request, **ACCOUNTS_PAGE))
    data = serializers.accounts([getattr(row, field) for row in page.items])
    return paged(request, data, page.next_max_id, page.prev_min_id)


# --- followers and following ---------------------------------------------------------------


def _network(request: HttpRequest, account: Account, rows: QuerySet, field: str) -> Reply:
    """Followers or followed accounts, or nothing when the account hides them from others
    (Mastodon answers an empty list too). Only accounts the viewer may see are listed."""
    if account.hide_network and account != request.account:
        return Reply([])
    return _page_of_accounts(
        request, rows.filter(**{f"{field}__in": visible_accounts(request).values("pk")}), field
    )


@endpoint(
    "GET",
    "v1/accounts/<id>/followers",
    auth=OPTIONAL,
    scope="read:accounts",
    tag="accounts",
    paginated=True,
)
def followers(request: HttpRequest, id: str) -> Reply:
    """Who follows the account, the latest first; a group's members, the newest first."""
    account = visible_account(request, id)
    group = group_of(account)
    if group is not None:
        return _members(request, group)
    return _network(request, account, Follow.objects.filter(target=account), "follower")


def _members(request: HttpRequest, group: Group) -> Reply:
    """A group's members, as far as the viewer may see its member list (as on the group's
    members page: readers of the group, unless only moderators may see who is in it)."""
    viewer = request.account
    if not access.can_read(viewer, group) or (
        group.members_hidden and not access.can_moderate(viewer, group)
    ):
        return Reply([])
    rows = Membership.objects.filter(group=group, account__in=visible_accounts(request))
    return _page_of_accounts(request, rows, "account")


@endpoint(
    "GET",
    "v1/accounts/<id>/following",
    auth=OPTIONAL,
    scope="read:accounts",
    tag="accounts",
    paginated=True,
)
def following(request: HttpRequest, id: str) -> Reply:
    """Whom the account follows, the latest first."""
    account = visible_account(request, id)
    return _network(request, account, Follow.objects.filter(follower=account), "target")


# --- follow, block, mute -------------------------------------------------------------------

FOLLOW_PARAMS = (
    Param("reblogs", "boolean", "Show their boosts at home (default true; kept when absent)"),
    Param("notify", "boolean", "Notify me of their posts (default false; kept when absent)"),
    Param("languages", "array", "Only posts in these languages (ISO 639-1)"),
)


def _languages(request: HttpRequest) -> list[str] | None:
    params = request.params
    if "languages" not in params and "languages[]" not in params:
        return None
    codes = [code.strip().lower() for code in params.strs("languages") if code.strip()]
    bad = [code for code in codes if not is_language_code(code)]
    if bad:
        raise ValidationError({"languages": f"Not language codes: {', '.join(bad)}"})
    return list(dict.fromkeys(codes))


def _optional_bool(request: HttpRequest, name: str) -> bool | None:
    return request.params.bool(name) if name in request.params else None


@endpoint(
    "POST",
    "v1/accounts/<id>/follow",
    scope="write:follows",
    params=FOLLOW_PARAMS,
    tag="accounts",
)
def follow(request: HttpRequest, id: str) -> dict[str, Any]:
    """Follow the account (ask to, when it is locked or on another server); following again
    changes the options given. Following a group joins it, or asks to (``requested``) where
    joining needs approval, with the group's own rules (bans, invitation only: 422)."""
    target = visible_account(request, id)
    if target == request.account:
        raise ApiError(403, "Following your own account is not allowed")
    group = group_of(target)
    if group is not None:  # following a group is joining it (as Mastodon follows Lemmy's)
        communities.join(request.account, group)
        return relationship_with(request.account, target)
    try:
        actions.follow(
            request.account,
            target,
            show_boosts=_optional_bool(request, "reblogs"),
            notify=_optional_bool(request, "notify"),
            languages=_languages(request),
        )
    except PermissionDenied:
        raise ApiError(403, NOT_ALLOWED) from None
    return relationship_with(request.account, target)


def _relation_endpoint(verb: str, scope: str, summary: str, params: tuple = ()) -> Any:
    return endpoint(
        "POST",
        f"v1/accounts/<id>/{verb}",
        scope=scope,
        params=params,
        tag="accounts",
        summary=summary,
    )


@_relation_endpoint(
    "unfollow", "write:follows", "Stop following the account (leave a group), or asking to"
)
def unfollow(request: HttpRequest, id: str) -> dict[str, Any]:
    target = reachable_account(request, id)
    group = group_of(target)
    if group is not None:
        communities.leave(request.account, group)
    else:
        actions.unfollow(request.account, target)
    return relationship_with(request.account, target)


@_relation_endpoint("remove_from_followers", "write:follows", "Make the account stop following")
def remove_from_followers(request: HttpRequest, id: str) -> dict[str, Any]:
    target = reachable_account(request, id)
    actions.remove_follower(request.account, target)
    return relationship_with(request.account, target)


@_relation_endpoint("block", "write:blocks", "Block the account")
def block(request: HttpRequest, id: str) -> dict[str, Any]:
    target = reachable_account(request, id)
    actions.block(request.account, target)
    return relationship_with(request.account, target)


@_relation_endpoint("unblock", "write:blocks", "Unblock the account")
def unblock(request: HttpRequest, id: str) -> dict[str, Any]:
    target = reachable_account(request, id)
    actions.unblock(request.account, target)
    return relationship_with(request.account, target)


LONGEST_MUTE = 100 * 365 * 24 * 3600  # seconds; longer is as good as for ever

MUTE_PARAMS = (
    Param("notifications", "boolean", "Mute their notifications too (default true)"),
    Param("duration", "integer", "Seconds the mute lasts (0: until undone)"),
)


@_relation_endpoint("mute", "write:mutes", "Mute the account", MUTE_PARAMS)
def mute(request: HttpRequest, id: str) -> dict[str, Any]:
    target = reachable_account(request, id)
    seconds = min(request.params.int("duration", 0) or 0, LONGEST_MUTE)
    actions.mute(
        request.account,
        target,
        hide_notifications=request.params.bool("notifications", True),
        duration=timedelta(seconds=seconds) if seconds > 0 else None,
    )
    return relationship_with(request.account, target)


@_relation_endpoint("unmute", "write:mutes", "Unmute the account")
def unmute(request: HttpRequest, id: str) -> dict[str, Any]:
    target = reachable_account(request, id)
    actions.unmute(request.account, target)
    return relationship_with(request.account, target)


@_relation_endpoint(
    "note",
    "write:accounts",
    "Keep a private note on the account (empty: remove it)",
    (Param("comment", description="The note; empty or absent removes it"),),
)
def note(request: HttpRequest, id: str) -> dict[str, Any]:
    target = reachable_account(request, id)
    actions.set_note(request.account, target, request.params.str("comment"))
    return relationship_with(request.account, target)


# --- relationships and familiar followers --------------------------------------------------


def _asked_accounts(request: HttpRequest, limit: int) -> tuple[list[int], dict[int, Account]]:
    ids = list(dict.fromkeys(request.params.ids("id")))[:limit]
    return ids, {a.pk: a for a in visible_accounts(request).filter(pk__in=ids)}


@endpoint(
    "GET",
    "v1/accounts/relationships",
    scope="read:follows",
    params=(
        Param("id", "array", "Account ids (id[]=…)"),
        Param("with_suspended", "boolean", "Also for disabled accounts"),
    ),
    tag="accounts",
)
def relationships(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's relationship with each account asked for that they may see (and, with
    ``with_suspended``, with accounts an administrator disabled), in the order asked."""
    ids, found = _asked_accounts(request, RELATIONSHIPS_LIMIT)
    if request.params.bool("with_suspended"):
        disabled = Account.objects.active().filter(pk__in=ids, user__is_active=False)
        found.update({a.pk: a for a in disabled})
    return relationships_of(request.account, [found[pk] for pk in ids if pk in found])


@endpoint(
    "GET",
    "v1/accounts/familiar_followers",
    scope="read:follows",
    params=(Param("id", "array", "Account ids (id[]=…)"),),
    tag="accounts",
)
def familiar_followers(request: HttpRequest) -> list[dict[str, Any]]:
    """For each account asked for, its followers whom the caller follows. None for an account
    that hides its network; and followers who hide whom they follow are left out (both as
    in Mastodon)."""
    ids, found = _asked_accounts(request, FAMILIAR_LIMIT)
    viewer = request.account
    open_ids = [pk for pk, a in found.items() if not a.hide_network or a == viewer]
    rows = (
        Follow.objects.filter(target_id__in=open_ids, follower__hide_network=False)
        .filter(follower__in=Follow.objects.filter(follower=viewer).values("target_id"))
        .filter(follower__in=visible_accounts(request).values("pk"))
        .select_related("follower")
        .order_by("-id")
    )
    known: dict[int, list[Account]] = {}
    for row in rows:
        known.setdefault(row.target_id, []).append(row.follower)
    return [
        {"id": str(pk), "accounts": serializers.accounts(known.get(pk, []))}
        for pk in ids
        if pk in found
    ]


# --- follow requests -----------------------------------------------------------------------


@endpoint("GET", "v1/follow_requests", scope="read:follows", tag="follow_requests", paginated=True)
def follow_requests(request: HttpRequest) -> Reply:
    """Accounts asking to follow the caller, the latest first."""
    return _page_of_accounts(
        request, FollowRequest.objects.filter(target=request.account), "follower"
    )


def _follow_request(request: HttpRequest, account_id: str) -> FollowRequest:
    found = (
        FollowRequest.objects.filter(target=request.account, follower_id=as_id(account_id))
        .select_related("follower")
        .first()
        if as_id(account_id) is not None
        else None
    )
    if found is None:
        raise ApiError(404, "Record not found")
    return found


@endpoint(
    "POST",
    "v1/follow_requests/<id>/authorize",
    scope="write:follows",
    tag="follow_requests",
    summary="Let the account follow the caller",
)
def authorize(request: HttpRequest, id: str) -> dict[str, Any]:
    row = _follow_request(request, id)
    actions.approve_follow_request(request.account, row)
    return relationship_with(request.account, row.follower)


@endpoint(
    "POST",
    "v1/follow_requests/<id>/reject",
    scope="write:follows",
    tag="follow_requests",
    summary="Refuse the account's request to follow",
)
def reject(request: HttpRequest, id: str) -> dict[str, Any]:
    row = _follow_request(request, id)
    actions.reject_follow_request(request.account, row)
    return relationship_with(request.account, row.follower)


# --- blocks, mutes, hidden domains ---------------------------------------------------------


@endpoint("GET", "v1/blocks", scope="read:blocks", tag="blocks", paginated=True)
def blocks(request: HttpRequest) -> Reply:
    """Accounts the caller blocks, the latest first."""
    return _page_of_accounts(request, Block.objects.filter(account=request.account), "target")


@endpoint("GET", "v1/mutes", scope="read:mutes", tag="mutes", paginated=True)
def mutes(request: HttpRequest) -> Reply:
    """Accounts the caller mutes (while the mute lasts), the latest first, each with
    ``mute_expires_at``."""
    rows = Mute.objects.active().filter(account=request.account, target__deleted_at__isnull=True)
    page = paginate(rows.select_related("target"), cursor(request, **ACCOUNTS_PAGE))
    data = [
        {**serializers.account(row.target), "mute_expires_at": iso(row.expires_at)}
        for row in page.items
    ]
    return paged(request, data, page.next_max_id, page.prev_min_id)


DOMAIN = (Param("domain", description="A domain such as example.org", required=True),)


def _domain_page(request: HttpRequest) -> Page:
    rows = DomainBlock.objects.filter(account=request.account)
    return paginate(rows, cursor(request, default=100, maximum=200))


@endpoint("GET", "v1/domain_blocks", scope="read:blocks", tag="domain_blocks", paginated=True)
def domain_blocks(request: HttpRequest) -> Reply:
    """The domains the caller hides, as strings, the latest first."""
    page = _domain_page(request)
    return paged(request, [row.domain for row in page.items], page.next_max_id, page.prev_min_id)


@endpoint("POST", "v1/domain_blocks", scope="write:blocks", params=DOMAIN, tag="domain_blocks")
def block_domain(request: HttpRequest) -> dict[str, Any]:
    """Hide a domain: its posts leave the public timelines, its notifications stop, and the
    caller's followers there are removed."""
    actions.block_domain(request.account, request.params.str("domain"))
    return {}


@endpoint("DELETE", "v1/domain_blocks", scope="write:blocks", params=DOMAIN, tag="domain_blocks")
def unblock_domain(request: HttpRequest) -> dict[str, Any]:
    """Stop hiding a domain."""
    actions.unblock_domain(request.account, request.params.str("domain"))
    return {}


# --- suggestions and endorsements ----------------------------------------------------------

SUGGESTION_LIMIT = (Param("limit", "integer", "How many (40, at most 80)"),)


@endpoint(
    "GET",
    "v1/suggestions",
    scope="read:accounts",
    params=SUGGESTION_LIMIT,
    tag="suggestions",
)
def suggestions_v1(request: HttpRequest) -> list[dict[str, Any]]:
    """Accounts the caller might follow (the most followed local ones they don't)."""
    limit = cursor(request, **ACCOUNTS_PAGE).limit
    return serializers.accounts(suggested_accounts(request.account, limit))


@endpoint(
    "GET",
    "v2/suggestions",
    scope="read:accounts",
    params=SUGGESTION_LIMIT,
    tag="suggestions",
)
def suggestions_v2(request: HttpRequest) -> list[dict[str, Any]]:
    """The same as Suggestion entities, each saying why it is suggested."""
    limit = cursor(request, **ACCOUNTS_PAGE).limit
    return [
        {"source": "global", "sources": ["most_followed"], "account": serializers.account(a)}
        for a in suggested_accounts(request.account, limit)
    ]


@endpoint("DELETE", "v1/suggestions/<id>", scope="read:accounts", tag="suggestions")
def dismiss_suggestion(request: HttpRequest, id: str) -> dict[str, Any]:
    """Don't suggest this account again. ``{}`` also for an id that is no suggestion, as in
    Mastodon."""
    pk = as_id(id)
    target = visible_accounts(request).filter(pk=pk).first() if pk is not None else None
    if target is not None:
        actions.dismiss_suggestion(request.account, target)
    return {}


@endpoint("GET", "v1/endorsements", scope="read:accounts", tag="endorsements", paginated=True)
def endorsements(request: HttpRequest) -> list:
    """Accounts the caller features on their profile: featuring accounts is not something
    this server offers, so there are none."""
    return []
