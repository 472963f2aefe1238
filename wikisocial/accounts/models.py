"""People and their profiles.

``User`` is a login on this instance (password, e-mail, approval). ``Account`` is the public
actor: a profile with a handle, local (it has a user) or, once federation lands, remote. Keeping
the two apart lets remote actors be accounts without being users.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wikisocial.accounts.languages import LEVELS, language_name
from wikisocial.accounts.validators import validate_username


class ApprovalState(models.TextChoices):
    APPROVED = "approved", _("approved")
    PENDING = "pending", _("waiting for approval")
    REJECTED = "rejected", _("rejected")


class CaseInsensitiveUserManager(UserManager):
    """Users made through the manager (``createsuperuser``, ``create_user`` in scripts and
    tests) get their profile too: every page assumes a local user has an ``Account``."""

    def get_by_natural_key(self, username: str) -> User:
        return self.get(username__iexact=username)

    def _create_user(
        self, username: str, email: str | None, password: str | None, **extra_fields: Any
    ) -> User:
        with transaction.atomic(using=self._db):
            user = super()._create_user(username, email, password, **extra_fields)
            if isinstance(user, User):  # not the historical model inside a migration
                from wikisocial.accounts.actions import ensure_account

                ensure_account(user)
        return user

    async def _acreate_user(
        self, username: str, email: str | None, password: str | None, **extra_fields: Any
    ) -> User:
        return await sync_to_async(self._create_user)(username, email, password, **extra_fields)

    def create_superuser(
        self,
        username: str,
        email: str | None = None,
        password: str | None = None,
        **extra_fields: Any,
    ) -> User:
        # The operator vouches for the address, as with `wikisocial createadmin`.
        extra_fields.setdefault("email_confirmed_at", timezone.now())
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    username = models.CharField(
        _("username"),
        max_length=30,
        unique=True,
        validators=[validate_username],
        error_messages={"unique": _("That username is taken.")},
    )
    email = models.EmailField(_("e-mail address"))
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    # A new address waits here until its owner follows the link sent to it.
    pending_email = models.EmailField(blank=True)
    approval = models.CharField(
        max_length=10, choices=ApprovalState.choices, default=ApprovalState.APPROVED
    )
    signup_reason = models.TextField(_("reason for joining"), blank=True, max_length=1000)
    locale = models.CharField(_("interface language"), max_length=10, blank=True)

    objects = CaseInsensitiveUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="user_email_ci_unique"
            ),
        ]

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


class ActorType(models.TextChoices):
    PERSON = "Person", _("person")
    SERVICE = "Service", _("bot")
    GROUP = "Group", _("group")
    APPLICATION = "Application", _("application")


class DefaultVisibility(models.TextChoices):
    """The visibilities a new post may default to (the values are the Mastodon API's, as in
    posts.Visibility, which this app can't import)."""

    PUBLIC = "public", _("Public")
    UNLISTED = "unlisted", _("Unlisted")
    PRIVATE = "private", _("Followers only")


# Kinds of local group whose actor anyone may see (communities.models.LISTED_KINDS: this app
# cannot import that one).
LISTED_GROUP_KINDS = ("public", "restricted", "private")


def public_account_q(prefix: str = "") -> models.Q:
    """Accounts anyone may see: not deleted, and either remote, a local account whose user is
    approved, confirmed and active, or a local group that is not hidden. ``prefix`` reaches it
    through a relation ("author__"), so the rule for posts is this same rule."""
    return models.Q(**{f"{prefix}deleted_at__isnull": True}) & (
        ~models.Q(**{f"{prefix}domain": ""})
        | models.Q(
            **{
                f"{prefix}actor_type": ActorType.GROUP,
                f"{prefix}group__kind__in": LISTED_GROUP_KINDS,
            }
        )
        | models.Q(
            **{
                f"{prefix}user__isnull": False,
                f"{prefix}user__approval": ApprovalState.APPROVED,
                f"{prefix}user__email_confirmed_at__isnull": False,
                f"{prefix}user__is_active": True,
            }
        )
    )


class AccountQuerySet(models.QuerySet):
    def local(self) -> AccountQuerySet:
        return self.filter(domain="")

    def active(self) -> AccountQuerySet:
        return self.filter(deleted_at__isnull=True)

    def visible_to(self, viewer: User | None) -> AccountQuerySet:
        """Accounts whose profile ``viewer`` may see: the one rule for profiles, the directory,
        the front page, member counts and the API. Deleted accounts are gone for everyone.
        A local account is public once its user is approved, has confirmed the e-mail address
        and is active; until then only the person themselves and staff see it. A local account
        without a user is never public; remote accounts are. Someone who blocked the viewer is
        hidden from them."""
        qs = self.active()
        account = getattr(viewer, "account", None) if viewer is not None else None
        if account is not None:
            from wikisocial.social.models import Block

            qs = qs.exclude(pk__in=Block.objects.filter(target=account).values("account_id"))
        if viewer is not None and viewer.is_authenticated and viewer.is_staff:
            return qs
        visible = public_account_q()
        if viewer is not None and viewer.is_authenticated:
            visible |= models.Q(user=viewer)
        if account is not None:
            from wikisocial.communities.models import Group

            # A hidden group's actor: for its members and the people invited to it.
            visible |= models.Q(
                group__in=Group.objects.visible_to(account).filter(account__domain="")
            )
        return qs.filter(visible)


class Account(models.Model):
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="account"
    )
    username = models.CharField(_("username"), max_length=255)
    domain = models.CharField(_("domain"), max_length=255, blank=True, default="")
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    bio = models.TextField(_("bio"), blank=True)
    bio_html = models.TextField(blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/", blank=True)
    header = models.ImageField(_("header image"), upload_to="headers/", blank=True)
    # [{"name": "Website", "value": "https://…"}], at most PROFILE_LIMITS["fields"].
    fields = models.JSONField(_("profile fields"), default=list, blank=True)
    pronouns = models.CharField(_("pronouns"), max_length=50, blank=True)
    wiki_username = models.CharField(_("Wikimedia username"), max_length=255, blank=True)
    wiki_verified = models.BooleanField(_("Wikimedia username verified"), default=False)
    locked = models.BooleanField(
        _("approve followers by hand"),
        default=False,
        help_text=_("People must ask to follow you, and you decide."),
    )
    actor_type = models.CharField(max_length=12, choices=ActorType.choices, default="Person")
    hide_network = models.BooleanField(
        _("hide who I follow and who follows me"),
        default=False,
        help_text=_("Others see only how many."),
    )
    wall_enabled = models.BooleanField(
        _("message wall"), default=True, help_text=_("Let people write on your wall.")
    )
    # Whether the account may be suggested to others and listed in directories (Mastodon's
    # "discoverable"; its "indexable" follows it).
    discoverable = models.BooleanField(
        _("suggest my account to others"),
        default=True,
        help_text=_("Others may see it among suggested accounts."),
    )
    # Posting defaults, kept for every door (Mastodon's source[privacy|sensitive|language]).
    default_visibility = models.CharField(
        _("default visibility of new posts"),
        max_length=10,
        choices=DefaultVisibility.choices,
        default=DefaultVisibility.PUBLIC,
    )
    default_sensitive = models.BooleanField(_("mark new posts' media as sensitive"), default=False)
    default_language = models.CharField(
        _("default language of new posts"), max_length=16, blank=True
    )
    # A reading preference of the web pages only (the client API always gives the numbers):
    # off hides counts of likes, boosts, replies, followers and members from this person.
    show_counts = models.BooleanField(
        _("show counts"),
        default=True,
        help_text=_(
            "How many likes, boosts and replies a post has, how many followers a person has "
            "and how many members a group has."
        ),
    )
    # Counters kept by the social-graph and posting actions.
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    posts_count = models.PositiveIntegerField(default=0)
    last_post_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Remote actors: their ActivityPub id, profile page and inboxes (empty for local accounts,
    # whose URLs are derived from the username).
    uri = models.CharField(max_length=500, blank=True, default="", db_index=True)
    remote_url = models.CharField(max_length=500, blank=True, default="")
    inbox_url = models.CharField(max_length=500, blank=True, default="")
    shared_inbox_url = models.CharField(max_length=500, blank=True, default="")
    # The followers collection: a post addressed to it is followers-only.
    followers_url = models.CharField(max_length=500, blank=True, default="")
    # Where a remote account's avatar and header come from; our copies are in avatar/header.
    avatar_remote_url = models.CharField(max_length=500, blank=True, default="")
    header_remote_url = models.CharField(max_length=500, blank=True, default="")
    fetched_at = models.DateTimeField(null=True, blank=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), "domain", name="account_handle_ci_unique"),
        ]
        indexes = [models.Index(fields=["domain", "created_at"])]

    def __str__(self) -> str:
        return self.handle

    def get_absolute_url(self) -> str:
        """``/@name`` for local accounts, ``/@name@domain`` for remote ones."""
        return reverse("web:profile", kwargs={"username": self.url_handle})

    @property
    def url_handle(self) -> str:
        """The account in our URLs: ``name`` here, ``name@domain`` for remote accounts."""
        return self.username if self.is_local else f"{self.username}@{self.domain}"

    @property
    def is_local(self) -> bool:
        return self.domain == ""

    @property
    def bot(self) -> bool:
        return self.actor_type == ActorType.SERVICE

    @property
    def handle(self) -> str:
        """``@name`` for local accounts, ``@name@domain`` for remote ones."""
        return f"@{self.username}" if self.is_local else f"@{self.username}@{self.domain}"

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def wiki_user_url(self) -> str:
        """The wiki username's global account page on Meta-Wiki."""
        if not self.wiki_username:
            return ""
        title = quote(self.wiki_username.replace(" ", "_"), safe="")
        return f"https://meta.wikimedia.org/wiki/Special:CentralAuth/{title}"


class AccountLanguage(models.Model):
    """A language the person speaks, with a Babel level (0–5 or N for native)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="languages")
    code = models.CharField(max_length=16)
    level = models.CharField(max_length=1, choices=[(k, v) for k, v in LEVELS.items()])
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["account", "code"], name="account_language_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code}-{self.level}"

    @property
    def name(self) -> str:
        return language_name(self.code)

    @property
    def level_name(self) -> str:
        return str(LEVELS[self.level])


class AffiliationKind(models.TextChoices):
    CHAPTER = "chapter", _("chapter")
    USER_GROUP = "user_group", _("user group")
    THEMATIC = "thematic", _("thematic organisation")
    PROJECT = "project", _("project or WikiProject")
    OTHER = "other", _("other")


class Affiliation(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="affiliations")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=AffiliationKind.choices)
    url = models.URLField(_("link"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class CodeOfConductAcceptance(models.Model):
    """A record that a user accepted a given version of the code of conduct."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="coc_acceptances")
    version = models.ForeignKey(
        "instance.CodeOfConduct", on_delete=models.PROTECT, related_name="acceptances"
    )
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="coc_acceptance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} accepted v{self.version.version}"


class ContentHandling(models.TextChoices):
    DELETE = "delete", _("delete everything I posted")


class AccountDeletion(models.Model):
    """A deleted account: when, what happens to its content, and how far that has got.
    ``federated_at``: when the actor's Delete was queued for the servers that knew it."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="deletion")
    requested_at = models.DateTimeField(auto_now_add=True)
    content_handling = models.CharField(
        max_length=10, choices=ContentHandling.choices, default=ContentHandling.DELETE
    )
    requested_by_self = models.BooleanField(default=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    federated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"deletion of {self.account}"
