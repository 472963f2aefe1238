"""Polls through the client API: reading one (as far as its status is visible) and voting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.statuses_client import Api
from wikisocial.posts.models import Poll, PollVote
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(client, make_user) -> Api:
    return Api(client, make_user("ana"))


@pytest.fixture
def bea(client, make_user) -> Api:
    return Api(client, make_user("bea"))


def poll_of(person: Api, multiple: bool = False, **fields) -> dict:
    status = person.status(
        "Which?",
        poll={"options": ["four", "six"], "expires_in": 300, "multiple": multiple},
        **fields,
    )
    return status["poll"]


def vote(person: Api, poll: dict, choices: list, form: bool = False):
    data = {"choices[]": choices} if form else {"choices": choices}
    return person.post(f"/api/v1/polls/{poll['id']}/votes", data, form=form)


def test_vote_as_masto_js_and_read_back(ana, bea):
    poll = poll_of(ana, multiple=True)
    response = vote(bea, poll, [0, 1])
    assert response.status_code == 200, response.content
    voted = response.json()
    assert voted["voted"] is True
    assert voted["own_votes"] == [0, 1]
    assert voted["votes_count"] == 2 and voted["voters_count"] == 1
    assert [o["votes_count"] for o in voted["options"]] == [1, 1]
    assert bea.get(f"/api/v1/polls/{poll['id']}").json() == voted


def test_vote_as_mastodon_py_sends_it(ana, bea):
    poll = poll_of(ana)
    response = vote(bea, poll, ["1"], form=True)
    assert response.status_code == 200
    assert response.json()["own_votes"] == [1]


def test_anyone_reads_a_public_poll(client, ana):
    poll = poll_of(ana)
    data = client.get(f"/api/v1/polls/{poll['id']}").json()
    assert data["id"] == poll["id"]
    assert "voted" not in data and "own_votes" not in data
    assert ana.get(f"/api/v1/polls/{poll['id']}").json()["voted"] is True  # one's own


def test_a_poll_of_a_hidden_status_is_not_found(client, ana, bea):
    poll = poll_of(bea, visibility="private")
    assert ana.get(f"/api/v1/polls/{poll['id']}").status_code == 404
    assert client.get(f"/api/v1/polls/{poll['id']}").status_code == 404
    assert vote(ana, poll, [0]).status_code == 404
    social.follow(ana.account, bea.account)
    assert vote(ana, poll, [0]).status_code == 200


@pytest.mark.parametrize("bad", ["abc", "0", "99999999"])
def test_unknown_polls_are_not_found(ana, bad):
    assert ana.get(f"/api/v1/polls/{bad}").status_code == 404
    assert ana.post(f"/api/v1/polls/{bad}/votes", {"choices": [0]}).status_code == 404


def refusal(response) -> str:
    assert response.status_code == 422, response.content
    return response.json()["error"]


def test_voting_twice_is_refused(ana, bea):
    poll = poll_of(ana)
    vote(bea, poll, [0])
    assert "already voted" in refusal(vote(bea, poll, [1]))
    assert PollVote.objects.count() == 1


def test_voting_in_ones_own_poll_is_refused(ana):
    assert "your own poll" in refusal(vote(ana, poll_of(ana), [0]))


def test_voting_in_an_ended_poll_is_refused(ana, bea):
    poll = poll_of(ana)
    Poll.objects.filter(pk=poll["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "ended" in refusal(vote(bea, poll, [0]))
    assert bea.get(f"/api/v1/polls/{poll['id']}").json()["expired"] is True


@pytest.mark.parametrize("choices", [[], [5], ["x"], [-1]])
def test_a_choice_that_is_not_one_is_refused(ana, bea, choices):
    assert "Choose one of the answers" in refusal(vote(bea, poll_of(ana), choices))


def test_several_choices_in_a_single_choice_poll_are_refused(ana, bea):
    assert "only one answer" in refusal(vote(bea, poll_of(ana), [0, 1]))


def test_voting_needs_a_user_token_with_write(client, make_user, ana):
    poll = poll_of(ana)
    assert client.post(f"/api/v1/polls/{poll['id']}/votes", {"choices[]": ["0"]}).status_code == 401
    reader = Api(client, make_user("cem"), scopes=("read",))
    assert vote(reader, poll, [0]).status_code == 403
