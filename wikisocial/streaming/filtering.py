"""Per-viewer filtering of public streams, done by the streaming process (as Mastodon's
streaming server does): a status serialised once without a viewer is held back from viewers
who block, are blocked by, or mute its author or someone it mentions, who hide the author's
domain (unless they follow the author), or whose "hide" filters match it; viewers whose other
filters match get it with ``filtered`` set for them. One pass for all viewers of a message.

A status posted in a group (or boosting one) also passes the group's reading rule, the one
``Post.objects.visible_to`` applies (``readable_group_q``): anyone for an open group, members
(and the author) for the others, nobody once the group is deleted. The publishing side sends
only posts anyone may read to public streams; this is the second lock, for a group made
private between publishing and delivery, and for whatever sends a group post here later."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import orjson
from django.db.models import Q


@dataclass
class Screened:
    hidden: set[int] = field(default_factory=set)
    # Viewers who get their own copy of the payload (with their filters' results).
    payloads: dict[int, str] = field(default_factory=dict)


def _people(status: dict) -> tuple[int, set[int], str]:
    """The author, everyone the status involves, and the author's domain."""
    author = int(status["account"]["id"])
    people = {author, *(int(m["id"]) for m in status.get("mentions") or [])}
    if status.get("reblog"):
        people.add(int(status["reblog"]["account"]["id"]))
    acct = status["account"].get("acct") or ""
    return author, people, acct.partition("@")[2].lower()


def _relations(author: int, people: set[int], domain: str, viewers: set[int]) -> set[int]:
    from wikisocial.social.models import Block, DomainBlock, Follow, Mute

    hidden: set[int] = set()
    blocks = Block.objects.filter(
        Q(account_id__in=viewers, target_id__in=people)
        | Q(account_id=author, target_id__in=viewers)
    )
    for blocker, blocked in blocks.values_list("account_id", "target_id"):
        if blocker in viewers and blocked in people:
            hidden.add(blocker)
        if blocker == author and blocked in viewers:
            hidden.add(blocked)
    mutes = Mute.objects.active().filter(account_id__in=viewers, target_id__in=people)
    hidden.update(mutes.values_list("account_id", flat=True))
    if domain:
        hiding = set(
            DomainBlock.objects.filter(account_id__in=viewers, domain=domain).values_list(
                "account_id", flat=True
            )
        )
        if hiding:
            following = Follow.objects.filter(follower_id__in=hiding, target_id=author)
            hidden.update(hiding - set(following.values_list("follower_id", flat=True)))
    return hidden


def _filters(status: dict, viewers: set[int], screened: Screened) -> None:
    from wikisocial.api.serializers.filters import filter_result
    from wikisocial.filters.matching import compile_filter, matches
    from wikisocial.filters.models import Action, Filter
    from wikisocial.posts.models import Post

    rows = Filter.objects.active().filter(account_id__in=viewers)
    by_viewer = defaultdict(list)
    for row in rows.prefetch_related("keywords", "statuses"):
        if "public" in row.context:
            by_viewer[row.account_id].append(compile_filter(row))
    if not by_viewer:
        return
    post = (
        Post.objects.filter(pk=int(status["id"]))
        .select_related("boost_of")
        .prefetch_related("media", "poll__options", "boost_of__media", "boost_of__poll__options")
        .first()
    )
    if post is None:
        return
    for viewer, active in by_viewer.items():
        found = matches(post, active)
        if any(m.filter.action == Action.HIDE for m in found):
            screened.hidden.add(viewer)
        elif found:
            mine = {**status, "filtered": [filter_result(m) for m in found]}
            screened.payloads[viewer] = orjson.dumps(mine).decode()


def _group_posts(status: dict) -> list[tuple[int, int]]:
    """(group id, author id) of the status and of the status it boosts, where posted in a
    group (one query)."""
    from wikisocial.core.pagination import as_id
    from wikisocial.posts.models import Post

    ids = [as_id(status.get("id")), as_id((status.get("reblog") or {}).get("id"))]
    rows = Post.objects.filter(pk__in=[pk for pk in ids if pk is not None], group__isnull=False)
    return list(rows.values_list("group_id", "author_id"))


def _outside_groups(status: dict, viewers: set[int]) -> set[int]:
    """The viewers who may not read the group the status (or its boosted status) is in."""
    from wikisocial.communities.models import Group, Membership

    hidden: set[int] = set()
    for group_id, author_id in _group_posts(status):
        group = Group.objects.alive().filter(pk=group_id).values_list("kind", flat=True).first()
        if group is None:
            hidden |= viewers
        elif not Group(kind=group).is_open:
            members = Membership.objects.filter(group_id=group_id, account_id__in=viewers)
            hidden |= viewers - set(members.values_list("account_id", flat=True)) - {author_id}
    return hidden


def screen(payload: str, viewers: set[int]) -> Screened:
    """Which of ``viewers`` must not get the status ``payload``, and who gets their own copy."""
    screened = Screened()
    try:
        status = orjson.loads(payload)
        author, people, domain = _people(status)
    except (ValueError, KeyError, TypeError, AttributeError):
        return screened
    screened.hidden = _relations(author, people, domain, viewers)
    screened.hidden |= _outside_groups(status, viewers - screened.hidden)
    rest = viewers - screened.hidden
    if rest:
        _filters(status, rest, screened)
    return screened
