"""Groups in ActivityPub (FEP-1b12, as Lemmy and Mbin federate communities): what the group
actions hand over for delivery. Each function is called inside the action's transaction and
writes ``Delivery`` rows through ``federation.outbound``; for groups and people on this server
alone there is nothing to send.

Being filled in by the federation work of issue 6; until then these send nothing."""

from __future__ import annotations

from wikisocial.accounts.models import Account
from wikisocial.communities.models import Group, GroupBan, JoinRequest, Membership


def group_updated(group: Group) -> None:
    """The group's profile or settings changed: Update{Group} to its remote members."""


def join_requested(account: Account, group: Group, request: JoinRequest) -> None:
    """Our ``account`` asks to join a remote ``group``: Follow, answered by Accept/Reject."""


def member_accepted(group: Group, membership: Membership) -> None:
    """A remote person's Follow of our group was accepted: Accept{Follow}."""


def member_rejected(group: Group, request: JoinRequest) -> None:
    """A remote person's Follow of our group was declined: Reject{Follow}."""


def left(account: Account, group: Group, membership: Membership) -> None:
    """Our ``account`` left a remote group: Undo{Follow}."""


def member_removed(moderator: Account, group: Group, account: Account) -> None:
    """A remote member was removed from our group: Reject{Follow} to them."""


def member_banned(moderator: Account, group: Group, account: Account, ban: GroupBan) -> None:
    """Block{Person} from the group (Lemmy's community ban) to its remote members."""


def member_unbanned(moderator: Account, group: Group, account: Account) -> None:
    """Undo{Block}."""


def moderators_changed(actor: Account, group: Group, account: Account, *, added: bool) -> None:
    """Add/Remove{Person} to/from the group's moderators collection."""
