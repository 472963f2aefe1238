"""A group's forum: topics and replies (which are posts), and what moderators do to them.

A topic is a post with a ``Topic`` row (title, category, tags, lock, pin, solution, slow mode);
its replies are posts in the same group whose ``thread_root`` is the topic's post. Posting goes
through ``posts.actions.create_post`` like every post, which asks ``check_group_post`` here, so
the group's rules hold for replies from Mastodon apps and from other servers too.

Moderator tools (lock, pin, close, slow mode, move, split, solution, delete) check who acts
themselves and write the group's public log. Watching levels decide who hears of new topics
and replies; reactions are the forum's way of saying thanks (there are no downvotes and no
score per person).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wikisocial.accounts.models import Account
from wikisocial.communities import access
from wikisocial.communities import activitypub as group_federation
from wikisocial.communities.models import (
    ForumCategory,
    Group,
    GroupKind,
    LogAction,
    Reaction,
    ReactionKind,
    Topic,
    TopicTag,
    Watch,
    WatchLevel,
)
from wikisocial.core.markup import clean_text, normalize_hashtag
from wikisocial.notifications.actions import notify
from wikisocial.notifications.models import Kind
from wikisocial.posts.models import ConversationMute, Mention, Post, Visibility

logger = logging.getLogger(__name__)

TITLE_LIMIT = 200
TAGS_LIMIT = 5
CATEGORY_NAME_LIMIT = 100
# Slow mode switches itself on when a topic heats up: at least ``replies`` replies within
# ``window``, written by at most ``people`` different people (a few people arguing, not a
# crowd answering). Each of them then waits ``interval`` seconds between replies, for
# ``duration``; then it ends on its own.
AUTO_SLOW_MODE = {
    "replies": 12,
    "window": timedelta(minutes=20),
    "people": 4,
    "interval": 300,
    "duration": timedelta(hours=1),
}
# The longest interval a moderator may set (a day).
SLOW_MODE_MAX = 24 * 3600
REASON_LIMIT = 1000


def visibility_in(group: Group) -> str:
    """The visibility field of posts in ``group``, for the doors that read it (Mastodon apps,
    other servers): public in open groups, followers-only ("private") in the others. Who may
    see a group post is still decided by the group (``readable_group_q``)."""
    return Visibility.PUBLIC if group.is_open else Visibility.FOLLOWERS


def sync_visibility(group: Group) -> int:
    """After a group's kind changed: its posts' visibility field follows (``visibility_in``),
    so that Mastodon apps and boosts treat posts written while it was open as its members'
    once it is closed (and as public when it opens again). Returns how many changed."""
    wanted = visibility_in(group)
    return Post.objects.filter(group=group).exclude(visibility=wanted).update(visibility=wanted)


def topic_of(post: Post) -> Topic | None:
    """The topic a group post belongs to (its own, or its thread's)."""
    root_id = post.thread_root_id or post.pk
    return Topic.objects.filter(post_id=root_id).select_related("group").first()


def topic_url(topic: Topic) -> str:
    """The topic's page (a site-wide topic has none of its own: its first post's page)."""
    if topic.group is None:
        return topic.post.get_absolute_url()
    return reverse(
        "communities:topic",
        kwargs={"handle": topic.group.url_handle, "topic_id": topic.post_id},
    )


# --- posting: the group's rules and slow mode -----------------------------------------------


def check_group_post(author: Account, group: Group, parent: Post | None) -> None:
    """Raise ValidationError unless ``author`` may post in ``group`` now: a new topic when
    ``parent`` is None, else a reply in ``parent``'s topic."""
    topic = topic_of(parent) if parent is not None else None
    access.check_can_post(author, group, topic)
    if topic is not None:
        check_slow_mode(author, topic)


# Audiences a post in a group would be widened from (refused, never widened): a direct
# message or a local-only post in any group (its members may be anywhere), and a
# followers-only one in an open group (anyone reads it). A closed group's own visibility is
# followers-only, which apps answering its posts send.
NEVER_IN_GROUPS = (Visibility.DIRECT, Visibility.LOCAL)
NOT_IN_OPEN_GROUPS = (*NEVER_IN_GROUPS, Visibility.FOLLOWERS)


def check_group_visibility(group: Group, visibility: str) -> None:
    """Raise ValidationError when a post asks for a smaller audience than ``group`` gives it
    (a direct reply from an app to a group post): publishing it to the whole group would
    betray the choice."""
    if group.is_open and visibility in NOT_IN_OPEN_GROUPS:
        message = _("Posts in this group are public: anyone may read them.")
    elif visibility in NEVER_IN_GROUPS:
        message = _("Posts in this group are read by all its members.")
    else:
        return
    wider = _("Choose a wider audience to post here.")
    raise ValidationError(f"{message} {wider}", code="visibility")


def check_group_edit(author: Account, post: Post) -> None:
    """Raise ValidationError if ``author`` may no longer edit ``post`` because its group
    banned them: an edit is announced to the members as a post is, so a ban holds for edits
    too, from every door (web, client API, inbox)."""
    if post.group_id is not None and access.is_banned(author, post.group):
        raise ValidationError(_("You are banned from this group."), code="banned")


def slow_mode_active(topic: Topic, now: datetime | None = None) -> bool:
    """Slow mode is on: an interval is set and, if it was set for a while, that is not over."""
    now = now or timezone.now()
    return bool(topic.slow_mode_seconds) and not (
        topic.slow_mode_until is not None and topic.slow_mode_until <= now
    )


def slow_mode_wait(author: Account | None, topic: Topic) -> int:
    """Seconds ``author`` still has to wait before replying in ``topic`` (0: may reply now).
    Moderators never wait. A deleted reply still counts, so that deleting and posting again
    does not skip the wait."""
    now = timezone.now()
    if author is None or not slow_mode_active(topic, now):
        return 0
    if topic.group is not None and access.can_moderate(author, topic.group):
        return 0
    last = (
        Post.objects.filter(thread_root_id=topic.post_id, author=author)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return 0
    return max(0, int(topic.slow_mode_seconds - (now - last).total_seconds() + 0.999))


def check_slow_mode(author: Account, topic: Topic) -> None:
    """In slow mode each member waits between replies in the topic (moderators don't)."""
    wait = slow_mode_wait(author, topic)
    if wait > 0:
        minutes = (wait + 59) // 60
        raise ValidationError(
            ngettext(
                "This topic is in slow mode: you can reply again in about %(minutes)d minute. "
                "Your text is kept.",
                "This topic is in slow mode: you can reply again in about %(minutes)d minutes. "
                "Your text is kept.",
                minutes,
            )
            % {"minutes": minutes},
            code="slow_mode",
        )


# --- starting a topic -----------------------------------------------------------------------


def clean_title(title: str) -> str:
    """A topic title as stored; raises ValidationError (on ``title``) when empty or too long."""
    title = clean_text(title)
    if not title:
        raise ValidationError({"title": _("Give the topic a title.")})
    if len(title) > TITLE_LIMIT:
        raise ValidationError(
            {"title": _("A title may have at most %(n)d characters.") % {"n": TITLE_LIMIT}}
        )
    return title


def normalize_tags(names: list[str]) -> list[str]:
    """Tags as stored: without "#", NFKC and case-folded, spaces as hyphens, each once, at
    most TAGS_LIMIT."""
    clean = []
    for name in names:
        tag = normalize_hashtag("-".join(clean_text(name).lstrip("#").split()))[:50]
        if tag and tag not in clean:
            clean.append(tag)
    if len(clean) > TAGS_LIMIT:
        raise ValidationError({"tags": _("Use at most %(n)d tags.") % {"n": TAGS_LIMIT}})
    return clean


def _tags(group: Group, names: list[str]) -> list[TopicTag]:
    """The group's tags of these (normalised) names, made when new."""
    return [TopicTag.objects.get_or_create(group=group, name=name)[0] for name in names]


def create_topic(
    author: Account,
    group: Group | None,
    title: str,
    draft,
    *,
    category: ForumCategory | None = None,
    tags: list[str] | None = None,
) -> Topic:
    """Start a topic: its first post (``draft``: a ``posts.actions.Draft``) and its title,
    category and tags. ``group`` None makes a site-wide topic (the instance wiki's talk
    pages). Raises ValidationError naming every field that is wrong; nothing is saved then."""
    from wikisocial.posts.actions import create_post

    draft.group, draft.in_reply_to = group, None
    if group is None:
        draft.visibility = Visibility.PUBLIC
    title, tag_names = _checked_topic(author, group, title, draft, category, tags or [])
    with transaction.atomic():
        post = create_post(author, draft)
        topic = Topic.objects.create(
            post=post,
            group=group,
            title=title,
            category=category,
            created_at=post.created_at,
            last_activity_at=post.created_at,
        )
        if group is not None:
            topic.tags.set(_tags(group, tag_names))
        topic_created(topic)
        group_federation.topic_published(topic)
    return topic


def _checked_topic(author, group, title, draft, category, tags) -> tuple[str, list[str]]:
    """The clean title and tags; when one is wrong, every error of the topic and of its first
    post at once (so that one submission shows them all)."""
    from wikisocial.posts.actions import check

    errors: dict[str, list[str]] = {}
    try:
        title = clean_title(title)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        tags = normalize_tags(tags)
    except ValidationError as error:
        errors.update(error.message_dict)
    if category is not None and (group is None or category.group_id != group.pk):
        errors["category"] = [_("Choose one of this group's categories.")]
    if errors:
        try:
            check(author, draft)
        except ValidationError as error:
            errors.update(error.message_dict)
        raise ValidationError(errors)
    return title, tags


def topic_created(topic: Topic) -> None:
    """Counters, the author's watch and the group watchers' notifications for a new topic,
    however it arrived (here or from another server)."""
    if topic.group_id is None:
        return
    Group.objects.filter(pk=topic.group_id).update(
        topics_count=F("topics_count") + 1, last_activity_at=topic.created_at
    )
    post = topic.post
    _default_watch(post.author, topic, WatchLevel.WATCHING, post.pk)
    told = set(Mention.objects.filter(post=post).values_list("account_id", flat=True))
    watchers = Watch.objects.filter(group_id=topic.group_id, level=WatchLevel.WATCHING)
    for watch in watchers.exclude(account_id__in=told).select_related("account"):
        if may_be_told(watch.account, topic.group, post):
            notify(watch.account, Kind.GROUP_TOPIC, post.author, post, group=topic.group)


def group_post_created(post: Post) -> None:
    """Called by ``create_post`` (and for posts from other servers) for every post in a group:
    a reply updates its topic, makes its author track the topic, tells the topic's watchers
    and may switch automatic slow mode on."""
    if post.in_reply_to_id is None:
        return
    topic = topic_of(post)
    if topic is None:
        return
    Topic.objects.filter(pk=topic.pk).update(
        replies_count=F("replies_count") + 1, last_activity_at=post.created_at
    )
    if topic.group_id is not None:
        Group.objects.filter(pk=topic.group_id).update(last_activity_at=post.created_at)
    _default_watch(post.author, topic, WatchLevel.TRACKING, post.pk)
    _tell_topic_watchers(topic, post)
    maybe_auto_slow_mode(topic)
    logger.debug("reply %s in topic %s", post.pk, topic.pk)


def group_post_deleted(post: Post) -> None:
    """Called by ``delete_post`` for a post in a group: the counters it fed go down."""
    topic = topic_of(post)
    if topic is None:
        return
    if topic.post_id == post.pk:
        if topic.group_id is not None:
            Group.objects.filter(pk=topic.group_id, topics_count__gt=0).update(
                topics_count=F("topics_count") - 1
            )
        return
    Topic.objects.filter(pk=topic.pk, replies_count__gt=0).update(
        replies_count=F("replies_count") - 1
    )
    if topic.solution_id == post.pk:
        Topic.objects.filter(pk=topic.pk).update(solution=None)
    recount_reactions(topic)


# --- who is told ----------------------------------------------------------------------------


def may_be_told(account: Account, group: Group | None, post: Post) -> bool:
    """Whether ``account`` may hear of ``post``: a local person who may read it (the group's
    rule, blocks) and is not banned from its group."""
    if not account.is_local or account.deleted_at is not None:
        return False
    if group is not None and access.is_banned(account, group):
        return False
    return Post.objects.visible_to(account).filter(pk=post.pk).exists()


def _tell_topic_watchers(topic: Topic, post: Post) -> None:
    """Everyone watching the topic hears of each reply; the person replied to and the people
    mentioned were told already by ``create_post``."""
    told = set(Mention.objects.filter(post=post).values_list("account_id", flat=True))
    if post.in_reply_to_account_id:
        told.add(post.in_reply_to_account_id)
    watchers = Watch.objects.filter(topic=topic, level=WatchLevel.WATCHING).exclude(
        account_id__in=told
    )
    for watch in watchers.select_related("account"):
        if may_be_told(watch.account, topic.group, post):
            notify(watch.account, Kind.GROUP_REPLY, post.author, post, group=topic.group)


# --- watching -------------------------------------------------------------------------------


def _default_watch(account: Account, topic: Topic, level: str, read_up_to: int) -> None:
    """Starting a topic watches it, replying tracks it (as Discourse does), unless the person
    chose a level for it already; either way what they wrote counts as read."""
    if not account.is_local:
        return
    try:
        with transaction.atomic():
            Watch.objects.get_or_create(
                account=account,
                topic=topic,
                group=None,
                defaults={"level": level, "last_read_post_id": read_up_to},
            )
    except IntegrityError:  # made by a request at the same moment
        pass
    mark_read(account, topic, read_up_to)


def watch_level(account: Account | None, *, topic: Topic | None = None, group=None) -> str:
    """How closely ``account`` follows a topic or a group (normal when they never chose)."""
    if account is None:
        return WatchLevel.NORMAL
    found = Watch.objects.filter(account=account, topic=topic, group=group).first()
    return found.level if found else WatchLevel.NORMAL


def set_watch(
    account: Account, level: str, *, topic: Topic | None = None, group: Group | None = None
) -> Watch:
    """Choose how closely to follow a topic or (``group``) a group's new topics. Muting a
    topic also mutes its conversation, so no reply or mention from it reaches the person."""
    if level not in WatchLevel.values:
        raise ValidationError({"level": _("Choose how closely to follow it.")})
    if (topic is None) == (group is None):
        raise ValueError("watch a topic or a group")
    target = topic.group if topic is not None else group
    if target is not None and not access.can_read(account, target):
        raise PermissionDenied
    with transaction.atomic():
        watch, _created = Watch.objects.update_or_create(
            account=account, topic=topic, group=group, defaults={"level": level}
        )
        if topic is not None:
            mutes = ConversationMute.objects.filter(account=account, thread_root_id=topic.post_id)
            if level == WatchLevel.MUTED:
                ConversationMute.objects.get_or_create(account=account, thread_root=topic.post)
            else:
                mutes.delete()
    return watch


def mark_read(account: Account | None, topic: Topic, post_id: int) -> None:
    """``account`` has read ``topic`` up to ``post_id`` (their unread count starts there)."""
    if account is None:
        return
    Watch.objects.filter(account=account, topic=topic).filter(
        Q(last_read_post_id__isnull=True) | Q(last_read_post_id__lt=post_id)
    ).update(last_read_post_id=post_id)


# --- moderator tools ------------------------------------------------------------------------


def can_moderate_topic(account: Account | None, topic: Topic) -> bool:
    """The group's moderators; for a site-wide topic, the instance's staff."""
    if account is None:
        return False
    if topic.group is None:
        return account.user_id is not None and account.user.is_staff
    return access.can_moderate(account, topic.group)


def _require_moderator(account: Account, topic: Topic) -> None:
    if not can_moderate_topic(account, topic):
        raise PermissionDenied(_("Only the group's moderators may do this."))


def _write_log(group: Group, actor: Account | None, action: str, **fields) -> None:
    """An entry in the group's public moderation log."""
    from wikisocial.communities.actions import log

    log(group, actor, action, **fields)


def _log(
    topic: Topic, actor: Account | None, action: str, *, post: Post | None = None, detail: str = ""
) -> None:
    """A log entry about a topic (site-wide topics have no group, hence no log)."""
    if topic.group is not None:
        _write_log(topic.group, actor, action, post=post or topic.post, detail=detail)


def _set_flag(
    moderator: Account, topic: Topic, field: str, value, action: str, federate=None
) -> Topic:
    """Change one of the topic's flags, log it and (``federate``) tell other servers, in one
    transaction."""
    _require_moderator(moderator, topic)
    if getattr(topic, field) == value:
        return topic
    with transaction.atomic():
        Topic.objects.filter(pk=topic.pk).update(**{field: value})
        setattr(topic, field, value)
        _log(topic, moderator, action, detail=topic.title)
        if federate is not None:
            federate()
    return topic


def set_locked(moderator: Account, topic: Topic, locked: bool) -> Topic:
    """Locked: only moderators may reply (other servers see Lemmy's Lock)."""
    action = LogAction.LOCK if locked else LogAction.UNLOCK
    federate = partial(group_federation.topic_locked, topic, moderator, locked)
    return _set_flag(moderator, topic, "locked", locked, action, federate)


def set_pinned(moderator: Account, topic: Topic, pinned: bool) -> Topic:
    """Pinned topics come first in the group's list, the latest pinned first."""
    if pinned == (topic.pinned_at is not None):
        _require_moderator(moderator, topic)
        return topic
    action = LogAction.PIN if pinned else LogAction.UNPIN
    federate = partial(group_federation.topic_pinned, topic, moderator, pinned)
    when = timezone.now() if pinned else None
    return _set_flag(moderator, topic, "pinned_at", when, action, federate)


def set_closed(moderator: Account, topic: Topic, closed: bool) -> Topic:
    """Closed: the discussion is over; nobody replies until a moderator opens it again."""
    if closed == (topic.closed_at is not None):
        _require_moderator(moderator, topic)
        return topic
    action = LogAction.CLOSE if closed else LogAction.OPEN
    return _set_flag(moderator, topic, "closed_at", timezone.now() if closed else None, action)


def duration_text(seconds: int) -> str:
    """An interval as people say it: "5 minutes", "1 hour", "30 seconds"."""
    if seconds % 3600 == 0:
        return ngettext("%(n)d hour", "%(n)d hours", seconds // 3600) % {"n": seconds // 3600}
    if seconds % 60 == 0:
        return ngettext("%(n)d minute", "%(n)d minutes", seconds // 60) % {"n": seconds // 60}
    return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}


def set_slow_mode(moderator: Account, topic: Topic, seconds: int) -> Topic:
    """A moderator sets the interval each member waits between replies (0: off). Turning it
    off while automatic slow mode is on also keeps the automatic one away for its usual
    duration: the moderator has decided."""
    _require_moderator(moderator, topic)
    if not 0 <= seconds <= SLOW_MODE_MAX:
        raise ValidationError({"seconds": _("Choose an interval between 0 and one day.")})
    now = timezone.now()
    until = None
    if not seconds and topic.slow_mode_auto and slow_mode_active(topic, now):
        until = now + AUTO_SLOW_MODE["duration"]
    changes = {"slow_mode_seconds": seconds, "slow_mode_auto": False, "slow_mode_until": until}
    with transaction.atomic():
        Topic.objects.filter(pk=topic.pk).update(**changes)
        for name, value in changes.items():
            setattr(topic, name, value)
        detail = duration_text(seconds) if seconds else _("off")
        _log(topic, moderator, LogAction.SLOW_MODE, detail=f"{topic.title}: {detail}")
    return topic


def _auto_slow_mode_allowed(topic: Topic, now: datetime) -> bool:
    """Not when slow mode is on already, nor for a while after a moderator turned it off."""
    if slow_mode_active(topic, now):
        return False
    held_off = not topic.slow_mode_seconds and topic.slow_mode_until is not None
    return not (held_off and topic.slow_mode_until > now)


def is_heated(topic: Topic, now: datetime) -> bool:
    """Many replies from few people in a short time (AUTO_SLOW_MODE)."""
    recent = Post.objects.filter(
        thread_root_id=topic.post_id,
        deleted_at__isnull=True,
        created_at__gte=now - AUTO_SLOW_MODE["window"],
    ).aggregate(replies=Count("pk"), people=Count("author_id", distinct=True))
    return (
        recent["replies"] >= AUTO_SLOW_MODE["replies"]
        and recent["people"] <= AUTO_SLOW_MODE["people"]
    )


def maybe_auto_slow_mode(topic: Topic) -> bool:
    """Switch slow mode on for a while when the topic heats up; logged, and shown on the topic
    as automatic. It ends on its own when ``slow_mode_until`` passes. True if switched on."""
    topic.refresh_from_db(fields=["slow_mode_seconds", "slow_mode_auto", "slow_mode_until"])
    now = timezone.now()
    if not _auto_slow_mode_allowed(topic, now) or not is_heated(topic, now):
        return False
    until = now + AUTO_SLOW_MODE["duration"]
    Topic.objects.filter(pk=topic.pk).update(
        slow_mode_seconds=AUTO_SLOW_MODE["interval"], slow_mode_auto=True, slow_mode_until=until
    )
    topic.slow_mode_seconds, topic.slow_mode_auto = AUTO_SLOW_MODE["interval"], True
    topic.slow_mode_until = until
    detail = _("%(title)s: automatic, %(interval)s until %(time)s") % {
        "title": topic.title,
        "interval": duration_text(AUTO_SLOW_MODE["interval"]),
        "time": time_format(timezone.localtime(until), "H:i"),
    }
    _log(topic, None, LogAction.SLOW_MODE, detail=detail)
    logger.info("automatic slow mode in topic %s until %s", topic.pk, until)
    return True


def _thread_posts(topic: Topic):
    return Post.objects.filter(Q(pk=topic.post_id) | Q(thread_root_id=topic.post_id))


def move_topic(moderator: Account, topic: Topic, target: Group) -> Topic:
    """Move a topic with its replies to another group on this server. The mover must
    moderate both groups. Its posts take the new group's visibility; its category (the old
    group's) is dropped and its tags are carried over by name."""
    source = topic.group
    if source is None or not (can_moderate_topic(moderator, topic)):
        raise PermissionDenied(_("Only the group's moderators may do this."))
    if not access.can_moderate(moderator, target):
        raise PermissionDenied(_("You can only move topics into groups you moderate."))
    if target.pk == source.pk:
        raise ValidationError({"group": _("The topic is in this group already.")})
    if not (source.is_local and target.is_local) or target.account.deleted_at is not None:
        raise ValidationError({"group": _("Topics move only between groups on this server.")})
    tag_names = list(topic.tags.values_list("name", flat=True))
    with transaction.atomic():
        # Only the posts in the group: a reply threaded here from outside it (a followers-only
        # one from another server) stays as private as it was.
        in_group = _thread_posts(topic).filter(group=source)
        in_group.update(group=target, visibility=visibility_in(target))
        Topic.objects.filter(pk=topic.pk).update(group=target, category=None)
        topic.group, topic.category = target, None
        topic.tags.set(_tags(target, tag_names))
        Group.objects.filter(pk=source.pk, topics_count__gt=0).update(
            topics_count=F("topics_count") - 1
        )
        Group.objects.filter(pk=target.pk).update(topics_count=F("topics_count") + 1)
        _moved_log(moderator, topic, source, target)
    return topic


def _moved_log(moderator: Account, topic: Topic, source: Group, target: Group) -> None:
    """Both groups' logs. Each names the other group, unless that one is hidden: the log is
    read by whoever reads the group, and a hidden group is named nowhere else."""
    post = topic.post
    to = topic.title if target.kind == GroupKind.HIDDEN else f"{topic.title} → {target}"
    origin = topic.title if source.kind == GroupKind.HIDDEN else f"{topic.title} ← {source}"
    _write_log(source, moderator, LogAction.MOVE_OUT, post=post, detail=to)
    _write_log(target, moderator, LogAction.MOVE_IN, post=post, detail=origin)


def _subtree(topic: Topic, reply: Post) -> list[int]:
    """Ids of the replies under ``reply`` in the topic, however deep (one query)."""
    children: dict[int, list[int]] = {}
    rows = Post.objects.filter(thread_root_id=topic.post_id).values_list("pk", "in_reply_to_id")
    for pk, parent in rows:
        children.setdefault(parent, []).append(pk)
    found, stack = [], list(children.get(reply.pk, []))
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.append(pk)
            stack.extend(children.get(pk, []))
    return found


def _check_split(topic: Topic, reply: Post) -> None:
    if reply.thread_root_id != topic.post_id or reply.group_id != topic.group_id:
        raise ValidationError({"post": _("This reply is not in this topic.")})
    if reply.deleted_at is not None:
        raise ValidationError({"post": _("This reply was deleted.")})


def split_topic(moderator: Account, topic: Topic, reply: Post, title: str) -> Topic:
    """Make ``reply`` and the replies under it a new topic titled ``title`` in the same
    group: the reply becomes its first post."""
    _require_moderator(moderator, topic)
    _check_split(topic, reply)
    title = clean_title(title)
    below = _subtree(topic, reply)
    moved = Post.objects.filter(pk__in=[reply.pk, *below])
    alive = moved.filter(deleted_at__isnull=True)
    last = alive.order_by("-created_at").values_list("created_at", flat=True).first()
    with transaction.atomic():
        if reply.in_reply_to_id:
            Post.objects.filter(pk=reply.in_reply_to_id, replies_count__gt=0).update(
                replies_count=F("replies_count") - 1
            )
        moving = alive.count()
        Post.objects.filter(pk=reply.pk).update(
            in_reply_to=None, in_reply_to_account=None, thread_root=None
        )
        Post.objects.filter(pk__in=below).update(thread_root=reply)
        new = Topic.objects.create(
            post=reply,
            group=topic.group,
            title=title,
            category=topic.category,
            replies_count=max(0, moving - 1),
            created_at=reply.created_at,
            last_activity_at=last or reply.created_at,
        )
        _after_split(moderator, topic, new, moving, [reply.pk, *below])
    return new


def _after_split(moderator: Account, old: Topic, new: Topic, moving: int, ids: list[int]) -> None:
    Topic.objects.filter(pk=old.pk).update(replies_count=F("replies_count") - moving)
    Topic.objects.filter(pk=old.pk, replies_count__lt=0).update(replies_count=0)
    if old.solution_id in ids:
        Topic.objects.filter(pk=old.pk).update(solution=None)
        old.solution = None
    if old.group_id is not None:
        Group.objects.filter(pk=old.group_id).update(topics_count=F("topics_count") + 1)
    recount_reactions(old)
    recount_reactions(new)
    _log(old, moderator, LogAction.SPLIT, post=new.post, detail=f"{old.title} → {new.title}")


def _check_solution(actor: Account, topic: Topic) -> None:
    """The topic's author or its moderators choose the solution."""
    if actor.pk != topic.post.author_id and not can_moderate_topic(actor, topic):
        raise PermissionDenied(_("Only the topic's author or a moderator may do this."))


def mark_solution(actor: Account, topic: Topic, post: Post) -> Topic:
    """Mark a reply in the topic as what answered it (shown right after the first post)."""
    _check_solution(actor, topic)
    if post.thread_root_id != topic.post_id or post.deleted_at is not None:
        raise ValidationError({"post": _("Only a reply in this topic can be its solution.")})
    with transaction.atomic():
        Topic.objects.filter(pk=topic.pk).update(solution=post)
        topic.solution = post
        _log(topic, actor, LogAction.SOLUTION, post=post, detail=topic.title)
    return topic


def unmark_solution(actor: Account, topic: Topic) -> Topic:
    _check_solution(actor, topic)
    if topic.solution_id is None:
        return topic
    with transaction.atomic():
        Topic.objects.filter(pk=topic.pk).update(solution=None)
        topic.solution = None
        _log(topic, actor, LogAction.SOLUTION, detail=_("%(title)s: none") % {"title": topic.title})
    return topic


def delete_in_group(moderator: Account, post: Post, reason: str = "") -> None:
    """A moderator deletes a post in their group (a topic's first post takes the topic off
    the list). Logged, with the reason, in the group's public log."""
    from wikisocial.posts.actions import delete_post

    group = post.group
    if group is None or not access.can_moderate(moderator, group):
        raise PermissionDenied(_("Only the group's moderators may do this."))
    if post.deleted_at is not None:
        return
    topic = topic_of(post)
    with transaction.atomic():
        delete_post(post, post.author)  # as its author would: the same counters and clean-up
        group_federation.post_removed_by_moderator(post, moderator)
        _write_log(
            group,
            moderator,
            LogAction.DELETE,
            account=post.author,
            post=post,
            detail=topic.title if topic is not None else "",
            reason=clean_text(reason, multiline=True)[:REASON_LIMIT],
        )


# --- reactions ------------------------------------------------------------------------------


def check_can_react(account: Account, post: Post) -> None:
    """Reacting to (and liking) a group post, through any door: never from someone the group
    banned."""
    if post.group_id is not None and access.is_banned(account, post.group):
        raise ValidationError(_("You are banned from this group."), code="banned")


def react(account: Account, post: Post, kind: str) -> None:
    """React to a forum post (one of each kind per person; ❤ is a like). Idempotent. Raises
    PermissionDenied when the person may not see the post."""
    from wikisocial.posts.actions import like

    if kind not in ReactionKind.values:
        raise ValidationError({"kind": _("Choose one of the reactions.")})
    if kind == ReactionKind.HEART:
        like(account, post)
        return
    if not Post.objects.visible_to(account).filter(pk=post.pk).exists():
        raise PermissionDenied
    check_can_react(account, post)
    with transaction.atomic():
        _row, created = Reaction.objects.get_or_create(account=account, post=post, kind=kind)
        if created:
            reactions_changed(post, 1)


def unreact(account: Account, post: Post, kind: str) -> None:
    from wikisocial.posts.actions import unlike

    if kind == ReactionKind.HEART:
        unlike(account, post)
        return
    with transaction.atomic():
        deleted, _rows = Reaction.objects.filter(account=account, post=post, kind=kind).delete()
        if deleted:
            reactions_changed(post, -1)


def reactions_changed(post: Post, delta: int) -> None:
    """A like or reaction on ``post`` came or went: its topic's count for "most helpful"."""
    if post.group_id is None and post.thread_root_id is None:
        return
    root = post.thread_root_id or post.pk
    if delta > 0:
        Topic.objects.filter(pk=root).update(reactions_count=F("reactions_count") + delta)
    else:
        Topic.objects.filter(pk=root, reactions_count__gte=-delta).update(
            reactions_count=F("reactions_count") + delta
        )


def recount_reactions(topic: Topic) -> None:
    """Count the topic's likes and reactions afresh (after a split or a deletion)."""
    posts = _thread_posts(topic).filter(deleted_at__isnull=True)
    likes = posts.aggregate(n=Sum("likes_count"))["n"] or 0
    others = Reaction.objects.filter(post__in=posts).count()
    Topic.objects.filter(pk=topic.pk).update(reactions_count=likes + others)


# --- categories -----------------------------------------------------------------------------


def _category_name(name: str) -> str:
    name = clean_text(name)
    if not name:
        raise ValidationError({"name": _("Give the category a name.")})
    if len(name) > CATEGORY_NAME_LIMIT:
        raise ValidationError(
            {"name": _("A name may have at most %(n)d characters.") % {"n": CATEGORY_NAME_LIMIT}}
        )
    return name


def _free_slug(group: Group, name: str, category: ForumCategory | None = None) -> str:
    base = slugify(name, allow_unicode=True)[:90] or "category"
    others = group.categories.exclude(pk=category.pk) if category else group.categories.all()
    taken = set(others.values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _require_group_moderator(account: Account, group: Group) -> None:
    if not access.can_moderate(account, group):
        raise PermissionDenied(_("Only the group's moderators may do this."))


def _category_log(group: Group, actor: Account, detail: str) -> None:
    _write_log(group, actor, LogAction.EDIT, detail=detail)


def create_category(
    moderator: Account, group: Group, name: str, description: str = ""
) -> ForumCategory:
    """A new category, last in the group's order."""
    _require_group_moderator(moderator, group)
    name = _category_name(name)
    with transaction.atomic():
        last = group.categories.order_by("-position").values_list("position", flat=True).first()
        category = ForumCategory.objects.create(
            group=group,
            name=name,
            slug=_free_slug(group, name),
            description=clean_text(description, multiline=True)[:1000],
            position=(last or 0) + 1,
        )
        _category_log(group, moderator, _("new category: %(name)s") % {"name": name})
    return category


def rename_category(
    moderator: Account, category: ForumCategory, name: str, description: str = ""
) -> ForumCategory:
    """Rename a category (its address follows the new name)."""
    group = category.group
    _require_group_moderator(moderator, group)
    name = _category_name(name)
    old = category.name
    with transaction.atomic():
        category.name, category.slug = name, _free_slug(group, name, category)
        category.description = clean_text(description, multiline=True)[:1000]
        category.save(update_fields=["name", "slug", "description"])
        detail = _("category renamed: %(old)s → %(new)s") % {"old": old, "new": name}
        _category_log(group, moderator, detail)
    return category


def move_category(moderator: Account, category: ForumCategory, step: int) -> None:
    """Move a category one place up (``step`` -1) or down (+1) in the group's order."""
    group = category.group
    _require_group_moderator(moderator, group)
    with transaction.atomic():
        order = list(group.categories.select_for_update().order_by("position", "name"))
        index = next(i for i, c in enumerate(order) if c.pk == category.pk)
        other = index + (1 if step > 0 else -1)
        if not 0 <= other < len(order):
            return
        order[index], order[other] = order[other], order[index]
        for position, item in enumerate(order, start=1):
            ForumCategory.objects.filter(pk=item.pk).update(position=position)


def delete_category(moderator: Account, category: ForumCategory) -> None:
    """Delete a category; its topics stay, without a category."""
    group = category.group
    _require_group_moderator(moderator, group)
    with transaction.atomic():
        name = category.name
        category.delete()
        _category_log(group, moderator, _("category deleted: %(name)s") % {"name": name})
