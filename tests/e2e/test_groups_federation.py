"""Groups across servers (FEP-1b12) end to end: real instances on loopback, each its own
processes, talking ActivityPub over real HTTP (the setup of ``test_federation``, imported).

A's ana owns a public group; bob on B finds it by its handle (``!handle@A``), joins, starts a
topic there; ana sees it and answers; bob sees the answer, announced by the group. ana locks
the topic: bob's next reply is refused (by B, which heard of the lock, and by A, when B is
made to forget it). A ban keeps bob out the same way. A private group's posts reach B only
once bob is a member, and there only bob reads them.

People act through the web pages; a few checks read a server's tables with `wikisocial
shell` (what an instance refused, which inboxes it addressed), and two steps make B forget
what it was told, to show that A enforces its own rules.
"""

from __future__ import annotations

import re
import sys
from html import unescape
from urllib.parse import urlsplit

import httpx
import pytest

from tests.cli.helpers import run_cli, unique_word, wait_until
from tests.e2e import test_federation as servers
from tests.e2e.test_federation import WAIT, Browser, Federation

# The instances on loopback, their people logged in (a fixture of the module's own scope).
fed = servers.fed

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("groups-federation")]

PUBLIC_GROUP = "wikiproject_rivers"
PRIVATE_GROUP = "chapter_board"


class _LogsOnFailure:
    """The tail of each instance's log in the report of a failing test of this module."""

    def __init__(self, federation: Federation) -> None:
        self.federation = federation

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.failed and getattr(item, "module", None) is sys.modules[__name__]:
            report.sections.append(("instance logs (last lines)", self.federation.log_tails()))


@pytest.fixture(scope="module", autouse=True)
def _logs(request, fed):
    plugin = _LogsOnFailure(fed)
    request.config.pluginmanager.register(plugin)
    yield
    request.config.pluginmanager.unregister(plugin)


# --- steps -----------------------------------------------------------------------------------


def create_group(fed: Federation, handle: str, kind: str) -> None:
    """The operator's door (`wikisocial groups create`), with ana on A as the owner."""
    a = fed.ana.instance
    args = ["groups", "create", handle, "--owner", "ana", "--kind", kind]
    result = run_cli(args, a.data, env=a.env)
    assert result.returncode == 0, result.stdout + result.stderr


def remote_group_path(fed: Federation, handle: str) -> str:
    """bob looks the group up on B by its fediverse handle; its page there."""
    bob, a = fed.bob, fed.ana.instance
    html = bob.page("/search", q=f"!{handle}@{a.domain}")
    path = f"/g/{handle}@{a.domain}"
    assert f'href="{path}"' in html, f"searching !{handle}@{a.domain} found no {path}"
    return path


def state_on(browser: Browser, group_path: str) -> str:
    html = browser.page(group_path)
    for marker, state in (
        ("You are banned from this group.", "banned"),
        ("You are a member", "member"),
        ("Your request to join is waiting", "waiting"),
    ):
        if marker in html:
            return state
    return "outside"


def join(fed: Federation, handle: str) -> str:
    """bob asks to join the group on A from B; returns the group's path on B."""
    path = remote_group_path(fed, handle)
    fed.bob.post(f"{path}/join")
    return path


def bob_joins_the_public_group(fed: Federation) -> str:
    def step() -> str:
        create_group(fed, PUBLIC_GROUP, "public")
        path = join(fed, PUBLIC_GROUP)
        wait_until(
            lambda: state_on(fed.bob, path) == "member",
            "A's Accept to make bob a member on B",
            timeout=WAIT,
        )
        return path

    return fed.ensure("bob joined the public group", step)


def new_topic(browser: Browser, group_path: str, title: str, text: str) -> str:
    """Start a topic through the web page; returns the topic's path."""
    fields = {"title": title, "text": text, "language": "en"}
    location = browser.post(f"{group_path}/new", fields).headers["location"]
    path = urlsplit(location).path
    assert re.fullmatch(rf"{re.escape(group_path)}/t/[0-9]+", path), location
    return path


def topic_path(browser: Browser, group_path: str, title: str) -> str | None:
    """The path of the topic titled ``title`` in the group's topic list, once it is there."""
    html = browser.page(group_path)
    match = re.search(rf'href="([^"]+/t/[0-9]+)"><bdi>{re.escape(title)}</bdi>', html)
    return unescape(match[1]) if match else None


def reply(browser: Browser, topic: str, text: str, *, status: int = 302):
    """Answer a topic's first post through its reply form, as a page opened before the
    topic changed would still send it; the server answers ``status``."""
    fields = {
        "csrfmiddlewaretoken": browser.client.cookies.get("csrftoken", ""),
        "text": text,
        "visibility": "public",
        "language": "en",
        "in_reply_to": topic.rsplit("/", 1)[-1],  # a topic's id is its first post's
    }
    response = browser.client.post(topic, data=fields)
    assert response.status_code == status, (topic, response.status_code, response.text[:2000])
    return response


def bobs_topic(fed: Federation) -> dict[str, str]:
    """A topic bob started on B in A's public group, as it reached A."""

    def step() -> dict[str, str]:
        group_on_b = bob_joins_the_public_group(fed)
        title = unique_word("Gauging stations")
        on_b = new_topic(fed.bob, group_on_b, title, f"Which rivers lack data? {title}")
        on_a = wait_until(
            lambda: topic_path(fed.ana, f"/g/{PUBLIC_GROUP}", title),
            f"bob's topic {title} in the group's topic list on A",
            timeout=WAIT,
        )
        return {"title": title, "on_a": on_a, "on_b": on_b}

    return fed.ensure("bob's topic", step)


def inbox_outcomes(browser: Browser, word: str) -> list[str]:
    """What ``browser``'s server did with the activities it received that carry ``word``."""
    code = (
        "import json\n"
        "from wikisocial.federation.models import InboxItem\n"
        "rows = InboxItem.objects.exclude(processed_at=None).order_by('id')\n"
        f"found = [r.outcome for r in rows if {word!r} in json.dumps(r.document)]\n"
        "print('JSON:' + json.dumps(found))\n"
    )
    return browser.instance.shell_json(code)


def addressed_domains(browser: Browser, word: str) -> set[str]:
    """The servers ``browser``'s server queued deliveries to whose body carries ``word``."""
    code = (
        "import json\n"
        "from urllib.parse import urlsplit\n"
        "from wikisocial.federation.models import Delivery\n"
        f"rows = Delivery.objects.filter(body__contains={word!r})\n"
        "print('JSON:' + json.dumps(sorted({urlsplit(r.inbox_url).netloc for r in rows})))\n"
    )
    return set(browser.instance.shell_json(code))


def on_b(fed: Federation, code: str) -> None:
    """Change something in B's tables (to make B forget what A told it)."""
    fed.bob.instance.shell_json(f"{code}\nprint('JSON:null')\n")


# --- the scenarios ---------------------------------------------------------------------------


def test_bob_on_b_joins_a_group_on_a_by_its_handle(fed):
    path = bob_joins_the_public_group(fed)
    assert path == f"/g/{PUBLIC_GROUP}@{fed.ana.instance.domain}"
    members = fed.ana.page(f"/g/{PUBLIC_GROUP}/members")
    assert f"@bob@{fed.bob.instance.domain}" in members


def test_a_topic_from_b_reaches_a_and_the_answer_comes_back(fed):
    topic = bobs_topic(fed)
    ana, bob = fed.ana, fed.bob
    assert topic["title"] in ana.page(topic["on_a"])
    answer = unique_word("Upstream")
    reply(ana, topic["on_a"], f"The upper reaches, mostly. {answer}")
    assert answer in ana.page(topic["on_a"])
    wait_until(
        lambda: answer in bob.page(topic["on_b"]),
        "ana's answer, announced by the group, on bob's topic page on B",
        timeout=WAIT,
    )


def test_a_lock_on_a_refuses_bobs_replies(fed):
    topic = bobs_topic(fed)
    ana, bob = fed.ana, fed.bob
    ana.post(f"{topic['on_a']}/lock")
    topic_id = topic["on_b"].rsplit("/", 1)[-1]
    locked_on_b = (
        "import json\nfrom wikisocial.communities.models import Topic\n"
        f"print('JSON:' + json.dumps(Topic.objects.get(post_id={topic_id}).locked))"
    )
    wait_until(lambda: bob.instance.shell_json(locked_on_b), "the Lock to reach B", timeout=WAIT)
    # B heard of the lock: bob's reply is refused there, his text kept.
    word = unique_word("late")
    refused = reply(bob, topic["on_b"], f"One more thing, {word}", status=400)
    assert "locked" in refused.text and word in refused.text
    # A server that did not hear of it would send the reply: A refuses it itself.
    on_b(
        fed,
        "from wikisocial.communities.models import Topic\n"
        f"Topic.objects.filter(post_id={topic_id}).update(locked=False)",
    )
    word = unique_word("sneaky")
    reply(bob, topic["on_b"], f"One more thing, {word}")
    outcomes = wait_until(
        lambda: inbox_outcomes(ana, word), f"A to handle bob's reply {word}", timeout=WAIT
    )
    assert outcomes == ["refused: This topic is locked: only moderators may reply."]
    assert word not in ana.page(topic["on_a"])


def test_a_ban_on_a_keeps_bob_out(fed):
    topic = bobs_topic(fed)
    ana, bob = fed.ana, fed.bob
    group_on_b = bob_joins_the_public_group(fed)
    ana.post(f"/g/{PUBLIC_GROUP}/members/bob@{bob.instance.domain}/ban", {"reason": "e2e"})
    assert f"@bob@{bob.instance.domain}" not in ana.page(f"/g/{PUBLIC_GROUP}/members")
    wait_until(lambda: state_on(bob, group_on_b) == "banned", "the ban to reach B", timeout=WAIT)
    # B refuses his posts in the group, and his asking to join again.
    title = unique_word("Banned")
    token = bob.client.cookies.get("csrftoken", "")
    response = bob.client.post(
        f"{group_on_b}/new", data={"csrfmiddlewaretoken": token, "title": title, "text": title}
    )
    assert response.status_code == 400 and "banned" in response.text
    # A server that forgot the ban would send them: A refuses both.
    on_b(fed, "from wikisocial.communities.models import GroupBan\nGroupBan.objects.all().delete()")
    new_topic(bob, group_on_b, title, f"Let me back in, {title}")
    outcomes = wait_until(
        lambda: inbox_outcomes(ana, title), f"A to handle bob's topic {title}", timeout=WAIT
    )
    assert outcomes == ["refused: You are banned from this group."]
    assert title not in ana.page(f"/g/{PUBLIC_GROUP}")
    bob.post(f"{group_on_b}/join")
    wait_until(
        lambda: state_on(bob, group_on_b) == "outside", "A's Reject of bob's Follow", timeout=WAIT
    )
    assert f"@bob@{bob.instance.domain}" not in ana.page(f"/g/{PUBLIC_GROUP}/members")
    assert topic["title"] in ana.page(f"/g/{PUBLIC_GROUP}")  # what he wrote before stays


def test_a_private_groups_posts_reach_b_only_through_a_member(fed):
    ana, bob, b = fed.ana, fed.bob, fed.bob.instance
    create_group(fed, PRIVATE_GROUP, "private")
    before = unique_word("Budget")
    new_topic(ana, f"/g/{PRIVATE_GROUP}", before, f"Draft budget, {before}")
    path = join(fed, PRIVATE_GROUP)
    assert state_on(bob, path) == "waiting"
    while_asking = unique_word("Minutes")
    new_topic(ana, f"/g/{PRIVATE_GROUP}", while_asking, f"Board minutes, {while_asking}")
    # Nothing of it was addressed to B while bob was not a member.
    assert b.domain not in addressed_domains(ana, before) | addressed_domains(ana, while_asking)
    # ana approves bob's request on A, once A has handled bob's Follow.
    pk = wait_until(
        lambda: re.search(
            r'name="request" value="([0-9]+)"', ana.page(f"/g/{PRIVATE_GROUP}/requests")
        ),
        "bob's request to reach A",
        timeout=WAIT,
    )
    ana.post(f"/g/{PRIVATE_GROUP}/requests", {"request": pk[1], "decision": "approve"})
    wait_until(lambda: state_on(bob, path) == "member", "bob a member on B", timeout=WAIT)
    after = unique_word("Agenda")
    new_topic(ana, f"/g/{PRIVATE_GROUP}", after, f"Next agenda, {after}")
    on_b_path = wait_until(
        lambda: topic_path(bob, path, after), "the private topic for bob on B", timeout=WAIT
    )
    assert b.domain in addressed_domains(ana, after)
    # Joining, B read the group's earlier topics from its outbox, which A shows to the servers
    # of its members only (a signed fetch).
    wait_until(
        lambda: topic_path(bob, path, before), "the earlier private topic on B", timeout=WAIT
    )
    # On B, only bob reads it: not another person there, not anyone logged out.
    if "bea" not in fed.people:
        b.create_account("bea", servers.PASSWORD)
        fed.people["bea"] = Browser(b, "bea")
        fed.people["bea"].login()
    bea = fed.people["bea"]
    assert after not in bea.page(path)
    assert bea.get(on_b_path).status_code == 404
    for page in ("/federated", "/local"):
        assert after not in bea.page(page)
    assert not any(after in post for post in servers.articles(bea.page("/search", q=after)))
    assert httpx.get(f"{b.url}{on_b_path}").status_code == 404
