"""Group fixtures shared by the group, forum and wiki tests (each folder's conftest imports
them): a way to make groups of each kind, and to bring people in."""

from __future__ import annotations

import pytest

from wikisocial.communities import actions as group_actions
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


@pytest.fixture
def add_member():
    """add_member(group, account, role="member"): in through an invitation from the owner."""

    def add(group, account, role: str = "member"):
        owner = group.memberships.get(role="owner").account
        group_actions.invite(owner, group, account)
        membership = group_actions.join(account, group)
        if role != "member":
            membership = group_actions.set_role(owner, group, account, role)
        return membership

    return add
