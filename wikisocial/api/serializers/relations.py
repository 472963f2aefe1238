"""The Relationship entity: the viewer's follows, blocks, mutes and note towards an account."""

from __future__ import annotations

from typing import Any

from wikisocial.accounts.models import Account, ActorType
from wikisocial.api.serializers.accounts import iso
from wikisocial.communities.models import JoinRequest, JoinRequestState, Membership
from wikisocial.social.queries import Relationship, relationships


def relationship(account_id: int, rel: Relationship) -> dict[str, Any]:
    """Mastodon's Relationship. Boosts, notifications and languages are the options of the
    follow, or of the request while it waits; without either, boosts are "not shown"."""
    asked = rel.following or rel.requested
    return {
        "id": str(account_id),
        "following": rel.following,
        "showing_reblogs": asked and rel.show_boosts,
        "notifying": asked and rel.notifying,
        "languages": rel.languages if asked else None,
        "followed_by": rel.followed_by,
        "blocking": rel.blocking,
        "blocked_by": rel.blocked_by,
        "muting": rel.muting,
        "muting_notifications": rel.muting_notifications,
        "muting_expires_at": iso(rel.muting_expires_at),
        "requested": rel.requested,
        "requested_by": rel.requested_by,
        "domain_blocking": rel.domain_blocking,
        "endorsed": False,  # nobody features accounts here
        "note": rel.note,
    }


def _in_groups(viewer: Account, others: list[Account]) -> dict[int, tuple[bool, bool]]:
    """For the group actors among ``others``: (the viewer is a member, the viewer asked to
    join), by account id, in two queries (none when there are no groups)."""
    ids = [other.pk for other in others if other.actor_type == ActorType.GROUP]
    if not ids:
        return {}
    mine = {"account": viewer, "group__account_id__in": ids}
    members = set(Membership.objects.filter(**mine).values_list("group__account_id", flat=True))
    waiting = JoinRequest.objects.filter(**mine, state=JoinRequestState.PENDING)
    asked = set(waiting.values_list("group__account_id", flat=True))
    return {pk: (pk in members, pk in asked) for pk in ids}


def _as_member(data: dict[str, Any], member: bool, asked: bool) -> dict[str, Any]:
    """A group's relationship as Mastodon apps read a Lemmy community's: following it is
    being a member, a request to join is a follow request."""
    data.update(following=member, requested=asked and not member, showing_reblogs=member)
    data.update(notifying=False, languages=None)
    return data


def relationships_of(viewer: Account, others: list[Account]) -> list[dict[str, Any]]:
    """Relationships with ``others``, in their order, in a fixed number of queries."""
    found = relationships(viewer, others)
    groups = _in_groups(viewer, others)
    data = [relationship(other.pk, found[other.pk]) for other in others]
    return [
        _as_member(item, *groups[other.pk]) if other.pk in groups else item
        for item, other in zip(data, others, strict=True)
    ]


def relationship_with(viewer: Account, other: Account) -> dict[str, Any]:
    return relationships_of(viewer, [other])[0]
