"""Posts as ActivityPub objects (outbound): Note, Question, and the activities around them."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from wikisocial.federation.jsonld import PUBLIC
from wikisocial.federation.urls_util import absolute, actor_id
from wikisocial.posts.models import Post, Visibility


def iso(moment) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def full_handle(account) -> str:
    """@name@domain, ours included: how a mention reads on every server."""
    return account.handle if not account.is_local else f"@{account.username}@{settings.DOMAIN}"


def object_id(post: Post) -> str:
    return post.uri or absolute(post.get_absolute_url())


def audience(post: Post) -> tuple[list[str], list[str]]:
    """to and cc, by visibility: public to everyone, unlisted cc everyone, followers-only to
    the followers, direct to the people mentioned; mentions are always addressed. Posts in
    groups are addressed to their group (``communities.activitypub``)."""
    if post.group_id is not None:
        from wikisocial.communities.activitypub import post_addressing

        return post_addressing(post)
    followers = absolute(reverse("web:followers", kwargs={"username": post.author.username}))
    mentioned = [actor_id(m.account) for m in post.mentions.select_related("account")]
    if post.visibility == Visibility.PUBLIC:
        return [PUBLIC], [followers, *mentioned]
    if post.visibility == Visibility.UNLISTED:
        return [followers], [PUBLIC, *mentioned]
    if post.visibility == Visibility.FOLLOWERS:
        return [followers], mentioned
    return mentioned, []


def _attachments(post: Post) -> list[dict]:
    items = []
    for media in post.media.all():
        item = {
            "type": "Document",
            "mediaType": "image/png" if media.file.name.endswith(".png") else "image/jpeg",
            "url": absolute(media.file.url),
            "name": media.description or None,
            "blurhash": media.blurhash,
            "focalPoint": [media.focus_x, media.focus_y],
        }
        if media.width:
            item["width"], item["height"] = media.width, media.height
        items.append(item)
    return items


def _tags(post: Post) -> list[dict]:
    tags = [
        {"type": "Mention", "href": actor_id(m.account), "name": full_handle(m.account)}
        for m in post.mentions.select_related("account")
    ]
    tags += [
        {
            "type": "Hashtag",
            "href": absolute(reverse("web:hashtag", kwargs={"name": tag.name})),
            "name": f"#{tag.display_name}",
        }
        for tag in post.hashtags.all()
    ]
    return tags


def post_to_ap(post: Post) -> dict:
    """A Note, or a Question when the post has a poll."""
    to, cc = audience(post)
    document = {
        "id": object_id(post),
        "type": "Note",
        "attributedTo": actor_id(post.author),
        "content": post.content_html,
        "summary": post.spoiler_text or None,
        "sensitive": post.sensitive,
        "published": iso(post.created_at),
        "url": absolute(post.get_absolute_url()),
        "to": to,
        "cc": cc,
        "inReplyTo": object_id(post.in_reply_to) if post.in_reply_to_id else None,
        "attachment": _attachments(post),
        "tag": _tags(post),
    }
    if post.language:
        document["contentMap"] = {post.language: post.content_html}
    if post.edited_at:
        document["updated"] = iso(post.edited_at)
    if post.group_id is not None:
        from wikisocial.communities.activitypub import shape_post_document

        shape_post_document(post, document)
    poll = getattr(post, "poll", None)  # None when the post has no poll
    if poll is not None:
        document["type"] = "Question"
        choices = [
            {
                "type": "Note",
                "name": o.title,
                "replies": {"type": "Collection", "totalItems": o.votes_count},
            }
            for o in poll.options.all()
        ]
        document["anyOf" if poll.multiple else "oneOf"] = choices
        document["endTime"] = iso(poll.expires_at)
        document["votersCount"] = poll.voters_count
    return document


def activity_of(post: Post) -> dict:
    """How the post appears in an outbox: Create for a post, Announce for a boost."""
    to, cc = audience(post)
    if post.is_boost:
        return {
            "id": f"{object_id(post)}/activity",
            "type": "Announce",
            "actor": actor_id(post.author),
            "published": iso(post.created_at),
            "to": to,
            "cc": cc,
            "object": object_id(post.boost_of),
        }
    return {
        "id": f"{object_id(post)}/activity",
        "type": "Create",
        "actor": actor_id(post.author),
        "published": iso(post.created_at),
        "to": to,
        "cc": cc,
        "object": post_to_ap(post),
    }
