"""The list actions (timelines/actions.py): titles and policies checked, only followed
accounts as members, all or nothing; and the list timeline query."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.posts.helpers import write
from wikisocial.core.pagination import Cursor
from wikisocial.posts import actions as posts
from wikisocial.social import actions as social
from wikisocial.social.models import Follow
from wikisocial.timelines import actions, queries
from wikisocial.timelines.models import List, ListMember

pytestmark = pytest.mark.django_db


def test_create_and_update_check_their_input(ana):
    made = actions.create_list(ana.account, "  Friends ")
    assert (made.title, made.replies_policy, made.exclusive) == ("Friends", "list", False)
    with pytest.raises(ValidationError):
        actions.create_list(ana.account, "")
    with pytest.raises(ValidationError):
        actions.create_list(ana.account, "x" * 201)
    with pytest.raises(ValidationError):
        actions.update_list(made, replies_policy="everyone")
    actions.update_list(made, exclusive=True)
    made.refresh_from_db()
    assert made.title == "Friends" and made.exclusive is True
    actions.delete_list(made)
    assert not List.objects.exists()


def test_members_must_be_followed_and_adding_is_all_or_nothing(ana, bea, cem):
    social.follow(ana.account, bea.account)
    made = actions.create_list(ana.account, "Friends")
    with pytest.raises(Follow.DoesNotExist):
        actions.add_to_list(made, [bea.account, cem.account])
    assert not ListMember.objects.exists()
    actions.add_to_list(made, [bea.account, ana.account])
    with pytest.raises(ValidationError):
        actions.add_to_list(made, [bea.account])
    actions.remove_from_list(made, [bea.account.pk])
    assert list(ListMember.objects.values_list("account_id", flat=True)) == [ana.account.pk]


def test_list_timeline_leaves_out_muted_boosts_and_quiet_follows(ana, bea, cem, make_user):
    dan = make_user("dan")
    social.follow(ana.account, bea.account, show_boosts=False)
    social.follow(ana.account, cem.account)
    made = actions.create_list(ana.account, "Friends")
    actions.add_to_list(made, [bea.account, cem.account])
    quiet_boost = posts.boost(bea.account, write(dan, "dan's"))
    own_bea = write(bea, "bea's own")
    eve = make_user("eve")
    muted_boost = posts.boost(cem.account, write(eve, "eve's"))
    social.mute(ana.account, eve.account)
    shown = [p.pk for p in queries.list_timeline(made, Cursor(limit=40)).posts]
    assert own_bea.pk in shown
    assert quiet_boost.pk not in shown and muted_boost.pk not in shown
