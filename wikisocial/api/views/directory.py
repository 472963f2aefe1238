"""The profile directory: this server's accounts that chose to be found (``discoverable``).

Only local accounts are listed: whether a remote account opted into discovery is not kept
here, so listing them could show people who opted out. Groups are not people: they have
their own directory (``/groups``)."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.http import HttpRequest

from wikisocial.accounts.models import Account, ActorType
from wikisocial.api import serializers
from wikisocial.api.base import NONE, Param, cursor, endpoint

ORDERS = ("active", "new")


@endpoint(
    "GET",
    "v1/directory",
    auth=NONE,
    params=(
        Param("offset", "integer", "Skip this many"),
        Param("limit", "integer", "How many (default 40, max 80)"),
        Param("order", description="active (recently posted) or new", enum=ORDERS),
        Param("local", "boolean", "Only this server's accounts (always so here)"),
    ),
    tag="directory",
    summary="Accounts that chose to be listed",
)
def directory(request: HttpRequest) -> list[dict[str, Any]]:
    limit = cursor(request, default=40, maximum=80).limit
    offset = max(0, request.params.int("offset") or 0)
    listed = (
        Account.objects.visible_to(None)
        .local()
        .filter(discoverable=True)
        .exclude(actor_type=ActorType.GROUP)
    )
    if request.params.str("order") == "new":
        listed = listed.order_by("-created_at", "-pk")
    else:
        listed = listed.order_by(F("last_post_at").desc(nulls_last=True), "-pk")
    return serializers.accounts(list(listed[offset : offset + limit]))
