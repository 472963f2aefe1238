"""Everything that creates or changes posts. The web views, the client API and the federation
inbox call these functions, so a post behaves the same whichever door it came through."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wikisocial.accounts.models import Account
from wikisocial.core.images import ProcessedAttachment, check_attachment, process_attachment
from wikisocial.core.markup import (
    MentionRef,
    RenderedPost,
    clean_text,
    normalize_hashtag,
    render_post,
)
from wikisocial.core.ratelimit import Limit, over_limit
from wikisocial.core.tasks import enqueue_at
from wikisocial.core.wikilinks import is_language_code
from wikisocial.federation import outbound
from wikisocial.instance.models import InstanceSettings
from wikisocial.notifications.actions import notify, withdraw
from wikisocial.notifications.models import Kind
from wikisocial.posts.models import (
    Bookmark,
    ConversationMute,
    Hashtag,
    IdempotencyKey,
    Like,
    MediaAttachment,
    MediaState,
    Mention,
    PendingUpload,
    Pin,
    Poll,
    PollOption,
    PollVote,
    Post,
    PostEdit,
    Visibility,
)

if TYPE_CHECKING:
    from oauth2_provider.models import Application

    from wikisocial.communities.models import Group

logger = logging.getLogger(__name__)
LIMITS = settings.POST_LIMITS

# As Mastodon counts a post's length (and tells clients in /api/v1/instance): every link
# counts as this many characters whatever its length, and a mention of someone on another
# server counts only its "@name" part.
CHARACTERS_PER_URL = 23
_COUNTED_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_REMOTE_MENTION = re.compile(r"(?<![\w@])(@[\w.-]+)@[\w.-]+\.\w+", re.UNICODE)


def counted_length(text: str) -> int:
    """The length of ``text`` the way the post-length limit counts it."""
    text = _COUNTED_URL.sub("x" * CHARACTERS_PER_URL, text)
    return len(_REMOTE_MENTION.sub(r"\1", text))


# Images uploaded for a post that was never sent are removed after this long.
UNATTACHED_MEDIA_LIFETIME = timedelta(days=1)


def _check_rate(scope: str, account: Account) -> None:
    """Posting and upload rates per account (settings.POST_LIMITS; Mastodon's numbers)."""
    count, seconds = settings.POST_LIMITS[f"{scope}_rate"]
    if over_limit(scope, Limit(count, seconds), f"account:{account.pk}"):
        raise ValidationError(_("You are posting very fast. Please wait a few minutes."))


@dataclass
class PollDraft:
    options: list[str]
    multiple: bool = False
    expires_in: int = 24 * 3600  # seconds


@dataclass
class Draft:
    """What an author wants to post (or to change a post into)."""

    text: str = ""
    spoiler_text: str = ""
    sensitive: bool = False
    visibility: str = Visibility.PUBLIC
    language: str = ""
    in_reply_to: Post | None = None
    media_ids: list[int] = field(default_factory=list)
    # New alt texts for attached images, by media id (images keep theirs when absent).
    media_descriptions: dict[int, str] = field(default_factory=dict)
    # New focal points (x, y in -1..1) for attached images, by media id.
    media_focus: dict[int, tuple[float, float]] = field(default_factory=dict)
    poll: PollDraft | None = None
    wall_owner: Account | None = None
    # The group (communities.Group) a new topic is posted in. A reply is always in its
    # parent's group, whatever this says.
    group: Group | None = None
    # The OAuth application (client app) posting it, for posts made through the client API.
    application: Application | None = None


# --- rendering -----------------------------------------------------------------------------


# People a post mentions whom we don't know yet are looked up on their servers (WebFinger),
# at most this many per post: each lookup may take seconds.
MENTION_LOOKUPS = 5


def _mentioned_account(ref: MentionRef, lookups: list[int]) -> Account | None:
    """The account a mention names: ours, one we know, or one its server tells us of
    (WebFinger, as Mastodon does when a post mentions someone new) while ``lookups`` (a
    one-item countdown shared by the post's mentions) lasts."""
    from wikisocial.federation.resolve import resolve_handle

    domain = (ref.domain or "").lower()
    if domain == settings.DOMAIN:
        domain = ""
    known = (
        Account.objects.active()
        .filter(username__iexact=ref.username, domain=domain)
        .exclude(domain="", user__approval="pending")
        .first()
    )
    if known is not None or not domain or lookups[0] <= 0:
        return known
    lookups[0] -= 1
    found = resolve_handle(ref.username, domain)
    return found if found is not None and found.deleted_at is None else None


def render(text: str) -> tuple[RenderedPost, list[Account]]:
    """Render a post's source; also return the accounts it mentions, in order."""
    found: dict[MentionRef, Account] = {}
    lookups = [MENTION_LOOKUPS]

    def resolve(ref: MentionRef) -> str | None:
        account = _mentioned_account(ref, lookups)
        if account is None:
            return None
        found[ref] = account
        if account.is_local:
            return settings.SITE_URL + account.get_absolute_url()
        return account.remote_url or account.uri

    instance = InstanceSettings.current()
    rendered = render_post(
        text,
        resolve_mention=resolve,
        hashtag_url=lambda name: settings.SITE_URL + reverse("web:hashtag", kwargs={"name": name}),
        default_wiki=instance.default_wiki,
        max_mentions=LIMITS["mentions"] + 1,
    )
    accounts: list[Account] = []
    for ref in rendered.mentions:
        account = found.get(ref)
        if account is not None and account not in accounts:
            accounts.append(account)
    return rendered, accounts


# --- checking a draft ----------------------------------------------------------------------


def _check_poll(poll: PollDraft, errors: dict) -> list[str]:
    low, high = LIMITS["poll_options"]
    options = [clean_text(o) for o in poll.options]
    options = [o for o in options if o]
    if len(options) < low or len(options) > high:
        errors["poll"] = _("A poll needs %(low)d to %(high)d choices.") % {"low": low, "high": high}
    elif len({o.casefold() for o in options}) != len(options):
        errors["poll"] = _("Each choice of the poll must be different.")
    elif any(len(o) > LIMITS["poll_option_chars"] for o in options):
        errors["poll"] = _("A choice may have at most %(n)d characters.") % {
            "n": LIMITS["poll_option_chars"]
        }
    shortest, longest = LIMITS["poll_duration"]
    if not shortest <= poll.expires_in <= longest:
        errors["poll_duration"] = _("A poll lasts between 5 minutes and 31 days.")
    return options


def _check_media(author: Account, draft: Draft, editing: Post | None, errors: dict) -> list:
    if len(draft.media_ids) > LIMITS["media"]:
        errors["media"] = _("Attach at most %(n)d images.") % {"n": LIMITS["media"]}
        return []
    media = list(MediaAttachment.objects.filter(pk__in=draft.media_ids, account=author))
    attached_elsewhere = [
        m for m in media if m.post_id and (editing is None or m.post_id != editing.pk)
    ]
    if len(media) != len(set(draft.media_ids)) or attached_elsewhere:
        errors["media"] = _("One of the images could not be found.")
    elif any(m.state == MediaState.PROCESSING for m in media):
        errors["media"] = _(
            "Cannot attach files that have not finished processing. Try again in a moment!"
        )
    elif any(m.state == MediaState.FAILED for m in media):
        errors["media"] = _("One of the images could not be processed.")
    for text in draft.media_descriptions.values():
        if len(clean_text(text, multiline=True)) > LIMITS["alt_text"]:
            errors["media"] = _("Alt text may have at most %(n)d characters.") % {
                "n": LIMITS["alt_text"]
            }
    order = {pk: i for i, pk in enumerate(draft.media_ids)}
    return sorted(media, key=lambda m: order[m.pk])


def _attach(post: Post, media: list[MediaAttachment], draft: Draft) -> None:
    for position, item in enumerate(media):
        changes = {"post": post, "position": position}
        if item.pk in draft.media_descriptions:
            changes["description"] = clean_text(draft.media_descriptions[item.pk], multiline=True)
        if item.pk in draft.media_focus:
            changes["focus_x"], changes["focus_y"] = _clamped_focus(draft.media_focus[item.pk])
        MediaAttachment.objects.filter(pk=item.pk).update(**changes)


def _clamped_focus(focus: tuple[float, float]) -> tuple[float, float]:
    return max(-1.0, min(1.0, focus[0])), max(-1.0, min(1.0, focus[1]))


def check(author: Account, draft: Draft, *, editing: Post | None = None):
    """Validate ``draft``; return (text, rendered, mentioned accounts, media, poll options).
    Raises ValidationError with a message per field; nothing is saved."""
    errors: dict[str, str] = {}
    instance = InstanceSettings.current()
    text = clean_text(draft.text, multiline=True)
    spoiler = clean_text(draft.spoiler_text)
    media = _check_media(author, draft, editing, errors)
    options = _check_poll(draft.poll, errors) if draft.poll else []
    if draft.poll and media:
        errors["poll"] = _("A post can have images or a poll, not both.")
    if not text and not media:
        errors["text"] = _("Write something, or attach an image.")
    length = counted_length(text)
    if length > instance.max_post_chars:
        errors["text"] = ngettext(
            "This post is %(count)d character long; the limit is %(limit)d.",
            "This post is %(count)d characters long; the limit is %(limit)d.",
            length,
        ) % {"count": length, "limit": instance.max_post_chars}
    if len(spoiler) > LIMITS["spoiler_text"]:
        errors["spoiler_text"] = _("A content warning may have at most %(n)d characters.") % {
            "n": LIMITS["spoiler_text"]
        }
    if draft.visibility not in Visibility.values:
        errors["visibility"] = _("Choose who may see this post.")
    if draft.language and not is_language_code(draft.language.lower()):
        errors["language"] = _("“%(code)s” is not a language code we know.") % {
            "code": draft.language
        }
    if editing is None:
        _check_audience(author, draft, errors)
        _check_group(author, draft, errors)
    elif editing.group_id is not None:
        _check_group_edit(author, editing, errors)
    rendered, mentioned = render(text)
    if len(mentioned) > LIMITS["mentions"]:
        errors["text"] = _("Mention at most %(n)d people in one post.") % {"n": LIMITS["mentions"]}
    if errors:
        raise ValidationError(errors)
    return text, spoiler, rendered, mentioned, media, options


def _check_audience(author: Account, draft: Draft, errors: dict) -> None:
    from wikisocial.social.queries import is_blocked_between

    parent = draft.in_reply_to
    if parent is not None and not Post.objects.visible_to(author).filter(pk=parent.pk).exists():
        errors["in_reply_to"] = _("This post does not exist, or you may not see it.")
    owner = draft.wall_owner
    if (
        owner is not None
        and owner.pk != author.pk
        and (not owner.wall_enabled or is_blocked_between(author, owner))
    ):
        errors["wall"] = _("You can't write on this wall.")


def group_of(draft: Draft) -> Group | None:
    """The group a new post goes to: its parent's, or the one the draft names."""
    parent = draft.in_reply_to
    if parent is not None:
        return parent.group
    return draft.group


def _check_group(author: Account, draft: Draft, errors: dict) -> None:
    """Posting in a group, through any door (a reply from a Mastodon app too): the group's
    rules (members, bans, locked and closed topics, slow mode) and its audience."""
    from wikisocial.communities.forum import check_group_post, check_group_visibility

    group = group_of(draft)
    if group is None:
        return
    try:
        check_group_post(author, group, draft.in_reply_to)
    except ValidationError as error:
        errors["group"] = error.messages[0]
    try:
        check_group_visibility(group, draft.visibility)
    except ValidationError as error:
        errors["visibility"] = error.messages[0]


def _check_group_edit(author: Account, post: Post, errors: dict) -> None:
    """Editing a post in a group: not once the group banned its author."""
    from wikisocial.communities.forum import check_group_edit

    try:
        check_group_edit(author, post)
    except ValidationError as error:
        errors["group"] = error.messages[0]


# --- creating, editing, deleting ----------------------------------------------------------


def _save_tags(post: Post, rendered: RenderedPost) -> None:
    tags = []
    for name in rendered.hashtags[:30]:
        tag, _created = Hashtag.objects.get_or_create(name=name, defaults={"display_name": name})
        tags.append(tag)
    post.hashtags.set(tags)


def _save_poll(post: Post, draft: PollDraft, options: list[str], start) -> Poll:
    """A poll runs from ``start``: the post's creation, or the edit that changed it."""
    from wikisocial.posts.tasks import close_poll

    poll = Poll.objects.create(
        post=post,
        multiple=draft.multiple,
        expires_at=start + timedelta(seconds=draft.expires_in),
    )
    PollOption.objects.bulk_create(
        PollOption(poll=poll, position=i, title=title) for i, title in enumerate(options)
    )
    transaction.on_commit(lambda: enqueue_at(close_poll, poll.expires_at, poll.pk))
    return poll


def create_post(author: Account, draft: Draft) -> Post:
    """Publish a post. It is in the author's own feed at once; followers' feeds are written by
    a background task."""
    from wikisocial.timelines.models import FeedEntry
    from wikisocial.timelines.tasks import fan_out_post

    text, spoiler, rendered, mentioned, media, options = check(author, draft)
    _check_rate("post", author)
    parent = draft.in_reply_to
    now = timezone.now()
    group = group_of(draft)
    visibility = draft.visibility
    if group is not None:
        from wikisocial.communities.forum import visibility_in

        visibility = visibility_in(group)
    with transaction.atomic():
        post = Post.objects.create(
            author=author,
            local=author.is_local,
            content=text,
            content_html=rendered.html,
            spoiler_text=spoiler,
            sensitive=draft.sensitive or bool(spoiler),
            visibility=visibility,
            language=draft.language.lower(),
            in_reply_to=parent,
            in_reply_to_account_id=parent.author_id if parent else None,
            thread_root_id=(parent.thread_root_id or parent.pk) if parent else None,
            wall_owner=draft.wall_owner,
            group=group,
            application=draft.application,
            created_at=now,
        )
        Mention.objects.bulk_create(Mention(post=post, account=a) for a in mentioned)
        _save_tags(post, rendered)
        _attach(post, media, draft)
        if draft.poll:
            _save_poll(post, draft.poll, options, post.created_at)
        Account.objects.filter(pk=author.pk).update(
            posts_count=F("posts_count") + 1, last_post_at=now
        )
        if parent is not None and visibility != Visibility.DIRECT:
            # Direct replies are not counted: the count would reveal them.
            Post.objects.filter(pk=parent.pk).update(replies_count=F("replies_count") + 1)
        if author.is_local:
            FeedEntry.objects.create(owner=author, post=post, author=author)
        _notify_new_post(post, mentioned)
        outbound.post_created(post)
        if group is not None:
            from wikisocial.communities.forum import group_post_created

            group_post_created(post)
    transaction.on_commit(lambda: fan_out_post.enqueue(post.pk))
    logger.info("post %s by %s (%s)", post.pk, author.handle, visibility)
    return post


# How long a client's Idempotency-Key stands for the post it made (Mastodon: one hour).
IDEMPOTENCY_LIFETIME = timedelta(hours=1)


def create_post_once(author: Account, draft: Draft, key: str) -> Post:
    """Publish a post unless ``key`` (a client's Idempotency-Key) already made one for
    ``author`` within the hour: then return that post (it may have been deleted since).

    The key is claimed in the same transaction as the post is written, under a unique
    constraint: a second request with the same key waits for the first one's transaction and
    then finds its post, whichever process serves it. A post that fails validation leaves no
    claim, so the client may correct it and send it again with the same key."""
    from wikisocial.posts.tasks import forget_idempotency_key

    digest = hashlib.sha256(key.encode()).hexdigest()
    now = timezone.now()
    mine = IdempotencyKey.objects.filter(account=author, key=digest)
    with transaction.atomic():
        mine.filter(created_at__lte=now - IDEMPOTENCY_LIFETIME).delete()
        try:
            with transaction.atomic():
                claim = IdempotencyKey.objects.create(account=author, key=digest, created_at=now)
        except IntegrityError:
            earlier = mine.select_related("post").first()
            if earlier is not None and earlier.post is not None:
                return earlier.post
            raise
        post = create_post(author, draft)
        IdempotencyKey.objects.filter(pk=claim.pk).update(post=post)
    later = now + IDEMPOTENCY_LIFETIME
    transaction.on_commit(lambda: enqueue_at(forget_idempotency_key, later, claim.pk))
    return post


def _decrement(post_id: int, counter: str) -> None:
    Post.objects.filter(pk=post_id, **{f"{counter}__gt": 0}).update(**{counter: F(counter) - 1})


def _forget_media_later(media_ids: list[int]) -> None:
    from wikisocial.posts.tasks import delete_unattached_media

    later = timezone.now() + UNATTACHED_MEDIA_LIFETIME
    for pk in media_ids:
        transaction.on_commit(lambda pk=pk: enqueue_at(delete_unattached_media, later, pk))


def _can_see(account: Account, post: Post) -> bool:
    return Post.objects.visible_to(account).filter(pk=post.pk).exists()


def _notify_new_post(post: Post, mentioned: list[Account]) -> None:
    parent_author = post.in_reply_to.author if post.in_reply_to_id else None
    if parent_author is not None and _can_see(parent_author, post):
        notify(parent_author, Kind.REPLY, post.author, post)
    for account in mentioned:
        if account != parent_author and _can_see(account, post):
            notify(account, Kind.MENTION, post.author, post)


def _snapshot(post: Post, when) -> PostEdit:
    """The post as it stands in the database now (not as a caller may have cached it)."""
    poll = Poll.objects.filter(post=post).first()
    media = MediaAttachment.objects.filter(post=post).order_by("position", "id")
    return PostEdit(
        post=post,
        content=post.content,
        content_html=post.content_html,
        spoiler_text=post.spoiler_text,
        sensitive=post.sensitive,
        media_descriptions=[m.description for m in media],
        poll_options=[o.title for o in poll.options.all()] if poll else None,
        created_at=when,
    )


def edit_post(post: Post, editor: Account, draft: Draft) -> Post:
    """Change a post's text, warning, images or poll. Every version stays in its history;
    people who boosted or replied to it are told."""
    from wikisocial.streaming import events as streaming

    if post.author_id != editor.pk or post.deleted_at or post.is_boost:
        raise PermissionDenied
    text, spoiler, rendered, mentioned, media, options = check(editor, draft, editing=post)
    now = timezone.now()
    with transaction.atomic():
        if not post.edits.exists():
            _snapshot(post, post.created_at).save()
        post.content, post.content_html = text, rendered.html
        post.spoiler_text, post.sensitive = spoiler, draft.sensitive or bool(spoiler)
        if draft.language:
            post.language = draft.language.lower()
        post.edited_at = now
        post.save(
            update_fields=[
                "content",
                "content_html",
                "spoiler_text",
                "sensitive",
                "language",
                "edited_at",
            ]
        )
        old_mentions = set(post.mentions.values_list("account_id", flat=True))
        post.mentions.exclude(account__in=mentioned).delete()
        Mention.objects.bulk_create(
            [Mention(post=post, account=a) for a in mentioned if a.pk not in old_mentions]
        )
        _save_tags(post, rendered)
        dropped = MediaAttachment.objects.filter(post=post).exclude(pk__in=[m.pk for m in media])
        dropped_ids = list(dropped.values_list("pk", flat=True))
        dropped.update(post=None)
        _forget_media_later(dropped_ids)
        _attach(post, media, draft)
        _edit_poll(post, draft, options)
        _snapshot(post, now).save()
        for account in mentioned:
            if account.pk not in old_mentions and _can_see(account, post):
                notify(account, Kind.MENTION, editor, post)
        _notify_edit(post)
        outbound.post_edited(post)
        transaction.on_commit(lambda: streaming.post_edited_soon(post))
    return post


def _edit_poll(post: Post, draft: Draft, options: list[str]) -> None:
    poll = Poll.objects.filter(post=post).first()
    if draft.poll is None:
        if poll is not None:
            poll.delete()
        return
    same = (
        poll is not None
        and [o.title for o in poll.options.all()] == options
        and poll.multiple == draft.poll.multiple
    )
    if not same:
        # New choices make earlier votes meaningless, as on Mastodon: start the poll afresh.
        if poll is not None:
            poll.delete()
        _save_poll(post, draft.poll, options, timezone.now())


def _notify_edit(post: Post) -> None:
    boosters = Post.objects.alive().filter(boost_of=post).values_list("author_id", flat=True)
    repliers = Post.objects.alive().filter(in_reply_to=post).values_list("author_id", flat=True)
    for account in Account.objects.filter(pk__in={*boosters, *repliers}, domain=""):
        if _can_see(account, post):  # not those who left the private group it is in
            notify(account, Kind.UPDATE, post.author, post)


def delete_post(post: Post, actor: Account) -> Draft:
    """Delete a post (its author only). Returns what it said, for "delete and redraft"."""
    from wikisocial.posts.tasks import purge_post
    from wikisocial.streaming import events as streaming

    if post.author_id != actor.pk or post.deleted_at is not None:
        raise PermissionDenied
    poll = getattr(post, "poll", None)
    redraft = Draft(
        text=post.content,
        spoiler_text=post.spoiler_text,
        sensitive=post.sensitive,
        visibility=post.visibility,
        language=post.language,
        in_reply_to=post.in_reply_to,
        media_ids=list(post.media.values_list("pk", flat=True)),
        poll=PollDraft(options=[o.title for o in poll.options.all()], multiple=poll.multiple)
        if poll
        else None,
    )
    with transaction.atomic():
        now = timezone.now()
        if not Post.objects.filter(pk=post.pk, deleted_at__isnull=True).update(deleted_at=now):
            return redraft  # deleted meanwhile (a double submit): nothing more to undo
        post.deleted_at = now
        if post.is_boost:
            _decrement(post.boost_of_id, "boosts_count")
            withdraw(Kind.BOOST, actor, post.boost_of)
        else:
            Account.objects.filter(pk=actor.pk, posts_count__gt=0).update(
                posts_count=F("posts_count") - 1
            )
        if post.in_reply_to_id and post.visibility != Visibility.DIRECT:
            _decrement(post.in_reply_to_id, "replies_count")
        if post.group_id is not None:
            from wikisocial.communities.forum import group_post_deleted

            group_post_deleted(post)
        # Images wait a while for a redraft, then go unless attached again.
        media_ids = list(MediaAttachment.objects.filter(post=post).values_list("pk", flat=True))
        MediaAttachment.objects.filter(pk__in=media_ids).update(post=None)
        Pin.objects.filter(post=post).delete()
        outbound.post_deleted(post)
    _forget_media_later(media_ids)
    # Streaming clients are told before the purge takes the post out of the feeds.
    transaction.on_commit(lambda: streaming.post_deleted(post))
    transaction.on_commit(lambda: purge_post.enqueue(post.pk))
    return redraft


# --- boosts, likes, bookmarks, pins ---------------------------------------------------------


def boost(
    account: Account, post: Post, visibility: str = Visibility.PUBLIC, *, uri: str = ""
) -> Post:
    """Share someone's post with one's followers. Idempotent. ``uri``: the Announce's id, for
    a boost made on another server."""
    from wikisocial.timelines.models import FeedEntry
    from wikisocial.timelines.tasks import fan_out_post

    original = post.boost_of if post.is_boost else post
    if not Post.objects.visible_to(account).filter(pk=original.pk).exists():
        raise PermissionDenied
    if not original.can_be_boosted:
        raise ValidationError(_("Only public posts can be boosted."))
    if original.group_id is not None:
        from wikisocial.communities.forum import check_can_react

        check_can_react(account, original)  # not from someone the group banned
    if visibility not in (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.FOLLOWERS):
        visibility = Visibility.PUBLIC
    if original.visibility == Visibility.LOCAL:
        visibility = Visibility.LOCAL  # a boost never shows a post to more people than it had
    existing = Post.objects.alive().filter(author=account, boost_of=original).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            row = Post.objects.create(
                author=account,
                local=account.is_local,
                boost_of=original,
                visibility=visibility,
                uri=uri,
                created_at=timezone.now(),
            )
            Post.objects.filter(pk=original.pk).update(boosts_count=F("boosts_count") + 1)
            if account.is_local:
                FeedEntry.objects.create(owner=account, post=row, author=account)
            notify(original.author, Kind.BOOST, account, original)
            outbound.post_created(row)
    except IntegrityError:  # a boost made at the same moment by another request
        return Post.objects.alive().get(author=account, boost_of=original)
    transaction.on_commit(lambda: fan_out_post.enqueue(row.pk))
    return row


def unboost(account: Account, post: Post) -> None:
    original = post.boost_of if post.is_boost else post
    row = Post.objects.alive().filter(author=account, boost_of=original).first()
    if row is not None:
        delete_post(row, account)


def like(account: Account, post: Post, *, uri: str = "") -> Like:
    """Like a post (idempotent: liking twice counts once). ``uri``: the Like activity's id,
    for a like from another server."""
    original = post.boost_of if post.is_boost else post
    if not Post.objects.visible_to(account).filter(pk=original.pk).exists():
        raise PermissionDenied
    if original.group_id is not None:
        from wikisocial.communities import forum

        forum.check_can_react(account, original)  # a group's bans hold for likes too
    with transaction.atomic():
        row, created = Like.objects.get_or_create(
            account=account, post=original, defaults={"uri": uri}
        )
        if created:
            Post.objects.filter(pk=original.pk).update(likes_count=F("likes_count") + 1)
            if original.group_id is not None:
                forum.reactions_changed(original, 1)
            notify(original.author, Kind.LIKE, account, original)
            outbound.liked(account, original, row.pk)
    return row


def unlike(account: Account, post: Post) -> None:
    original = post.boost_of if post.is_boost else post
    with transaction.atomic():
        row = Like.objects.filter(account=account, post=original).first()
        if row is None:
            return
        deleted, _rows = Like.objects.filter(pk=row.pk).delete()
        if deleted:
            Post.objects.filter(pk=original.pk, likes_count__gt=0).update(
                likes_count=F("likes_count") - 1
            )
            if original.group_id is not None:
                from wikisocial.communities.forum import reactions_changed

                reactions_changed(original, -1)
            withdraw(Kind.LIKE, account, original)
            outbound.unliked(account, original, row.pk)


def bookmark(account: Account, post: Post) -> None:
    if not Post.objects.visible_to(account).filter(pk=post.pk).exists():
        raise PermissionDenied
    Bookmark.objects.get_or_create(account=account, post=post)


def unbookmark(account: Account, post: Post) -> None:
    Bookmark.objects.filter(account=account, post=post).delete()


def pin(account: Account, post: Post) -> None:
    """Show one's own post at the top of one's profile (at most five)."""
    if post.author_id != account.pk or post.deleted_at or post.is_boost:
        raise PermissionDenied
    if not post.can_be_pinned:
        raise ValidationError(_("Only public and unlisted posts can be pinned."))
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=account.pk)  # one pin at a time
        pins = list(Pin.objects.filter(account=account))
        if len(pins) >= LIMITS["pins"] and all(p.post_id != post.pk for p in pins):
            raise ValidationError(_("You can pin at most %(n)d posts.") % {"n": LIMITS["pins"]})
        _row, created = Pin.objects.get_or_create(account=account, post=post)
        if created:
            outbound.pinned(account, post)


def unpin(account: Account, post: Post) -> None:
    with transaction.atomic():
        deleted, _rows = Pin.objects.filter(account=account, post=post).delete()
        if deleted:
            outbound.unpinned(account, post)


def _conversation_of(post: Post) -> int:
    original = post.boost_of if post.is_boost else post
    return original.thread_root_id or original.pk


def mute_conversation(account: Account, post: Post) -> None:
    """No more notifications from the conversation ``post`` belongs to (replies, mentions,
    likes and boosts of its posts). Idempotent."""
    original = post.boost_of if post.is_boost else post
    if not _can_see(account, original):
        raise PermissionDenied
    ConversationMute.objects.get_or_create(account=account, thread_root_id=_conversation_of(post))


def unmute_conversation(account: Account, post: Post) -> None:
    ConversationMute.objects.filter(account=account, thread_root_id=_conversation_of(post)).delete()


# --- polls ---------------------------------------------------------------------------------


def vote(account: Account, poll: Poll, choices: list[int]) -> Poll:
    """Vote in a poll: ``choices`` are option positions (one unless the poll allows several)."""
    if not Post.objects.visible_to(account).filter(pk=poll.post_id).exists():
        raise PermissionDenied
    if poll.post.group_id is not None:
        from wikisocial.communities.forum import check_can_react

        check_can_react(account, poll.post)  # not from someone the group banned
    if poll.expires_at <= timezone.now():
        raise ValidationError(_("This poll has ended."))
    if poll.post.author_id == account.pk:
        raise ValidationError(_("You can't vote in your own poll."))
    choices = sorted(set(choices))
    options = {o.position: o for o in poll.options.all()}
    if not choices or any(c not in options for c in choices):
        raise ValidationError(_("Choose one of the answers."))
    if len(choices) > 1 and not poll.multiple:
        raise ValidationError(_("This poll allows only one answer."))
    with transaction.atomic():
        Poll.objects.select_for_update().get(pk=poll.pk)  # one vote at a time per poll
        if PollVote.objects.filter(poll=poll, account=account).exists():
            raise ValidationError(_("You have already voted."))
        votes = PollVote.objects.bulk_create(
            PollVote(poll=poll, option=options[c], account=account) for c in choices
        )
        PollOption.objects.filter(pk__in=[options[c].pk for c in choices]).update(
            votes_count=F("votes_count") + 1
        )
        Poll.objects.filter(pk=poll.pk).update(voters_count=F("voters_count") + 1)
        outbound.voted(
            account,
            poll.post,
            [(v.pk, options[c].title) for v, c in zip(votes, choices, strict=True)],
        )
    poll.refresh_from_db()
    return poll


def close_poll(poll: Poll) -> None:
    """Tell the voters and the author that a poll has ended (once)."""
    if poll.ended_notified or poll.expires_at > timezone.now():
        return
    if not Poll.objects.filter(pk=poll.pk, ended_notified=False).update(ended_notified=True):
        return
    post = poll.post
    voters = set(poll.votes.values_list("account_id", flat=True)) | {post.author_id}
    for account in Account.objects.filter(pk__in=voters, domain=""):
        if _can_see(account, post):  # not those who left the private group it is in
            notify(account, Kind.POLL, post.author, post, about_self=True)


# --- walls and media -----------------------------------------------------------------------


def set_hidden_from_wall(owner: Account, post: Post, hidden: bool) -> None:
    if post.wall_owner_id != owner.pk:
        raise PermissionDenied
    Post.objects.filter(pk=post.pk).update(hidden_from_wall=hidden)


def _checked_description(description: str) -> str:
    description = clean_text(description, multiline=True)
    if len(description) > LIMITS["alt_text"]:
        raise ValidationError(
            _("Alt text may have at most %(n)d characters.") % {"n": LIMITS["alt_text"]}
        )
    return description


def _new_media(
    account: Account, description: str, focus: tuple[float, float] | None
) -> MediaAttachment:
    """An unsaved attachment with its alt text and focal point, once the upload rate and the
    alt text pass."""
    _check_rate("upload", account)
    media = MediaAttachment(account=account, description=_checked_description(description))
    if focus is not None:
        media.focus_x, media.focus_y = _clamped_focus(focus)
    return media


def _store_processed(media: MediaAttachment, processed: ProcessedAttachment) -> None:
    media.blurhash = processed.blurhash
    media.width, media.height = processed.image.width, processed.image.height
    media.file.save(processed.image.name, processed.image, save=False)
    media.thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)


def upload_media(
    account: Account,
    upload,
    description: str = "",
    focus: tuple[float, float] | None = None,
) -> MediaAttachment:
    """Store an image for a post not yet written: re-encoded, EXIF removed, with a thumbnail
    and a blurhash."""
    media = _new_media(account, description, focus)
    _store_processed(media, process_attachment(upload))
    media.save()
    _forget_media_later([media.pk])
    return media


def receive_media(
    account: Account,
    upload,
    description: str = "",
    focus: tuple[float, float] | None = None,
) -> MediaAttachment:
    """Accept an image for a post not yet written and re-encode it in the background (the
    client API's v2 upload: apps poll until it is ready). What the file's header can tell
    (size, format, dimensions) is refused at once; a file that turns out damaged when decoded
    leaves the attachment in the FAILED state."""
    from wikisocial.posts.tasks import process_media

    media = _new_media(account, description, focus)
    data = check_attachment(upload)
    media.state = MediaState.PROCESSING
    with transaction.atomic():
        media.save()
        PendingUpload.objects.create(media=media, data=data)
    transaction.on_commit(lambda: process_media.enqueue(media.pk))
    _forget_media_later([media.pk])
    return media


def process_pending_media(media: MediaAttachment) -> None:
    """The background half of :func:`receive_media`: re-encode the stored upload, then drop
    it. Running twice (a retried task) does nothing more."""
    pending = PendingUpload.objects.filter(media=media).first()
    if pending is None or media.state != MediaState.PROCESSING:
        return
    try:
        processed = process_attachment(BytesIO(bytes(pending.data)))
    except ValidationError as error:
        logger.info("media %s could not be processed: %s", media.pk, error.messages)
        with transaction.atomic():
            MediaAttachment.objects.filter(pk=media.pk).update(state=MediaState.FAILED)
            pending.delete()
        return
    _store_processed(media, processed)
    with transaction.atomic():
        done = MediaAttachment.objects.filter(pk=media.pk, state=MediaState.PROCESSING).update(
            file=media.file.name,
            thumbnail=media.thumbnail.name,
            blurhash=media.blurhash,
            width=media.width,
            height=media.height,
            state=MediaState.READY,
        )
        PendingUpload.objects.filter(media=media).delete()
    if not done:  # deleted or processed elsewhere meanwhile: our copies are not needed
        media.file.delete(save=False)
        media.thumbnail.delete(save=False)
    media.state = MediaState.READY


def describe_media(
    account: Account,
    media: MediaAttachment,
    description: str | None,
    focus: tuple[float, float] | None = None,
) -> MediaAttachment:
    """Change an image's alt text (None: keep it) or focal point (None: keep it)."""
    if media.account_id != account.pk:
        raise PermissionDenied
    if description is not None:
        media.description = _checked_description(description)
    if focus is not None:
        media.focus_x, media.focus_y = _clamped_focus(focus)
    media.save(update_fields=["description", "focus_x", "focus_y"])
    return media


def remove_media_files(media: MediaAttachment) -> None:
    """Delete an attachment and its stored files."""
    for image in (media.file, media.thumbnail):
        if image:
            image.delete(save=False)
    media.delete()


def discard_media(account: Account, media: MediaAttachment) -> None:
    """Delete one's upload that is in no post (one in a post goes with the post)."""
    if media.account_id != account.pk:
        raise PermissionDenied
    if media.post_id is not None:
        raise ValidationError(_("This image is attached to a post."))
    remove_media_files(media)


def hashtag_named(name: str) -> Hashtag | None:
    normal = normalize_hashtag(name.lstrip("#"))
    if not normal or len(normal) > 100 or not any(c.isalpha() for c in normal):
        return None
    tag, _created = Hashtag.objects.get_or_create(
        name=normal, defaults={"display_name": name.lstrip("#")}
    )
    return tag


def delete_everything_by(account: Account) -> None:
    """A deleted account's posts, boosts and likes go, and the counts they fed go down."""
    from wikisocial.notifications.models import Notification
    from wikisocial.timelines.models import FeedEntry

    now = timezone.now()
    mine = Post.objects.filter(author=account, deleted_at__isnull=True)
    boosted = list(mine.filter(boost_of__isnull=False).values_list("boost_of_id", flat=True))
    replied = list(mine.filter(in_reply_to__isnull=False).values_list("in_reply_to_id", flat=True))
    liked = list(Like.objects.filter(account=account).values_list("post_id", flat=True))
    mine.update(deleted_at=now, content="", content_html="", spoiler_text="")
    for ids, counter in (
        (boosted, "boosts_count"),
        (replied, "replies_count"),
        (liked, "likes_count"),
    ):
        for pk in ids:  # one post may appear several times (several replies to it)
            Post.objects.filter(pk=pk, **{f"{counter}__gt": 0}).update(**{counter: F(counter) - 1})
    Like.objects.filter(account=account).delete()
    Bookmark.objects.filter(account=account).delete()
    Pin.objects.filter(account=account).delete()
    FeedEntry.objects.filter(Q(author=account) | Q(owner=account)).delete()
    Notification.objects.filter(Q(actor=account) | Q(recipient=account)).delete()
    Account.objects.filter(pk=account.pk).update(posts_count=0)
