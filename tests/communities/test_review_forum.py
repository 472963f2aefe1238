"""Review of the forum's moderator tools: what a move tells the readers of the other group."""

from __future__ import annotations

import pytest

from tests.communities.world import topic
from wikisocial.communities import forum
from wikisocial.communities.models import GroupLogEntry, LogAction

pytestmark = pytest.mark.django_db


def test_a_topic_moved_out_of_a_hidden_group_does_not_name_it(client, ana, make_group):
    """The public log of the group a topic moves into is read by everyone: it must not name
    the hidden group the topic came from (nothing of a hidden group appears anywhere)."""
    hidden = make_group(ana.account, "backroom", kind="hidden", name="Back room")
    public = make_group(ana.account, "square", name="Square")
    made = topic(ana, hidden, "Ready to share")
    forum.move_topic(ana.account, made, public)
    entry = GroupLogEntry.objects.get(group=public, action=LogAction.MOVE_IN)
    assert "backroom" not in entry.detail.lower() and "Ready to share" in entry.detail
    page = client.get("/g/square/log").content.decode()
    assert "backroom" not in page.lower() and "Back room" not in page
    # The hidden group's own log, read by its members only, names where it went.
    gone = GroupLogEntry.objects.get(group=hidden, action=LogAction.MOVE_OUT)
    assert "square" in gone.detail  # the other way round, a public group is named


def test_a_topic_moved_out_of_a_private_group_names_it(ana, make_group):
    closed = make_group(ana.account, "club", kind="private")
    public = make_group(ana.account, "square")
    made = topic(ana, closed, "Ready to share")
    forum.move_topic(ana.account, made, public)
    entry = GroupLogEntry.objects.get(group=public, action=LogAction.MOVE_IN)
    assert "!club" in entry.detail
