"""The wiki's web pages through the test client: reading, editing (preview, errors, conflicts),
history and diffs, reverts, recent changes, links, protection, watching, deleting, raw export;
404 for everything in groups the viewer may not read."""

from __future__ import annotations

import html as html_lib

import pytest
from django.urls import reverse

from wikisocial.wiki import actions
from wikisocial.wiki.models import Page, PageWatch, Protection, Revision

pytestmark = pytest.mark.django_db

INDEX = "/wiki/"


def text_of(response) -> str:
    return html_lib.unescape(response.content.decode())


def edit_data(text: str, base=None, **extra) -> dict:
    data = {"text": text, "markup": "markdown", "summary": "", "base_revision": base or ""}
    data.update(extra)
    return data


# --- reading -----------------------------------------------------------------------------------


def test_url_names():
    assert reverse("wiki:instance-index") == "/wiki/"
    assert reverse("wiki:instance-page", kwargs={"title": "A/B"}) == "/wiki/A/B"
    assert reverse("wiki:instance-recent") == "/wiki/Special:RecentChanges"
    assert reverse("wiki:index", kwargs={"handle": "chapter"}) == "/g/chapter/wiki/"
    assert reverse("wiki:page", kwargs={"handle": "chapter", "title": "X"}) == "/g/chapter/wiki/X"
    assert reverse("wiki:recent", kwargs={"handle": "chapter"}).endswith("Special:RecentChanges")


def test_footer_links_the_help_wiki(client):
    assert f'href="{INDEX}"' in client.get(reverse("web:about")).content.decode()


def test_index_groups_subpages(client, ana, save):
    for title in ("Events", "Events/2027", "Rules", "Zeta/Only sub"):
        save(ana.account, None, title, "x")
    response = client.get(INDEX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("Events/2027") > body.index(">Events<")
    assert "<bdi>Zeta</bdi>" in body
    assert "Title of the new page" not in body  # anonymous: no create form


def test_index_create_form(logged_in):
    response = logged_in.get(INDEX, {"title": "meeting notes"})
    assert response.status_code == 302
    assert response["Location"] == "/wiki/Meeting_notes?action=edit"
    response = logged_in.get(INDEX, {"title": "bad|title"})
    assert response.status_code == 400
    assert 'value="bad|title"' in response.content.decode()
    assert "may not contain" in response.content.decode()


def test_page_view(client, ana, save):
    save(ana.account, None, "Rules", "# Be kind\n\nSee [[Code of conduct]].")
    response = client.get("/wiki/Rules")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<h2 id="Be_kind">Be kind</h2>' in body
    assert 'class="wikilink new"' in body
    assert "Last edited by" in body and "@ana" not in body.split("Last edited by")[0][-10:]
    for action in ("edit", "history", "talk", "links", "raw"):
        assert f"?action={action}" in body
    assert "Watch this page" not in body  # anonymous


def test_canonical_urls(client, ana, save):
    save(ana.account, None, "Code of conduct", "x")
    response = client.get("/wiki/code_of conduct", {"action": "history"})
    assert response.status_code == 302
    assert response["Location"] == "/wiki/Code_of_conduct?action=history"


def test_missing_page(client, logged_in):
    response = client.get("/wiki/Nothing_here")
    assert response.status_code == 404
    assert "There is no page with this title yet." in response.content.decode()
    assert "Create this page" in response.content.decode()
    logged_in.logout()
    assert "Log in to create it" in client.get("/wiki/Nothing_here").content.decode()


def test_bad_title_and_unknown_action(client, ana, save):
    assert client.get("/wiki/A//B").status_code == 400
    save(ana.account, None, "Rules", "x")
    assert client.get("/wiki/Rules", {"action": "explode"}).status_code == 404


def test_old_revision_and_raw_export(client, logged_in, ana, save):
    first = save(ana.account, None, "Rules", "first '''text'''", markup="wikitext").revision
    save(ana.account, None, "Rules", "second")
    response = logged_in.get("/wiki/Rules", {"oldid": first.pk})
    body = response.content.decode()
    assert "old revision" in body and "<strong>text</strong>" in body
    assert f'name="revision" value="{first.pk}"' in body
    raw = client.get("/wiki/Rules", {"action": "raw"})
    assert raw["Content-Type"] == "text/plain; charset=utf-8"
    assert raw.content.decode() == "second"
    assert client.get("/wiki/Rules", {"action": "raw", "oldid": first.pk}).content == (
        b"first '''text'''"
    )
    assert client.get("/wiki/Rules", {"oldid": 999999}).status_code == 404
    assert client.get("/wiki/Nope", {"action": "raw"}).status_code == 404


def test_subpages_and_breadcrumbs(client, ana, save):
    save(ana.account, None, "Events", "x")
    save(ana.account, None, "Events/2027", "x")
    save(ana.account, None, "Events/2027/Venue", "x")
    body = client.get("/wiki/Events/2027").content.decode()
    assert 'href="/wiki/Events"' in body
    assert "Subpages" in body and 'href="/wiki/Events/2027/Venue"' in body


# --- editing -----------------------------------------------------------------------------------


def test_create_through_the_form(logged_in):
    form = logged_in.get("/wiki/New_page", {"action": "edit"})
    assert form.status_code == 200
    assert "Creating" in form.content.decode()
    response = logged_in.post(
        "/wiki/New_page?action=edit", edit_data("Hello [[world]]", summary="start")
    )
    assert response.status_code == 302
    assert response["Location"] == "/wiki/New_page"
    revision = Revision.objects.get()
    assert (revision.text, revision.summary) == ("Hello [[world]]", "start")


def test_edit_form_carries_the_base(logged_in, ana, save):
    revision = save(ana.account, None, "Rules", "Old text").revision
    body = logged_in.get("/wiki/Rules", {"action": "edit"}).content.decode()
    assert "Old text</textarea>" in body
    assert "only a preview" not in body
    preview = logged_in.get("/wiki/Rules", {"action": "edit", "preview": ""})
    assert "only a preview" in preview.content.decode()
    assert f'name="base_revision" value="{revision.pk}"' in body
    response = logged_in.post("/wiki/Rules?action=edit", edit_data("New text", revision.pk))
    assert response.status_code == 302
    assert Page.objects.get().current.text == "New text"


def test_no_op_save(logged_in, ana, save):
    revision = save(ana.account, None, "Rules", "Same").revision
    data = edit_data("Same", revision.pk)
    response = logged_in.post("/wiki/Rules?action=edit", data, follow=True)
    assert "Nothing changed" in response.content.decode()
    assert Revision.objects.count() == 1


def test_preview_saves_nothing_and_keeps_the_text(logged_in):
    data = edit_data("== Part ==\n'''bold'''", markup="wikitext", preview="1")
    response = logged_in.post("/wiki/Draft?action=edit", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<strong>bold</strong>" in body
    assert "nothing is saved yet" in body
    assert "'''bold'''</textarea>" in html_lib.unescape(body)
    assert not Page.objects.exists()


def test_errors_keep_what_was_typed(logged_in):
    response = logged_in.post(
        "/wiki/Draft?action=edit", edit_data("my careful text", markup="html", summary="why")
    )
    assert response.status_code == 400
    body = text_of(response)
    assert "my careful text</textarea>" in body
    assert 'value="why"' in body
    response = logged_in.post("/wiki/Draft?action=edit", edit_data("x" * 100_001))
    assert response.status_code == 400
    assert "at most 100000 characters" in text_of(response)
    assert not Page.objects.exists()


def test_anonymous_people_cannot_edit(client, ana, save):
    revision = save(ana.account, None, "Rules", "x").revision
    response = client.get("/wiki/Rules", {"action": "edit"})
    assert response.status_code == 302 and "/login" in response["Location"]
    response = client.post("/wiki/Rules?action=edit", edit_data("vandal", revision.pk))
    assert response.status_code == 302
    assert Page.objects.get().current.text == "x"


def test_protected_page_shows_the_source_and_keeps_the_text(as_, ana, bea, save):
    page = save(ana.account, None, "Rules", "Protected text").page
    ana.is_staff = True
    ana.save()
    actions.protect(ana.account, page, Protection.MODERATORS)
    client = as_(bea)
    response = client.get("/wiki/Rules", {"action": "edit"})
    assert response.status_code == 403
    body = text_of(response)
    assert "Only the server's staff may edit this page." in body
    assert "Protected text</textarea>" in body
    response = client.post("/wiki/Rules?action=edit", edit_data("Bea's text", page.current_id))
    assert response.status_code == 403
    assert "Bea's text</textarea>" in text_of(response)
    assert Page.objects.get().current.text == "Protected text"
    assert "Protected: moderators edit" in client.get("/wiki/Rules").content.decode()


def test_conflict_view_shows_both_texts_and_the_merge(as_, ana, bea, save):
    start = save(ana.account, None, "Plan", "one\ntwo\nthree").revision
    save(ana.account, None, "Plan", "ONE\ntwo\nthree")
    response = as_(bea).post(
        "/wiki/Plan?action=edit", edit_data("one\ntwo\nTHREE", start.pk, summary="mine")
    )
    assert response.status_code == 409
    body = text_of(response)
    assert "Nothing has been saved yet" in body
    assert 'id="theirs" rows="14" readonly dir="auto">ONE\ntwo\nthree</textarea>' in body
    assert 'id="yours" rows="14" readonly dir="auto">one\ntwo\nTHREE</textarea>' in body
    assert "ONE\ntwo\nTHREE</textarea>" in body  # the merge, to confirm
    assert "changed different lines" in body
    assert "<del>" in body and "<ins>" in body
    current = Page.objects.get().current
    assert f'name="base_revision" value="{current.pk}"' in body
    assert 'value="mine"' in body
    assert Revision.objects.count() == 2


def test_conflict_on_the_same_lines_offers_your_text(as_, ana, bea, save):
    start = save(ana.account, None, "Plan", "one").revision
    save(ana.account, None, "Plan", "uno")
    response = as_(bea).post("/wiki/Plan?action=edit", edit_data("eins", start.pk))
    assert response.status_code == 409
    body = text_of(response)
    assert "changed the same lines" in body
    assert "eins</textarea>" in body and "uno</textarea>" in body


# --- history, diffs, revert --------------------------------------------------------------------


def test_history_and_diffs(logged_in, ana, save):
    first = save(ana.account, None, "Rules", "alpha beta\nsame", summary="first").revision
    second = save(ana.account, None, "Rules", "alpha gamma\nsame", minor=True).revision
    other = save(ana.account, None, "Other", "x").revision
    response = logged_in.get("/wiki/Rules", {"action": "history"})
    body = response.content.decode()
    assert response.status_code == 200
    assert f'name="old" value="{first.pk}"' in body and f'name="new" value="{second.pk}"' in body
    assert "(+15<" in body and "(+1<" in body  # 15 bytes, then 1 more
    assert ">first<" in body
    diff = logged_in.get("/wiki/Rules", {"action": "diff", "old": first.pk, "new": second.pk})
    body = diff.content.decode()
    assert "<del>beta</del>" in body and "<ins>gamma</ins>" in body
    assert "removed:" in body and "added:" in body
    assert "Undo these changes" in body
    previous = logged_in.get("/wiki/Rules", {"action": "diff", "new": second.pk})
    assert "<ins>gamma</ins>" in previous.content.decode()
    assert logged_in.get("/wiki/Rules", {"action": "diff", "new": other.pk}).status_code == 404
    assert logged_in.get("/wiki/Rules", {"action": "diff", "old": "x"}).status_code == 404


def test_revert_through_the_form(logged_in, ana, bea, save):
    first = save(ana.account, None, "Rules", "good").revision
    current = save(bea.account, None, "Rules", "bad").revision
    response = logged_in.post(
        "/wiki/Rules?action=revert",
        {"revision": first.pk, "base_revision": current.pk, "summary": "vandalism"},
    )
    assert response.status_code == 302
    page = Page.objects.get(title="Rules")
    assert page.current.text == "good" and page.current.summary == "vandalism"
    stale = logged_in.post(
        "/wiki/Rules?action=revert", {"revision": current.pk, "base_revision": current.pk}
    )
    assert stale.status_code == 302 and "action=history" in stale["Location"]
    assert logged_in.get("/wiki/Rules", {"action": "revert"}).status_code == 405


def test_recent_changes(client, ana, make_group, save):
    save(ana.account, None, "Rules", "x", summary="made it")
    save(ana.account, None, "Rules", "xy", minor=True, summary="tiny")
    group = make_group(ana.account, "chapter")
    save(ana.account, group, "Group page", "x")
    body = client.get("/wiki/Special:RecentChanges").content.decode()
    assert "made it" in body and "tiny" in body and "Group page" not in body
    assert "tiny" not in client.get("/wiki/Special:RecentChanges?hideminor=1").content.decode()
    group_body = client.get("/g/chapter/wiki/Special:RecentChanges").content.decode()
    assert "Group page" in group_body and "made it" not in group_body


def test_what_links_here(client, ana, save):
    save(ana.account, None, "Home", "See [[Rules]]")
    save(ana.account, None, "Elsewhere", "no links")
    body = client.get("/wiki/Rules", {"action": "links"}).content.decode()
    assert 'href="/wiki/Home"' in body and "Elsewhere" not in body


# --- protection, watching, deletion ------------------------------------------------------------


def test_protect_page(as_, ana, bea, make_group, add_member, save):
    group = make_group(ana.account, "chapter")
    add_member(group, bea.account)
    save(ana.account, group, "Rules", "x")
    url = "/g/chapter/wiki/Rules"
    assert as_(bea).get(url, {"action": "protect"}).status_code == 403
    client = as_(ana)
    assert client.get(url, {"action": "protect"}).status_code == 200
    response = client.post(f"{url}?action=protect", {"level": "members", "reason": "calm"})
    assert response.status_code == 302
    assert Page.objects.get().protection == "members"
    assert client.post(f"{url}?action=protect", {"level": "nobody"}).status_code == 400


def test_watch_toggle(logged_in, ana, bea, save):
    page = save(bea.account, None, "Rules", "x").page
    logged_in.post("/wiki/Rules?action=watch", {"watch": "1"})
    assert PageWatch.objects.filter(page=page, account=ana.account).exists()
    assert "Stop watching this page" in logged_in.get("/wiki/Rules").content.decode()
    logged_in.post("/wiki/Rules?action=watch", {"watch": "0"})
    assert not PageWatch.objects.filter(page=page, account=ana.account).exists()


def test_delete_and_restore(as_, ana, bea, save):
    save(bea.account, None, "Spam", "buy")
    assert as_(bea).post("/wiki/Spam?action=delete").status_code == 403
    ana.is_staff = True
    ana.save()
    client = as_(ana)
    assert client.post("/wiki/Spam?action=delete", {"reason": "spam"}).status_code == 302
    response = client.get("/wiki/Spam")
    assert response.status_code == 404 and "Restore it" in response.content.decode()
    assert client.post("/wiki/Spam?action=restore").status_code == 302
    assert client.get("/wiki/Spam").status_code == 200


# --- group wikis and privacy -------------------------------------------------------------------


def test_group_wiki_has_the_group_header(client, ana, make_group, save):
    group = make_group(ana.account, "chapter", name="Wikimedia Chapter")
    save(ana.account, group, "Home", "Welcome to [[Plans]] and [[/Sub]]")
    save(ana.account, None, "Plans", "an instance page of the same name")
    response = client.get("/g/chapter/wiki/Home")
    assert response.status_code == 200
    body = response.content.decode()
    # Links stay in the group's wiki (which has no "Plans" yet).
    assert 'href="/g/chapter/wiki/Plans?action=edit&amp;redlink=1"' in body
    assert 'href="/g/chapter/wiki/Home/Sub?action=edit&amp;redlink=1"' in body
    assert "Wikimedia Chapter" in body and "group-header" in body
    assert 'aria-current="page">Wiki<' in body.replace("\n", "")
    assert client.get("/g/chapter/wiki/").status_code == 200


GROUP_URLS = [
    ("/g/secret/wiki/", {}),
    ("/g/secret/wiki/Special:RecentChanges", {}),
    ("/g/secret/wiki/Minutes", {}),
    ("/g/secret/wiki/Minutes", {"action": "history"}),
    ("/g/secret/wiki/Minutes", {"action": "diff"}),
    ("/g/secret/wiki/Minutes", {"action": "raw"}),
    ("/g/secret/wiki/Minutes", {"action": "talk"}),
    ("/g/secret/wiki/Minutes", {"action": "links"}),
    ("/g/secret/wiki/Minutes", {"action": "edit"}),
    ("/g/secret/wiki/Minutes", {"oldid": "1"}),
    ("/g/secret/wiki/Nothing", {}),
]


@pytest.mark.parametrize("kind", ["private", "hidden"])
def test_closed_group_wikis_are_404_for_outsiders(as_, client, ana, bea, kind, make_group, save):
    group = make_group(ana.account, "secret", kind=kind)
    save(ana.account, group, "Minutes", "secret minutes")
    for url, params in GROUP_URLS:
        assert client.get(url, params).status_code == 404, (url, params)
    outsider = as_(bea)
    for url, params in GROUP_URLS:
        response = outsider.get(url, params)
        assert response.status_code == 404, (url, params)
        assert "secret minutes" not in response.content.decode()
    assert outsider.post("/g/secret/wiki/Minutes?action=edit", edit_data("x")).status_code == 404
    assert outsider.post("/g/secret/wiki/Minutes?action=watch").status_code == 404


def test_members_read_closed_group_wikis(as_, ana, bea, make_group, add_member, save):
    group = make_group(ana.account, "secret", kind="hidden")
    add_member(group, bea.account)
    save(ana.account, group, "Minutes", "secret minutes")
    client = as_(bea)
    assert "secret minutes" in client.get("/g/secret/wiki/Minutes").content.decode()
    assert client.get("/g/secret/wiki/Minutes", {"action": "raw"}).status_code == 200


def test_anonymous_people_read_open_group_wikis(client, ana, make_group, save):
    group = make_group(ana.account, "open_project", kind="restricted")
    save(ana.account, group, "Plans", "our plans")
    assert "our plans" in client.get("/g/open_project/wiki/Plans").content.decode()
    response = client.get("/g/open_project/wiki/Plans", {"action": "edit"})
    assert response.status_code == 302


def test_remote_groups_have_no_wiki_here(client, logged_in):
    from wikisocial.accounts.models import Account, ActorType
    from wikisocial.communities.models import Group

    account = Account.objects.create(
        username="lemmy_group",
        domain="lemmy.example",
        actor_type=ActorType.GROUP,
        uri="https://lemmy.example/c/lemmy_group",
    )
    Group.objects.create(account=account, kind="public")
    assert client.get("/g/lemmy_group@lemmy.example/wiki/").status_code == 404
    assert client.get("/g/lemmy_group@lemmy.example/wiki/Home").status_code == 404
    response = client.post("/g/lemmy_group@lemmy.example/wiki/Home?action=edit", edit_data("x"))
    assert response.status_code == 404
    assert not Page.objects.exists()


def test_conflict_view_when_the_page_was_deleted(as_, ana, bea, save):
    start = save(bea.account, None, "Gone", "text").revision
    ana.is_staff = True
    ana.save()
    actions.delete_page(ana.account, start.page)
    response = as_(bea).post("/wiki/Gone?action=edit", edit_data("my edit", start.pk))
    assert response.status_code == 409
    assert "my edit</textarea>" in text_of(response)
    assert '<input type="hidden" name="base_revision" id="id_base_revision">' in text_of(response)
    again = as_(bea).post("/wiki/Gone?action=edit", edit_data("my edit"))
    assert again.status_code == 302
    assert Page.objects.get().current.text == "my edit"
