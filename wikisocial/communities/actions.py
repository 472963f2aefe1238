"""Everything that changes a group and who belongs to it. The web pages, the client API, the
inbox and ``wikisocial groups`` call these, so each rule holds whichever door is used. The
forum's actions are in ``forum.py``.

Every function checks permissions itself (through ``access``) and raises
``django.core.exceptions.ValidationError`` with a message for people, or ``PermissionDenied``
when the actor may not do this at all. What federates is handed to ``communities.activitypub``
inside the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from wikisocial.accounts.actions import username_taken
from wikisocial.accounts.models import Account, ActorType
from wikisocial.accounts.validators import validate_username
from wikisocial.communities import access, forum
from wikisocial.communities import activitypub as federate
from wikisocial.communities.models import (
    Group,
    GroupBan,
    GroupCategory,
    GroupKind,
    GroupLogEntry,
    Invitation,
    JoinRequest,
    JoinRequestState,
    LogAction,
    Membership,
    Role,
    Watch,
)
from wikisocial.core.markup import clean_text, render_markdown
from wikisocial.core.ratelimit import Limit, over_limit
from wikisocial.notifications.actions import notify
from wikisocial.notifications.models import Kind
from wikisocial.timelines import actions as feeds

logger = logging.getLogger(__name__)

LIMITS = {
    "name": 100,
    "description": 5000,
    "rules": 10000,
    "questions": 5,
    "question": 300,
    "answer": 1000,
    "reason": 1000,
}


@dataclass
class GroupDraft:
    """What a group is: for creating one, and for its settings page."""

    name: str
    description: str = ""
    rules: str = ""
    kind: str = GroupKind.PUBLIC
    category: str = GroupCategory.OTHER
    language: str = ""
    questions: list[str] = field(default_factory=list)
    members_hidden: bool = False
    posting_restricted_to_mods: bool = False
    avatar: ContentFile | None = None
    header: ContentFile | None = None
    remove_avatar: bool = False
    remove_header: bool = False


def log(
    group: Group,
    actor: Account | None,
    action: str,
    *,
    account: Account | None = None,
    post=None,
    detail: str = "",
    reason: str = "",
) -> GroupLogEntry:
    """Write an entry to the group's public moderation log."""
    return GroupLogEntry.objects.create(
        group=group,
        actor=actor,
        action=action,
        target_account=account,
        target_post=post,
        detail=detail[:300],
        reason=reason,
    )


# --- creating and changing a group ----------------------------------------------------------


def _check_handle(handle: str) -> None:
    validate_username(handle)
    if username_taken(handle):
        raise ValidationError(
            {"handle": _("That name is taken by a person or another group.")}, code="taken"
        )


def _check_owner(owner: Account) -> None:
    if not owner.is_local or owner.actor_type == ActorType.GROUP or owner.deleted_at is not None:
        raise ValidationError(
            {"owner": _("A group's owner must be a person on this server.")}, code="owner"
        )


def _checked(draft: GroupDraft) -> dict:
    """Clean ``draft``'s texts; raise ValidationError naming each field that is wrong."""
    from wikisocial.core.wikilinks import is_language_code

    errors: dict[str, str] = {}
    name = clean_text(draft.name)
    description = clean_text(draft.description, multiline=True)
    rules = clean_text(draft.rules, multiline=True)
    questions = [clean_text(q) for q in draft.questions]
    questions = [q for q in questions if q]
    if not name:
        errors["name"] = _("Give the group a name.")
    elif len(name) > LIMITS["name"]:
        errors["name"] = _("A name may have at most %(n)d characters.") % {"n": LIMITS["name"]}
    if len(description) > LIMITS["description"]:
        errors["description"] = _("A description may have at most %(n)d characters.") % {
            "n": LIMITS["description"]
        }
    if len(rules) > LIMITS["rules"]:
        errors["rules"] = _("Rules may have at most %(n)d characters.") % {"n": LIMITS["rules"]}
    if len(questions) > LIMITS["questions"] or any(len(q) > LIMITS["question"] for q in questions):
        errors["questions"] = _("Ask at most %(n)d questions of %(chars)d characters.") % {
            "n": LIMITS["questions"],
            "chars": LIMITS["question"],
        }
    if draft.kind not in GroupKind.values:
        errors["kind"] = _("Choose who may read and join the group.")
    if draft.category not in GroupCategory.values:
        errors["category"] = _("Choose a category.")
    if draft.language and not is_language_code(draft.language.lower()):
        errors["language"] = _("“%(code)s” is not a language code we know.") % {
            "code": draft.language
        }
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "description": description,
        "rules": rules,
        "questions": questions,
        "language": draft.language.lower(),
    }


# Groups a person may create (staff and the command line are not limited).
CREATION_LIMIT = Limit(5, 24 * 3600)


def create_group(
    owner: Account, handle: str, draft: GroupDraft, *, by_operator: bool = False
) -> Group:
    """Make a group on this server with ``owner`` as its owner and first member. The handle is
    a local username (``!handle@domain`` in the fediverse, ``/g/handle`` on the web) and may
    not be taken by anyone or any group, in any letter case. People may create a few groups a
    day; the operator (``by_operator``: the command line) and staff as many as they need."""
    _check_owner(owner)
    errors = {}
    try:
        _check_handle(handle)
    except ValidationError as error:
        errors["handle"] = error.messages[0]
    try:
        clean = _checked(draft)
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    staff = owner.user_id is not None and owner.user.is_staff
    if not (by_operator or staff) and over_limit(
        "create-group", CREATION_LIMIT, f"account:{owner.pk}"
    ):
        raise ValidationError(
            _("You have created several groups today. Please try again tomorrow."),
            code="rate_limited",
        )
    try:
        with transaction.atomic():
            account = Account(username=handle, actor_type=ActorType.GROUP)
            _apply_profile(account, draft, clean)
            account.save()
            group = Group.objects.create(
                account=account,
                **_settings(draft, clean),
                created_by=owner,
                members_count=1,
                last_activity_at=timezone.now(),
            )
            Membership.objects.create(group=group, account=owner, role=Role.OWNER)
            log(group, owner, LogAction.CREATE, detail=group.handle)
    except IntegrityError:
        raise ValidationError(
            {"handle": _("That name was just taken. Please choose another.")}, code="taken"
        ) from None
    logger.info("group %s created by %s (%s)", group.handle, owner.handle, group.kind)
    return group


def _apply_profile(account: Account, draft: GroupDraft, clean: dict) -> list:
    """Put the draft's name, description and images on the group's actor (not saved); return
    the files the new images replace, to delete once the change is committed."""
    account.display_name = clean["name"]
    account.bio = clean["description"]
    account.bio_html = render_markdown(clean["description"])
    account.discoverable = draft.kind != GroupKind.HIDDEN
    replaced = []
    for name in ("avatar", "header"):
        current = getattr(account, name)
        new = getattr(draft, name)
        if (new is not None or getattr(draft, f"remove_{name}")) and current:
            replaced.append((current.storage, current.name))
        if new is not None:
            current.save(new.name, new, save=False)
        elif getattr(draft, f"remove_{name}"):
            setattr(account, name, "")
    return replaced


def _settings(draft: GroupDraft, clean: dict) -> dict:
    """The ``Group`` columns a draft sets."""
    return {
        "kind": draft.kind,
        "category": draft.category,
        "language": clean["language"],
        "rules": clean["rules"],
        "rules_html": render_markdown(clean["rules"]),
        "questions": clean["questions"],
        "members_hidden": draft.members_hidden,
        "posting_restricted_to_mods": draft.posting_restricted_to_mods,
    }


def _require_moderator(actor: Account, group: Group) -> None:
    if not access.can_moderate(actor, group):
        raise PermissionDenied(_("Only the group's moderators may do this."))


def update_group(actor: Account, group: Group, draft: GroupDraft) -> Group:
    """Change a group's settings (moderators). Making a group more closed takes effect at
    once for everything it holds: who may read is decided by the group's kind when read."""
    _require_moderator(actor, group)
    clean = _checked(draft)
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=group.account_id)
        old_files = _apply_profile(account, draft, clean)
        account.save()
        group.account = account
        Group.objects.filter(pk=group.pk).update(**_settings(draft, clean))
        group.refresh_from_db()
        forum.sync_visibility(group)
        _drop_stale_invitations(group)
        log(group, actor, LogAction.EDIT)
        federate.group_updated(group)
    transaction.on_commit(lambda: _delete_files(old_files))
    return group


def _drop_stale_invitations(group: Group) -> None:
    """After a change of kind: invitations from people who may no longer invite (a plain
    member's, once the group is not public) go, so they neither show a hidden group nor let
    anyone in without a moderator."""
    invitations = Invitation.objects.filter(group=group).select_related("invited_by")
    stale = [i.pk for i in invitations if not access.can_invite(i.invited_by, group)]
    Invitation.objects.filter(pk__in=stale).delete()


def _delete_files(files: list) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("could not delete replaced file %s", name)


# --- joining and leaving ---------------------------------------------------------------------


def _add_member(group: Group, account: Account, *, role: str = Role.MEMBER, uri: str = ""):
    """Make ``account`` a member (once: two clicks or two servers racing make one row and
    count one member); a request or invitation they had is used up either way."""
    membership, created = Membership.objects.get_or_create(
        group=group, account=account, defaults={"role": role, "uri": uri}
    )
    if created:
        Group.objects.filter(pk=group.pk).update(members_count=F("members_count") + 1)
        feeds.joined_group(account, group.pk)
    JoinRequest.objects.filter(group=group, account=account).delete()
    Invitation.objects.filter(group=group, account=account).delete()
    return membership


def _answers(group: Group, answers: list[str]) -> list[dict[str, str]]:
    answers = [clean_text(a, multiline=True) for a in answers]
    if any(len(a) > LIMITS["answer"] for a in answers):
        raise ValidationError(
            {"answers": _("An answer may have at most %(n)d characters.") % {"n": LIMITS["answer"]}}
        )
    padded = answers + [""] * (len(group.questions) - len(answers))
    return [{"question": q, "answer": a} for q, a in zip(group.questions, padded, strict=False)]


def join(
    account: Account, group: Group, answers: list[str] | None = None, *, uri: str = ""
) -> Membership | JoinRequest:
    """``account`` joins ``group``: at once in a public group (or with an invitation), as a
    request waiting for a moderator in a restricted or private one. Hidden groups take only
    people invited. Joining a remote group asks its server (Follow) and waits for its Accept.
    ``uri``: the Follow activity, when a remote person joins one of our groups."""
    if access.is_banned(account, group):
        raise ValidationError(_("You are banned from this group."), code="banned")
    if group.account.deleted_at is not None:
        raise ValidationError(_("This group no longer exists."), code="gone")
    existing = access.membership_of(account, group)
    if existing is not None:
        return existing
    invited = Invitation.objects.filter(group=group, account=account).exists()
    with transaction.atomic():
        if not group.is_local:
            request = _request(group, account, answers or [], uri)
            federate.join_requested(account, group, request)
            return request
        if group.kind == GroupKind.PUBLIC or invited:
            membership = _add_member(group, account, uri=uri)
            federate.member_accepted(group, membership)
            return membership
        if group.kind == GroupKind.HIDDEN:
            raise ValidationError(_("This group takes members by invitation only."), code="hidden")
        was_waiting = JoinRequest.objects.filter(
            group=group, account=account, state=JoinRequestState.PENDING
        ).exists()
        request = _request(group, account, answers or [], uri)
        if not was_waiting:
            for moderator in _moderators(group):
                notify(moderator, Kind.JOIN_REQUEST, account, group=group)
        return request


def _request(group: Group, account: Account, answers: list[str], uri: str) -> JoinRequest:
    """File (or file again, with new answers) a request to join; asking again after being
    declined puts it back in the moderators' queue."""
    clean = _answers(group, answers) if group.is_local else []
    request, _created = JoinRequest.objects.update_or_create(
        group=group,
        account=account,
        defaults={
            "answers": clean,
            "state": JoinRequestState.PENDING,
            "uri": uri,
            "decided_by": None,
        },
    )
    return request


def accept_invitation(account: Account, group: Group) -> Membership:
    """Join ``group`` with the invitation ``account`` holds (no approval, no questions)."""
    if not Invitation.objects.filter(group=group, account=account).exists():
        raise ValidationError(_("There is no invitation to accept."), code="no_invitation")
    result = join(account, group)
    if not isinstance(result, Membership):
        raise ValidationError(_("There is no invitation to accept."), code="no_invitation")
    return result


def _moderators(group: Group):
    return [
        m.account
        for m in Membership.objects.filter(group=group, role__in=[Role.OWNER, Role.MODERATOR])
        .select_related("account")
        .filter(account__domain="")
    ]


def leave(account: Account, group: Group) -> None:
    """Leave a group (or withdraw a request to join). The last owner may not leave a group
    that has other members: they make someone else owner first."""
    with transaction.atomic():
        _lock(group)
        membership = access.membership_of(account, group)
        JoinRequest.objects.filter(group=group, account=account).delete()
        if membership is None:
            return
        if membership.role == Role.OWNER:
            owners = Membership.objects.filter(group=group, role=Role.OWNER).count()
            members = Membership.objects.filter(group=group).count()
            if owners == 1 and members > 1:
                raise ValidationError(
                    _("You are this group's only owner: make someone else owner first."),
                    code="last_owner",
                )
        _drop_member(group, membership)
        federate.left(account, group, membership)


def _lock(group: Group) -> None:
    """Serialise changes to who belongs to ``group`` and with which role (PostgreSQL row
    lock; SQLite serialises writers anyway), so two owners leaving at once can't leave the
    group without one."""
    Group.objects.select_for_update().filter(pk=group.pk).values_list("pk", flat=True).first()


def recount_members(group: Group) -> int:
    """Set ``members_count`` from the membership rows (for the admin, should a counter ever
    drift); returns the count."""
    count = Membership.objects.filter(group=group).count()
    Group.objects.filter(pk=group.pk).update(members_count=count)
    group.members_count = count
    return count


def account_gone(account: Account) -> None:
    """A deleted account (ours, or one its server deleted) leaves every group it was in, and
    its requests, invitations and watches go, so member counts and deliveries are right. A
    group it was the last owner of is handed to the group's longest-standing moderator, else
    its longest-standing member (logged): a group is never left without an owner while it has
    members."""
    memberships = Membership.objects.filter(account=account).select_related("group__account")
    for membership in memberships:
        group = membership.group
        with transaction.atomic():
            _lock(group)
            _drop_member(group, membership)
            if membership.role == Role.OWNER:
                _hand_over(group, _("The last owner's account was deleted."))
    JoinRequest.objects.filter(account=account).delete()
    Invitation.objects.filter(account=account).delete()
    Watch.objects.filter(account=account).delete()


def _hand_over(group: Group, reason: str) -> None:
    """Give an ownerless group an owner: its longest-standing moderator, else member, on
    this server (or anywhere, for a group without local members). ``reason`` goes to the
    log."""
    if Membership.objects.filter(group=group, role=Role.OWNER).exists():
        return
    rank = Case(
        When(role=Role.MODERATOR, then=Value(0)),
        When(account__domain="", then=Value(1)),
        default=Value(2),
    )
    candidates = Membership.objects.filter(group=group, account__deleted_at__isnull=True)
    heir = candidates.order_by(rank, "created_at", "pk").select_related("account").first()
    if heir is None:
        return
    Membership.objects.filter(pk=heir.pk).update(role=Role.OWNER)
    log(group, None, LogAction.ROLE, account=heir.account, detail=Role.OWNER, reason=reason)
    if heir.role == Role.MEMBER:
        federate.moderators_changed(group.account, group, heir.account, added=True)
    logger.info("group %s handed over to %s", group.handle, heir.account.handle)


def _drop_member(group: Group, membership: Membership) -> None:
    deleted, _kinds = Membership.objects.filter(pk=membership.pk).delete()
    if deleted:
        Group.objects.filter(pk=group.pk, members_count__gt=0).update(
            members_count=F("members_count") - 1
        )
        feeds.left_group(membership.account, group.pk)


def approve(moderator: Account, request: JoinRequest) -> Membership:
    group = request.group
    _require_moderator(moderator, group)
    with transaction.atomic():
        _lock(group)  # a ban being written at the same moment is seen here (ban locks too)
        if access.is_banned(request.account, group):
            raise ValidationError(_("This person is banned from the group."), code="banned")
        membership = _add_member(group, request.account, uri=request.uri)
        log(group, moderator, LogAction.APPROVE, account=request.account)
        notify(request.account, Kind.JOIN_APPROVED, moderator, group=group)
        federate.member_accepted(group, membership)
    return membership


def reject(moderator: Account, request: JoinRequest) -> None:
    group = request.group
    _require_moderator(moderator, group)
    with transaction.atomic():
        JoinRequest.objects.filter(pk=request.pk).update(
            state=JoinRequestState.REJECTED, decided_by=moderator
        )
        log(group, moderator, LogAction.REJECT, account=request.account)
        federate.member_rejected(group, request)


def invite(inviter: Account, group: Group, account: Account) -> Invitation:
    """Members of public groups and moderators of the others invite people; an invitation
    lets its holder in without approval (the only way into a hidden group)."""
    if not access.can_invite(inviter, group):
        if group.kind == GroupKind.PUBLIC:
            raise PermissionDenied(_("Only members may invite people."))
        raise PermissionDenied(_("Only the group's moderators may do this."))
    if access.is_banned(account, group):
        raise ValidationError(_("This person is banned from the group."), code="banned")
    if access.is_member(account, group):
        raise ValidationError(_("This person is already a member."), code="member")
    if (
        not account.is_local
        or account.actor_type == ActorType.GROUP
        or account.deleted_at is not None
    ):
        raise ValidationError(_("Only people on this server can be invited."), code="remote")
    with transaction.atomic():
        invitation, created = Invitation.objects.get_or_create(
            group=group, account=account, defaults={"invited_by": inviter}
        )
        if created:
            log(group, inviter, LogAction.INVITE, account=account)
            notify(account, Kind.GROUP_INVITE, inviter, group=group)
    return invitation


def decline_invitation(account: Account, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, account=account).delete()


def withdraw_invitation(actor: Account, invitation: Invitation) -> None:
    """The person who invited, or a moderator, takes an invitation back."""
    if invitation.invited_by_id != actor.pk and not access.can_moderate(actor, invitation.group):
        raise PermissionDenied(_("Only the person who invited or a moderator may do this."))
    Invitation.objects.filter(pk=invitation.pk).delete()


def remove_member(moderator: Account, group: Group, account: Account, reason: str = "") -> None:
    """Remove someone from the group (they may ask to join again; a ban keeps them out)."""
    _require_moderator(moderator, group)
    if account.pk == moderator.pk:
        raise ValidationError(_("To leave the group, use Leave."), code="self")
    reason = clean_text(reason, multiline=True)[: LIMITS["reason"]]
    with transaction.atomic():
        _lock(group)
        membership = access.membership_of(account, group)
        if membership is None:
            return
        if membership.moderates and not _outranks(moderator, group):
            raise PermissionDenied(_("Only an owner may remove a moderator or an owner."))
        _drop_member(group, membership)
        log(group, moderator, LogAction.REMOVE, account=account, reason=reason)
        if membership.role == Role.OWNER:
            _hand_over(group, _("The last owner was removed from the group."))
        notify(account, Kind.GROUP_REMOVED, moderator, group=group)
        federate.member_removed(moderator, group, account)


def _is_owner(account: Account, group: Group) -> bool:
    return Membership.objects.filter(group=group, account=account, role=Role.OWNER).exists()


def _is_staff_here(account: Account, group: Group) -> bool:
    return group.is_local and account.user_id is not None and account.user.is_staff


def _outranks(account: Account, group: Group) -> bool:
    """Owners, and the instance's staff for groups on this server, act on moderators."""
    return _is_owner(account, group) or _is_staff_here(account, group)


def may_set_roles(account: Account | None, group: Group) -> bool:
    """Whether ``account`` may make people moderators or owners (and back)."""
    return account is not None and _outranks(account, group)


def ban(
    moderator: Account,
    group: Group,
    account: Account,
    reason: str = "",
    until: datetime | None = None,
) -> GroupBan:
    """Remove someone and keep them out (until ``until``, or for good): they may not join,
    post, react or, in a group that is not open, read, through any door."""
    _require_moderator(moderator, group)
    if account.pk == moderator.pk:
        raise ValidationError(_("You cannot ban yourself."), code="self")
    if access.can_moderate(account, group) and not _outranks(moderator, group):
        raise PermissionDenied(_("Only an owner may ban a moderator."))
    if until is not None and until <= timezone.now():
        raise ValidationError(_("A ban must end in the future."), code="past")
    if account.actor_type == ActorType.GROUP and account.pk == group.account_id:
        raise ValidationError(_("A group cannot ban itself."), code="self")
    reason = clean_text(reason, multiline=True)[: LIMITS["reason"]]
    with transaction.atomic():
        _lock(group)
        membership = access.membership_of(account, group)
        if membership is not None:
            _drop_member(group, membership)
            if membership.role == Role.OWNER:
                _hand_over(group, _("The last owner was banned from the group."))
            notify(account, Kind.GROUP_REMOVED, moderator, group=group)
        JoinRequest.objects.filter(group=group, account=account).delete()
        Invitation.objects.filter(group=group, account=account).delete()
        group_ban, _created = GroupBan.objects.update_or_create(
            group=group,
            account=account,
            defaults={"reason": reason, "banned_by": moderator, "expires_at": until},
        )
        log(
            group,
            moderator,
            LogAction.BAN,
            account=account,
            reason=reason,
            detail=until.isoformat() if until else "",
        )
        federate.member_banned(moderator, group, account, group_ban)
    return group_ban


def unban(moderator: Account, group: Group, account: Account) -> None:
    _require_moderator(moderator, group)
    with transaction.atomic():
        deleted, _kinds = GroupBan.objects.filter(group=group, account=account).delete()
        if deleted:
            log(group, moderator, LogAction.UNBAN, account=account)
            federate.member_unbanned(moderator, group, account)


def set_role(owner: Account, group: Group, account: Account, role: str) -> Membership:
    """Owners make members moderators or owners, and back. A group keeps at least one
    owner."""
    if role not in Role.values:
        raise ValidationError(_("Choose a role."), code="invalid")
    if not _outranks(owner, group):
        raise PermissionDenied(_("Only an owner may change roles."))
    with transaction.atomic():
        _lock(group)
        membership = access.membership_of(account, group)
        if membership is None:
            raise ValidationError(_("This person is not a member."), code="not_member")
        owners = Membership.objects.filter(group=group, role=Role.OWNER)
        if membership.role == Role.OWNER and role != Role.OWNER and owners.count() == 1:
            raise ValidationError(_("A group needs at least one owner."), code="last_owner")
        if membership.role == role:
            return membership
        was_moderator = membership.moderates
        Membership.objects.filter(pk=membership.pk).update(role=role)
        membership.role = role
        log(group, owner, LogAction.ROLE, account=account, detail=role)
        if membership.moderates != was_moderator:
            federate.moderators_changed(owner, group, account, added=membership.moderates)
    return membership
