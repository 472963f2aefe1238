"""Fixtures for groups, the forum and (through tests/wiki) group wikis: three people and a
way to make groups of each kind; for the wiki, a way to add members and to save pages."""

from __future__ import annotations

import pytest

from tests.communities.fixtures import add_member, make_group  # noqa: F401
from tests.posts.fixtures import ana, as_, bea, cem  # noqa: F401 (people for the group tests)
from wikisocial.wiki import actions as wiki_actions


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
