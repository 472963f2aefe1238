"""Helpers for the tests of what group content shows where (client API, feeds, streaming) and
of the privacy sweep: starting topics, making members, and a world of groups of each kind with
a member, an outsider and content of every sort."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.posts.helpers import account_of, png_upload, write
from wikisocial.communities import actions as communities
from wikisocial.communities import forum
from wikisocial.communities.models import Group, Topic
from wikisocial.posts import actions as posts
from wikisocial.posts.models import Post


def new_group(owner, handle: str, kind: str = "public", **fields) -> Group:
    """A group on this server, as ``make_group`` in tests/communities/conftest.py makes them
    (usable from the other test folders, which don't have that fixture)."""
    draft = communities.GroupDraft(name=fields.pop("name", handle.title()), kind=kind)
    for name, value in fields.items():
        setattr(draft, name, value)
    return communities.create_group(account_of(owner), handle, draft)


def topic(author, group: Group, title: str = "A topic", text: str = "Let us talk", **draft):
    """Start a topic in ``group`` through the forum's action (the one every door uses)."""
    return forum.create_topic(
        account_of(author), group, title, posts.Draft(text=text, **draft), tags=[]
    )


def member(group: Group, person, owner) -> None:
    """Make ``person`` a member of ``group`` whatever its kind (invited by ``owner``)."""
    account = account_of(person)
    if group.kind != "public":
        communities.invite(account_of(owner), group, account)
    communities.join(account, group)


@dataclass
class Side:
    """One group with content of every kind, and the words that show any of it."""

    group: Group
    topic: Topic
    reply: Post
    secrets: list[str] = field(default_factory=list)

    @property
    def handle(self) -> str:
        return self.group.account.username

    @property
    def post(self) -> Post:
        return self.topic.post

    @property
    def tag(self) -> str:
        return f"{self.handle}tag"


def furnish(group: Group, owner, member_person, mentioned) -> Side:
    """A topic by ``owner`` with a hashtag, a mention of ``mentioned`` and an image; a reply
    by ``member_person`` with the hashtag and a poll; a like of the topic."""
    handle = group.account.username
    image = posts.upload_media(account_of(owner), png_upload(), description=f"Alt{handle}")
    made = topic(
        owner,
        group,
        f"Title{handle}",
        f"Plan{handle} #{handle}tag @{account_of(mentioned).username}",
        media_ids=[image.pk],
    )
    reply = write(
        member_person,
        f"Reply{handle} #{handle}tag",
        in_reply_to=made.post,
        poll=posts.PollDraft(options=[f"Yes{handle}", f"No{handle}"]),
    )
    posts.like(account_of(member_person), made.post)
    secrets = [
        f"Title{handle}",
        f"Plan{handle}",
        f"Reply{handle}",
        f"{handle}tag",
        f"Yes{handle}",
        f"Alt{handle}",
        str(made.post.pk),
        str(reply.pk),
    ]
    return Side(group=group, topic=made, reply=reply, secrets=secrets)
