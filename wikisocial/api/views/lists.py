"""Lists: a reader's own selections of accounts they follow, and their members."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from wikisocial.accounts.models import Account
from wikisocial.api.base import Param, Reply, cursor, endpoint, not_found, paged
from wikisocial.api.serializers import accounts
from wikisocial.core.pagination import as_id, paginate
from wikisocial.social.models import Follow
from wikisocial.timelines import actions
from wikisocial.timelines.models import List, ListMember

LIST_PARAMS = (
    Param("title", description="The list's title"),
    Param("replies_policy", enum=tuple(List.RepliesPolicy.values), description="Replies shown"),
    Param("exclusive", "boolean", "Keep members' posts out of the home timeline"),
)
ACCOUNT_IDS = (Param("account_ids", "array", "Accounts to add or remove", required=True),)


def list_entity(row: List) -> dict[str, Any]:
    """The List entity."""
    return {
        "id": str(row.pk),
        "title": row.title,
        "replies_policy": row.replies_policy,
        "exclusive": row.exclusive,
    }


def own_list(request: HttpRequest, list_id: str) -> List:
    """The viewer's list ``list_id``; someone else's is not found, as a missing one."""
    found = List.objects.filter(pk=as_id(list_id), account=request.account).first()
    if found is None:
        raise not_found()
    return found


@endpoint("GET", "v1/lists", scope="read:lists", tag="lists", summary="The viewer's lists")
def index(request: HttpRequest) -> list[dict[str, Any]]:
    return [list_entity(row) for row in List.objects.filter(account=request.account).order_by("id")]


@endpoint(
    "POST",
    "v1/lists",
    scope="write:lists",
    params=LIST_PARAMS,
    tag="lists",
    summary="Create a list",
)
def create(request: HttpRequest) -> dict[str, Any]:
    params = request.params
    row = actions.create_list(
        request.account,
        params.str("title"),
        replies_policy=params.str("replies_policy", List.RepliesPolicy.LIST),
        exclusive=params.bool("exclusive"),
    )
    return list_entity(row)


@endpoint(
    "GET", "v1/lists/<id>", scope="read:lists", tag="lists", summary="One of the viewer's lists"
)
def show(request: HttpRequest, id: str) -> dict[str, Any]:
    return list_entity(own_list(request, id))


@endpoint(
    "PUT",
    "v1/lists/<id>",
    scope="write:lists",
    params=LIST_PARAMS,
    tag="lists",
    summary="Change a list",
)
def update(request: HttpRequest, id: str) -> dict[str, Any]:
    row = own_list(request, id)
    params = request.params
    row = actions.update_list(
        row,
        title=params.str("title") if "title" in params else None,
        replies_policy=params.str("replies_policy") if "replies_policy" in params else None,
        exclusive=params.bool("exclusive") if "exclusive" in params else None,
    )
    return list_entity(row)


@endpoint("DELETE", "v1/lists/<id>", scope="write:lists", tag="lists", summary="Delete a list")
def destroy(request: HttpRequest, id: str) -> dict[str, Any]:
    actions.delete_list(own_list(request, id))
    return {}


@endpoint(
    "GET",
    "v1/lists/<id>/accounts",
    scope="read:lists",
    paginated=True,
    tag="lists",
    summary="The accounts in a list (limit=0: all of them)",
)
def members(request: HttpRequest, id: str) -> Reply:
    row = own_list(request, id)
    qs = ListMember.objects.filter(list=row, account__deleted_at__isnull=True).select_related(
        "account"
    )
    if request.GET.get("limit") == "0":
        found = [m.account for m in qs.order_by("-account_id")]
        return Reply(accounts(found))
    page = paginate(qs, cursor(request, default=40, maximum=80), key="account_id")
    data = accounts([m.account for m in page.items])
    return paged(request, data, page.next_max_id, page.prev_min_id)


def _accounts_named(request: HttpRequest) -> list[Account]:
    ids = request.params.ids("account_ids")
    found = list(Account.objects.active().filter(pk__in=ids))
    if len(found) != len(set(ids)) or len(ids) != len(request.params.list("account_ids")):
        raise not_found()
    return found


@endpoint(
    "POST",
    "v1/lists/<id>/accounts",
    scope="write:lists",
    params=ACCOUNT_IDS,
    tag="lists",
    summary="Add accounts the viewer follows to a list",
)
def add_members(request: HttpRequest, id: str) -> dict[str, Any]:
    row = own_list(request, id)
    try:
        actions.add_to_list(row, _accounts_named(request))
    except Follow.DoesNotExist:
        raise not_found() from None
    return {}


@endpoint(
    "DELETE",
    "v1/lists/<id>/accounts",
    scope="write:lists",
    params=ACCOUNT_IDS,
    tag="lists",
    summary="Remove accounts from a list",
)
def remove_members(request: HttpRequest, id: str) -> dict[str, Any]:
    actions.remove_from_list(own_list(request, id), request.params.ids("account_ids"))
    return {}


@endpoint(
    "GET",
    "v1/accounts/<id>/lists",
    scope="read:lists",
    tag="accounts",
    summary="The viewer's lists that hold an account",
)
def lists_with_account(request: HttpRequest, id: str) -> list[dict[str, Any]]:
    account = Account.objects.visible_to(request.user).filter(pk=as_id(id)).first()
    if account is None:
        raise not_found()
    rows = List.objects.filter(account=request.account, members__account=account).order_by("id")
    return [list_entity(row) for row in rows]
