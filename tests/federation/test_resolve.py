"""Finding remote accounts and posts by handle or URL, against a real HTTP server on 127.0.0.1
that answers WebFinger and serves ActivityPub documents."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from wikisocial.accounts.models import Account
from wikisocial.federation import resolve
from wikisocial.posts.models import Post

pytestmark = pytest.mark.django_db
AP_TYPE = "application/activity+json"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RemoteServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.server.seen.append(self.path)
        status, content_type, body = self.server.answer(parts.path, parse_qs(parts.query))
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


class RemoteServer(ThreadingHTTPServer):
    """A small fediverse server: WebFinger for ``bob``, his actor at /users/bob (also served,
    Mastodon-style, at /profile/bob under its canonical id), a note at /users/bob/statuses/1
    (also at /@bob/1), and whatever ``extra`` routes a test adds."""

    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[str] = []
        self.extra: dict[str, Callable[[], tuple[int, str, object]]] = {}
        self.display_name = "Bob <b>Builder</b>"

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    @property
    def base(self) -> str:
        return f"http://{self.domain}"

    def actor(self) -> dict:
        bob = f"{self.base}/users/bob"
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": bob,
            "type": "Person",
            "preferredUsername": "bob",
            "name": self.display_name,
            "summary": "<p>Builds <em>things</em></p><script>alert(1)</script>",
            "url": f"{self.base}/@bob",
            "inbox": f"{bob}/inbox",
            "followers": f"{bob}/followers",
        }

    def note(self) -> dict:
        bob = f"{self.base}/users/bob"
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{bob}/statuses/1",
            "type": "Note",
            "attributedTo": bob,
            "content": "<p>Hello from far away</p>",
            "published": "2025-01-02T03:04:05Z",
            "url": f"{self.base}/@bob/1",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        }

    def answer(self, path: str, query: dict) -> tuple[int, str, object]:
        if path in self.extra:
            return self.extra[path]()
        if path == "/.well-known/webfinger":
            if query.get("resource") != [f"acct:bob@{self.domain}"]:
                return 404, "application/json", {"error": "no such account"}
            actor = f"{self.base}/users/bob"
            links = [
                {"rel": "http://webfinger.net/rel/profile-page", "href": f"{self.base}/@bob"},
                {"rel": "self", "type": AP_TYPE, "href": actor},
            ]
            jrd = {"subject": f"acct:bob@{self.domain}", "links": links}
            return 200, "application/jrd+json", jrd
        if path in ("/users/bob", "/profile/bob"):
            return 200, AP_TYPE, self.actor()
        if path in ("/users/bob/statuses/1", "/@bob/1"):
            return 200, AP_TYPE, self.note()
        return 404, "text/plain", b"not here"


@pytest.fixture
def remote(settings) -> Iterator[RemoteServer]:
    settings.DEV_FEDERATION = True
    server = RemoteServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("no request should be made")

    monkeypatch.setattr(resolve, "safe_request", refuse)
    monkeypatch.setattr("wikisocial.core.http.safe_request", refuse)


# --- handles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("@bob@example.org", ("bob", "example.org")),
        ("bob@Example.ORG", ("bob", "example.org")),
        ("  @bob@localhost:8001 ", ("bob", "localhost:8001")),
        ("bob@bücher.example", ("bob", "xn--bcher-kva.example")),
        ("bob", None),
        ("@bob", None),
        ("bob@", None),
        ("bob@exa mple.org", None),
        ("bob@example.org/x", None),
        ("bob@-bad-.org", None),
        ("a@b@c.org", None),
    ],
)
def test_parse_handle(query, expected):
    assert resolve.parse_handle(query) == expected


def test_split_handle_treats_our_own_domain_as_local(settings):
    assert resolve.split_handle("ana") == ("ana", "")
    assert resolve.split_handle(f"ana@{settings.DOMAIN.upper()}") == ("ana", "")
    assert resolve.split_handle("bob@Remote.Example") == ("bob", "remote.example")


def test_webfinger_gives_the_actor_url(remote):
    assert resolve.webfinger("bob", remote.domain) == f"{remote.base}/users/bob"
    assert remote.seen[0].startswith("/.well-known/webfinger?resource=acct%3Abob%40127.0.0.1")


@pytest.mark.parametrize("domain", ["evil.example/x?y=", "a b.example", "user@host.example"])
def test_webfinger_asks_only_real_domains(domain, no_network):
    with pytest.raises(resolve.ResolveError):
        resolve.webfinger("bob", domain)
    assert resolve.resolve_handle("bob", domain) is None


def test_webfinger_without_an_activitypub_link_is_an_error(remote):
    remote.extra["/.well-known/webfinger"] = lambda: (200, "application/jrd+json", {"links": 3})
    with pytest.raises(resolve.ResolveError):
        resolve.webfinger("bob", remote.domain)


def test_an_unknown_handle_is_fetched_and_stored_then_read_from_the_table(remote):
    account = resolve.resolve_handle("bob", remote.domain)
    assert account is not None and account.domain == remote.domain
    assert account.uri == f"{remote.base}/users/bob" and account.remote_url == f"{remote.base}/@bob"
    assert account.display_name == "Bob <b>Builder</b>"  # text: escaped where shown
    assert "<script" not in account.bio_html and "<em>things</em>" in account.bio_html
    requests = len(remote.seen)
    assert resolve.resolve_handle("BOB", remote.domain).pk == account.pk
    assert len(remote.seen) == requests  # known: no request


def test_a_stale_account_is_refreshed_only_when_asked(remote):
    account = resolve.resolve_handle("bob", remote.domain)
    Account.objects.filter(pk=account.pk).update(fetched_at=timezone.now() - timedelta(days=2))
    remote.display_name = "Robert"
    assert resolve.resolve_handle("bob", remote.domain).display_name == "Bob <b>Builder</b>"
    assert resolve.resolve_handle("bob", remote.domain, refresh=True).display_name == "Robert"


def test_a_failed_refresh_keeps_the_stored_account(remote):
    account = resolve.resolve_handle("bob", remote.domain)
    Account.objects.filter(pk=account.pk).update(fetched_at=timezone.now() - timedelta(days=2))
    remote.extra["/users/bob"] = lambda: (500, "text/plain", b"down")
    assert resolve.resolve_handle("bob", remote.domain, refresh=True).pk == account.pk


def test_an_unknown_user_or_a_dead_server_gives_none(remote, settings):
    assert resolve.resolve_handle("nobody", remote.domain) is None
    server = RemoteServer()  # bound, then closed: nothing listens on its port
    closed = server.domain
    server.server_close()
    assert resolve.resolve_handle("bob", closed) is None
    assert not Account.objects.filter(domain=closed).exists()


def test_our_own_domain_never_reaches_the_network(settings, make_user, no_network):
    make_user("ana")
    assert resolve.resolve_handle("ANA", settings.DOMAIN).username == "ana"
    assert resolve.resolve_handle("nobody", settings.DOMAIN) is None
    assert resolve.resolve_url(f"{settings.SITE_URL}/@ana").username == "ana"


def test_loopback_is_refused_without_dev_federation(remote, settings):
    settings.DEV_FEDERATION = False
    assert resolve.resolve_handle("bob", remote.domain) is None
    assert resolve.resolve_url(f"https://{remote.domain}/users/bob") is None
    assert resolve.resolve_url(f"{remote.base}/users/bob") is None
    assert remote.seen == []
    assert not Account.objects.filter(domain=remote.domain).exists()


# --- URLs ------------------------------------------------------------------------------------


def test_an_actor_url_is_fetched(remote):
    account = resolve.resolve_url(f"{remote.base}/users/bob")
    assert isinstance(account, Account) and account.username == "bob"
    requests = len(remote.seen)
    assert resolve.resolve_url(f"{remote.base}/users/bob").pk == account.pk
    assert resolve.resolve_url(f"{remote.base}/@bob").pk == account.pk  # its profile page
    assert len(remote.seen) == requests


def test_a_document_served_under_another_url_is_fetched_by_its_id(remote):
    account = resolve.resolve_url(f"{remote.base}/profile/bob")
    assert account is not None and account.uri == f"{remote.base}/users/bob"


def test_a_post_url_is_fetched_with_its_author(remote):
    post = resolve.resolve_url(f"{remote.base}/@bob/1")
    assert isinstance(post, Post) and not post.local
    assert post.uri == f"{remote.base}/users/bob/statuses/1"
    assert "Hello from far away" in post.content_html
    assert post.author.username == "bob" and post.author.domain == remote.domain
    assert resolve.resolve_url(post.uri).pk == post.pk


def test_a_post_on_another_origin_than_its_author_is_refused(remote):
    def forged() -> tuple[int, str, dict]:
        note = remote.note()
        note["id"] = f"{remote.base}/forged"
        note["attributedTo"] = "https://elsewhere.example/users/eve"
        return 200, AP_TYPE, note

    remote.extra["/forged"] = forged
    assert resolve.resolve_url(f"{remote.base}/forged") is None
    assert not Post.objects.exists()


def test_a_document_that_is_not_activitypub_gives_none(remote):
    remote.extra["/page"] = lambda: (200, "text/html", b"<html></html>")
    assert resolve.resolve_url(f"{remote.base}/page") is None
    assert resolve.resolve_url("ftp://example.org/x") is None
    assert resolve.resolve_url("https://") is None


# --- search ----------------------------------------------------------------------------------


def test_search_fetches_an_unknown_handle_for_someone_logged_in(remote, user):
    results = resolve.search(f"@bob@{remote.domain}", user)
    assert results.kind == "handle" and results.remote
    assert [a.username for a in results.accounts] == ["bob"]


def test_search_for_visitors_stays_on_this_server(remote):
    from django.contrib.auth.models import AnonymousUser

    results = resolve.search(f"@bob@{remote.domain}", AnonymousUser())
    assert results.empty and not results.remote and remote.seen == []
    resolve.resolve_handle("bob", remote.domain)
    assert [a.username for a in resolve.search(f"bob@{remote.domain}", None).accounts] == ["bob"]


def test_search_shows_a_fetched_post_only_to_who_may_see_it(remote, user):
    def private() -> tuple[int, str, dict]:
        note = remote.note()
        note.update(id=f"{remote.base}/private", to=[f"{remote.base}/users/bob/followers"])
        return 200, AP_TYPE, note

    remote.extra["/private"] = private
    assert resolve.search(f"{remote.base}/@bob/1", user).posts[0].content_html
    hidden = resolve.search(f"{remote.base}/private", user)
    assert hidden.empty and Post.objects.filter(uri=f"{remote.base}/private").exists()


def test_search_by_name_and_hashtag(make_user):
    ana = make_user("ana")
    make_user("anabel")
    Account.objects.create(username="annie", domain="remote.example", display_name="Ana B.")
    names = [a.username for a in resolve.search("@ana", ana).accounts]
    assert set(names) == {"ana", "anabel", "annie"} and names[-1] == "annie"  # local first
    from wikisocial.posts.models import Hashtag

    Hashtag.objects.create(name="wikipedia", display_name="Wikipedia")
    assert [t.name for t in resolve.search("#Wiki", ana).hashtags] == ["wikipedia"]


def test_search_lookups_are_rate_limited(remote, user, monkeypatch):
    monkeypatch.setattr(resolve, "LOOKUP_LIMIT", resolve.Limit(2, 60))
    for _ in range(2):
        assert not resolve.search(f"nobody@{remote.domain}", user).limited
    results = resolve.search(f"bob@{remote.domain}", user)
    assert results.limited and results.empty


def _png(width: int, height: int) -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_a_remote_profile_brings_its_fields_avatar_and_header(remote):
    from wikisocial.federation.actors import store_actor

    remote.extra["/avatar.png"] = lambda: (200, "image/png", _png(500, 500))
    remote.extra["/header.png"] = lambda: (200, "image/png", _png(1600, 600))
    document = {
        **remote.actor(),
        "icon": {"type": "Image", "url": f"{remote.base}/avatar.png"},
        "image": {"type": "Image", "url": f"{remote.base}/header.png"},
        "attachment": [
            {
                "type": "PropertyValue",
                "name": "Website",
                "value": '<a href="https://bob.example" rel="me">bob.example</a><script>x</script>',
            }
        ],
    }
    bob = store_actor(document)
    bob.refresh_from_db()
    assert bob.fields == [{"name": "Website", "value": "bob.example"}]
    assert bob.avatar and bob.header  # copied here, re-encoded and cropped as ours are
    assert (bob.avatar.width, bob.avatar.height) == (400, 400)
    seen = len(remote.seen)
    store_actor(document)  # unchanged images are not fetched again
    assert len(remote.seen) == seen
    store_actor({**document, "icon": None})
    bob.refresh_from_db()
    assert not bob.avatar and bob.header


def test_a_remote_posts_image_is_copied_here(remote):
    from wikisocial.federation.objects import post_from_document

    remote.extra["/cat.png"] = lambda: (200, "image/png", _png(800, 600))
    remote.extra["/broken.png"] = lambda: (200, "image/png", b"not an image")
    note = {
        **remote.note(),
        "attachment": [
            {"type": "Document", "mediaType": "image/png", "url": f"{remote.base}/cat.png"},
            {"type": "Document", "mediaType": "image/png", "url": f"{remote.base}/broken.png"},
        ],
    }
    post = post_from_document(note)
    good, broken = post.media.order_by("position")
    assert good.file and good.thumbnail and (good.width, good.height) == (800, 600)
    assert not broken.file and broken.remote_url.endswith("/broken.png")  # left as a link
