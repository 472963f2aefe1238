"""Federation end to end: three real instances (A, B, C) on loopback, each its own processes
(`wikisocial run`: web server and worker), data folder, database, domain and port, talking
ActivityPub over real HTTP with WIKISOCIAL_DEV_FEDERATION=1.

People: ana on A; bob on B; carol (who approves her followers) and dave on C. Everything is
done as they would do it, through the web pages with a real HTTP client session each, and
checked on the pages the others see (home feeds, threads, profiles, notifications); a few
negative checks also read which inboxes an instance addressed (its Delivery rows).

The instances are started once for the module. The tests run in order and build on each
other through `Federation.ensure`, which performs a prerequisite (say, "ana follows bob") once
per instance set: a test that lands alone on an xdist worker still sets up what it needs.
With DATABASE_URL pointing at PostgreSQL, each instance gets a database of its own, dropped at
the end; without it, each uses SQLite in its data folder.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urlsplit

import httpx
import pytest

from tests.cli.helpers import JSON_MARK, unique_word, wait_until
from tests.servers import Instance, running_instances

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("federation")]

PASSWORD = "federation across three servers"
WAIT = 60  # seconds, at most, for anything to travel between instances


# --- waiting ---------------------------------------------------------------------------------


# --- reading pages ---------------------------------------------------------------------------

POST_PATH = re.compile(r"^/@[^/]+/[0-9]+$")


def articles(html: str) -> list[str]:
    """The <article> elements (posts) of a page, as HTML text."""
    return [chunk.split("</article>")[0] for chunk in html.split("<article")[1:]]


def post_path(html: str, word: str) -> str | None:
    """The permalink (/@user[@domain]/id) of the post containing ``word`` on a page."""
    for article in articles(html):
        if word in article:
            match = re.search(r'<a class="time" href="([^"]+)"', article)
            if match:
                return unescape(match[1])
    return None


def action_count(html: str, path: str, what: str) -> int:
    """The number on the like/boost button of the post at ``path`` (0 when none is shown)."""
    match = re.search(rf'action="{re.escape(path)}/{what}".*?</form>', html, re.S)
    assert match, f"no {what} button for {path} on the page"
    count = re.search(r'<span class="count">([0-9]+)</span>', match[0])
    return int(count[1]) if count else 0


def relation_state(html: str) -> str:
    """What a profile page offers the viewer: blocking, following, requested or none."""
    if ">Unblock<" in html:
        return "blocking"
    if ">Cancel follow request<" in html:
        return "requested"
    if ">Unfollow<" in html:
        return "following"
    return "none"


def follower_count(html: str) -> int:
    match = re.search(r"<strong>([0-9]+)</strong>\s*followers?<", html)
    assert match, "no follower count on the profile page"
    return int(match[1])


def inboxes_addressed(instance: Instance, post_url: str) -> list[str]:
    """The inboxes ``instance`` queued deliveries to for activities about ``post_url`` (one
    of its own posts): Create, Update, Delete."""
    code = (
        "import json\n"
        "from wikisocial.federation.models import Delivery\n"
        f"rows = Delivery.objects.filter(activity_id__startswith={post_url!r})\n"
        "urls = sorted(set(rows.values_list('inbox_url', flat=True)))\n"
        f"print({JSON_MARK!r} + json.dumps(urls))\n"
    )
    return instance.shell_json(code)


class Browser:
    """One person logged in on one instance through its web pages."""

    def __init__(self, instance: Instance, username: str) -> None:
        self.instance = instance
        self.username = username
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{instance.port}", timeout=30, follow_redirects=False
        )

    def __repr__(self) -> str:
        return f"<{self.username} on {self.instance.name}>"

    @property
    def handle(self) -> str:
        return self.instance.handle(self.username)

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.client.get(path, params=params or None)

    def page(self, path: str, **params: str) -> str:
        response = self.get(path, **params)
        assert response.status_code == 200, f"{self}: GET {path} → {response.status_code}"
        return response.text

    def post(
        self, path: str, data: dict[str, str] | None = None, *, lands: bool = True
    ) -> httpx.Response:
        """Submit a form as the browser does (with the CSRF token). It must answer with a
        redirect to a page that works (``lands``), as a browser would go on to it."""
        fields = {"csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""), **(data or {})}
        response = self.client.post(path, data=fields)
        assert response.status_code == 302, (
            f"{self}: POST {path} → {response.status_code}\n{response.text[:3000]}"
        )
        target = urlsplit(response.headers["location"])
        if not lands:
            return response
        assert not target.netloc, f"{self}: POST {path} sent us off the site: {target.geturl()}"
        landed = self.get(target._replace(scheme="").geturl())
        assert landed.status_code == 200, (
            f"{self}: POST {path} led to {target.geturl()}, which answers {landed.status_code}"
        )
        return response

    def login(self) -> None:
        self.page("/auth/login")  # the CSRF cookie
        # Accounts made on the command line have not accepted the code of conduct yet: the
        # home page sends them to it first.
        self.post("/auth/login", {"username": self.username, "password": PASSWORD}, lands=False)
        form = self.page("/settings/code-of-conduct")
        version = re.search(r'name="version" value="([0-9]+)"', form)
        if version:
            self.post("/settings/code-of-conduct", {"version": version[1], "accept": "on"})
        assert self.get("/").status_code == 200

    # what people do

    def compose(self, text: str, visibility: str = "public", **extra: str) -> str:
        """Post; returns the new post's path on this instance."""
        fields = {"text": text, "visibility": visibility, "language": "en", **extra}
        location = self.post("/compose", fields).headers["location"]
        path = urlsplit(location).path
        assert POST_PATH.match(path), f"compose went to {location}"
        return path

    def find(self, handle: str) -> str:
        """Look ``@user@domain`` up with the search box; returns its profile path here."""
        user, domain = handle.removeprefix("@").split("@")
        path = f"/@{user}@{domain}"
        html = self.page("/search", q=handle)
        assert f'href="{path}"' in html, f"{self}: searching {handle} found no {path}"
        return path

    def relation(self, profile: str) -> str:
        return relation_state(self.page(profile))

    def home_path(self, word: str) -> str | None:
        return post_path(self.page("/"), word)


# --- the federation --------------------------------------------------------------------------


@dataclass
class Federation:
    instances: dict[str, Instance]
    people: dict[str, Browser] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    memo: dict[str, object] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Browser:
        people = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)

    def ensure(self, step: str, action: Callable[[], object]) -> object:
        """Do ``action`` once (a prerequisite several tests share); returns its result."""
        if step not in self.done:
            self.memo[step] = action()
            self.done.add(step)
        return self.memo.get(step)

    def forget(self, step: str) -> None:
        self.done.discard(step)

    def log_tails(self) -> str:
        return "\n\n".join(
            f"=== instance {i.name} ({i.domain}), {i.log} ===\n{i.tail()}"
            for i in self.instances.values()
        )


class LogsOnFailure:
    """A plugin adding the tail of every instance's log to the report of a failing test of
    this module, or of ``module`` (also under xdist: the section travels with the report)."""

    def __init__(self, federation: Federation, module=None) -> None:
        self.federation = federation
        self.module = module or sys.modules[__name__]
        self.setup_failed = False

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if not report.failed or getattr(item, "module", None) is not self.module:
            return
        if report.when == "setup":  # the same failed start, told again for every test
            if self.setup_failed:
                return
            self.setup_failed = True
        report.sections.append(("instance logs (last lines)", self.federation.log_tails()))


@pytest.fixture(scope="module")
def fed(request, tmp_path_factory) -> Iterator[Federation]:
    root = tmp_path_factory.mktemp("federation")
    with running_instances(root, ["A", "B", "C"], "e2e") as instances:
        federation = Federation(instances)
        plugin = LogsOnFailure(federation)
        request.config.pluginmanager.register(plugin)
        try:
            accounts = [("A", "ana"), ("B", "bob"), ("C", "carol"), ("C", "dave")]
            with ThreadPoolExecutor(max_workers=3) as pool:
                list(
                    pool.map(
                        lambda pair: instances[pair[0]].create_account(pair[1], PASSWORD),
                        accounts,
                    )
                )
            for name, username in accounts:
                browser = Browser(instances[name], username)
                browser.login()
                federation.people[username] = browser
            yield federation
        finally:
            for browser in federation.people.values():
                browser.client.close()
            request.config.pluginmanager.unregister(plugin)


# --- shared steps ----------------------------------------------------------------------------


def follow_open_account(fed: Federation, follower: Browser, target: Browser) -> None:
    """``follower`` follows ``target`` (who does not approve followers by hand) from another
    server: the Follow goes out, the Accept comes back, and the target's server counts it."""
    profile = follower.find(target.handle)
    if follower.relation(profile) != "following":
        follower.post(f"{profile}/follow")
        wait_until(
            lambda: follower.relation(profile) == "following",
            f"{follower} to see the follow of {target.handle} accepted",
        )
    wait_until(
        lambda: follower.handle in target.page(f"/@{target.username}/followers"),
        f"{target.instance.name} to list {follower.handle} among {target.username}'s followers",
    )


def bob_followers(fed: Federation) -> set[str]:
    """Who follows bob, as bob's own server lists them (handles)."""
    html = fed.bob.page("/@bob/followers")
    return set(re.findall(r'<span class="handle">(@[^<]+)</span>', html)) - {"@bob"}


def ana_follows_bob(fed: Federation) -> None:
    fed.ensure("ana follows bob", lambda: follow_open_account(fed, fed.ana, fed.bob))


def carol_follows_bob(fed: Federation) -> None:
    fed.ensure("carol follows bob", lambda: follow_open_account(fed, fed.carol, fed.bob))


def public_post_by_bob(fed: Federation) -> dict[str, str]:
    """A public post by bob that reached ana's home feed on A: its word, and its paths on B
    (bob's server) and on A."""

    def post() -> dict[str, str]:
        ana_follows_bob(fed)
        word = unique_word("hello")
        on_b = fed.bob.compose(f"Hello from server B, {word}")
        on_a = wait_until(
            lambda: fed.ana.home_path(word), f"bob's public post {word} in ana's home feed on A"
        )
        assert on_a.startswith(f"/@bob@{fed.bob.instance.domain}/"), on_a
        return {"word": word, "on_b": on_b, "on_a": on_a}

    return fed.ensure("bob's public post", post)


def delivered_post(author: Browser, reader: Browser, text: str, **extra: str):
    """``author`` posts ``text`` (public unless told); wait until it is in ``reader``'s home
    feed. Returns (path on the author's server, path on the reader's)."""
    word = text.split()[-1]
    on_author = author.compose(text, **extra)
    on_reader = wait_until(
        lambda: reader.home_path(word), f"{author}'s post {word} in {reader}'s home feed"
    )
    assert word in reader.page(on_reader)
    return on_author, on_reader


# --- the scenarios, in order -----------------------------------------------------------------


def test_follow_across_servers_is_accepted(fed):
    profile = fed.ana.find(fed.bob.handle)
    assert fed.ana.relation(profile) == "none"
    ana_follows_bob(fed)
    assert fed.ana.relation(profile) == "following"
    # bob's server counts the follower and lists ana.
    assert bob_followers(fed) == {fed.ana.handle}
    assert follower_count(fed.bob.page("/@bob")) == 1
    # ana's own server counts and lists whom she follows.
    assert re.search(r"<strong>1</strong>\s*following", fed.ana.page("/@ana"))
    assert fed.bob.handle in fed.ana.page("/@ana/following")


def test_locked_account_approval(fed):
    carol, ana = fed.carol, fed.ana
    carol.post("/settings/profile", {"display_name": "Carol", "locked": "on"})
    assert "Approves followers" in carol.page("/@carol")
    profile = ana.find(carol.handle)
    ana.post(f"{profile}/follow")
    assert ana.relation(profile) == "requested"
    approve = wait_until(
        lambda: re.search(
            r'action="(/follow-requests/[0-9]+/approve)"', carol.page("/follow-requests")
        ),
        "ana's follow request on carol's /follow-requests page on C",
    )
    assert ana.handle in carol.page("/follow-requests")
    assert "asked to follow you" in carol.page("/notifications")
    # Still waiting: nothing was approved yet.
    assert ana.relation(profile) == "requested"
    carol.post(approve[1])
    wait_until(
        lambda: ana.relation(profile) == "following",
        "carol's approval (Accept) to reach A",
    )
    assert ana.handle in carol.page("/@carol/followers")
    assert "No one is waiting" in carol.page("/follow-requests")


def test_public_post_reaches_followers_home_feed(fed):
    post = public_post_by_bob(fed)
    # The copy on A is bob's post, shown as his, with his text.
    html = fed.ana.page(post["on_a"])
    assert post["word"] in html
    assert fed.bob.handle in html


def test_reply_threading_both_ways(fed):
    post = public_post_by_bob(fed)
    ana, bob = fed.ana, fed.bob
    reply_word = unique_word("reply")
    reply_on_a = ana.compose(
        f"{bob.handle} Nice one, {reply_word}",
        in_reply_to=post["on_a"].rsplit("/", 1)[1],
    )
    assert reply_on_a.startswith("/@ana/")
    # On B, ana's reply is in the thread under bob's post.
    reply_on_b = wait_until(
        lambda: post_path(bob.page(post["on_b"]), reply_word),
        "ana's reply in the thread of bob's post on B",
    )
    assert reply_on_b.startswith(f"/@ana@{ana.instance.domain}/")
    assert "replied to you" in bob.page("/notifications") or "mentioned you" in bob.page(
        "/notifications"
    )
    # bob answers the reply; on A it hangs under ana's reply, under bob's post.
    answer_word = unique_word("answer")
    bob.compose(f"{ana.handle} Thanks, {answer_word}", in_reply_to=reply_on_b.rsplit("/", 1)[1])
    thread = wait_until(
        lambda: (html := ana.page(post["on_a"])) and answer_word in html and html,
        "bob's answer in the thread of his post on A",
    )
    posts = "".join(articles(thread))
    order = [posts.index(w) for w in (post["word"], reply_word, answer_word)]
    assert order == sorted(order), "the thread on A is not in reply order"
    answer_on_a = post_path(thread, answer_word)
    assert answer_on_a and answer_on_a.startswith(f"/@bob@{bob.instance.domain}/")
    # From the answer's own page on A, both ancestors are there, in order.
    posts = "".join(articles(ana.page(answer_on_a)))
    assert all(w in posts for w in (post["word"], reply_word, answer_word))
    order = [posts.index(w) for w in (post["word"], reply_word, answer_word)]
    assert order == sorted(order), "the answer's ancestors on A are missing or out of order"


def test_like_and_boost_counts(fed):
    post = public_post_by_bob(fed)
    ana, bob = fed.ana, fed.bob
    before = bob.page(post["on_b"])
    likes, boosts = (
        action_count(before, post["on_b"], "like"),
        action_count(before, post["on_b"], "boost"),
    )
    ana.post(f"{post['on_a']}/like", {"next": post["on_a"]})
    ana.post(f"{post['on_a']}/boost", {"next": post["on_a"]})
    mine = ana.page(post["on_a"])
    assert action_count(mine, post["on_a"], "like") == likes + 1
    assert action_count(mine, post["on_a"], "boost") == boosts + 1

    def counted() -> bool:
        html = bob.page(post["on_b"])
        return (
            action_count(html, post["on_b"], "like") == likes + 1
            and action_count(html, post["on_b"], "boost") == boosts + 1
        )

    wait_until(counted, "the like and the boost to be counted on bob's post on B")
    notes = bob.page("/notifications")
    assert "liked your post" in notes
    assert "boosted your post" in notes
    assert f"/@ana@{ana.instance.domain}" in notes


def test_edit_propagates(fed):
    ana_follows_bob(fed)
    ana, bob = fed.ana, fed.bob
    old = unique_word("draft")
    on_b, on_a = delivered_post(bob, ana, f"First version, {old}")
    new = unique_word("revised")
    bob.post(f"{on_b}/edit", {"text": f"Second version, {new}", "language": "en"})
    assert new in bob.page(on_b)
    wait_until(lambda: new in ana.page(on_a), f"bob's edit ({new}) to show on A")
    html = ana.page(on_a)
    assert old not in html.split('class="post-actions"')[0]
    assert '/history">edited</a>' in html  # marked as edited, with a link to the history


def test_delete_propagates(fed):
    ana_follows_bob(fed)
    ana, bob = fed.ana, fed.bob
    word = unique_word("doomed")
    on_b, on_a = delivered_post(bob, ana, f"Soon gone, {word}")
    bob.post(f"{on_b}/delete")
    assert bob.get(on_b).status_code == 404
    wait_until(lambda: ana.get(on_a).status_code == 404, "the deleted post to be gone on A")
    assert word not in ana.page("/")


def test_followers_only_post_reaches_exactly_the_followers(fed):
    ana_follows_bob(fed)
    carol_follows_bob(fed)
    ana, bob, carol, dave = fed.ana, fed.bob, fed.carol, fed.dave
    word = unique_word("private")
    on_b = bob.compose(f"Only for my followers, {word}", visibility="private")
    wait_until(lambda: ana.home_path(word), "the followers-only post in ana's home feed on A")
    on_c = wait_until(
        lambda: carol.home_path(word), "the followers-only post in carol's home feed on C"
    )
    # dave is on the same server as carol, but does not follow bob: C holds the post and
    # must not show it to him, however he asks.
    assert word not in dave.page("/")
    assert dave.get(on_c).status_code == 404
    assert word not in dave.page(f"/@bob@{bob.instance.domain}")
    assert word not in dave.page("/search", q=f"{bob.instance.url}{on_b}")
    assert word not in dave.page("/federated")
    # Nor is it public on B.
    assert httpx.get(f"{bob.instance.url}{on_b}").status_code == 404


def test_direct_post_reaches_only_the_mentioned(fed):
    ana_follows_bob(fed)
    ana, bob, carol, dave = fed.ana, fed.bob, fed.carol, fed.dave
    bob.find(carol.handle)  # bob's server learns of carol (mentions need a known account)
    word = unique_word("secret")
    on_b = bob.compose(f"{carol.handle} just between us, {word}", visibility="direct")
    notes = wait_until(
        lambda: (html := carol.page("/notifications")) and word in html and html,
        "the direct post among carol's notifications on C",
    )
    assert "mentioned you" in notes
    on_c = re.search(
        r'<blockquote class="notification-post"[^>]*><a href="([^"]+)">[^<]*' + word, notes
    )
    assert on_c, "no link to the direct post in carol's notifications"
    assert word in carol.page(unescape(on_c[1]))
    # Nobody else: not dave on the same server, not ana who follows bob.
    assert dave.get(unescape(on_c[1])).status_code == 404
    assert word not in dave.page("/")
    assert word not in dave.page("/notifications")
    # B addressed carol's server only (a direct post never goes to followers' servers) ...
    inboxes = inboxes_addressed(bob.instance, f"{bob.instance.url}{on_b}")
    assert inboxes and all(urlsplit(i).netloc == carol.instance.domain for i in inboxes), inboxes
    # ... and will not hand it to A when asked for it.
    assert word not in ana.page("/")
    assert word not in ana.page("/search", q=f"{bob.instance.url}{on_b}")


def test_profile_update_propagates(fed):
    ana_follows_bob(fed)
    ana, bob = fed.ana, fed.bob
    name = unique_word("Robert")
    bob.post("/settings/profile", {"display_name": name})
    assert name in bob.page("/@bob")
    profile = f"/@bob@{bob.instance.domain}"
    wait_until(lambda: name in ana.page(profile), "bob's new display name on A")


def test_unfollow(fed):
    ana_follows_bob(fed)
    ana, bob = fed.ana, fed.bob
    before = bob_followers(fed)
    assert ana.handle in before
    count = follower_count(bob.page("/@bob"))
    profile = f"/@bob@{bob.instance.domain}"
    ana.post(f"{profile}/unfollow")
    fed.forget("ana follows bob")
    assert ana.relation(profile) == "none"
    wait_until(lambda: ana.handle not in bob_followers(fed), "the Undo Follow to reach B")
    assert bob_followers(fed) == before - {ana.handle}
    assert follower_count(bob.page("/@bob")) == count - 1
    # bob's next post no longer reaches her.
    carol_follows_bob(fed)
    word = unique_word("after")
    bob.compose(f"After the unfollow, {word}")
    wait_until(lambda: fed.carol.home_path(word), "bob's post in carol's home feed on C")
    assert word not in ana.page("/")


def test_block(fed):
    ana_follows_bob(fed)
    carol_follows_bob(fed)
    ana, bob = fed.ana, fed.bob
    on_b = fed.bob.find(ana.handle)
    bob.post(f"{on_b}/block")
    fed.forget("ana follows bob")
    assert bob.relation(on_b) == "blocking"
    assert ana.handle not in bob_followers(fed)
    wait_until(
        lambda: bob.handle not in ana.page("/@ana/following"),
        "the Block to end ana's follow of bob on A",
    )
    # bob's new posts reach his followers, not ana.
    word = unique_word("blocked")
    post_on_b = bob.compose(f"After the block, {word}")
    wait_until(lambda: fed.carol.home_path(word), "bob's post in carol's home feed on C")
    assert word not in ana.page("/")
    inboxes = inboxes_addressed(bob.instance, f"{bob.instance.url}{post_on_b}")
    assert inboxes and all(urlsplit(i).netloc != ana.instance.domain for i in inboxes), inboxes
