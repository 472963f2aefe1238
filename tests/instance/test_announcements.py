"""Announcement actions: publishing stamps the date once, reactions are Unicode emoji, at most
eight different ones per announcement."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from wikisocial.instance import actions
from wikisocial.instance.models import Announcement, AnnouncementReaction
from wikisocial.instance.queries import current_announcements

pytestmark = pytest.mark.django_db


def test_publishing_stamps_the_date_once():
    item = actions.save_announcement(Announcement(text="Hello"))
    assert item.published_at is None
    assert list(current_announcements()) == []
    item.published = True
    actions.save_announcement(item)
    first = item.published_at
    assert first is not None
    item.text = "Hello again"
    actions.save_announcement(item)
    assert Announcement.objects.get(pk=item.pk).published_at == first
    assert list(current_announcements()) == [item]


@pytest.mark.parametrize("name", ["🎉", "👍🏽", "🇩🇪", "❤️", "1️⃣", "👩‍👩‍👧", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "©"])
def test_emoji(name):
    assert actions.is_emoji(name)


@pytest.mark.parametrize("name", ["", "a", "blobcat", ":tada:", "1", "🎉x", "<b>", "🎉" * 20])
def test_not_emoji(name):
    assert not actions.is_emoji(name)


def test_at_most_eight_kinds_of_reaction(make_user):
    ana = make_user("ana").account
    bea = make_user("bea").account
    item = actions.save_announcement(Announcement(text="Hi", published=True))
    kinds = ["😀", "😁", "😂", "🤣", "😃", "😄", "😅", "😆"]
    for name in kinds:
        actions.react(ana, item, name)
    actions.react(bea, item, "😀")  # one already there: fine
    actions.react(ana, item, "😀")  # again: nothing new
    with pytest.raises(ValidationError):
        actions.react(bea, item, "🙃")
    assert AnnouncementReaction.objects.filter(announcement=item).count() == 9
    actions.unreact(ana, item, "😆")
    actions.react(bea, item, "🙃")  # room again
