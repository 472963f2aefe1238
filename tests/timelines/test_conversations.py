"""Conversation state (timelines/actions.py): read and removed positions only move forward,
and the conversations query honours them."""

from __future__ import annotations

import pytest

from tests.posts.helpers import write
from wikisocial.core.pagination import Cursor
from wikisocial.posts.models import Visibility
from wikisocial.timelines import actions, queries
from wikisocial.timelines.models import ConversationState

pytestmark = pytest.mark.django_db


def test_positions_only_move_forward(ana):
    actions.mark_conversation_read(ana.account, 10, 50)
    actions.mark_conversation_read(ana.account, 10, 40)
    actions.remove_conversation(ana.account, 10, 45)
    state = ConversationState.objects.get(account=ana.account, root_id=10)
    assert (state.read_up_to, state.hidden_up_to) == (50, 45)


def test_the_query_marks_seen_and_skips_removed(ana, bea):
    first = write(bea, "@ana hi", visibility=Visibility.DIRECT)
    other = write(bea, "@ana another", visibility=Visibility.DIRECT)
    found = queries.conversations(ana.account, Cursor()).posts
    assert [(p.pk, p.seen) for p in found] == [(other.pk, False), (first.pk, False)]
    actions.mark_conversation_read(ana.account, first.pk, first.pk)
    actions.remove_conversation(ana.account, other.pk, other.pk)
    found = queries.conversations(ana.account, Cursor()).posts
    assert [(p.pk, p.seen) for p in found] == [(first.pk, True)]
    assert queries.conversation(ana.account, other.pk) is None
    assert queries.participants(ana.account, [first.pk]) == {first.pk: [bea.account]}
