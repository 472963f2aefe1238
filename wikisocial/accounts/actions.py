"""Everything that changes accounts. The web views, the client API and the command line all
call these functions, so they behave the same whichever door a request came through."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wikisocial.accounts.languages import SpokenLanguage
from wikisocial.accounts.models import (
    Account,
    AccountDeletion,
    AccountLanguage,
    ActorType,
    Affiliation,
    ApprovalState,
    CodeOfConductAcceptance,
    DefaultVisibility,
    User,
)
from wikisocial.core.mail import queue_email
from wikisocial.core.markup import render_markdown
from wikisocial.federation import outbound
from wikisocial.instance.models import CodeOfConduct, InstanceSettings, RegistrationMode

logger = logging.getLogger(__name__)

CONFIRM_SALT = "wikisocial.accounts.confirm-email"


class RegistrationClosed(Exception):
    """Sign-ups are closed on this instance."""


# --- sign-up -------------------------------------------------------------------------------


def username_taken(username: str) -> bool:
    """Whether a local user or account has this name, in any letter case."""
    return User.objects.filter(username__iexact=username).exists() or (
        Account.objects.local().filter(username__iexact=username).exists()
    )


def email_taken(email: str, *, exclude: User | None = None) -> bool:
    """Whether a user (other than ``exclude``) has this address, in any letter case."""
    qs = User.objects.filter(email__iexact=email)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.exists()


def register(
    *,
    username: str,
    email: str,
    password: str | None,
    code_of_conduct: CodeOfConduct | None,
    reason: str = "",
    locale: str = "",
    bot: bool = False,
    by_operator: bool = False,
) -> User:
    """Create a user and their account.

    People signing up themselves must accept the current code of conduct, get a confirmation
    e-mail, and wait for approval when the instance asks for it. Accounts made by the operator
    (``by_operator``) are confirmed and approved at once.
    """
    instance = InstanceSettings.current()
    if not by_operator:
        _check_open(instance, code_of_conduct)
    needs_approval = not by_operator and instance.registration_mode == RegistrationMode.APPROVAL
    errors = {}
    if username_taken(username):
        errors["username"] = ValidationError(_("That username is taken."), code="taken")
    if email_taken(email):
        errors["email"] = ValidationError(
            _("An account with this e-mail address exists already."), code="taken"
        )
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            user = User(
                username=username,
                email=email,
                approval=ApprovalState.PENDING if needs_approval else ApprovalState.APPROVED,
                signup_reason=reason,
                locale=locale,
                email_confirmed_at=timezone.now() if by_operator else None,
            )
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
            Account.objects.create(
                user=user,
                username=username,
                actor_type=ActorType.SERVICE if bot else ActorType.PERSON,
            )
            if code_of_conduct is not None:
                CodeOfConductAcceptance.objects.create(user=user, version=code_of_conduct)
    except IntegrityError:
        # Someone took the name or address between our check and the insert.
        taken = _("That username or e-mail address was just taken. Please try again.")
        raise ValidationError({"username": ValidationError(taken, code="taken")}) from None
    if not by_operator:
        send_confirmation(user, user.email)
    logger.info("registered %s (%s)", username, "operator" if by_operator else "self")
    return user


def _check_open(instance: InstanceSettings, code_of_conduct: CodeOfConduct | None) -> None:
    if instance.registration_mode == RegistrationMode.CLOSED:
        raise RegistrationClosed
    if code_of_conduct is None and CodeOfConduct.current() is not None:
        raise ValidationError(_("Please accept the code of conduct."), code="accepted")


def sign_up(
    *,
    username: str,
    email: str,
    password: str,
    code_of_conduct: CodeOfConduct | None,
    reason: str = "",
    locale: str = "",
) -> User | None:
    """Someone signing up themselves. When the address already belongs to an account, create
    nothing and tell that account's owner instead (None): the answer the person sees is the
    same either way, so the form cannot be used to find out who has an account here.
    Usernames stay visibly unique: profiles are public anyway."""
    _check_open(InstanceSettings.current(), code_of_conduct)
    if email_taken(email):
        if username_taken(username):
            raise ValidationError(
                {"username": ValidationError(_("That username is taken."), code="taken")}
            )
        User().set_password(password)  # the same work as a real sign-up: no timing oracle
        owner = User.objects.filter(email__iexact=email).first()
        if owner is not None:
            queue_email(
                owner.email,
                "accounts/email/signup_attempt",
                {"user": owner, "site_url": settings.SITE_URL},
                owner.locale,
            )
        logger.info("sign-up with an address in use; its owner was told")
        return None
    return register(
        username=username,
        email=email,
        password=password,
        code_of_conduct=code_of_conduct,
        reason=reason,
        locale=locale,
    )


def ensure_account(user: User) -> Account:
    """The user's profile, made now if they have none (users created by ``createsuperuser``,
    the admin's *Add user* or ``User.objects.create_user``)."""
    account = Account.objects.filter(user=user).first()
    if account is None:
        account = Account.objects.create(user=user, username=user.username)
    return account


def login_refusal_code(user: User) -> str | None:
    """Why ``user`` may not log in (on any door: pages, tokens), as a code: "rejected",
    "unconfirmed", "pending" or "disabled"; None if they may."""
    if user.approval == ApprovalState.REJECTED:
        return "rejected"
    if not user.email_confirmed:
        return "unconfirmed"
    if user.approval == ApprovalState.PENDING:
        return "pending"
    if not user.is_active:
        return "disabled"
    return None


def login_refusal(user: User) -> str | None:
    """Why ``user`` may not log in yet, said to them, or None if they may."""
    code = login_refusal_code(user)
    if code == "rejected":
        return _("This sign-up was not approved.")
    if code == "unconfirmed":
        return _(
            "Please confirm your e-mail address first: follow the link we sent to %(email)s."
        ) % {"email": user.email}
    if code == "pending":
        return _("Your sign-up is waiting for an administrator's approval. We will e-mail you.")
    if code == "disabled":
        return _("This account is disabled.")
    return None


# --- e-mail confirmation and change --------------------------------------------------------


def confirmation_token(user: User, email: str) -> str:
    return signing.dumps({"u": user.pk, "e": email}, salt=CONFIRM_SALT, compress=True)


def send_confirmation(user: User, email: str) -> None:
    url = settings.SITE_URL + reverse(
        "accounts:confirm-email", kwargs={"token": confirmation_token(user, email)}
    )
    queue_email(
        email,
        "accounts/email/confirm",
        {"user": user, "url": url, "site_url": settings.SITE_URL, "email": email},
        user.locale,
    )


def confirm_email(token: str) -> User:
    """Confirm the address in ``token``: the sign-up address or a pending new one."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=settings.EMAIL_CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError(_("This link has expired. Ask for a new one.")) from None
    except signing.BadSignature:
        raise ValidationError(_("This link is not valid.")) from None
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None:
        raise ValidationError(_("This link is not valid."))
    address = data["e"]
    taken = _("Another account uses this address now.")
    try:
        with transaction.atomic():
            if address.lower() == user.email.lower():
                if user.email_confirmed_at is None:
                    user.email_confirmed_at = timezone.now()
                    user.save(update_fields=["email_confirmed_at"])
            elif address.lower() == user.pending_email.lower():
                if email_taken(address, exclude=user):
                    raise ValidationError(taken)
                user.email, user.pending_email = address, ""
                user.email_confirmed_at = timezone.now()
                user.save(update_fields=["email", "pending_email", "email_confirmed_at"])
            else:
                raise ValidationError(_("This link is for an address you no longer use."))
    except IntegrityError:
        # Someone else confirmed the same address between our check and the update.
        raise ValidationError(taken) from None
    return user


def request_email_change(user: User, new_email: str) -> None:
    """Keep the old address until the new one is confirmed; tell the old one."""
    if email_taken(new_email, exclude=user):
        raise ValidationError({"email": _("An account with this e-mail address exists already.")})
    user.pending_email = new_email
    user.save(update_fields=["pending_email"])
    send_confirmation(user, new_email)
    queue_email(
        user.email,
        "accounts/email/email_change_notice",
        {"user": user, "new_email": new_email, "site_url": settings.SITE_URL},
        user.locale,
    )


def change_password(user: User, new_password: str) -> None:
    user.set_password(new_password)
    user.save(update_fields=["password"])
    queue_email(
        user.email,
        "accounts/email/password_changed",
        {"user": user, "site_url": settings.SITE_URL},
        user.locale,
    )


def set_interface_language(user: User, code: str) -> None:
    user.locale = code
    user.save(update_fields=["locale"])


# --- code of conduct and approval -----------------------------------------------------------


def has_accepted_current_code(user: User) -> bool:
    current = CodeOfConduct.current()
    return current is None or user.coc_acceptances.filter(version=current).exists()


def accept_code_of_conduct(user: User, code: CodeOfConduct) -> None:
    CodeOfConductAcceptance.objects.get_or_create(user=user, version=code)


def approve_registration(user: User) -> None:
    user.approval = ApprovalState.APPROVED
    user.save(update_fields=["approval"])
    queue_email(
        user.email,
        "accounts/email/approved",
        {"user": user, "site_url": settings.SITE_URL},
        user.locale,
    )


def reject_registration(user: User) -> None:
    user.approval = ApprovalState.REJECTED
    user.save(update_fields=["approval"])


# --- profile -------------------------------------------------------------------------------


@dataclass
class ProfileChanges:
    """A validated profile edit (see forms.ProfileForm)."""

    display_name: str
    bio: str
    pronouns: str
    wiki_username: str
    locked: bool
    bot: bool
    hide_network: bool = False
    wall_enabled: bool = True
    fields: list[dict[str, str]] = field(default_factory=list)
    languages: list[SpokenLanguage] = field(default_factory=list)
    affiliations: list[dict[str, str]] = field(default_factory=list)
    avatar: ContentFile | None = None
    header: ContentFile | None = None
    remove_avatar: bool = False
    remove_header: bool = False
    # Settings some doors don't show (the client API's update_credentials): None keeps the
    # current value, so a door that doesn't know them never resets them.
    discoverable: bool | None = None
    default_visibility: str | None = None
    default_sensitive: bool | None = None
    default_language: str | None = None


# The optional settings of ProfileChanges, which are columns of the same name.
PREFERENCE_COLUMNS = ["discoverable", "default_visibility", "default_sensitive", "default_language"]

PROFILE_COLUMNS = [
    "display_name",
    "bio",
    "bio_html",
    "pronouns",
    "wiki_username",
    "wiki_verified",
    "locked",
    "actor_type",
    "hide_network",
    "wall_enabled",
    "fields",
    "avatar",
    "header",
    "updated_at",
]


def _check_preferences(changes: ProfileChanges) -> None:
    from wikisocial.core.wikilinks import is_language_code

    errors = {}
    visibility = changes.default_visibility
    if visibility is not None and visibility not in DefaultVisibility.values:
        errors["default_visibility"] = _("“%(value)s” is not a visibility new posts may have.") % {
            "value": visibility
        }
    language = changes.default_language
    if language and not is_language_code(language.lower()):
        errors["default_language"] = _("“%(code)s” is not a language code we know.") % {
            "code": language
        }
    if errors:
        raise ValidationError(errors)


def set_display_preferences(account: Account, *, show_counts: bool) -> None:
    """Save how the web pages look to this person. Nothing is federated: no one else sees it."""
    Account.objects.filter(pk=account.pk).update(show_counts=show_counts)
    account.show_counts = show_counts


def update_profile(account: Account, changes: ProfileChanges) -> Account:
    """Save a profile edit. Refused (ValidationError) when the account was deleted meanwhile,
    or when a posting default is not one a post may have."""
    _check_preferences(changes)
    old_files = []
    with transaction.atomic():
        alive = Account.objects.select_for_update().filter(pk=account.pk, deleted_at__isnull=True)
        if not alive.exists():
            raise ValidationError(_("This account has been deleted."))
        account.display_name = changes.display_name
        account.bio = changes.bio
        account.bio_html = render_markdown(changes.bio)
        account.pronouns = changes.pronouns
        if account.wiki_username != changes.wiki_username:
            account.wiki_verified = False
        account.wiki_username = changes.wiki_username
        account.locked = changes.locked
        account.hide_network = changes.hide_network
        account.wall_enabled = changes.wall_enabled
        account.actor_type = ActorType.SERVICE if changes.bot else ActorType.PERSON
        account.fields = changes.fields
        given = [name for name in PREFERENCE_COLUMNS if getattr(changes, name) is not None]
        for name in given:
            value = getattr(changes, name)
            setattr(account, name, value.lower() if name == "default_language" else value)
        for name in ("avatar", "header"):
            current = getattr(account, name)
            new = getattr(changes, name)
            if (new is not None or getattr(changes, f"remove_{name}")) and current:
                old_files.append((current.storage, current.name))
            if new is not None:
                current.save(new.name, new, save=False)
            elif getattr(changes, f"remove_{name}"):
                setattr(account, name, "")
        # Only these columns: ``account`` may be stale, and a full save would write back
        # whatever else it holds (a deleted account's empty deleted_at, old counters).
        account.save(update_fields=PROFILE_COLUMNS + given)
        account.languages.all().delete()
        AccountLanguage.objects.bulk_create(
            AccountLanguage(account=account, code=lang.code, level=lang.level, position=i)
            for i, lang in enumerate(changes.languages)
        )
        account.affiliations.all().delete()
        Affiliation.objects.bulk_create(
            Affiliation(account=account, position=i, **item)
            for i, item in enumerate(changes.affiliations)
        )
        outbound.profile_updated(account)
    transaction.on_commit(lambda: _delete_files(old_files))
    return account


def _delete_files(files: list[tuple[Storage, str]]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("could not delete replaced file %s", name)


# --- deletion ------------------------------------------------------------------------------


def delete_account(account: Account, *, by_self: bool = True) -> AccountDeletion:
    """Close the account at once and record the deletion; a background task removes its data,
    and federation (later) announces it from the ``AccountDeletion`` row. The username stays
    taken, as other servers may still hold the old actor."""
    from wikisocial.accounts.tasks import purge_account

    with transaction.atomic():
        account.deleted_at = timezone.now()
        account.save(update_fields=["deleted_at"])
        deletion, created = AccountDeletion.objects.get_or_create(
            account=account, defaults={"requested_by_self": by_self}
        )
        if created:
            # Told while the account still has its followers (the purge ends them).
            outbound.account_deleted(account)
            deletion.federated_at = timezone.now()
            deletion.save(update_fields=["federated_at"])
        user = account.user
        if user is not None:
            user.is_active = False
            user.email = ""
            user.pending_email = ""
            user.set_unusable_password()  # also ends every session of this user
            user.save(update_fields=["is_active", "email", "pending_email", "password"])
    transaction.on_commit(lambda: purge_account.enqueue(account.pk))
    logger.info("account %s deleted (%s)", account.handle, "self" if by_self else "staff")
    return deletion


def forget_remote_account(account: Account) -> None:
    """A remote actor was deleted on its server: it goes here too, with its posts, likes and
    follows (the same purge as a local account's)."""
    from wikisocial.accounts.tasks import purge_account

    if account.is_local:
        raise ValueError("only remote accounts are forgotten this way")
    closed = Account.objects.filter(pk=account.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now()
    )
    if closed:
        transaction.on_commit(lambda: purge_account.enqueue(account.pk))
        logger.info("remote account %s deleted by its server", account.handle)


def purge_account_data(account: Account) -> None:
    """Remove what a deleted account held; idempotent."""
    from wikisocial.communities.actions import account_gone
    from wikisocial.posts.actions import delete_everything_by
    from wikisocial.social.actions import end_all_relations

    files = [(f.storage, f.name) for f in (account.avatar, account.header) if f]
    with transaction.atomic():
        account.display_name = ""
        account.bio = account.bio_html = account.pronouns = account.wiki_username = ""
        account.fields = []
        account.avatar = account.header = ""
        account.save(
            update_fields=[
                "display_name",
                "bio",
                "bio_html",
                "pronouns",
                "wiki_username",
                "fields",
                "avatar",
                "header",
            ]
        )
        account.languages.all().delete()
        account.affiliations.all().delete()
        delete_everything_by(account)
        end_all_relations(account)
        account_gone(account)  # its groups: memberships, requests, a new owner if need be
        AccountDeletion.objects.filter(account=account).update(purged_at=timezone.now())
    _delete_files(files)
