"""A walk through groups, the forum and the wikis the way people use them, page by page.

A chapter organiser creates a restricted group, a newcomer finds it and asks to join, they
talk in the forum (tags, wikilinks, replies as a tree and in order, reactions, a solution),
the topic heats up and slows itself down, moderators lock, pin, move and split, someone is
banned and sees why, watching levels decide the notifications; the group writes its wiki
(wikitext, a conflict merged by hand, history, diff, revert, protection, a talk page, recent
changes, what links here, raw export); outsiders meet a private and a hidden group; and the
main pages come out in Spanish.

Every HTML page on the way is checked as a person with a screen reader, a browser and a
translator would meet it: the expected status, no template syntax left, one ``<h1>`` first
and no skipped heading levels, a label for every control, and on group, forum and wiki pages
every link and form leads somewhere (each link is fetched once, as the same person).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import Resolver404, resolve

from tests.communities.test_forum import answer, start
from tests.posts.fixtures import as_  # noqa: F401 (the fixture behind ``walk``)
from wikisocial.communities import actions, forum
from wikisocial.communities.models import ForumCategory, Group, JoinRequest, Topic
from wikisocial.notifications.models import Notification
from wikisocial.posts.models import Post
from wikisocial.wiki import actions as wiki_actions
from wikisocial.wiki.models import Page

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
UNLABELLED_TYPES = {"hidden", "submit", "button", "image", "reset"}
# Where user content sits in our templates: names and titles in <bdi>, posts in .content,
# rendered markup in .prose / .wiki-content, anything typed with dir="auto".
USER_CONTENT_CLASSES = {"content", "prose", "wiki-content", "handle", "topic-tag"}
# Words of English chrome that have no business on a Spanish page.
ENGLISH_CHROME = """
    the and you your this with from for only who may will has have are is be by here what
    when reply replies topic topics members member edit history watch watching join leave
    settings page pages read new all more show save group groups moderators moderator slow
    mode locked pinned solved solution delete recent changes links source create ask request
    about rules category categories tags title text summary minor preview cancel back next
    previous older newer nobody yet there log notifications banned until
"""
ENGLISH = frozenset(ENGLISH_CHROME.split())
SCAFFOLD = ("{{", "{%", "%}", "}}")


# --- reading a page as a person would ---------------------------------------------------------


@dataclass
class Control:
    tag: str
    type: str
    id: str
    labelled: bool


@dataclass
class Reading:
    """What a page offers: headings, links, forms, controls and labels, and its chrome's
    text (what the interface says, user content left out)."""

    headings: list[tuple[int, str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    forms: list[tuple[str, str]] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
    label_targets: set[str] = field(default_factory=set)
    chrome: list[str] = field(default_factory=list)

    def unlabelled(self) -> list[Control]:
        return [c for c in self.controls if not c.labelled and c.id not in self.label_targets]


class Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.reading = Reading()
        self.stack: list[tuple[str, bool]] = []  # (tag, user content or script)
        self.in_main = False
        self.heading: list = []

    def _hidden(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def _inside(self, tag: str) -> bool:
        return any(t == tag for t, _skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "main":
            self.in_main = True
        self._read(tag, a)
        if tag in VOID:
            return
        classes = set(a.get("class", "").split())
        skip = (
            tag in ("script", "style", "bdi", "textarea", "code", "pre", "time")
            or bool(classes & USER_CONTENT_CLASSES)
            or a.get("dir") == "auto"
        )
        self.stack.append((tag, skip))
        if re.fullmatch(r"h[1-6]", tag):
            self.heading = [int(tag[1]), ""]

    def _read(self, tag: str, a: dict) -> None:
        reading = self.reading
        if tag == "a" and "href" in a:
            reading.links.append(a["href"])
        elif tag == "form":
            reading.forms.append((a.get("method", "get").lower(), a.get("action", "")))
        elif tag == "label" and a.get("for"):
            reading.label_targets.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            kind = a.get("type", "text") if tag == "input" else tag
            if kind not in UNLABELLED_TYPES:
                labelled = bool(a.get("aria-label") or a.get("aria-labelledby"))
                labelled = labelled or self._inside("label")
                reading.controls.append(Control(tag, kind, a.get("id", ""), labelled))
        if self.in_main and not self._hidden():
            for name in ("title", "aria-label", "alt", "placeholder"):
                if a.get(name):
                    reading.chrome.append(a[name])

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag) and self.heading:
            self.reading.headings.append((self.heading[0], self.heading[1].strip()))
            self.heading = []
        if tag == "main":
            self.in_main = False
        if any(t == tag for t, _s in self.stack):
            while self.stack and self.stack.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self.heading:
            self.heading[1] += data
        if self.in_main and not self._hidden() and data.strip():
            self.reading.chrome.append(data)


def read(html: str) -> Reading:
    reader = Reader()
    reader.feed(html)
    reader.close()
    return reader.reading


def english_words(reading: Reading) -> set[str]:
    words = re.findall(r"[A-Za-z]+", " ".join(reading.chrome))
    return {w.lower() for w in words} & ENGLISH


# --- walking ----------------------------------------------------------------------------------


class Walk:
    """The test client, walked by one person at a time; every HTML page it sees is checked,
    and on group, forum and wiki pages every link is followed once."""

    def __init__(self, client, login) -> None:
        self.client = client
        self.login = login
        self.who = None
        self.followed: set[tuple[object, str]] = set()
        self.pages_checked = 0

    def as_(self, user) -> Walk:
        self.who = user
        if user is None:
            self.client.logout()
        else:
            self.login(user)
        return self

    def get(self, url: str, status: int = 200, follow_links: bool = True, **headers) -> str:
        response = self.client.get(url, **headers)
        assert response.status_code == status, (url, response.status_code)
        if status in (301, 302):
            return response["Location"]
        html = response.content.decode()
        self.check(url, html, follow_links)
        return html

    def post(self, url: str, data: dict | None = None, status: int = 302) -> str:
        """POST; a redirect is followed (that page is checked too) and its HTML returned."""
        response = self.client.post(url, data or {})
        assert response.status_code == status, (url, response.status_code)
        if status != 302:
            html = response.content.decode()
            self.check(url, html, follow_links=False)
            return html
        return self.get(response["Location"])

    def check(self, url: str, html: str, follow_links: bool = True) -> Reading:
        self.pages_checked += 1
        for syntax in SCAFFOLD:
            assert syntax not in _without_textareas(html), (url, syntax)
        page = read(html)
        levels = [level for level, _text in page.headings]
        assert levels and levels[0] == 1, (url, page.headings[:3])
        assert levels.count(1) == 1, (url, page.headings)
        skipped = [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]
        assert not skipped, (url, page.headings)
        assert not page.unlabelled(), (url, page.unlabelled())
        if follow_links and _ours(url):
            self._follow(url, page)
        return page

    def _follow(self, url: str, page: Reading) -> None:
        for method, action in page.forms:
            target = _internal(url, action or url)
            if target is None:
                continue
            if method == "post":
                try:
                    resolve(urlsplit(target).path)
                except Resolver404:
                    pytest.fail(f"{url}: a form posts to {target}, which is nowhere")
            else:
                self._visit(url, target)
        for href in page.links:
            target = _internal(url, href)
            if target is not None and target != url:
                self._visit(url, target)

    def _visit(self, source: str, target: str) -> None:
        key = (getattr(self.who, "pk", None), target)
        if key in self.followed or target.startswith(("/static/", "/media/")):
            return
        self.followed.add(key)
        response = self.client.get(target)
        status = response.status_code
        # Someone who may not edit a wiki page sees its source and why: 403 by design.
        fine = status < 400 or (status == 403 and "action=edit" in target)
        assert fine, f"{source} links to {target}: {status}"
        html = response["Content-Type"].startswith("text/html")
        if status == 200 and html and _ours(target):
            self.check(target, response.content.decode(), follow_links=False)


def _without_textareas(html: str) -> str:
    """What people typed is shown back in text areas exactly as typed."""
    return re.sub(r"<textarea[^>]*>.*?</textarea>", "", html, flags=re.S)


def _ours(url: str) -> bool:
    path = urlsplit(url).path
    return path.startswith(("/g/", "/groups", "/wiki/"))


def _internal(base: str, href: str) -> str | None:
    """The path and query of a link on this site (None for other sites and fragments)."""
    if href.startswith(("#", "mailto:", "javascript:")):
        return None
    absolute = urljoin(f"http://testserver{base}", href)
    parts = urlsplit(absolute)
    if parts.netloc != "testserver":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def walk(client, as_):  # noqa: F811 (the fixture imported above)
    return Walk(client, as_)


@pytest.fixture
def dan(make_user):
    return make_user("dan")


def topic_url(topic: Topic) -> str:
    return f"/g/{topic.group.url_handle}/t/{topic.pk}"


# --- groups and their forum -------------------------------------------------------------------


def test_a_chapter_gathers_its_people_and_talks_in_its_forum(walk, ana, bea, cem, dan):
    # Ana, a chapter organiser, creates a restricted group with questions.
    walk.as_(ana)
    html = walk.get("/groups/new")
    assert "Public: anyone reads, anyone joins" in html
    data = {
        "handle": "wmxx",
        "name": "Wikimedia XX",
        "description": "The *chapter* of XX.",
        "rules": "Be kind.",
        "kind": "restricted",
        "category": "chapter",
        "language": "es",
        "questions": "Why do you want to join?\nWhich wiki do you edit?",
    }
    html = walk.post("/groups/new", {**data, "name": ""}, status=400)
    assert "Which wiki do you edit?" in html and "The *chapter* of XX." in html
    html = walk.post("/groups/new", data)
    assert "Your group has been created." in html
    chapter = Group.objects.get(account__username="wmxx")

    # Bea, new here, finds it in the directory and asks to join, answering the questions.
    walk.as_(bea)
    html = walk.get("/groups?q=wikimedia")
    assert 'href="/g/wmxx"' in html and "The chapter of XX." in html
    html = walk.get("/g/wmxx")
    assert "Ask to join" in html
    html = walk.get("/g/wmxx/join")
    assert "Why do you want to join?" in html and "Be kind." in html
    html = walk.post("/g/wmxx/join", {"answer_0": "Editathons"}, status=400)
    assert "Editathons" in html
    html = walk.post("/g/wmxx/join", {"answer_0": "Editathons", "answer_1": "eswiki"})
    assert "waiting for a moderator" in html

    # Ana approves the request she is told about.
    walk.as_(ana)
    html = walk.get("/notifications", follow_links=False)
    assert "/g/wmxx/requests" in html
    html = walk.get("/g/wmxx/requests")
    assert "Editathons" in html and "eswiki" in html
    request = JoinRequest.objects.get(group=chapter, account=bea.account)
    walk.post("/g/wmxx/requests", {"request": request.pk, "decision": "approve"})
    for person in (cem, dan):
        actions.invite(ana.account, chapter, person.account)
        actions.join(person.account, chapter)
    walk.post("/g/wmxx/members/cem/role", {"role": "moderator"})
    walk.as_(bea)
    assert "You are a member" in walk.get("/g/wmxx/about")

    # Ana sorts the forum into categories.
    walk.as_(ana)
    walk.get("/g/wmxx/categories")
    for name in ("Eventos", "Ayuda"):
        walk.post("/g/wmxx/categories", {"op": "create", "new-name": name})
    events = ForumCategory.objects.get(group=chapter, name="Eventos")

    # Bea starts a topic with tags and a wikilink; a mistake loses nothing.
    walk.as_(bea)
    html = walk.get("/g/wmxx/new")
    topic_data = {
        "title": "Editatón de marzo",
        "text": "Preparemos el **editatón**. Ver [[Editatón]].",
        "category": events.pk,
        "tags": "eventos, marzo",
    }
    html = walk.post("/g/wmxx/new", {**topic_data, "title": ""}, status=400)
    assert "Preparemos el **editatón**" in html and 'value="eventos, marzo"' in html
    html = walk.post("/g/wmxx/new", topic_data)
    topic = Topic.objects.get(title="Editatón de marzo")
    assert "#marzo" in html and "Eventos" in html and 'class="wikilink"' in html

    # Others reply, as a tree and in order; they react and Bea marks the solution.
    walk.as_(ana)
    url = topic_url(topic)
    walk.post(url, {"text": "Yo pongo la sala.", "in_reply_to": topic.post_id})
    room = Post.objects.get(thread_root=topic.post, content__contains="sala")
    walk.as_(cem)
    html = walk.get(f"{url}?reply_to={room.pk}")
    assert "Replying to" in html
    walk.post(url, {"text": "¡Gracias por la sala!", "in_reply_to": room.pk})
    html = walk.get(f"{url}?view=flat")
    assert "In reply to" in html
    html = walk.post(f"{url}/react", {"post": room.pk, "kind": "🙏"})
    assert 'aria-pressed="true" title="Thanks"' in html
    walk.as_(bea)
    html = walk.post(f"{url}/solution", {"post": room.pk})
    assert "The solution is marked." in html and 'class="badge solved"' in html

    # The topic heats up: automatic slow mode says what it is and when it ends.
    for n in range(10):
        answer(bea if n % 2 else dan, topic.post, f"Respuesta acalorada {n}")
    walk.as_(bea)
    html = walk.get(url)
    assert "Automatic slow mode until" in html
    assert "many replies came from few people" in html
    html = walk.post(url, {"text": "Una más", "in_reply_to": topic.post_id}, status=400)
    assert "Una más" in html
    assert "Automatic slow mode</span>" in walk.get("/g/wmxx")

    # A moderator locks and pins it; a member sees why there is no reply form.
    walk.as_(cem)
    walk.post(f"{url}/lock")
    walk.post(f"{url}/pin")
    walk.as_(bea)
    html = walk.get(url)
    assert "Only the group's moderators may reply." in html
    assert 'name="text"' not in html
    assert 'class="badge pinned"' in walk.get("/g/wmxx")

    # Cem moves it to the events group he runs, then splits a reply off.
    walk.as_(cem)
    walk.post("/groups/new", {**data, "handle": "wmxx_events", "name": "Eventos XX",
                              "kind": "public", "category": "event_team"})  # fmt: skip
    html = walk.get(f"{url}/move")
    assert "wmxx_events" in html
    html = walk.post(f"{url}/move", {"group": "nowhere"}, status=400)
    assert 'value="nowhere"' in html
    walk.post(f"{url}/move", {"group": "wmxx_events"})
    assert walk.get(url, status=302) == f"/g/wmxx_events/t/{topic.pk}"
    moved = f"/g/wmxx_events/t/{topic.pk}"
    thanks = Post.objects.get(thread_root=topic.post, content__contains="Gracias")
    html = walk.get(f"{moved}/split?post={thanks.pk}")
    html = walk.post(f"{moved}/split", {"post": thanks.pk, "title": ""}, status=400)
    assert 'class="form-errors"' in html and "¡Gracias por la sala!" in html
    html = walk.post(f"{moved}/split", {"post": thanks.pk, "title": "Agradecimientos"})
    assert "The replies are a topic of their own now." in html
    assert "<bdi>Agradecimientos</bdi></h1>" in html
    for handle in ("wmxx", "wmxx_events"):
        assert "Editatón de marzo" in walk.get(f"/g/{handle}/log")

    # Dan is banned, and sees why and until when.
    walk.as_(ana)
    walk.get("/g/wmxx/members/dan/ban")
    walk.post("/g/wmxx/members/dan/ban", {"reason": "Publicidad", "duration": "7"})
    walk.as_(dan)
    html = walk.get("/g/wmxx")
    assert "You are banned from this group" in html and "Publicidad" in html
    assert "New topic" not in html
    assert "Publicidad" in walk.get("/g/wmxx/log")

    # Watching levels decide who hears of what.
    walk.as_(bea)
    html = walk.post("/g/wmxx/watch", {"level": "watching", "next": "/g/wmxx"})
    assert "every new topic" in html
    walk.as_(ana)
    walk.post("/g/wmxx/new", {"title": "Asamblea anual", "text": "Fecha por decidir."})
    assembly = Topic.objects.get(title="Asamblea anual")
    walk.as_(bea)
    assert "Asamblea anual" in walk.get("/notifications", follow_links=False)
    walk.post("/g/wmxx/watch", {"level": "muted", "topic": assembly.pk, "next": "/g/wmxx"})
    before = Notification.objects.filter(recipient=bea.account).count()
    walk.as_(ana)
    walk.post(topic_url(assembly), {"text": "¿Mayo?", "in_reply_to": assembly.post_id})
    assert Notification.objects.filter(recipient=bea.account).count() == before
    walk.as_(bea)
    html = walk.get("/g/wmxx")
    assert "Asamblea anual" not in html
    assert "Asamblea anual" in walk.get("/g/wmxx?muted=1")
    assert walk.pages_checked > 40


# --- the group's wiki -------------------------------------------------------------------------

HOME = """Bienvenida al wiki de '''Wikimedia XX'''.

== Proyectos ==
* [[Editatones]]
* [[Eventos/2027|Eventos de 2027]]

== Junta ==
{|
|+ Junta directiva
! Cargo !! Nombre
|-
| Presidencia || Ana
|-
| Tesorería || Bea
|}

=== Contacto ===
Escribe a la [[w:Wikimedia chapter|sección]].
"""


def test_the_group_writes_its_wiki_together(walk, ana, bea, cem, make_group):
    chapter = make_group(ana.account, "wmxx", kind="restricted", name="Wikimedia XX")
    actions.invite(ana.account, chapter, bea.account)
    actions.join(bea.account, chapter)
    wiki = "/g/wmxx/wiki/"
    home = f"{wiki}Portada"

    # Ana creates the home page in wikitext, with headings and a table, after a preview.
    walk.as_(ana)
    html = walk.get(wiki)
    assert "This wiki has no pages yet." in html
    assert walk.get(f"{wiki}?title=portada", status=302) == f"{home}?action=edit"
    html = walk.get(f"{home}?action=edit")
    assert "&lt;nowiki&gt;" in html
    page = {"text": HOME, "markup": "wikitext", "summary": "Portada", "base_revision": ""}
    html = walk.post(f"{home}?action=edit", {**page, "preview": "1"}, status=200)
    assert "This is only a preview" in html and ">Cargo</th>" in html
    html = walk.post(f"{home}?action=edit", {**page, "save": "1"})
    assert "Your edit was saved." in html and 'id="Junta"' in html
    assert "<caption>Junta directiva</caption>" in html

    # Ana and Bea edit at once: the second save shows both texts and their merge.
    first = Page.objects.get(key="portada").current_id
    walk.get(f"{home}?action=edit")
    ana_text = HOME.replace("|| Ana", "|| Ana Ortiz")
    bea_text = HOME.replace("=== Contacto ===", "=== Escríbenos ===")
    walk.post(f"{home}?action=edit", {**page, "text": ana_text, "base_revision": first})
    walk.as_(bea)
    html = walk.post(
        f"{home}?action=edit",
        {**page, "text": bea_text, "summary": "Título", "base_revision": first},
        status=409,
    )
    assert "Nothing has been saved yet." in html
    assert "The page as it is now" in html and "Your text" in html
    assert "Ana Ortiz" in html and "Escríbenos" in html
    assert "both are combined below" in html
    merged = ana_text.replace("=== Contacto ===", "=== Escríbenos ===")
    current = Page.objects.get(key="portada").current_id
    html = walk.post(f"{home}?action=edit", {**page, "text": merged, "base_revision": current})
    assert "Ana Ortiz" in html and "Escríbenos" in html

    # History, a diff between any two revisions, and a revert.
    html = walk.get(f"{home}?action=history")
    assert "Compare the chosen revisions" in html
    revisions = list(Page.objects.get(key="portada").revisions.order_by("pk"))
    html = walk.get(f"{home}?action=diff&old={revisions[0].pk}&new={revisions[-1].pk}")
    assert "<ins>" in html
    walk.get(f"{home}?oldid={revisions[0].pk}")
    html = walk.post(
        f"{home}?action=revert",
        {"revision": revisions[0].pk, "base_revision": revisions[-1].pk, "summary": "Volver"},
    )
    assert "The page is back to that revision" in html
    assert "revert" in walk.get(f"{wiki}Special:RecentChanges")

    # Ana protects it; Bea sees the source and why, and may still start its talk page.
    walk.as_(ana)
    html = walk.get(f"{home}?action=protect")
    assert "Members of the group" in html
    walk.post(f"{home}?action=protect", {"level": "moderators", "reason": "Portada"})
    assert "Portada" in walk.get("/g/wmxx/log")
    walk.as_(bea)
    html = walk.get(f"{home}?action=edit", status=403)
    assert "moderators may edit this page." in html
    html = walk.get(f"{home}?action=talk")
    assert "starts a topic in the group's forum" in html
    html = walk.post(f"{home}?action=talk", {"text": ""}, status=400)
    html = walk.post(f"{home}?action=talk", {"text": "¿Añadimos la junta de 2026?"})
    assert "Talk: Portada" in html and "Portada" in html and f'href="{home}"' in html
    assert walk.get(f"{home}?action=talk", status=302).startswith("/g/wmxx/t/")

    # Recent changes, what links here (a page not written yet), the raw source.
    html = walk.get(f"{wiki}Special:RecentChanges")
    assert "Portada" in html
    html = walk.get(f"{wiki}Editatones?action=links")
    assert f'href="{home}"' in html
    raw = walk.client.get(f"{home}?action=raw")
    assert raw["Content-Type"] == "text/plain; charset=utf-8"
    assert raw.content.decode() == HOME.rstrip()
    html = walk.get(f"{wiki}Editatones", status=404)
    assert "Create this page" in html

    # The instance's own wiki is "Help" in every page's footer.
    html = walk.get("/", follow_links=False)
    assert 'href="/wiki/">Help</a>' in html
    html = walk.get("/wiki/")
    assert "Help wiki of" in html
    walk.post("/wiki/Normas?action=edit", {**page, "text": "Sé amable.", "markup": "markdown"})
    walk.as_(None)
    html = walk.get("/wiki/Normas")
    assert "Sé amable." in html


# --- outsiders --------------------------------------------------------------------------------


def test_outsiders_see_the_door_of_a_private_group_and_nothing_of_a_hidden_one(
    walk, ana, bea, cem, make_group
):
    board = make_group(ana.account, "board_xx", kind="private", name="Junta XX")
    secret = make_group(ana.account, "secret_xx", kind="hidden", name="Secreto XX")
    budget = start(ana, board, "Presupuesto", "Cifras")
    plans = start(ana, secret, "Planes", "Sorpresa")
    for person in (cem, None):
        walk.as_(person)
        html = walk.get("/g/board_xx")
        assert "Members only" in html and "Presupuesto" not in html
        assert "Ask to join" in html or "Log in to join" in html
        walk.get("/g/board_xx/about")
        for path in ("members", "log", "wiki/", f"t/{budget.pk}", "c/eventos", "tag/x"):
            walk.get(f"/g/board_xx/{path}", status=404)
        for path in ("", "/about", "/wiki/", f"/t/{plans.pk}", "/members"):
            walk.get(f"/g/secret_xx{path}", status=404)
        if person is not None:
            walk.get("/g/secret_xx/join", status=404)
        html = walk.get("/groups")
        assert "Junta XX" in html and "Secreto XX" not in html
    # Cem asks to join the private group, gets in, reads it, and later leaves.
    walk.as_(cem)
    html = walk.get("/g/board_xx/join")
    assert "Send the request" in html
    walk.post("/g/board_xx/join")
    assert "waiting for a moderator" in walk.get("/g/board_xx")
    actions.approve(ana.account, JoinRequest.objects.get(group=board, account=cem.account))
    html = walk.get("/g/board_xx")
    assert "Presupuesto" in html and 'href="/g/board_xx/leave"' in html
    html = walk.get("/g/board_xx/leave")
    assert "its forum and wiki are closed to you" in html
    html = walk.post("/g/board_xx/leave")
    assert "You left the group." in html and "Presupuesto" not in walk.get("/g/board_xx")

    # In a restricted group an outsider reads the topics, and learns how to take part.
    club = make_group(ana.account, "club_xx", kind="restricted", name="Club XX")
    talk = start(ana, club, "Bienvenida", "Hola")
    html = walk.get(topic_url(talk))
    assert "Only members may post in this group." in html
    assert 'href="/g/club_xx/join">Ask to join</a>' in html
    assert secret.account.username not in walk.get("/groups?q=xx")


# --- in Spanish --------------------------------------------------------------------------------


def test_the_group_forum_and_wiki_pages_speak_spanish(walk, ana, bea, make_group):
    chapter = make_group(ana.account, "wmxx", kind="restricted", name="Wikimedia XX",
                         questions=["¿Por qué?"])  # fmt: skip
    category = forum.create_category(ana.account, chapter, "Eventos")
    topic = start(ana, chapter, "Editatón", "Hola", category=category, tags=["marzo"])
    reply = answer(ana, topic.post, "Respuesta")
    forum.mark_solution(ana.account, topic, reply)
    forum.set_locked(ana.account, topic, True)
    forum.set_pinned(ana.account, topic, True)
    forum.set_slow_mode(ana.account, topic, 300)
    saved = wiki_actions.save_page(ana.account, chapter, "Portada", "== Hola ==", "wikitext")
    text = "== Adiós ==\n== Hasta luego ==\n=== Chao ===\n[[Nada]]"
    wiki_actions.save_page(ana.account, chapter, "Portada", text, "wikitext",
                           base_revision_id=saved.revision.pk)  # fmt: skip
    actions.join(bea.account, chapter, ["Porque sí"])
    url = topic_url(topic)
    pages = {
        ana: [
            "/groups", "/groups/new", "/g/wmxx", "/g/wmxx/about", "/g/wmxx/members",
            "/g/wmxx/log", "/g/wmxx/requests", "/g/wmxx/settings", "/g/wmxx/categories",
            "/g/wmxx/new", url, f"{url}?view=flat", f"{url}/move", "/g/wmxx/bans",
            "/g/wmxx/members/bea/ban", "/g/wmxx/wiki/", "/g/wmxx/wiki/Portada",
            "/g/wmxx/wiki/Portada?action=edit", "/g/wmxx/wiki/Portada?action=history",
            "/g/wmxx/wiki/Portada?action=diff", "/g/wmxx/wiki/Portada?action=protect",
            "/g/wmxx/wiki/Portada?action=talk", "/g/wmxx/wiki/Portada?action=links",
            "/g/wmxx/wiki/Special:RecentChanges", "/wiki/", "/g/wmxx/invite",
        ],
        bea: ["/g/wmxx", url, "/g/wmxx/join", "/g/wmxx/wiki/Otra"],
        None: ["/g/wmxx", url, "/g/wmxx/about", "/g/wmxx/wiki/Portada"],
    }  # fmt: skip
    leftovers = {}
    for person, urls in pages.items():
        walk.as_(person)
        for page_url in urls:
            status = 404 if page_url.endswith("Otra") else 200
            html = walk.get(page_url, status, follow_links=False, HTTP_ACCEPT_LANGUAGE="es")
            assert '<html lang="es"' in html
            if page_url == "/g/wmxx/wiki/Portada":
                assert "<strong>Contenido</strong>" in html and "(la página no existe)" in html
            found = english_words(read(html))
            if found:
                leftovers[page_url] = sorted(found)
    assert leftovers == {}
