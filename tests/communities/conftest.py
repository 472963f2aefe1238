"""Fixtures for groups, the forum and (through tests/wiki) group wikis: three people and a
way to make groups of each kind."""

from __future__ import annotations

import pytest

from tests.posts.fixtures import ana, bea, cem  # noqa: F401 (people for the group tests)
from wikisocial.communities.actions import GroupDraft, create_group


@pytest.fixture
def make_group(db):
    """make_group(owner, "handle", kind="public", **draft) → a group on this server."""

    def make(owner, handle: str = "wikiproject_x", kind: str = "public", **fields):
        draft = GroupDraft(name=fields.pop("name", handle.replace("_", " ").title()), kind=kind)
        for name, value in fields.items():
            setattr(draft, name, value)
        return create_group(owner, handle, draft, by_operator=True)

    return make
