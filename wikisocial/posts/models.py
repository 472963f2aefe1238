"""Posts (statuses), their versions, media, polls, and what people do with them."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings

from wikisocial.accounts.models import Account, public_account_q
from wikisocial.communities.models import readable_group_q
from wikisocial.core.ids import new_id


class Visibility(models.TextChoices):
    # The values are the Mastodon API's (followers-only is "private"); "local" is Akkoma's.
    PUBLIC = "public", _("Public")
    UNLISTED = "unlisted", _("Unlisted")
    FOLLOWERS = "private", _("Followers only")
    DIRECT = "direct", _("Mentioned people only")
    LOCAL = "local", _("This server only")


class PostQuerySet(models.QuerySet):
    def alive(self) -> PostQuerySet:
        return self.filter(deleted_at__isnull=True, author__deleted_at__isnull=True)

    def _authors_visible(self, viewer: Account | None) -> PostQuerySet:
        """The author (and a boost's original author) pass the account rule: a disabled,
        unconfirmed or unapproved account's posts are hidden with its profile."""
        authors = public_account_q("author__")
        originals = Q(boost_of__isnull=True) | public_account_q("boost_of__author__")
        if viewer is not None:
            authors |= Q(author=viewer)
            originals |= Q(boost_of__author=viewer)
        return self.filter(authors, originals)

    def visible_to(self, viewer: Account | None) -> PostQuerySet:
        """Posts ``viewer`` may see (None: someone not logged in). The one rule for every door:
        pages, feeds, the API, federation, search and counts. A boost is visible only where
        the boosted post is too."""
        from wikisocial.social.models import Block, Follow

        qs = self.alive()._authors_visible(viewer)
        open_to_all = [Visibility.PUBLIC, Visibility.UNLISTED]
        # A post in a group is judged by the group's rule alone (its members, or anyone for
        # an open group), whatever its visibility field says; so is a boost's original.
        in_group = Q(group__isnull=False) & readable_group_q(viewer, "group__")
        original_in_group = Q(boost_of__group__isnull=True) | readable_group_q(
            viewer, "boost_of__group__"
        )
        if viewer is None:
            return qs.filter(Q(group__isnull=True, visibility__in=open_to_all) | in_group).filter(
                Q(boost_of__isnull=True)
                | Q(boost_of__deleted_at__isnull=True, boost_of__visibility__in=open_to_all)
                & original_in_group
            )
        shared = [*open_to_all, Visibility.LOCAL] if viewer.is_local else open_to_all
        mentioned = Mention.objects.filter(post=OuterRef("pk"), account=viewer)
        follows = Follow.objects.filter(follower=viewer, target=OuterRef("author"))
        allowed = (
            Q(group__isnull=True)
            & (
                Q(visibility__in=shared)
                | Q(visibility=Visibility.FOLLOWERS, is_following=True)
                | Q(visibility__in=[Visibility.FOLLOWERS, Visibility.DIRECT], is_mentioned=True)
            )
            | in_group
            | Q(author=viewer)
        )

        def blocked(author: str) -> Exists:
            return Exists(
                Block.objects.filter(
                    Q(account=viewer, target=OuterRef(author))
                    | Q(account=OuterRef(author), target=viewer)
                )
            )

        boosted_visible = Q(boost_of__isnull=True) | (
            Q(boost_of__deleted_at__isnull=True)
            & (Q(boost_of__visibility__in=shared) | Q(boost_of__author=viewer))
            & original_in_group
            & ~Q(boost_blocked=True)
        )
        return (
            qs.alias(
                is_following=Exists(follows),
                is_mentioned=Exists(mentioned),
                boost_blocked=blocked("boost_of__author"),
            )
            .filter(allowed)
            .filter(boosted_visible)
            .exclude(blocked("author"))
        )

    def public_timeline(self, visibilities: list[str]) -> PostQuerySet:
        """Posts for the public timelines: no boosts, no replies to others, nothing posted in a
        group (groups have their own pages, and members get new topics in their home feed)."""
        return self.filter(
            visibility__in=visibilities, boost_of__isnull=True, group__isnull=True
        ).filter(Q(in_reply_to_account__isnull=True) | Q(in_reply_to_account=models.F("author")))


class Post(models.Model):
    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    author = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="posts")
    # Federated id; empty for local posts (their id is their URL).
    uri = models.CharField(max_length=500, blank=True, default="")
    url = models.CharField(max_length=500, blank=True, default="")
    local = models.BooleanField(default=True)
    content = models.TextField(blank=True)  # what the author wrote (Markdown); empty if remote
    content_html = models.TextField(blank=True)
    spoiler_text = models.CharField(max_length=500, blank=True)
    sensitive = models.BooleanField(default=False)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default="public")
    language = models.CharField(max_length=16, blank=True)
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    in_reply_to_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The first post of the conversation; None for a post that starts one.
    thread_root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    boost_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="boosts"
    )
    # A post in a group's forum: a topic (it has a ``topic``) or a reply in one. Who may see
    # it is the group's rule (communities.models.readable_group_q), not ``visibility``.
    group = models.ForeignKey(
        "communities.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="posts",
    )
    # A post written on someone's message wall.
    wall_owner = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="wall_posts"
    )
    hidden_from_wall = models.BooleanField(default=False)
    hashtags = models.ManyToManyField("Hashtag", blank=True, related_name="posts")
    replies_count = models.PositiveIntegerField(default=0)
    likes_count = models.PositiveIntegerField(default=0)
    boosts_count = models.PositiveIntegerField(default=0)
    # The client app it was published with (the API shows it to the author); None for posts
    # from the web pages and from other servers.
    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["author", "-id"], name="post_author_id"),
            models.Index(fields=["local", "visibility", "-id"], name="post_public_timeline"),
            models.Index(fields=["uri"], name="post_uri"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["uri"], condition=~Q(uri=""), name="post_uri_unique"),
            models.UniqueConstraint(
                fields=["author", "boost_of"],
                condition=Q(boost_of__isnull=False, deleted_at__isnull=True),
                name="one_boost_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author.handle}/{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("web:post", kwargs={"username": self.author.url_handle, "post_id": self.pk})

    @property
    def is_boost(self) -> bool:
        return self.boost_of_id is not None

    @property
    def can_be_boosted(self) -> bool:
        """Boosts share a post further: only posts already open to all (or to this server)."""
        return self.visibility in (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.LOCAL)

    @property
    def can_be_pinned(self) -> bool:
        """A pinned post is shown on the profile to everyone, so it must be open to all."""
        return self.visibility in (Visibility.PUBLIC, Visibility.UNLISTED)


class PostEdit(models.Model):
    """One version of a post. The first edit also stores the original, so every version the
    author published stays readable."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="edits")
    content = models.TextField(blank=True)
    content_html = models.TextField(blank=True)
    spoiler_text = models.CharField(max_length=500, blank=True)
    sensitive = models.BooleanField(default=False)
    media_descriptions = models.JSONField(default=list, blank=True)
    poll_options = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"version of {self.post_id} at {self.created_at:%Y-%m-%d %H:%M}"


class Hashtag(models.Model):
    name = models.CharField(max_length=100, unique=True)  # normalised: NFKC + casefold
    display_name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("web:hashtag", kwargs={"name": self.name})


class Mention(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="mentioned_in")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "account"], name="mention_unique"),
        ]
        indexes = [models.Index(fields=["account", "post"])]

    def __str__(self) -> str:
        return f"{self.post_id} mentions {self.account}"


def media_path(instance: MediaAttachment, filename: str) -> str:
    return f"media/{instance.account_id}/{filename}"


class MediaState(models.TextChoices):
    READY = "ready", _("ready")
    # Stored, waiting for the background task that re-encodes it (client API v2 uploads).
    PROCESSING = "processing", _("processing")
    FAILED = "failed", _("could not be processed")


class MediaAttachment(models.Model):
    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="media")
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="media"
    )
    media_type = models.CharField(max_length=10, default="image")
    file = models.ImageField(upload_to=media_path, blank=True)
    thumbnail = models.ImageField(upload_to=media_path, blank=True)
    remote_url = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)  # alt text
    blurhash = models.CharField(max_length=100, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    focus_x = models.FloatField(default=0)
    focus_y = models.FloatField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=10, choices=MediaState.choices, default=MediaState.READY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"media {self.pk}"


class PendingUpload(models.Model):
    """An uploaded file waiting for the task that re-encodes it. It is kept in the database
    rather than with the media files: the original still carries its metadata (EXIF with GPS
    positions) and must never be served, and every worker machine can read it from here."""

    media = models.OneToOneField(
        MediaAttachment, primary_key=True, on_delete=models.CASCADE, related_name="pending"
    )
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"upload for media {self.media_id}"


class Poll(models.Model):
    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="poll")
    multiple = models.BooleanField(default=False)
    expires_at = models.DateTimeField()
    voters_count = models.PositiveIntegerField(default=0)
    ended_notified = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"poll of {self.post_id}"


class PollOption(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    votes_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.title


class PollVote(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="votes")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="poll_votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["option", "account"], name="poll_vote_unique"),
        ]
        indexes = [models.Index(fields=["poll", "account"])]

    def __str__(self) -> str:
        return f"{self.account} voted {self.option_id}"


class Like(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="likes")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    uri = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "post"], name="like_unique")]
        indexes = [models.Index(fields=["post", "-id"])]

    def __str__(self) -> str:
        return f"{self.account} likes {self.post_id}"


class Bookmark(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="bookmarks")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "post"], name="bookmark_unique")]

    def __str__(self) -> str:
        return f"{self.account} bookmarked {self.post_id}"


class Pin(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="pins")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "post"], name="pin_unique")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.account} pinned {self.post_id}"


class ConversationMute(models.Model):
    """Someone who wants no more notifications from a conversation (Mastodon's "mute
    conversation"): the conversation is named by its first post."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="conversation_mutes"
    )
    thread_root = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "thread_root"], name="conversation_mute_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} muted conversation {self.thread_root_id}"


class IdempotencyKey(models.Model):
    """A client's ``Idempotency-Key`` for a post it sent: the same key from the same account
    within an hour gets the same post back instead of a second one. The unique constraint
    makes two requests racing with one key wait for each other, whichever process serves
    them."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)  # SHA-256 of the client's key: any length fits
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"key of {self.account_id} for {self.post_id}"
