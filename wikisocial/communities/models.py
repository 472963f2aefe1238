"""Groups (communities): who belongs to them, their forum, and what their moderators did.

A group is an actor: its handle, name, description, avatar and banner live on an ``Account``
with ``actor_type="Group"`` (local groups have no user), so WebFinger, keys, the inbox,
delivery and the client API treat it like any other actor. ``Group`` holds what only groups
have. Remote groups (a Lemmy community, another WikiSocial's group) have a ``Group`` row too.

Forum topics and replies are posts (``Post.group``), so they get markup, wikilinks, edits with
history, likes, threads, the client API and federation the way every post does; ``Topic`` holds
what a forum thread adds (title, category, lock, pin, solution, slow mode).

Who may see what is decided in one place per kind of thing: ``Group.objects.visible_to`` (the
group exists for this viewer), ``Group.objects.readable_by`` (its content may be read), and
``Post.objects.visible_to`` for posts, which applies ``readable_group_q`` below.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wikisocial.accounts.models import Account


class GroupKind(models.TextChoices):
    PUBLIC = "public", _("Public: anyone reads, anyone joins")
    RESTRICTED = "restricted", _("Restricted: anyone reads, joining needs approval")
    PRIVATE = "private", _("Private: members read, joining needs approval")
    HIDDEN = "hidden", _("Hidden: members only, by invitation, not listed")


# Kinds whose content anyone may read, and kinds the group itself is shown to anyone.
OPEN_KINDS = (GroupKind.PUBLIC, GroupKind.RESTRICTED)
LISTED_KINDS = (GroupKind.PUBLIC, GroupKind.RESTRICTED, GroupKind.PRIVATE)
# Kinds where joining waits for a moderator.
APPROVAL_KINDS = (GroupKind.RESTRICTED, GroupKind.PRIVATE)


class GroupCategory(models.TextChoices):
    CHAPTER = "chapter", _("Chapter")
    USER_GROUP = "user_group", _("User group")
    WIKIPROJECT = "wikiproject", _("WikiProject")
    THEMATIC = "thematic", _("Thematic organisation")
    EVENT_TEAM = "event_team", _("Event team")
    INTEREST = "interest", _("Interest")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    OWNER = "owner", _("owner")
    MODERATOR = "moderator", _("moderator")
    MEMBER = "member", _("member")


MODERATING_ROLES = (Role.OWNER, Role.MODERATOR)


def member_group_ids(account: Account | None) -> models.QuerySet:
    """Ids of the groups ``account`` belongs to (a subquery)."""
    if account is None:
        return Membership.objects.none().values("group_id")
    return Membership.objects.filter(account=account).values("group_id")


def readable_group_q(viewer: Account | None, prefix: str = "") -> Q:
    """Rows whose group's content ``viewer`` may read, reached through ``prefix`` ("group__"
    from a post): open groups for everyone, the others for their members. Rows without a group
    pass. The group must not be deleted."""
    open_to_all = Q(**{f"{prefix}kind__in": OPEN_KINDS})
    if viewer is not None:
        open_to_all |= Q(**{f"{prefix}pk__in": member_group_ids(viewer)})
    return open_to_all & Q(**{f"{prefix}account__deleted_at__isnull": True})


class GroupQuerySet(models.QuerySet):
    def alive(self) -> GroupQuerySet:
        return self.filter(account__deleted_at__isnull=True)

    def visible_to(self, viewer: Account | None) -> GroupQuerySet:
        """Groups whose page (name, description, rules, member count) ``viewer`` may see:
        every group but hidden ones, which only their members and invitees see."""
        shown = Q(kind__in=LISTED_KINDS)
        if viewer is not None:
            shown |= Q(pk__in=member_group_ids(viewer))
            shown |= Q(pk__in=Invitation.objects.filter(account=viewer).values("group_id"))
        return self.alive().filter(shown)

    def readable_by(self, viewer: Account | None) -> GroupQuerySet:
        """Groups whose content (topics, replies, wiki, members) ``viewer`` may read."""
        return self.filter(readable_group_q(viewer))

    def listed(self) -> GroupQuerySet:
        """Groups for the directory: never hidden ones."""
        return self.alive().filter(kind__in=LISTED_KINDS)


class Group(models.Model):
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="group")
    kind = models.CharField(
        _("who may read and join"),
        max_length=10,
        choices=GroupKind.choices,
        default=GroupKind.PUBLIC,
    )
    category = models.CharField(
        _("category"), max_length=12, choices=GroupCategory.choices, default=GroupCategory.OTHER
    )
    language = models.CharField(_("main language"), max_length=16, blank=True)
    rules = models.TextField(_("rules"), blank=True)
    rules_html = models.TextField(blank=True)
    # Questions people answer when asking to join (restricted and private groups).
    questions = models.JSONField(_("questions for people asking to join"), default=list, blank=True)
    members_hidden = models.BooleanField(
        _("hide the member list"),
        default=False,
        help_text=_("Only moderators see who the members are; others see how many."),
    )
    # Only moderators may start topics (Lemmy's postingRestrictedToMods).
    posting_restricted_to_mods = models.BooleanField(
        _("only moderators start topics"), default=False
    )
    created_by = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members_count = models.PositiveIntegerField(default=0)
    topics_count = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Remote groups: their moderators and featured (pinned) collections.
    moderators_url = models.CharField(max_length=500, blank=True, default="")
    featured_url = models.CharField(max_length=500, blank=True, default="")

    objects = GroupQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["kind", "-last_activity_at"])]

    def __str__(self) -> str:
        return f"!{self.account.username}" + (
            f"@{self.account.domain}" if self.account.domain else ""
        )

    def get_absolute_url(self) -> str:
        return reverse("communities:group", kwargs={"handle": self.url_handle})

    @property
    def is_local(self) -> bool:
        return self.account.is_local

    @property
    def url_handle(self) -> str:
        return self.account.url_handle

    @property
    def handle(self) -> str:
        """``!name`` here, ``!name@domain`` for remote groups (the fediverse convention)."""
        return str(self)

    @property
    def name(self) -> str:
        return self.account.name

    @property
    def is_open(self) -> bool:
        return self.kind in OPEN_KINDS

    @property
    def needs_approval(self) -> bool:
        return self.kind in APPROVAL_KINDS


class Membership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    # The Follow activity that made a remote member (or that we sent to a remote group).
    uri = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "account"], name="membership_unique"),
        ]
        indexes = [models.Index(fields=["account", "group"])]

    def __str__(self) -> str:
        return f"{self.account} in {self.group} ({self.role})"

    @property
    def moderates(self) -> bool:
        return self.role in MODERATING_ROLES


class JoinRequestState(models.TextChoices):
    PENDING = "pending", _("waiting")
    REJECTED = "rejected", _("declined")


class JoinRequest(models.Model):
    """Someone asking to join a group that needs approval (or, for a remote group, our member
    waiting for its Accept)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="join_requests")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    # [{"question": "…", "answer": "…"}]
    answers = models.JSONField(default=list, blank=True)
    state = models.CharField(
        max_length=10, choices=JoinRequestState.choices, default=JoinRequestState.PENDING
    )
    uri = models.CharField(max_length=500, blank=True, default="")
    decided_by = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "account"], name="join_request_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account} asks to join {self.group}"


class Invitation(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "account"], name="invitation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account} invited to {self.group}"


class GroupBan(models.Model):
    """Someone a group's moderators removed and keep out: they may not join, post, react or
    (in a private group) read, through any door."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="bans")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(blank=True)
    banned_by = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "account"], name="group_ban_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account} banned from {self.group}"

    @property
    def active(self) -> bool:
        return self.expires_at is None or self.expires_at > timezone.now()


class ForumCategory(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(max_length=100, allow_unicode=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["group", "slug"], name="forum_category_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class TopicTag(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=50)  # normalised: NFKC + casefold

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "name"], name="topic_tag_unique")]

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    """A forum thread: its first post is ``post``; replies are posts whose ``thread_root`` is
    that post. ``group`` is None only for the instance wiki's talk pages, which belong to no
    group and are open to all."""

    post = models.OneToOneField(
        "posts.Post", primary_key=True, on_delete=models.CASCADE, related_name="topic"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="topics"
    )
    title = models.CharField(_("title"), max_length=200)
    category = models.ForeignKey(
        ForumCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="topics"
    )
    tags = models.ManyToManyField(TopicTag, blank=True, related_name="topics")
    pinned_at = models.DateTimeField(null=True, blank=True)
    # Locked: only moderators may reply (federates as Lemmy's Lock). Closed: the discussion is
    # over; nobody replies until a moderator opens it again.
    locked = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    solution = models.ForeignKey(
        "posts.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Slow mode: each member waits this many seconds between replies. Set by a moderator, or
    # automatically (until ``slow_mode_until``) when the topic heats up.
    slow_mode_seconds = models.PositiveIntegerField(default=0)
    slow_mode_auto = models.BooleanField(default=False)
    slow_mode_until = models.DateTimeField(null=True, blank=True)
    replies_count = models.PositiveIntegerField(default=0)
    reactions_count = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["group", "-last_activity_at"], name="topic_latest"),
            models.Index(fields=["group", "-created_at"], name="topic_newest"),
        ]

    def __str__(self) -> str:
        return self.title


class ReactionKind(models.TextChoices):
    """The reactions a forum post may get. There are no downvotes and no karma: a reaction
    says something to the writer, it does not rank people."""

    HEART = "❤", _("Love")
    THANKS = "🙏", _("Thanks")
    AGREE = "👍", _("Agree")
    CELEBRATE = "🎉", _("Celebrate")
    INSIGHTFUL = "💡", _("Insightful")
    LAUGH = "😄", _("Funny")


class Reaction(models.Model):
    """A reaction other than the plain like (❤ is a ``posts.Like``, so Mastodon apps and
    Lemmy's upvotes see it)."""

    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="reactions")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=4, choices=ReactionKind.choices)
    uri = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "account", "kind"], name="reaction_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.kind} {self.post_id}"


class WatchLevel(models.TextChoices):
    # Discourse's levels: every new post / counts of new replies / only mentions and replies
    # to you / nothing at all.
    WATCHING = "watching", _("Watching: notify me of every new post")
    TRACKING = "tracking", _("Tracking: show how many new replies, notify me of replies to me")
    NORMAL = "normal", _("Normal: notify me only when someone mentions me or replies to me")
    MUTED = "muted", _("Muted: never notify me, hide it from my lists")


class Watch(models.Model):
    """How closely someone follows a group (its new topics) or one topic (its replies)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="watches"
    )
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="watches"
    )
    level = models.CharField(max_length=10, choices=WatchLevel.choices)
    # The newest reply the person has seen (tracking shows counts of unread replies).
    last_read_post_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(group__isnull=True) ^ Q(topic__isnull=True), name="watch_one_target"
            ),
            models.UniqueConstraint(
                fields=["account", "group"], condition=Q(topic__isnull=True), name="watch_group"
            ),
            models.UniqueConstraint(
                fields=["account", "topic"], condition=Q(group__isnull=True), name="watch_topic"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.level} {self.group_id or self.topic_id}"


class LogAction(models.TextChoices):
    CREATE = "create", _("created the group")
    EDIT = "edit", _("changed the group's settings")
    APPROVE = "approve", _("approved a request to join")
    REJECT = "reject", _("declined a request to join")
    INVITE = "invite", _("invited someone")
    REMOVE = "remove", _("removed a member")
    BAN = "ban", _("banned someone")
    UNBAN = "unban", _("lifted a ban")
    ROLE = "role", _("changed someone's role")
    LOCK = "lock", _("locked a topic")
    UNLOCK = "unlock", _("unlocked a topic")
    CLOSE = "close", _("closed a topic")
    OPEN = "open", _("reopened a topic")
    PIN = "pin", _("pinned a topic")
    UNPIN = "unpin", _("unpinned a topic")
    MOVE_IN = "move_in", _("moved a topic here")
    MOVE_OUT = "move_out", _("moved a topic away")
    SPLIT = "split", _("split replies into a new topic")
    SOLUTION = "solution", _("marked a solution")
    SLOW_MODE = "slow_mode", _("changed slow mode")
    DELETE = "delete", _("deleted a post")
    PROTECT = "protect", _("changed a wiki page's protection")
    WIKI_DELETE = "wiki_delete", _("deleted a wiki page")
    WIKI_RESTORE = "wiki_restore", _("restored a wiki page")


class GroupLogEntry(models.Model):
    """What a group's moderators did, shown to whoever may read the group (the public log)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="log")
    actor = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=12, choices=LogAction.choices)
    target_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_post = models.ForeignKey(
        "posts.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What it was about, kept readable if the target goes away (a title, a role, a duration).
    detail = models.CharField(max_length=300, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} in {self.group}"
