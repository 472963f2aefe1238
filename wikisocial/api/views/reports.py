"""Reports: telling the moderators about an account and some of its posts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest

from wikisocial.api import serializers
from wikisocial.api.base import Param, endpoint, not_found
from wikisocial.api.views.accounts import reachable_account
from wikisocial.instance.models import Rule
from wikisocial.moderation import actions
from wikisocial.posts.models import Post

CATEGORIES = ("spam", "legal", "violation", "other")
MAX_POSTS = 100

REPORT_PARAMS = (
    Param("account_id", description="The account reported", required=True),
    Param("status_ids", "array", "Its posts the report is about"),
    Param("comment", description="Why (up to 5000 characters)"),
    Param("forward", "boolean", "Also tell the account's server (not done here yet)"),
    Param("category", enum=CATEGORIES, description="spam, legal, violation or other"),
    Param("rule_ids", "array", "The server rules broken (category violation)"),
)


def _reported_posts(request: HttpRequest, target: Any) -> list[Post]:
    """The posts asked for: the target's, and ones the reporter may see, or public ones (a
    blocker's posts hide from the person blocked, who may still report them). Any other is
    not found, as in Mastodon."""
    ids = set(request.params.ids("status_ids"))
    if len(request.params.list("status_ids")) != len(request.params.ids("status_ids")):
        raise not_found()
    if not ids:
        return []
    if len(ids) > MAX_POSTS:
        raise ValidationError({"status_ids": f"At most {MAX_POSTS} posts"})
    visible = Post.objects.visible_to(request.account).values("pk")
    public = Post.objects.visible_to(None).values("pk")
    posts = list(
        Post.objects.filter(pk__in=ids, author=target).filter(Q(pk__in=visible) | Q(pk__in=public))
    )
    if len(posts) != len(ids):
        raise not_found()
    return posts


def _category_and_rules(request: HttpRequest) -> tuple[str, list[int] | None]:
    params = request.params
    rule_ids = list(dict.fromkeys(params.ids("rule_ids")))
    category = params.str("category") or ("violation" if rule_ids else "other")
    if category not in CATEGORIES:
        raise ValidationError({"category": f"“{category}” is not one of {', '.join(CATEGORIES)}"})
    if category != "violation":
        return category, None
    known = set(Rule.objects.filter(pk__in=rule_ids).values_list("pk", flat=True))
    if not rule_ids or known != set(rule_ids):
        raise ValidationError({"rule_ids": "Name the server rules broken (their ids)"})
    return category, rule_ids


@endpoint("POST", "v1/reports", scope="write:reports", params=REPORT_PARAMS, tag="reports")
def report(request: HttpRequest) -> dict[str, Any]:
    """Report an account (and some of its posts) to the moderators; the Report entity back.
    ``category`` and ``rule_ids`` are checked and answered; the moderators see the account,
    the posts and the comment."""
    target = reachable_account(request, request.params.str("account_id"))
    category, rule_ids = _category_and_rules(request)
    posts = _reported_posts(request, target)
    row = actions.report(request.account, target, posts, request.params.str("comment"))
    return {
        "id": str(row.pk),
        "action_taken": row.resolved_at is not None,
        "action_taken_at": serializers.iso(row.resolved_at),
        "category": category,
        "comment": row.comment,
        "forwarded": False,
        "created_at": serializers.iso(row.created_at),
        "status_ids": [str(p.pk) for p in posts],
        "collection_ids": [],
        "rule_ids": [str(pk) for pk in rule_ids] if rule_ids else None,
        "target_account": serializers.account(target),
    }
