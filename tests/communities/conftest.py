"""Fixtures for groups, the forum and (through tests/wiki) group wikis: three people and a
way to make groups of each kind."""

from __future__ import annotations

from tests.communities.fixtures import add_member, make_group  # noqa: F401
from tests.posts.fixtures import ana, bea, cem  # noqa: F401 (people for the group tests)
