"""The Relationship entity: the viewer's follows, blocks, mutes and note towards an account."""

from __future__ import annotations

from typing import Any

from wikisocial.accounts.models import Account
from wikisocial.api.serializers.accounts import iso
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


def relationships_of(viewer: Account, others: list[Account]) -> list[dict[str, Any]]:
    """Relationships with ``others``, in their order, in a fixed number of queries."""
    found = relationships(viewer, others)
    return [relationship(other.pk, found[other.pk]) for other in others]


def relationship_with(viewer: Account, other: Account) -> dict[str, Any]:
    return relationships_of(viewer, [other])[0]
