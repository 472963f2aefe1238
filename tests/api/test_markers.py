"""/api/v1/markers: reading positions, saved from form or JSON bodies, only ever moving
forward, shared with the web pages."""

from __future__ import annotations

import pytest

# The people fixtures (tests/api/conftest.py does not provide them); tests take them
# as arguments, which ruff reads as redefinitions.
from tests.timelines.helpers import Api
from wikisocial.timelines.actions import read_position
from wikisocial.timelines.models import Marker

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    def make(user=None, scopes=("read", "write")):
        return Api(client, user, scopes)

    return make


def test_save_and_read_markers(api, ana):
    caller = api(ana)
    assert caller.get("/api/v1/markers") == {}
    assert caller.get("/api/v1/markers", {"timeline[]": ["home", "notifications"]}) == {}
    saved = caller.post("/api/v1/markers", {"home[last_read_id]": "1000"}, form=True)
    assert list(saved) == ["home"]
    assert saved["home"]["last_read_id"] == "1000" and saved["home"]["version"] == 0
    assert saved["home"]["updated_at"].endswith("Z")
    saved = caller.post(
        "/api/v1/markers",
        {"home": {"last_read_id": "2000"}, "notifications": {"last_read_id": "7"}},
    )
    assert saved["home"] == {**saved["home"], "last_read_id": "2000", "version": 1}
    assert saved["notifications"]["last_read_id"] == "7"
    both = caller.get("/api/v1/markers", {"timeline[]": ["home", "notifications", "other"]})
    assert set(both) == {"home", "notifications"} and both["home"]["last_read_id"] == "2000"
    only_home = caller.get("/api/v1/markers", {"timeline[]": "home"})
    assert list(only_home) == ["home"]
    assert read_position(ana.account, Marker.HOME) == 2000  # what the web page reads too


def test_an_older_position_never_moves_the_marker_back(api, ana):
    """Two apps: the one that was behind saves an older position; no conflict, no change."""
    caller = api(ana)
    caller.post("/api/v1/markers", {"home": {"last_read_id": "500"}})
    behind = caller.post("/api/v1/markers", {"home": {"last_read_id": "300"}})
    assert behind["home"]["last_read_id"] == "500" and behind["home"]["version"] == 0
    same = caller.post("/api/v1/markers", {"home": {"last_read_id": "500"}})
    assert same["home"]["version"] == 0


def test_markers_are_per_account(api, ana, bea):
    api(ana).post("/api/v1/markers", {"home": {"last_read_id": "42"}})
    assert api(bea).get("/api/v1/markers", {"timeline[]": "home"}) == {}


def test_bad_input(api, ana):
    caller = api(ana)
    caller.post("/api/v1/markers", {"home": {"last_read_id": "abc"}}, expect=422)
    caller.post("/api/v1/markers", {"home": "123"}, expect=422)
    assert caller.post("/api/v1/markers", {"unknown": {"last_read_id": "1"}}) == {}
    api().call("get", "/api/v1/markers", expect=401)
    api(ana, scopes=("read",)).post("/api/v1/markers", {"home": {"last_read_id": "1"}}, expect=403)
    assert not Marker.objects.exists()
