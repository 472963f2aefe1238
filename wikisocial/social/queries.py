"""Questions about the social graph, asked by several doors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from wikisocial.accounts.models import Account
from wikisocial.social.models import (
    AccountNote,
    Block,
    DismissedSuggestion,
    DomainBlock,
    Follow,
    FollowRequest,
    Mute,
)


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
    muting_expires_at: datetime | None = None
    # The options of the viewer's follow, or of their request while it waits.
    show_boosts: bool = True
    notifying: bool = False
    languages: list[str] | None = None
    domain_blocking: bool = False
    note: str = ""

    @property
    def friends(self) -> bool:
        """Mutual follows are shown as friends."""
        return self.following and self.followed_by


def is_blocked_between(a: Account, b: Account) -> bool:
    """Whether either of the two blocks the other."""
    return Block.objects.filter(Q(account=a, target=b) | Q(account=b, target=a)).exists()


def is_domain_blocked_between(a: Account, b: Account) -> bool:
    """Whether either of the two hides the other's whole domain."""
    sides = Q(pk__in=[])
    if b.domain:
        sides |= Q(account=a, domain=b.domain)
    if a.domain:
        sides |= Q(account=b, domain=a.domain)
    return DomainBlock.objects.filter(sides).exists()


def _ids(qs: QuerySet, field: str) -> set[int]:
    return set(qs.values_list(field, flat=True))


def relationships(viewer: Account, others: list[Account]) -> dict[int, Relationship]:
    """The viewer's relationship with each of ``others``, in a fixed number of queries."""
    ids = [o.pk for o in others]
    following = {f.target_id: f for f in Follow.objects.filter(follower=viewer, target_id__in=ids)}
    requested = {
        r.target_id: r for r in FollowRequest.objects.filter(follower=viewer, target_id__in=ids)
    }
    followed_by = _ids(Follow.objects.filter(target=viewer, follower_id__in=ids), "follower_id")
    requested_by = _ids(
        FollowRequest.objects.filter(target=viewer, follower_id__in=ids), "follower_id"
    )
    blocking = _ids(Block.objects.filter(account=viewer, target_id__in=ids), "target_id")
    blocked_by = _ids(Block.objects.filter(target=viewer, account_id__in=ids), "account_id")
    mutes = {
        m.target_id: m for m in Mute.objects.active().filter(account=viewer, target_id__in=ids)
    }
    domains = {o.domain for o in others if o.domain}
    hidden = _ids(DomainBlock.objects.filter(account=viewer, domain__in=domains), "domain")
    notes = dict(
        AccountNote.objects.filter(account=viewer, target_id__in=ids).values_list(
            "target_id", "comment"
        )
    )
    result = {}
    for other in others:
        pk = other.pk
        options = following.get(pk) or requested.get(pk)
        mute_row = mutes.get(pk)
        result[pk] = Relationship(
            following=pk in following,
            followed_by=pk in followed_by,
            requested=pk in requested,
            requested_by=pk in requested_by,
            blocking=pk in blocking,
            blocked_by=pk in blocked_by,
            muting=mute_row is not None,
            muting_notifications=bool(mute_row and mute_row.hide_notifications),
            muting_expires_at=mute_row.expires_at if mute_row else None,
            show_boosts=options.show_boosts if options else True,
            notifying=options.notify if options else False,
            languages=(options.languages or None) if options else None,
            domain_blocking=other.domain in hidden,
            note=notes.get(pk, ""),
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


def hidden_domains(viewer: Account) -> QuerySet:
    """The domains ``viewer`` hides (as a subquery)."""
    return DomainBlock.objects.filter(account=viewer).values("domain")


def domain_hidden(viewer: Account, field: str = "author") -> Q:
    """A condition on ``field`` (an account) matching accounts on a domain ``viewer`` hides,
    unless the viewer follows them: the filter for timelines and notifications, applied like
    mutes (Mastodon keeps followed accounts there in the home feed too)."""
    followed = Follow.objects.filter(follower=viewer).values("target_id")
    return Q(**{f"{field}__domain__in": hidden_domains(viewer)}) & ~Q(**{f"{field}__in": followed})


def hides_domain_of(viewer: Account, other: Account) -> bool:
    """Whether ``viewer`` hides ``other``'s domain and does not follow ``other``."""
    if not other.domain:
        return False
    return (
        DomainBlock.objects.filter(account=viewer, domain=other.domain).exists()
        and not Follow.objects.filter(follower=viewer, target=other).exists()
    )


SUGGESTIONS_LIMIT = 80


def suggested_accounts(viewer: Account, limit: int = 40) -> list[Account]:
    """Accounts to suggest ``viewer`` follows: the most followed local accounts that post and
    want to be found, leaving out those the viewer follows or asked to follow, blocks, mutes,
    dismissed, or may not see (Mastodon's "most_followed" source)."""
    mine = {
        "follows": Follow.objects.filter(follower=viewer).values("target_id"),
        "requests": FollowRequest.objects.filter(follower=viewer).values("target_id"),
        "blocks": Block.objects.filter(account=viewer).values("target_id"),
        "mutes": muted_ids(viewer),
        "dismissed": DismissedSuggestion.objects.filter(account=viewer).values("target_id"),
    }
    qs = (
        Account.objects.visible_to(viewer.user)
        .local()
        .filter(discoverable=True, last_post_at__isnull=False)
    )
    for excluded in mine.values():
        qs = qs.exclude(pk__in=excluded)
    ordered = qs.exclude(pk=viewer.pk).order_by("-followers_count", "-last_post_at", "pk")
    return list(ordered[: min(limit, SUGGESTIONS_LIMIT)])
