"""A group's forum: topics and replies (which are posts), and what moderators do to them.

A topic is a post with a ``Topic`` row (title, category, tags, lock, pin, solution, slow mode);
its replies are posts in the same group whose ``thread_root`` is the topic's post. Posting goes
through ``posts.actions.create_post`` like every post, which asks ``check_group_post`` here, so
the group's rules hold for replies from Mastodon apps and from other servers too.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wikisocial.accounts.models import Account
from wikisocial.communities import access
from wikisocial.communities.models import ForumCategory, Group, Topic, TopicTag
from wikisocial.core.markup import clean_text, normalize_hashtag
from wikisocial.posts.models import Post, Visibility

logger = logging.getLogger(__name__)

TITLE_LIMIT = 200
TAGS_LIMIT = 5


def visibility_in(group: Group) -> str:
    """The visibility field of posts in ``group``, for the doors that read it (Mastodon apps,
    other servers): public in open groups, followers-only ("private") in the others. Who may
    see a group post is still decided by the group (``readable_group_q``)."""
    return Visibility.PUBLIC if group.is_open else Visibility.FOLLOWERS


def topic_of(post: Post) -> Topic | None:
    """The topic a group post belongs to (its own, or its thread's)."""
    root_id = post.thread_root_id or post.pk
    return Topic.objects.filter(post_id=root_id).select_related("group").first()


def check_group_post(author: Account, group: Group, parent: Post | None) -> None:
    """Raise ValidationError unless ``author`` may post in ``group`` now: a new topic when
    ``parent`` is None, else a reply in ``parent``'s topic."""
    topic = topic_of(parent) if parent is not None else None
    access.check_can_post(author, group, topic)
    if topic is not None:
        check_slow_mode(author, topic)


def check_slow_mode(author: Account, topic: Topic) -> None:
    """In slow mode each member waits between replies in the topic (moderators don't)."""
    seconds = topic.slow_mode_seconds
    if not seconds or (topic.slow_mode_until and topic.slow_mode_until <= timezone.now()):
        return
    if topic.group is not None and access.can_moderate(author, topic.group):
        return
    last = (
        Post.objects.filter(thread_root_id=topic.post_id, author=author, deleted_at__isnull=True)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return
    wait = seconds - (timezone.now() - last).total_seconds()
    if wait > 0:
        minutes = max(1, round(wait / 60))
        raise ValidationError(
            _(
                "This topic is in slow mode: you can reply again in about %(minutes)d "
                "minute(s). Your text is kept."
            )
            % {"minutes": minutes},
            code="slow_mode",
        )


def _clean_title(title: str) -> str:
    title = clean_text(title)
    if not title:
        raise ValidationError({"title": _("Give the topic a title.")})
    if len(title) > TITLE_LIMIT:
        raise ValidationError(
            {"title": _("A title may have at most %(n)d characters.") % {"n": TITLE_LIMIT}}
        )
    return title


def _tags(group: Group, names: list[str]) -> list[TopicTag]:
    clean = []
    for name in names:
        tag = normalize_hashtag(clean_text(name).lstrip("#"))[:50]
        if tag and tag not in clean:
            clean.append(tag)
    if len(clean) > TAGS_LIMIT:
        raise ValidationError({"tags": _("Use at most %(n)d tags.") % {"n": TAGS_LIMIT}})
    return [TopicTag.objects.get_or_create(group=group, name=name)[0] for name in clean]


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
    pages). Raises ValidationError naming each field that is wrong; nothing is saved then."""
    from wikisocial.posts.actions import create_post

    errors = {}
    try:
        clean_title = _clean_title(title)
    except ValidationError as error:
        errors.update(error.message_dict)
    if category is not None and (group is None or category.group_id != group.pk):
        errors["category"] = [_("Choose one of this group's categories.")]
    try:
        with transaction.atomic():
            topic_tags = _tags(group, tags or []) if group is not None else []
            if errors:
                raise ValidationError(errors)
            draft.group = group
            draft.in_reply_to = None
            if group is None:
                draft.visibility = Visibility.PUBLIC
            post = create_post(author, draft)
            topic = Topic.objects.create(
                post=post,
                group=group,
                title=clean_title,
                category=category,
                created_at=post.created_at,
                last_activity_at=post.created_at,
            )
            topic.tags.set(topic_tags)
            topic_created(topic)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise ValidationError({**errors, **error.message_dict}) from None
        raise
    return topic


def topic_created(topic: Topic) -> None:
    """Counters and notifications for a new topic, however it arrived (here or from another
    server)."""
    if topic.group_id is None:
        return
    Group.objects.filter(pk=topic.group_id).update(
        topics_count=F("topics_count") + 1, last_activity_at=topic.created_at
    )


def group_post_created(post: Post) -> None:
    """Called by ``create_post`` (and for posts from other servers) for every post in a group:
    a reply updates its topic."""
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
    logger.debug("reply %s in topic %s", post.pk, topic.pk)
