"""Questions about the social graph, asked by several doors."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from wikisocial.accounts.models import Account
from wikisocial.social.models import Block, Follow, FollowRequest, Mute


@dataclass(frozen=True)
class Relationship:
    following: bool = False
    followed_by: bool = False
    requested: bool = False
    requested_by: bool = False
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False
    show_boosts: bool = True
    notifying: bool = False

    @property
    def friends(self) -> bool:
        """Mutual follows are shown as friends."""
        return self.following and self.followed_by


def is_blocked_between(a: Account, b: Account) -> bool:
    """Whether either of the two blocks the other."""
    return Block.objects.filter(Q(account=a, target=b) | Q(account=b, target=a)).exists()


def relationships(viewer: Account, others: list[Account]) -> dict[int, Relationship]:
    """The viewer's relationship with each of ``others``, in a fixed number of queries."""
    ids = [o.pk for o in others]
    following = {f.target_id: f for f in Follow.objects.filter(follower=viewer, target_id__in=ids)}
    followed_by = set(
        Follow.objects.filter(target=viewer, follower_id__in=ids).values_list(
            "follower_id", flat=True
        )
    )
    requested = set(
        FollowRequest.objects.filter(follower=viewer, target_id__in=ids).values_list(
            "target_id", flat=True
        )
    )
    requested_by = set(
        FollowRequest.objects.filter(target=viewer, follower_id__in=ids).values_list(
            "follower_id", flat=True
        )
    )
    blocking = set(
        Block.objects.filter(account=viewer, target_id__in=ids).values_list("target_id", flat=True)
    )
    blocked_by = set(
        Block.objects.filter(target=viewer, account_id__in=ids).values_list("account_id", flat=True)
    )
    mutes = {
        m.target_id: m for m in Mute.objects.active().filter(account=viewer, target_id__in=ids)
    }
    result = {}
    for pk in ids:
        follow_row = following.get(pk)
        mute_row = mutes.get(pk)
        result[pk] = Relationship(
            following=follow_row is not None,
            followed_by=pk in followed_by,
            requested=pk in requested,
            requested_by=pk in requested_by,
            blocking=pk in blocking,
            blocked_by=pk in blocked_by,
            muting=mute_row is not None,
            muting_notifications=bool(mute_row and mute_row.hide_notifications),
            show_boosts=follow_row.show_boosts if follow_row else True,
            notifying=follow_row.notify if follow_row else False,
        )
    return result


def relationship(viewer: Account, other: Account) -> Relationship:
    return relationships(viewer, [other])[other.pk]


def followers_of(account: Account) -> QuerySet[Account]:
    return (
        Account.objects.active()
        .filter(following_set__target=account)
        .order_by("-following_set__id")
    )


def following_of(account: Account) -> QuerySet[Account]:
    return (
        Account.objects.active()
        .filter(follower_set__follower=account)
        .order_by("-follower_set__id")
    )


def muted_ids(viewer: Account, *, notifications: bool = False) -> QuerySet:
    mutes = Mute.objects.active().filter(account=viewer)
    if notifications:
        mutes = mutes.filter(hide_notifications=True)
    return mutes.values("target_id")
