"""Groups, in a real browser, by mouse and by keyboard alone: create a group, join it as
someone else, open a topic and reply to it, write a wiki page, edit it and read the diff
(in a group's wiki and in the server's help wiki)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.conftest import make_accounts
from tests.browser.person import Person, step, unique_name
from tests.servers import Instance

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

BY = pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])


def make_group(instance: Instance, owner: str, handle: str, *members: str) -> None:
    """A public group owned by ``owner`` with ``members`` in it, made on the command line
    (for the flows that start from an existing group)."""
    code = (
        "import json\n"
        "from wikisocial.accounts.models import Account\n"
        "from wikisocial.communities import actions\n"
        "def account(name):\n"
        "    return Account.objects.local().get(username=name)\n"
        f"group = actions.create_group(account({owner!r}), {handle!r},\n"
        f"    actions.GroupDraft(name={handle!r} + ' people'), by_operator=True)\n"
        f"for name in {list(members)!r}:\n"
        "    actions.join(account(name), group)\n"
        "group.refresh_from_db()\n"
        "print('JSON:' + json.dumps(group.members_count))\n"
    )
    assert instance.shell_json(code) == 1 + len(members)


def main(person: Person) -> Locator:
    return person.page.get_by_role("main")


def expect_path(person: Person, path: str) -> None:
    """The page open is at ``path`` (any query or fragment aside), once it has loaded."""
    expect(person.page).to_have_url(re.compile(re.escape(person.base_url + path) + r"([?#].*)?$"))


@BY
def test_create_a_group(people, site, keyboard):
    owner = unique_name("own")
    make_accounts(site, owner)
    handle = unique_name("grp")
    name = f"Birdwatchers {handle[-4:]}"
    ana = people(owner, keyboard=keyboard)
    page = ana.page

    with step("open the groups directory from the main navigation"):
        ana.click(ana.nav.get_by_role("link", name="Groups"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Groups")
    with step("follow the link to create a group"):
        ana.click(page.get_by_role("link", name="Create a group"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Create a group")
    with step("fill in the group's form, with a handle someone has already"):
        ana.fill(page.get_by_label("Handle"), owner)
        ana.fill(page.get_by_label("Name", exact=True), name)
        ana.fill(page.get_by_label("Description"), "We count *birds* in the city park.")
        ana.check(page.get_by_role("radio", name=re.compile(r"^Public")))
        ana.submit(page.get_by_role("button", name="Create the group"))
    with step("the taken handle is refused next to its field, and nothing typed is lost"):
        summary = page.get_by_role("alert")
        expect(summary).to_contain_text("Please correct what is marked below.")
        expect(summary).to_be_focused()  # read first, and the next Tab goes on into the form
        expect(page.get_by_label("Handle")).to_have_attribute("aria-invalid", "true")
        expect(main(ana)).to_contain_text("That name is taken by a person or another group.")
        expect(page.get_by_label("Name", exact=True)).to_have_value(name)
        expect(page.get_by_label("Description")).to_have_value("We count *birds* in the city park.")
        expect(page.get_by_role("radio", name=re.compile(r"^Public"))).to_be_checked()
    with step("choose another handle and create the group"):
        ana.fill(page.get_by_label("Handle"), handle)
        ana.submit(page.get_by_role("button", name="Create the group"))
        expect_path(ana, f"/g/{handle}")
    with step("the group's page shows it, with its creator as owner"):
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        expect(main(ana)).to_contain_text("Your group has been created.")
        expect(main(ana)).to_contain_text("You own this group")
        expect(main(ana)).to_contain_text("1 member")
    with step("the About page names the creator as the owner"):
        ana.click(page.get_by_role("navigation", name="Group").get_by_role("link", name="About"))
        moderators = page.get_by_role("region", name="Moderators")
        expect(moderators.get_by_role("listitem")).to_contain_text(owner)
        expect(moderators.get_by_role("listitem")).to_contain_text(
            re.compile("owner", re.IGNORECASE)
        )
        expect(main(ana)).to_contain_text("birds")


@BY
def test_join_a_group(people, site, keyboard):
    owner, joiner = unique_name("own"), unique_name("join")
    make_accounts(site, owner, joiner)
    handle = unique_name("grp")
    make_group(site, owner, handle)
    bea = people(joiner, keyboard=keyboard)
    page = bea.page

    with step("find the group in the directory"):
        bea.click(bea.nav.get_by_role("link", name="Groups"))
        bea.fill(page.get_by_role("search").get_by_label("Name"), handle)
        bea.submit(page.get_by_role("button", name="Show"))
        bea.click(page.get_by_role("link", name=re.compile(handle)))
        expect_path(bea, f"/g/{handle}")
    with step("join the group"):
        bea.submit(page.get_by_role("button", name="Join", exact=True))
    with step("the group's page shows the new member"):
        expect(main(bea)).to_contain_text("You are a member of this group now.")
        expect(main(bea).get_by_text("You are a member", exact=True)).to_be_visible()
        expect(main(bea)).to_contain_text("2 members")
        expect(page.get_by_role("link", name="Leave")).to_be_visible()

    ana = people(owner, keyboard=keyboard)
    with step("the owner sees the new member in the member list"):
        ana.go(f"/g/{handle}")
        ana.click(
            ana.page.get_by_role("navigation", name="Group").get_by_role("link", name="Members")
        )
        members = ana.page.get_by_role("region", name="Members")
        expect(members.get_by_role("listitem").filter(has_text=joiner)).to_have_count(1)
        expect(members.get_by_role("listitem").filter(has_text=owner)).to_contain_text(
            re.compile("owner", re.IGNORECASE)
        )


@BY
def test_topic_and_reply(people, site, keyboard):
    owner, starter = unique_name("own"), unique_name("topic")
    make_accounts(site, owner, starter)
    handle = unique_name("grp")
    make_group(site, owner, handle, starter)
    title = f"Spring count {handle[-4:]}"
    bea = people(starter, keyboard=keyboard)

    with step("start a topic in the group's forum"):
        bea.go(f"/g/{handle}")
        bea.click(bea.page.get_by_role("link", name="New topic"))
        expect(bea.page.get_by_role("heading", level=1)).to_have_text("New topic")
        bea.fill(bea.page.get_by_label("Title"), title)
        bea.fill(bea.page.get_by_label("What is it about?"), "Who comes on Saturday at 7?")
        bea.submit(bea.page.get_by_role("button", name="Start the topic"))
    with step("the new topic shows"):
        expect(bea.page.get_by_role("heading", level=1)).to_have_text(title)
        expect(main(bea)).to_contain_text("Who comes on Saturday at 7?")
    with step("the topic is in the group's topic list"):
        bea.click(bea.page.get_by_role("link", name=f"{handle} people"))
        topics = bea.page.get_by_role("region", name="Topics")
        expect(topics.get_by_role("link", name=title)).to_be_visible()

    ana = people(owner, keyboard=keyboard)
    with step("the owner opens the topic from the forum"):
        ana.go(f"/g/{handle}")
        ana.click(ana.page.get_by_role("link", name=title))
        expect(ana.page.get_by_role("heading", level=1)).to_have_text(title)
    with step("the owner replies"):
        ana.fill(ana.page.get_by_label("Your reply"), "I'll bring the binoculars.")
        ana.submit(ana.page.get_by_role("button", name="Reply", exact=True))
        replies = ana.page.get_by_role("region", name=re.compile(r"^1 reply"))
        expect(replies).to_contain_text("I'll bring the binoculars.")

    with step("the topic's author sees the reply in the topic"):
        bea.go(f"/g/{handle}")
        row = bea.page.get_by_role("listitem").filter(has=bea.page.get_by_role("link", name=title))
        expect(row.get_by_role("definition").first).to_have_text("1")  # replies
        bea.click(bea.page.get_by_role("link", name=title))
        replies = bea.page.get_by_role("region", name=re.compile(r"^1 reply"))
        expect(replies).to_contain_text("I'll bring the binoculars.")
        expect(replies).to_contain_text(owner)
    with step("the topic's author is notified of the reply"):
        bea.click(bea.nav.get_by_role("link", name=re.compile(r"^Notifications")))
        notice = main(bea).get_by_role("listitem").filter(has_text="replied")
        expect(notice.first).to_contain_text(owner)


def write_and_diff(person: Person, title: str) -> None:
    """From the wiki's index (open already): create a page, edit one line with a summary,
    and compare the two revisions from the page's history."""
    page = person.page
    tabs = page.get_by_role("navigation", name="This page")
    with step("create a page from the wiki's index"):
        person.fill(page.get_by_label("Title of the new page"), title)
        person.submit(page.get_by_role("button", name="Create or open the page"))
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Creating {title}")
        person.fill(
            page.get_by_label("Text", exact=True),
            "# Meeting\n\nWe meet on Monday at the library.\n\nBring a pencil.\n",
        )
        person.fill(page.get_by_label("Edit summary"), "first notes")
        person.submit(page.get_by_role("button", name="Save", exact=True))
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(main(person)).to_contain_text("We meet on Monday at the library.")
    with step("edit a line of the page, with an edit summary"):
        person.click(tabs.get_by_role("link", name="Edit"))
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Editing {title}")
        person.fill(
            page.get_by_label("Text", exact=True),
            "# Meeting\n\nWe meet on Tuesday at the library.\n\nBring a pencil.\n",
        )
        person.fill(page.get_by_label("Edit summary"), "moved to Tuesday")
        person.submit(page.get_by_role("button", name="Save", exact=True))
        expect(main(person)).to_contain_text("Your edit was saved.")
        expect(main(person)).to_contain_text("We meet on Tuesday at the library.")
    with step("open the page's history"):
        person.click(tabs.get_by_role("link", name="History"))
        revisions = page.get_by_role("table")
        expect(revisions.get_by_role("row")).to_have_count(3)  # the heads and two revisions
        expect(revisions).to_contain_text("moved to Tuesday")
        expect(revisions).to_contain_text("first notes")
    with step("compare the two revisions"):
        person.submit(page.get_by_role("button", name="Compare the chosen revisions"))
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Differences in {title}")
    with step("the diff shows the removed and the added text"):
        diff = page.locator("table.wiki-diff")
        expect(diff.locator("tr.diff-removed")).to_contain_text("Monday")
        expect(diff.locator("tr.diff-added")).to_contain_text("Tuesday")
        expect(diff.locator("del")).to_have_text("Monday")
        expect(diff.locator("ins")).to_have_text("Tuesday")
        expect(main(person)).to_contain_text("moved to Tuesday")
    with step("the diff is readable: its table fits the page, changes are named"):
        expect(diff.locator("tr.diff-removed")).to_contain_text("removed:")
        expect(diff.locator("tr.diff-added")).to_contain_text("added:")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the diff page scrolls sideways by {overflow}px"


@BY
def test_group_wiki_edit_and_diff(people, site, keyboard):
    owner = unique_name("own")
    make_accounts(site, owner)
    handle = unique_name("grp")
    make_group(site, owner, handle)
    ana = people(owner, keyboard=keyboard)
    with step("open the wiki from the group's page"):
        ana.go(f"/g/{handle}")
        ana.click(ana.page.get_by_role("navigation", name="Group").get_by_role("link", name="Wiki"))
        expect_path(ana, f"/g/{handle}/wiki/")
    write_and_diff(ana, f"Plans {handle[-4:]}")


@BY
def test_help_wiki_edit_and_diff(people, site, keyboard):
    writer = unique_name("wiki")
    make_accounts(site, writer)
    ana = people(writer, keyboard=keyboard)
    with step("open the help wiki from the page footer"):
        ana.click(ana.page.get_by_role("contentinfo").get_by_role("link", name="Help"))
        expect_path(ana, "/wiki/")
    write_and_diff(ana, f"Guide {writer[-6:]}")
