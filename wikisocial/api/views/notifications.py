"""Notifications: the list (v1) and the grouped list (v2), dismissing, the unread count, the
filtering policy and the requests it keeps aside (Mastodon's notification requests).

Our kinds map onto Mastodon's types (a reply is a ``mention``; a new topic or reply in a
group or topic one watches is a ``status``, Mastodon's "someone you chose to hear from
posted"). The group kinds Mastodon has no type for (join requests, approvals, invitations,
removals, wiki edits) are left out of every list and count here: apps would not know what to
show. There are no ``admin.sign_up`` or ``admin.report`` notifications, so asking for those
types finds nothing. Grouping follows Mastodon: favourites and boosts of one post, and the
day's new followers, form groups; everything else is ``ungrouped-<id>``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from wikisocial.accounts.models import Account
from wikisocial.api import serializers
from wikisocial.api.base import (
    ApiError,
    Param,
    Reply,
    cursor,
    endpoint,
    not_found,
    paged,
)
from wikisocial.api.serializers import iso
from wikisocial.core.pagination import Cursor, as_id, paginate
from wikisocial.notifications import actions
from wikisocial.notifications.models import Kind, Notification
from wikisocial.notifications.queries import (
    API_TYPES,
    GROUPABLE_TYPES,
    KEYED_TYPES,
    UNGROUPED,
    ApiGroup,
    Request,
    api_group_key,
    api_groups,
    by_group_key,
    pending_summary,
    representatives,
    request_sender,
    requests,
    unread_total,
)
from wikisocial.notifications.queries import browsable as all_kinds
from wikisocial.posts.models import Post

TAG = "notifications"
READ = "read:notifications"
WRITE = "write:notifications"
# Types whose notifications carry the status they are about.
STATUS_TYPES = frozenset({"mention", "status", "reblog", "favourite", "poll", "update"})
FILTERS = (
    Param("types[]", "array", "Types to include"),
    Param("exclude_types[]", "array", "Types to leave out"),
    Param("account_id", description="Only notifications from this account"),
)
LIST_FILTERS = (
    *FILTERS,
    Param("include_filtered", "boolean", "Include those the policy kept aside"),
)
GROUPING = (Param("grouped_types[]", "array", "Types that may be grouped"),)
COUNT_LIMIT = (Param("limit", "integer", "Count at most this many (default 100, max 1000)"),)


# Mastodon's types and the kinds each stands for: the notifications module's, and ``status``
# for the posts of watched groups and topics. Kinds in none of them are not shown here.
TYPES_SHOWN: dict[str, tuple[str, ...]] = {
    **API_TYPES,
    "status": (Kind.GROUP_TOPIC, Kind.GROUP_REPLY),
}
TYPE_OF = {kind: name for name, kinds in TYPES_SHOWN.items() for kind in kinds}


def api_type(kind: str) -> str:
    """The Mastodon type a notification of ``kind`` is shown as."""
    return TYPE_OF.get(kind, str(kind))


def kinds_for(types: list[str], exclude_types: list[str]) -> list[str]:
    """Our kinds for Mastodon's ``types[]`` and ``exclude_types[]`` (unknown names are
    ignored; neither given: every kind that has a Mastodon type)."""
    wanted = [t for t in (types or TYPES_SHOWN) if t in TYPES_SHOWN and t not in exclude_types]
    return [kind for t in wanted for kind in TYPES_SHOWN[t]]


def browsable(viewer: Account, **options: Any) -> QuerySet:
    """The viewer's notifications a client may list (``notifications.queries.browsable``),
    of the kinds that have a Mastodon type."""
    return all_kinds(viewer, **options).filter(kind__in=list(TYPE_OF))


# --- reading the request -------------------------------------------------------------------


def _browsable(request: HttpRequest, *, include_filtered: bool | None = None):
    params = request.params
    return browsable(
        request.account,
        kinds=kinds_for(params.strs("types"), params.strs("exclude_types")),
        sender_id=params.id("account_id"),
        include_filtered=(
            params.bool("include_filtered") if include_filtered is None else include_filtered
        ),
    )


def _grouped_types(request: HttpRequest) -> frozenset[str]:
    asked = request.params.strs("grouped_types")
    return frozenset(asked) & KEYED_TYPES if asked else GROUPABLE_TYPES


def _count_limit(request: HttpRequest) -> int:
    return cursor(request, default=100, maximum=1000).limit


# --- entities --------------------------------------------------------------------------------


def _statuses(viewer: Account, post_ids: set[int]) -> dict[int, dict[str, Any]]:
    """The Status entities of ``post_ids``, loaded together (filters of the "notifications"
    context apply: a status a "hide" filter matches is left out)."""
    if not post_ids:
        return {}
    posts = list(Post.objects.visible_to(viewer).filter(pk__in=post_ids))
    return {int(s["id"]): s for s in serializers.statuses(posts, viewer, "notifications")}


def _with_status(kind: str) -> bool:
    return api_type(kind) in STATUS_TYPES


def notification_entities(items: list[Notification], viewer: Account) -> list[dict[str, Any]]:
    """Notification entities for a page (two passes: every status of the page at once)."""
    found = _statuses(viewer, {n.post_id for n in items if n.post_id and _with_status(n.kind)})
    entities = []
    for item in items:
        data: dict[str, Any] = {
            "id": str(item.pk),
            "type": api_type(item.kind),
            "created_at": iso(item.created_at),
            "group_key": api_group_key(item),
            "account": serializers.account(item.actor),
        }
        if item.kind not in TYPE_OF:
            continue  # no Mastodon type (a join request, a wiki edit …)
        if _with_status(item.kind):
            data["status"] = found.get(item.post_id)
            if data["status"] is None:
                continue  # hidden by one of the viewer's filters, or no longer visible
        entities.append(data)
    return entities


def _group_entity(group: ApiGroup, statuses: dict[int, dict[str, Any]]) -> dict[str, Any]:
    item = group.notification
    data: dict[str, Any] = {
        "group_key": group.key,
        "notifications_count": group.count,
        "type": api_type(item.kind),
        "most_recent_notification_id": str(group.latest_id),
    }
    if group.page_min_id is not None:
        data["page_min_id"] = str(group.page_min_id)
        data["page_max_id"] = str(group.latest_id)
        data["latest_page_notification_at"] = iso(group.latest_at)
    data["sample_account_ids"] = [str(pk) for pk in group.sample_ids]
    if _with_status(item.kind):
        data["status_id"] = str(item.post_id) if item.post_id in statuses else None
    return data


def grouped_results(groups: list[ApiGroup], viewer: Account) -> dict[str, Any]:
    """A GroupedNotificationsResults: accounts and statuses once each, then the groups."""
    statuses = _statuses(
        viewer,
        {
            g.notification.post_id
            for g in groups
            if g.notification.post_id and _with_status(g.notification.kind)
        },
    )
    shown = [
        g
        for g in groups
        if not _with_status(g.notification.kind) or g.notification.post_id in statuses
    ]
    account_ids = list(dict.fromkeys(pk for g in shown for pk in g.sample_ids))
    found = Account.objects.in_bulk(account_ids)
    return {
        "accounts": serializers.accounts([found[pk] for pk in account_ids if pk in found]),
        "statuses": list(statuses.values()),
        "notification_groups": [_group_entity(g, statuses) for g in shown],
    }


def _own(request: HttpRequest, id: str) -> Notification:
    pk = as_id(id)
    found = Notification.objects.filter(recipient=request.account, pk=pk).first() if pk else None
    if found is None:
        raise not_found()
    return found


# --- v1 --------------------------------------------------------------------------------------


@endpoint(
    "GET",
    "v1/notifications",
    scope=READ,
    params=LIST_FILTERS,
    paginated=True,
    tag=TAG,
    summary="The caller's notifications, newest first",
)
def list_notifications(request: HttpRequest) -> Reply:
    page = paginate(
        _browsable(request).select_related("actor"), cursor(request, default=40, maximum=80)
    )
    data = notification_entities(page.items, request.account)
    return paged(request, data, page.next_max_id, page.prev_min_id)


@endpoint(
    "GET",
    "v1/notifications/unread_count",
    scope=READ,
    params=(*FILTERS, *COUNT_LIMIT),
    tag=TAG,
    summary="How many notifications are newer than the notifications marker",
)
def unread_count(request: HttpRequest) -> dict[str, int]:
    qs = _browsable(request, include_filtered=False)
    return {"count": unread_total(request.account, qs, _count_limit(request))}


@endpoint(
    "POST",
    "v1/notifications/clear",
    scope=WRITE,
    tag=TAG,
    summary="Dismiss all notifications",
)
def clear(request: HttpRequest) -> dict:
    actions.clear(request.account)
    return {}


@endpoint("GET", "v1/notifications/<id>", scope=READ, tag=TAG, summary="One notification")
def get_notification(request: HttpRequest, id: str) -> dict[str, Any]:
    pk = as_id(id)
    qs = browsable(request.account, include_filtered=True).select_related("actor")
    found = notification_entities(list(qs.filter(pk=pk)), request.account) if pk else []
    if not found:
        raise not_found()
    return found[0]


@endpoint(
    "POST",
    "v1/notifications/<id>/dismiss",
    scope=WRITE,
    tag=TAG,
    summary="Dismiss one notification",
)
def dismiss(request: HttpRequest, id: str) -> dict:
    actions.dismiss(request.account, _own(request, id))
    return {}


# --- v2: grouped -----------------------------------------------------------------------------


@endpoint(
    "GET",
    "v2/notifications",
    scope=READ,
    params=(
        *LIST_FILTERS,
        *GROUPING,
        Param(
            "expand_accounts",
            description="Accounts are always given in full",
            enum=("full", "partial_avatars"),
        ),
    ),
    paginated=True,
    tag=TAG,
    summary="The caller's notifications, grouped",
)
def grouped_notifications(request: HttpRequest) -> Reply:
    grouped = _grouped_types(request)
    qs = _browsable(request)
    page_cursor = cursor(request, default=40, maximum=80)
    items = representatives(qs, page_cursor, grouped)
    data = grouped_results(api_groups(qs, items, page_cursor, grouped), request.account)
    newest, oldest = (items[0].pk, items[-1].pk) if items else (None, None)
    return paged(request, data, oldest, newest)


@endpoint(
    "GET",
    "v2/notifications/unread_count",
    scope=READ,
    params=(*FILTERS, *GROUPING, *COUNT_LIMIT),
    tag=TAG,
    summary="How many notification groups are newer than the notifications marker",
)
def unread_group_count(request: HttpRequest) -> dict[str, int]:
    qs = _browsable(request, include_filtered=False)
    total = unread_total(request.account, qs, _count_limit(request), _grouped_types(request))
    return {"count": total}


def _group_scope(key: str) -> frozenset[str]:
    """The grouping that makes ``key`` the group's key again."""
    return frozenset() if key.startswith(UNGROUPED) else KEYED_TYPES


@endpoint(
    "GET",
    "v2/notifications/<group_key>",
    scope=READ,
    tag=TAG,
    summary="One notification group",
)
def get_group(request: HttpRequest, group_key: str) -> dict[str, Any]:
    qs = browsable(request.account, include_filtered=True)
    newest = by_group_key(qs, group_key).order_by("-id").first()
    if newest is None:
        raise not_found()
    groups = api_groups(qs, [newest], None, _group_scope(group_key))
    return grouped_results(groups, request.account)


@endpoint(
    "GET",
    "v2/notifications/<group_key>/accounts",
    scope=READ,
    paginated=True,
    tag=TAG,
    summary="The accounts of a notification group, newest first",
)
def group_accounts(request: HttpRequest, group_key: str) -> Reply:
    qs = by_group_key(browsable(request.account, include_filtered=True), group_key)
    page = paginate(qs.select_related("actor"), cursor(request, default=40, maximum=80))
    if not page.items and not qs.exists():
        raise not_found()
    senders = list(dict.fromkeys(item.actor for item in page.items))
    return paged(request, serializers.accounts(senders), page.next_max_id, page.prev_min_id)


@endpoint(
    "POST",
    "v2/notifications/<group_key>/dismiss",
    scope=WRITE,
    tag=TAG,
    summary="Dismiss a notification group",
)
def dismiss_group(request: HttpRequest, group_key: str) -> dict:
    actions.dismiss_group(request.account, group_key)
    return {}


# --- policy ----------------------------------------------------------------------------------

POLICY_VALUES = ("accept", "filter", "drop")
# Mastodon's policy settings we have, and the field each is stored in.
POLICY_FIELDS = {
    "for_not_following": "filter_not_following",
    "for_new_accounts": "filter_new_accounts",
}
# Settings we don't have: always "accept", and changes to them are ignored.
POLICY_ALWAYS_ACCEPT = ("for_not_followers", "for_private_mentions", "for_limited_accounts")
POLICY_ORDER = (
    "for_not_following",
    "for_not_followers",
    "for_new_accounts",
    "for_private_mentions",
    "for_limited_accounts",
)


def _policy(viewer: Account) -> dict[str, Any]:
    policy = actions.policy_of(viewer)
    senders, waiting = pending_summary(viewer)
    values = {key: "filter" if getattr(policy, f) else "accept" for key, f in POLICY_FIELDS.items()}
    data: dict[str, Any] = {key: values.get(key, "accept") for key in POLICY_ORDER}
    data["summary"] = {"pending_requests_count": senders, "pending_notifications_count": waiting}
    return data


@endpoint("GET", "v2/notifications/policy", scope=READ, tag=TAG, summary="The filtering policy")
def get_policy(request: HttpRequest) -> dict[str, Any]:
    return _policy(request.account)


@endpoint(
    "PATCH",
    "v2/notifications/policy",
    scope=WRITE,
    params=tuple(Param(key, enum=POLICY_VALUES) for key in POLICY_ORDER),
    tag=TAG,
    summary="Change the filtering policy",
)
def update_policy(request: HttpRequest) -> dict[str, Any]:
    """``filter`` and ``drop`` both keep notifications aside here: nothing is thrown away
    unseen. The settings we don't have stay ``accept``."""
    changes = {}
    for key in POLICY_ORDER:
        if key not in request.params:
            continue
        value = request.params.str(key)
        if value not in POLICY_VALUES:
            raise ApiError(422, f"Validation failed: {key} must be accept, filter or drop")
        if key in POLICY_FIELDS:
            changes[POLICY_FIELDS[key]] = value != "accept"
    actions.update_policy(request.account, **changes)
    return _policy(request.account)


def _policy_v1(viewer: Account) -> dict[str, Any]:
    policy = actions.policy_of(viewer)
    senders, waiting = pending_summary(viewer)
    return {
        "filter_not_following": policy.filter_not_following,
        "filter_not_followers": False,
        "filter_new_accounts": policy.filter_new_accounts,
        "filter_private_mentions": False,
        "summary": {
            "pending_requests_count": str(senders),
            "pending_notifications_count": str(waiting),
        },
    }


@endpoint(
    "GET",
    "v1/notifications/policy",
    scope=READ,
    tag=TAG,
    summary="The filtering policy (Mastodon 4.3's first form)",
)
def get_policy_v1(request: HttpRequest) -> dict[str, Any]:
    return _policy_v1(request.account)


@endpoint(
    "PUT",
    "v1/notifications/policy",
    scope=WRITE,
    params=(
        Param("filter_not_following", "boolean"),
        Param("filter_new_accounts", "boolean"),
    ),
    tag=TAG,
    summary="Change the filtering policy (Mastodon 4.3's first form)",
)
def update_policy_v1(request: HttpRequest) -> dict[str, Any]:
    changes = {
        name: request.params.bool(name) for name in POLICY_FIELDS.values() if name in request.params
    }
    actions.update_policy(request.account, **changes)
    return _policy_v1(request.account)


# --- requests: what the policy kept aside, by sender -----------------------------------------


def _request_entities(found: list[Request], viewer: Account) -> list[dict[str, Any]]:
    statuses = _statuses(viewer, {r.last_post_id for r in found if r.last_post_id})
    return [
        {
            "id": str(r.id),
            "created_at": iso(r.first_at),
            "updated_at": iso(r.last_at),
            "account": serializers.account(r.sender),
            "notifications_count": str(r.count),
            "last_status": statuses.get(r.last_post_id),
        }
        for r in found
    ]


def _sender(request: HttpRequest, id: str) -> Account:
    sender = request_sender(request.account, id)
    if sender is None:
        raise not_found()
    return sender


def _senders(request: HttpRequest) -> list[Account]:
    return [s for s in (request_sender(request.account, i) for i in request.params.ids("id")) if s]


@endpoint(
    "GET",
    "v1/notifications/requests",
    scope=READ,
    paginated=True,
    tag=TAG,
    summary="Senders whose notifications the policy kept aside",
)
def list_requests(request: HttpRequest) -> Reply:
    page_cursor = cursor(request, default=40, maximum=80)
    found = requests(request.account, page_cursor)
    data = _request_entities(found, request.account)
    newest, oldest = (found[0].id, found[-1].id) if found else (None, None)
    return paged(request, data, oldest, newest)


@endpoint(
    "GET",
    "v1/notifications/requests/merged",
    scope=READ,
    tag=TAG,
    summary="Whether accepted requests have joined the list (always at once here)",
)
def requests_merged(request: HttpRequest) -> dict[str, bool]:
    return {"merged": True}


@endpoint(
    "POST",
    "v1/notifications/requests/accept",
    scope=WRITE,
    params=(Param("id[]", "array", "Request ids", required=True),),
    tag=TAG,
    summary="Accept several notification requests",
)
def accept_requests(request: HttpRequest) -> dict:
    actions.accept_requests(request.account, _senders(request))
    return {}


@endpoint(
    "POST",
    "v1/notifications/requests/dismiss",
    scope=WRITE,
    params=(Param("id[]", "array", "Request ids", required=True),),
    tag=TAG,
    summary="Dismiss several notification requests",
)
def dismiss_requests(request: HttpRequest) -> dict:
    actions.dismiss_requests(request.account, _senders(request))
    return {}


@endpoint("GET", "v1/notifications/requests/<id>", scope=READ, tag=TAG, summary="One request")
def get_request(request: HttpRequest, id: str) -> dict[str, Any]:
    found = requests(request.account, Cursor(limit=1), sender=_sender(request, id))
    if not found:
        raise not_found()
    return _request_entities(found, request.account)[0]


@endpoint(
    "POST",
    "v1/notifications/requests/<id>/accept",
    scope=WRITE,
    tag=TAG,
    summary="Accept a notification request",
)
def accept_request(request: HttpRequest, id: str) -> dict:
    actions.accept_requests(request.account, [_sender(request, id)])
    return {}


@endpoint(
    "POST",
    "v1/notifications/requests/<id>/dismiss",
    scope=WRITE,
    tag=TAG,
    summary="Dismiss a notification request",
)
def dismiss_request(request: HttpRequest, id: str) -> dict:
    actions.dismiss_requests(request.account, [_sender(request, id)])
    return {}
