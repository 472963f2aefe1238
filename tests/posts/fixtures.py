"""Fixtures for the posting, social, timeline and notification tests: three people on this
server. Each test folder's conftest imports them."""

from __future__ import annotations

import pytest


@pytest.fixture
def ana(user):
    """The suite's ``user`` fixture (so ``logged_in`` is Ana)."""
    return user


@pytest.fixture
def bea(make_user):
    return make_user("bea")


@pytest.fixture
def cem(make_user):
    return make_user("cem")


@pytest.fixture
def as_(client):
    """as_(user) → the test client, logged in as that person."""

    def login(person):
        client.logout()
        client.force_login(person)
        return client

    return login
