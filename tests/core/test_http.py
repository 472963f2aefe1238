"""The safe outbound HTTP client, against real HTTP(S) servers on 127.0.0.1.

Production rules refuse loopback, so tests that need a real server either turn on
DEV_FEDERATION, or (to test the production rules end to end over TLS) pretend that 127.0.0.1
alone is a public address and trust a throwaway certificate authority.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wikisocial import __version__
from wikisocial.core import http
from wikisocial.core.http import FetchError, fetch_activitypub, safe_request

AP_TYPE = "application/activity+json"
Route = Callable[[BaseHTTPRequestHandler], None]


# --- servers ---------------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.seen.append(Seen(self.command, self.path, headers, body))
        route = self.server.routes.get(self.path.split("?")[0])
        if route is None:
            send(self, 404, b"not here", "text/plain")
        else:
            route(self)

    do_POST = do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.release = threading.Event()  # lets hanging and dripping handlers finish
        self.sni: list[str | None] = []

    @property
    def port(self) -> int:
        return self.server_address[1]

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up on a slow handler is the point of some tests


def send(
    handler: BaseHTTPRequestHandler,
    status: int = 200,
    body: bytes = b"",
    content_type: str = AP_TYPE,
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def reply(
    status: int = 200, body: bytes = b"", content_type: str = AP_TYPE, **headers: str
) -> Route:
    return lambda h: send(
        h, status, body, content_type, {k.replace("_", "-"): v for k, v in headers.items()}
    )


def redirect(location: str, status: int = 302) -> Route:
    return lambda h: send(h, status, b"", "text/plain", {"Location": location})


def document(doc: object, content_type: str = AP_TYPE) -> Route:
    return reply(200, json.dumps(doc).encode(), content_type)


def _start(server: _Server) -> Iterator[_Server]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def server() -> Iterator[_Server]:
    yield from _start(_Server())


@pytest.fixture
def base(server: _Server) -> str:
    return f"http://127.0.0.1:{server.port}"


# --- settings, DNS and TLS helpers -----------------------------------------------------------


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEV_FEDERATION = False


@pytest.fixture
def dev(settings):
    settings.DEV_FEDERATION = True


Answer = list[str] | Callable[[], list[str]]


def fake_dns(monkeypatch, table: dict[str, Answer]) -> list[str]:
    """Answer getaddrinfo for the names in `table` (no real DNS); returns the names asked."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            return real(host, port, *args, **kwargs)  # IP literals, when connecting
        asked.append(host)
        answer = table[host]
        addresses = answer() if callable(answer) else answer
        return [_addrinfo(address, port) for address in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def _addrinfo(address: str, port: int) -> tuple:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


@pytest.fixture
def no_connections(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def loopback_is_public(monkeypatch) -> None:
    """Production rules, except that 127.0.0.1 (the test server) passes for a public address."""
    real = http._is_public
    server_ip = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(http, "_is_public", lambda ip: ip == server_ip or real(ip))


@dataclass
class Authority:
    ca_file: Path
    cert_file: Path
    key_file: Path
    names: list[str] = field(default_factory=list)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, public_key, signing_key, extensions, ca_key=None):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                (ca_key or signing_key).public_key()
            ),
            critical=False,
        )
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture(scope="module")
def authority(tmp_path_factory) -> Authority:
    """A throwaway CA and a certificate for public.test (only)."""
    folder = tmp_path_factory.mktemp("tls")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    ca = _certificate(
        _name("Test CA"), _name("Test CA"), ca_key.public_key(), ca_key,
        [(x509.BasicConstraints(ca=True, path_length=None), True), (ca_usage, True)],
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate(
        _name("public.test"), _name("Test CA"), key.public_key(), ca_key,
        [
            (x509.SubjectAlternativeName([x509.DNSName("public.test")]), False),
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ],
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "cert.pem").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (folder / "key.pem").write_bytes(key_pem)
    return Authority(folder / "ca.pem", folder / "cert.pem", folder / "key.pem")


@pytest.fixture
def tls_server(authority, monkeypatch) -> Iterator[_Server]:
    """An HTTPS server on 127.0.0.1 presenting a certificate for public.test; the client
    trusts the test CA (and only it)."""
    server = _Server()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(authority.cert_file, authority.key_file)
    context.sni_callback = lambda sock, name, ctx: server.sni.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    client_context = ssl.create_default_context(cafile=str(authority.ca_file))
    monkeypatch.setattr(http, "_ssl_context", lambda: client_context)
    yield from _start(server)


# --- the address rule ------------------------------------------------------------------------

REFUSED = [
    "127.0.0.1",
    "127.1.2.3",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # CGNAT
    "0.0.0.0",  # noqa: S104 (an address to refuse, not to bind)
    "224.0.0.1",
    "255.255.255.255",
    "192.0.2.1",  # documentation
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "2001:db8::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2001::1",  # Teredo
]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused_in_production(monkeypatch, no_connections, address):
    fake_dns(monkeypatch, {"public.example": [address]})
    with pytest.raises(FetchError) as caught:
        safe_request("GET", "https://public.example/users/a")
    assert caught.value.reason == "blocked_address"
    assert str(ipaddress.ip_address(address)) in str(caught.value)


def test_one_refused_address_among_public_ones_is_enough(monkeypatch, no_connections):
    fake_dns(monkeypatch, {"public.example": ["93.184.216.34", "2606:2800::1", "127.0.0.1"]})
    with pytest.raises(FetchError, match=r"127\.0\.0\.1") as caught:
        safe_request("GET", "https://public.example/")
    assert caught.value.reason == "blocked_address"


def test_ip_literal_urls_meet_the_same_rule(no_connections):
    for url in ("https://127.0.0.1/", "https://[::1]/", "https://[::ffff:7f00:1]:8443/"):
        with pytest.raises(FetchError) as caught:
            safe_request("GET", url)
        assert caught.value.reason == "blocked_address", url


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:4700::1", "::ffff:93.184.216.34", "64:ff9b::5db8:d822"]
)
def test_public_addresses_pass_and_the_connection_goes_to_them(monkeypatch, address):
    fake_dns(monkeypatch, {"public.example": [address]})
    targets = []

    def create_connection(target, *args, **kwargs):
        targets.append(target)
        raise ConnectionRefusedError("not really connecting")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(FetchError) as caught:
        safe_request("GET", "https://public.example:8443/")
    assert caught.value.reason == "connect"
    assert targets == [(str(ipaddress.ip_address(address)), 8443)]


def test_dev_federation_allows_loopback_and_http(dev, server, base):
    server.routes["/hello"] = reply(200, b"hi", "text/plain")
    response = safe_request("GET", base + "/hello")
    assert (response.status, response.body, response.final_url) == (200, b"hi", base + "/hello")
    assert response.content_type == "text/plain"


def test_dev_federation_still_refuses_unspecified_and_multicast(dev, monkeypatch, no_connections):
    unspecified = "0.0.0.0"  # noqa: S104 (an address to refuse, not to bind)
    fake_dns(monkeypatch, {"zero.test": [unspecified], "multi.test": ["ff02::1"]})
    for url in ("http://zero.test/", "http://multi.test/"):
        with pytest.raises(FetchError) as caught:
            safe_request("GET", url)
        assert caught.value.reason == "blocked_address"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://public.example/", "bad_scheme"),
        ("ftp://public.example/", "bad_scheme"),
        ("file:///etc/passwd", "bad_scheme"),
        ("/relative/path", "bad_scheme"),
        ("https://user:secret@public.example/", "bad_url"),
    ],
)
def test_only_https_urls_with_a_host_in_production(no_connections, url, reason):
    with pytest.raises(FetchError) as caught:
        safe_request("GET", url)
    assert caught.value.reason == reason


def test_dev_allows_http_but_no_other_scheme(dev, no_connections):
    with pytest.raises(FetchError) as caught:
        safe_request("GET", "ftp://127.0.0.1/")
    assert caught.value.reason == "bad_scheme"


# --- production rules end to end, over TLS ---------------------------------------------------


def test_tls_uses_the_hostname_for_sni_verification_and_host(
    monkeypatch, loopback_is_public, tls_server
):
    asked = fake_dns(monkeypatch, {"public.test": ["127.0.0.1"]})
    tls_server.routes["/a"] = reply(200, b"secure", "text/plain")
    response = safe_request("GET", f"https://public.test:{tls_server.port}/a")
    assert response.body == b"secure"
    assert tls_server.sni == ["public.test"]
    assert tls_server.seen[0].headers["host"] == f"public.test:{tls_server.port}"
    assert asked == ["public.test"]


def test_a_certificate_for_another_name_is_refused(monkeypatch, loopback_is_public, tls_server):
    fake_dns(monkeypatch, {"other.test": ["127.0.0.1"]})
    tls_server.routes["/a"] = reply(200, b"secure", "text/plain")
    with pytest.raises(FetchError) as caught:
        safe_request("GET", f"https://other.test:{tls_server.port}/a")
    assert caught.value.reason == "connect"
    assert "certificate" in str(caught.value).lower()
    assert tls_server.seen == []


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("https://internal.test:{port}/x", "blocked_address"),  # resolves to 10.0.0.7
        ("https://[::1]:{port}/x", "blocked_address"),
        ("https://169.254.169.254/latest/meta-data/", "blocked_address"),
        ("http://public.test:{port}/x", "bad_scheme"),  # no downgrade to http
    ],
)
def test_every_redirect_hop_is_checked_again(
    monkeypatch, loopback_is_public, tls_server, location, reason
):
    fake_dns(monkeypatch, {"public.test": ["127.0.0.1"], "internal.test": ["10.0.0.7"]})
    tls_server.routes["/start"] = redirect(location.format(port=tls_server.port))
    with pytest.raises(FetchError) as caught:
        safe_request("GET", f"https://public.test:{tls_server.port}/start")
    assert caught.value.reason == reason
    assert [seen.path for seen in tls_server.seen] == ["/start"]


def test_dns_is_resolved_once_per_hop_and_the_checked_address_is_used(
    monkeypatch, loopback_is_public, tls_server
):
    """Rebinding: the first answer passes the check; any later lookup would get the metadata
    address. The connection must use the first answer and never ask again."""
    answers = iter([["127.0.0.1"], ["127.0.0.1"]])
    asked = fake_dns(monkeypatch, {"public.test": lambda: next(answers, ["169.254.169.254"])})
    tls_server.routes["/one"] = redirect("/two")
    tls_server.routes["/two"] = reply(200, b"done", "text/plain")
    response = safe_request("GET", f"https://public.test:{tls_server.port}/one")
    assert response.body == b"done"
    assert response.final_url == f"https://public.test:{tls_server.port}/two"
    assert asked == ["public.test", "public.test"]  # once per hop


def test_pinned_address_with_host_header_in_dev(dev, monkeypatch, server):
    asked = fake_dns(monkeypatch, {"example.test": ["127.0.0.1"]})
    url = f"http://example.test:{server.port}/users/a"
    server.routes["/users/a"] = document({"id": url, "type": "Person"})
    assert fetch_activitypub(url)["type"] == "Person"
    assert server.seen[0].headers["host"] == f"example.test:{server.port}"
    assert asked == ["example.test"]


# --- redirects -------------------------------------------------------------------------------


def test_redirects_are_followed_up_to_the_limit(dev, server, base):
    server.routes.update(
        {"/r1": redirect("/r2", 301), "/r2": redirect(base + "/r3", 307), "/r3": redirect("final")}
    )
    server.routes["/final"] = reply(200, b"end", "text/plain")
    response = safe_request("GET", base + "/r1", max_redirects=3)
    assert (response.status, response.final_url, response.body) == (200, base + "/final", b"end")
    with pytest.raises(FetchError) as caught:
        safe_request("GET", base + "/r1", max_redirects=2)
    assert caught.value.reason == "too_many_redirects"


def test_a_redirect_loop_stops(dev, server, base):
    server.routes["/loop"] = redirect("/loop")
    with pytest.raises(FetchError) as caught:
        safe_request("GET", base + "/loop")
    assert caught.value.reason == "too_many_redirects"
    assert len(server.seen) == 4  # the first request and three redirects


def test_redirects_can_be_left_to_the_caller(dev, server, base):
    server.routes["/moved"] = redirect("/new")
    response = safe_request("GET", base + "/moved", follow_redirects=False)
    assert (response.status, response.headers["location"]) == (302, "/new")


def test_post_never_follows_redirects(dev, server, base):
    server.routes["/inbox"] = redirect("/elsewhere", 307)
    response = safe_request("POST", base + "/inbox", content=b'{"type": "Follow"}')
    assert response.status == 307
    assert [(s.method, s.path, s.body) for s in server.seen] == [
        ("POST", "/inbox", b'{"type": "Follow"}')
    ]


# --- size and time ---------------------------------------------------------------------------


def test_a_declared_length_over_the_cap_is_refused_before_reading(dev, server, base):
    def huge(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "50000000")
        handler.end_headers()
        server.release.wait(5)

    server.routes["/huge"] = huge
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        safe_request("GET", base + "/huge", max_bytes=1000)
    assert caught.value.reason == "too_large"
    assert time.monotonic() - started < 1


def test_head_may_declare_a_large_length(dev, server, base):
    def head(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "50000000")
        handler.end_headers()

    server.routes["/video"] = head
    response = safe_request("HEAD", base + "/video", max_bytes=1000)
    assert (response.status, response.headers["content-length"], response.body) == (
        200,
        "50000000",
        b"",
    )


def test_an_undeclared_body_is_cut_at_the_cap(dev, server, base):
    def endless(handler):
        handler.close_connection = True
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        for _ in range(100):
            handler.wfile.write(b"x" * 10_000)

    server.routes["/endless"] = endless
    with pytest.raises(FetchError) as caught:
        safe_request("GET", base + "/endless", max_bytes=50_000)
    assert caught.value.reason == "too_large"


def test_a_body_within_the_cap_is_read_whole(dev, server, base):
    server.routes["/exact"] = reply(200, b"y" * 1000, "text/plain")
    assert safe_request("GET", base + "/exact", max_bytes=1000).body == b"y" * 1000


def test_compressed_bodies_are_refused(dev, server, base):
    server.routes["/gz"] = reply(200, b"\x1f\x8b...", "text/plain", Content_Encoding="gzip")
    with pytest.raises(FetchError) as caught:
        safe_request("GET", base + "/gz")
    assert caught.value.reason == "bad_encoding"
    assert server.seen[0].headers["accept-encoding"] == "identity"


def _hang(server: _Server) -> Route:
    return lambda handler: server.release.wait(10)


def _drip(server: _Server, head: bytes, tail: bytes) -> Route:
    """Sends `head` at once, then `tail` one byte every 0.3 s."""

    def drip(handler):
        handler.wfile.write(head)
        for byte in tail:
            if server.release.wait(0.3):
                return
            handler.wfile.write(bytes([byte]))
        server.release.wait(10)

    return drip


@pytest.mark.parametrize(
    "route",
    [
        "hang",  # reads the request, never answers
        "drip_body",  # answers, then sends the body a byte every 0.3 s
        "drip_headers",  # sends the headers a byte every 0.3 s
        "drip_then_hang",  # a byte at 0.6 s, then nothing: that read must not get a fresh 1 s
    ],
)
def test_the_deadline_is_total_not_per_read(dev, server, base, route):
    routes = {
        "hang": _hang(server),
        "drip_body": _drip(server, b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n", b"x" * 40),
        "drip_headers": _drip(server, b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 40),
        "drip_then_hang": _drip(server, b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", b"xx"),
    }
    server.routes["/slow"] = routes[route]
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        safe_request("GET", base + "/slow", timeout=1)
    elapsed = time.monotonic() - started
    assert caught.value.reason == "timeout"
    assert 0.9 < elapsed < 1.5


def test_a_closed_port_is_a_connect_error(dev):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError) as caught:
        safe_request("GET", f"http://127.0.0.1:{port}/")
    assert caught.value.reason == "connect"


# --- keep-alive ------------------------------------------------------------------------------


def _client_ports(server: _Server, status: int = 202, **headers: str) -> list[int]:
    """Answer /inbox with ``status``; returns the list of client ports each request came from."""
    ports: list[int] = []

    def route(handler: BaseHTTPRequestHandler) -> None:
        ports.append(handler.client_address[1])
        send(handler, status, b"", "text/plain", headers)

    server.routes["/inbox"] = route
    return ports


def _post(url: str, **options: object) -> http.Response:
    return safe_request("POST", url, content=b"{}", keep_alive=True, **options)


def test_keep_alive_posts_share_one_connection(dev, server, base):
    ports = _client_ports(server)
    assert [_post(base + "/inbox").status for _ in range(3)] == [202, 202, 202]
    assert len(set(ports)) == 1
    safe_request("POST", base + "/inbox", content=b"{}")  # not asked to keep: its own
    assert len(set(ports)) == 2
    assert server.seen[-1].headers["connection"] == "close"


def _second_post_after(monkeypatch, server: _Server, scheme: str, host: str, then: str) -> str:
    """POST twice to ``host``, which resolves to 127.0.0.1 and then to ``then``: the second
    POST fails (its reason is returned) without reaching the server over the kept
    connection."""
    answers = iter([["127.0.0.1"]])
    fake_dns(monkeypatch, {host: lambda: next(answers, [then])})
    ports = _client_ports(server)
    url = f"{scheme}://{host}:{server.port}/inbox"
    assert _post(url).status == 202
    with pytest.raises(FetchError) as caught:
        _post(url)
    assert len(ports) == 1
    return caught.value.reason


def test_a_kept_connection_is_used_only_for_an_address_checked_again(
    monkeypatch, loopback_is_public, tls_server
):
    """Rebinding through the pool: the second lookup answers the metadata address; the idle
    connection to the first (checked) address must not carry the request."""
    reason = _second_post_after(monkeypatch, tls_server, "https", "public.test", "169.254.169.254")
    assert reason == "blocked_address"
    assert tls_server.sni == ["public.test"]


def test_a_kept_connection_to_an_address_no_longer_given_is_not_used(dev, monkeypatch, server):
    """The name now resolves to another (allowed) address where nothing listens: the request
    goes there, not over the idle connection to the old address."""
    assert _second_post_after(monkeypatch, server, "http", "inbox.test", "127.0.0.2") == "connect"


def _first(server: _Server, how: str) -> list[int]:
    """/first answers as ``how`` says; returns the client ports it was asked from."""
    ports: list[int] = []
    answers = {
        "too_large": reply(200, b"x" * 100, "text/plain"),
        "close": reply(202, b"", "text/plain", Connection="close"),
        "timeout": _drip(server, b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 40),
    }

    def route(handler: BaseHTTPRequestHandler) -> None:
        ports.append(handler.client_address[1])
        if how == "closed_quietly":  # kept alive as far as the client knows, then closed
            send(handler, 202, b"", "text/plain")
            handler.close_connection = True
        else:
            answers[how](handler)

    server.routes["/first"] = route
    return ports


@pytest.mark.parametrize("how", ["too_large", "close", "timeout", "closed_quietly"])
def test_a_connection_cut_or_closed_is_not_used_again(dev, server, base, how):
    first, ports = _first(server, how), _client_ports(server)
    try:
        _post(base + "/first", max_bytes=10, timeout=0.5)
    except FetchError as exc:
        assert exc.reason == how
    time.sleep(0.05)  # the server has closed its side by now
    assert _post(base + "/inbox").status == 202
    assert _post(base + "/inbox").status == 202
    assert len(first) == 1 and first[0] not in ports  # a fresh connection…
    assert len(ports) == 2 and len(set(ports)) == 1  # …kept for the next POST


def test_a_post_on_a_connection_closed_as_it_was_taken_goes_once_more_on_a_new_one(
    dev, server, base, monkeypatch
):
    """The server closes an idle connection just after the client checked it: the POST
    fails on it without an answer, and is sent again on a fresh connection."""
    first, ports = _first(server, "closed_quietly"), _client_ports(server)
    _post(base + "/first")
    time.sleep(0.05)
    monkeypatch.setattr(http._Connection, "usable_for", lambda self, addresses, now: True)
    assert _post(base + "/inbox").status == 202
    assert len(first) == 1 and len(ports) == 1 and first[0] != ports[0]


def test_a_post_answered_in_part_on_a_kept_connection_is_never_sent_twice(dev, server, base):
    """The answer was cut after the status line: the server may have taken the POST, so it is
    a failure, not a repeat on a new connection."""
    ports = _client_ports(server)
    cut: list[int] = []

    def half_answer(handler: BaseHTTPRequestHandler) -> None:
        cut.append(handler.client_address[1])
        handler.wfile.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 10\r\n\r\nabc")
        handler.wfile.flush()
        handler.close_connection = True

    server.routes["/cut"] = half_answer
    assert _post(base + "/inbox").status == 202
    with pytest.raises(FetchError) as caught:
        _post(base + "/cut")
    assert caught.value.reason == "network"
    assert len(cut) == 1 and cut[0] == ports[0]  # on the kept connection, and only once


# --- headers ---------------------------------------------------------------------------------


def test_user_agent_names_the_software_and_the_instance(dev, server, base, settings):
    server.routes["/ua"] = reply(200, b"", "text/plain")
    safe_request("GET", base + "/ua")
    assert (
        server.seen[0].headers["user-agent"] == f"WikiSocial/{__version__} (+{settings.SITE_URL})"
    )


def test_the_signer_signs_every_hop(dev, server, base):
    calls = []

    def signer(method, url, headers, body):
        calls.append((method, url, headers["Accept"], body))
        return {"Signature": f"signed {url}"}

    url = base + "/new"
    server.routes["/old"] = redirect("/new")
    server.routes["/new"] = document({"id": url})
    fetch_activitypub(base + "/old", signer=signer)
    assert [call[1] for call in calls] == [base + "/old", url]
    assert calls[0][0] == "GET" and calls[0][3] is None
    assert calls[0][2] == http.ACTIVITYPUB_ACCEPT
    assert [s.headers["signature"] for s in server.seen] == [f"signed {base}/old", f"signed {url}"]


# --- fetch_activitypub -----------------------------------------------------------------------


def test_fetch_activitypub_returns_the_document(dev, server, base):
    url = base + "/users/a"
    server.routes["/users/a"] = document({"id": url, "type": "Person"})
    assert fetch_activitypub(url) == {"id": url, "type": "Person"}
    assert server.seen[0].headers["accept"] == http.ACTIVITYPUB_ACCEPT


@pytest.mark.parametrize(
    "content_type",
    [
        "application/activity+json",
        "application/activity+json; charset=utf-8",
        "application/ld+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        'Application/LD+JSON;profile="https://www.w3.org/ns/activitystreams https://w3id.org/x"',
    ],
)
def test_activitypub_content_types_are_accepted(dev, server, base, content_type):
    server.routes["/note"] = document({"id": base + "/note"}, content_type)
    assert fetch_activitypub(base + "/note")["id"] == base + "/note"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "text/html",
        "image/png",
        'application/ld+json; profile="https://example.com/other"',
        "",
    ],
)
def test_other_content_types_are_refused(dev, server, base, content_type):
    server.routes["/note"] = document({"id": base + "/note"}, content_type)
    with pytest.raises(FetchError) as caught:
        fetch_activitypub(base + "/note")
    assert caught.value.reason == "bad_content_type"


@pytest.mark.parametrize("body", [b"<html>not json</html>", b"[1, 2]", b'"text"', b"[" * 5000])
def test_a_body_that_is_not_a_json_object_is_refused(dev, server, base, body):
    server.routes["/note"] = reply(200, body)
    with pytest.raises(FetchError) as caught:
        fetch_activitypub(base + "/note")
    assert caught.value.reason == "invalid_json"


@pytest.mark.parametrize("status", [404, 410, 500])
def test_an_error_status_is_reported_with_its_code(dev, server, base, status):
    server.routes["/gone"] = reply(status, b'{"error": "x"}')
    with pytest.raises(FetchError) as caught:
        fetch_activitypub(base + "/gone")
    assert (caught.value.reason, caught.value.status) == ("http_status", status)


@pytest.mark.parametrize(
    "doc_id",
    [
        "http://evil.example/note",
        "{base}/note/",
        "{base}/other",
        "{base}/note?x=1",
        None,
        ["{base}/note"],
    ],
)
def test_the_id_must_be_the_url_fetched(dev, server, base, doc_id):
    if isinstance(doc_id, str):
        doc_id = doc_id.format(base=base)
    server.routes["/note"] = document({"id": doc_id} if doc_id is not None else {"type": "Note"})
    with pytest.raises(FetchError) as caught:
        fetch_activitypub(base + "/note")
    assert caught.value.reason == "id_mismatch"


def test_the_id_must_be_the_final_url_after_redirects(dev, server, base):
    server.routes["/old"] = redirect("/new", 301)
    server.routes["/new"] = document({"id": base + "/new"})
    assert fetch_activitypub(base + "/old")["id"] == base + "/new"
    server.routes["/new"] = document({"id": base + "/old"})  # claims the URL it was not at
    with pytest.raises(FetchError) as caught:
        fetch_activitypub(base + "/old")
    assert caught.value.reason == "id_mismatch"


def test_scheme_and_host_case_do_not_matter_but_path_case_does(dev, server, base):
    server.routes["/Note"] = document({"id": f"HTTP://127.0.0.1:{server.port}/Note"})
    assert fetch_activitypub(base + "/Note")
    server.routes["/Note"] = document({"id": base + "/note"})
    with pytest.raises(FetchError):
        fetch_activitypub(base + "/Note")


def test_a_fragment_is_not_part_of_the_url_fetched(dev, server, base):
    server.routes["/users/a"] = document({"id": base + "/users/a"})
    assert fetch_activitypub(base + "/users/a#main-key")["id"] == base + "/users/a"
    assert server.seen[0].path == "/users/a"
