"""Hiding a whole domain, removing a follower, follow options kept on following again,
private notes, suggestions, and the relationship facts the client API reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.posts.helpers import remote_account, write
from wikisocial.accounts.models import Account
from wikisocial.federation import delivery
from wikisocial.federation.models import Delivery
from wikisocial.notifications import actions as notifications
from wikisocial.notifications.models import Kind, Notification
from wikisocial.posts import actions as posts
from wikisocial.social import actions, queries
from wikisocial.social.models import (
    AccountNote,
    DismissedSuggestion,
    DomainBlock,
    Follow,
    FollowRequest,
)
from wikisocial.timelines import queries as timelines

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_sending(monkeypatch):
    monkeypatch.setattr(delivery, "_enqueue", lambda ids: None)


def home_ids(account: Account) -> list[int]:
    return [p.pk for p in timelines.home(account, timelines.Cursor(limit=40)).posts]


def federated_ids(account: Account) -> list[int]:
    return [p.pk for p in timelines.federated(account, timelines.Cursor(limit=40)).posts]


def remote(name: str, domain: str = "remote.example") -> Account:
    account = remote_account(name, domain)
    Account.objects.filter(pk=account.pk).update(inbox_url=f"https://{domain}/users/{name}/inbox")
    account.refresh_from_db()
    return account


# --- following again -------------------------------------------------------------------------


def test_following_again_keeps_the_options_not_given(ana, bea):
    actions.follow(ana.account, bea.account, show_boosts=False, languages=["de"])
    actions.follow(ana.account, bea.account, notify=True)
    row = Follow.objects.get()
    assert (row.show_boosts, row.notify, row.languages) == (False, True, ["de"])
    actions.follow(ana.account, bea.account, show_boosts=True, languages=[])
    row.refresh_from_db()
    assert (row.show_boosts, row.notify, row.languages) == (True, True, [])


def test_asking_again_changes_the_request_options(ana, bea):
    Account.objects.filter(pk=bea.account.pk).update(locked=True)
    bea.account.refresh_from_db()
    actions.follow(ana.account, bea.account)
    request = actions.follow(ana.account, bea.account, show_boosts=False)
    assert isinstance(request, FollowRequest) and request.show_boosts is False
    assert FollowRequest.objects.get().show_boosts is False


# --- removing a follower ---------------------------------------------------------------------


def test_removing_a_local_follower(ana, bea):
    actions.follow(bea.account, ana.account)
    actions.remove_follower(ana.account, bea.account)
    assert not Follow.objects.exists()
    assert Account.objects.get(pk=ana.account.pk).followers_count == 0
    assert Account.objects.get(pk=bea.account.pk).following_count == 0
    actions.remove_follower(ana.account, bea.account)  # nothing to remove: nothing happens


def test_removing_a_remote_follower_rejects_its_follow(ana):
    rita = remote("rita")
    actions.follow(rita, ana.account, uri="https://remote.example/follows/1")
    Delivery.objects.all().delete()
    actions.remove_follower(ana.account, rita)
    (sent,) = Delivery.objects.all()
    assert sent.inbox_url == "https://remote.example/users/rita/inbox"
    assert '"type":"Reject"' in sent.body and "https://remote.example/follows/1" in sent.body


# --- hiding a domain -------------------------------------------------------------------------


def test_hiding_a_domain_normalises_it_and_is_idempotent(ana):
    first = actions.block_domain(ana.account, " Remote.EXAMPLE. ")
    again = actions.block_domain(ana.account, "remote.example")
    assert first == again and first.domain == "remote.example"
    actions.unblock_domain(ana.account, "REMOTE.example")
    assert not DomainBlock.objects.exists()


@pytest.mark.parametrize("text", ["", "no spaces allowed", "a/b", "testserver"])
def test_only_other_servers_domains_may_be_hidden(ana, text, settings):
    settings.DOMAIN = "testserver"
    with pytest.raises(ValidationError):
        actions.block_domain(ana.account, text)


def test_hiding_a_domain_removes_followers_requests_and_notifications_from_it(ana, bea):
    rita, rob = remote("rita"), remote("rob")
    elsewhere = remote("eli", "elsewhere.example")
    actions.follow(rita, ana.account)
    actions.follow(elsewhere, ana.account)
    actions.follow(bea.account, ana.account)
    Account.objects.filter(pk=ana.account.pk).update(locked=True)
    ana.account.refresh_from_db()
    actions.follow(rob, ana.account)
    assert Notification.objects.filter(recipient=ana.account, actor=rob).exists()
    actions.block_domain(ana.account, "remote.example")
    followers = set(Follow.objects.filter(target=ana.account).values_list("follower", flat=True))
    assert followers == {elsewhere.pk, bea.account.pk}
    assert not FollowRequest.objects.exists()
    assert not Notification.objects.filter(actor__domain="remote.example").exists()
    assert Account.objects.get(pk=ana.account.pk).followers_count == 2


def test_no_follows_across_a_hidden_domain(ana):
    rita = remote("rita")
    actions.block_domain(ana.account, "remote.example")
    with pytest.raises(PermissionDenied):
        actions.follow(rita, ana.account)  # their follow is refused (a Reject goes back)
    with pytest.raises(PermissionDenied):
        actions.follow(ana.account, rita)


def test_a_hidden_domain_leaves_public_timelines_but_followed_accounts_stay_home(ana, bea):
    followed, stranger = remote("followed"), remote("stranger")
    Follow.objects.create(follower=ana.account, target=followed)
    actions.follow(ana.account, bea.account)
    theirs = write(followed, "from a followed account there")
    other = write(stranger, "from a stranger there")
    boosted = posts.boost(bea.account, other)
    assert {theirs.pk, boosted.pk} <= set(home_ids(ana.account))
    assert {theirs.pk, other.pk} <= set(federated_ids(ana.account))
    actions.block_domain(ana.account, "remote.example")
    home = home_ids(ana.account)
    assert theirs.pk in home and boosted.pk not in home
    assert theirs.pk in federated_ids(ana.account)
    assert other.pk not in federated_ids(ana.account)
    assert other.pk in federated_ids(bea.account)  # only the one who hid it


def test_a_hidden_domain_sends_no_notifications_unless_followed(ana):
    stranger, friend = remote("stranger"), remote("friend")
    Follow.objects.create(follower=ana.account, target=friend)
    actions.block_domain(ana.account, "remote.example")
    post = write(ana, "hello")
    assert notifications.notify(ana.account, Kind.LIKE, stranger, post) is None
    assert notifications.notify(ana.account, Kind.LIKE, friend, post) is not None


def test_relationships_report_domain_blocks_notes_and_mute_ends(ana, bea):
    rita = remote("rita")
    actions.block_domain(ana.account, "remote.example")
    actions.set_note(ana.account, bea.account, "  a note \u202e ")
    actions.mute(ana.account, bea.account, duration=timedelta(hours=2))
    found = queries.relationships(ana.account, [rita, bea.account])
    assert found[rita.pk].domain_blocking and not found[bea.account.pk].domain_blocking
    assert found[bea.account.pk].note == "a note"
    assert found[bea.account.pk].muting_expires_at is not None


# --- notes and suggestions -------------------------------------------------------------------


def test_notes_are_kept_cleaned_changed_and_removed(ana, bea):
    actions.set_note(ana.account, bea.account, "first")
    actions.set_note(ana.account, bea.account, "second")
    assert AccountNote.objects.get().comment == "second"
    with pytest.raises(ValidationError):
        actions.set_note(ana.account, bea.account, "x" * 2001)
    assert actions.set_note(ana.account, bea.account, "   ") is None
    assert not AccountNote.objects.exists()


def test_suggestions_leave_out_what_the_viewer_decided(ana, bea, cem, make_user):
    dan = make_user("dan").account
    for person in (bea, cem):
        write(person, "hello")
    write(dan, "hi")
    actions.follow(make_user("fan").account, cem.account)
    assert [a.pk for a in queries.suggested_accounts(ana.account)] == [
        cem.account.pk,
        dan.pk,
        bea.account.pk,
    ]
    actions.dismiss_suggestion(ana.account, cem.account)
    actions.dismiss_suggestion(ana.account, cem.account)
    actions.block(ana.account, dan)
    assert [a.pk for a in queries.suggested_accounts(ana.account)] == [bea.account.pk]
    actions.block(bea.account, ana.account)
    assert queries.suggested_accounts(ana.account) == []


def test_a_deleted_account_loses_its_domain_blocks_notes_and_dismissals(ana, bea):
    actions.block_domain(ana.account, "remote.example")
    actions.set_note(ana.account, bea.account, "n")
    actions.set_note(bea.account, ana.account, "n")
    actions.dismiss_suggestion(ana.account, bea.account)
    actions.end_all_relations(ana.account)
    assert not DomainBlock.objects.exists() and not AccountNote.objects.exists()
    assert not DismissedSuggestion.objects.exists()
