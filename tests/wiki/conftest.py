"""Fixtures for groups, the forum and (through tests/wiki) group wikis: three people and a
way to make groups of each kind; for the wiki, a way to add members and to save pages."""

from __future__ import annotations

import pytest

from tests.posts.fixtures import ana, as_, bea, cem  # noqa: F401 (people for the group tests)
from wikisocial.communities import actions as group_actions
from wikisocial.communities.actions import GroupDraft, create_group
from wikisocial.wiki import actions as wiki_actions


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


@pytest.fixture
def save():
    """save(editor, group, title, text, **options): a page saved on top of its current
    revision (no conflict)."""

    def do(editor, group, title, text, markup="markdown", **options):
        from wikisocial.wiki import titles
        from wikisocial.wiki.models import Page

        page = Page.objects.in_wiki(group).filter(key=titles.title_key(title)).first()
        base = page.current_id if page is not None and page.deleted_at is None else None
        options.setdefault("base_revision_id", base)
        return wiki_actions.save_page(editor, group, title, text, markup, **options)

    return do
