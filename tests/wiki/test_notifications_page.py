"""Wiki-edit notifications on the notifications page: they name the page, unless the reader
may no longer read it."""

from __future__ import annotations

from wikisocial.communities import actions as group_actions
from wikisocial.wiki import actions


def test_a_wiki_edit_names_the_page(ana, bea, save, as_):
    page = save(ana.account, None, "Code of conduct", "Be kind.").page
    actions.watch(bea.account, page)
    save(ana.account, None, "Code of conduct", "Be kind and patient.")
    html = as_(bea).get("/notifications").content.decode()
    assert "edited the wiki page" in html
    assert "Code of conduct" in html
    assert f'{page.get_absolute_url()}?action=history"' in html


def test_a_page_the_reader_lost_access_to_keeps_its_title_hidden(
    ana, bea, make_group, add_member, save, as_
):
    group = make_group(ana.account, "board", kind="private")
    add_member(group, bea.account)
    page = save(ana.account, group, "Budget 2027", "draft").page
    actions.watch(bea.account, page)
    save(ana.account, group, "Budget 2027", "second draft")
    group_actions.remove_member(ana.account, group, bea.account)
    html = as_(bea).get("/notifications").content.decode()
    assert "edited a wiki page you watch" in html
    assert "Budget 2027" not in html
