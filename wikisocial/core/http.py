"""The one HTTP client for every outbound request (fetching actors and objects, WebFinger,
media, deliveries).

What it guarantees, whoever calls it:

- Only https:// (and http:// with settings.DEV_FEDERATION).
- The host is resolved once per hop with socket.getaddrinfo; if ANY address is loopback, private,
  link-local, CGNAT, multicast, reserved or unspecified (also inside IPv4-mapped, 6to4 and NAT64
  IPv6 forms) the request is refused. DEV_FEDERATION allows loopback and private addresses.
- The connection goes to the address that was checked: a network backend pinned to it replaces
  DNS at connect time, so the name cannot be re-resolved (rebinding) between check and connect.
  The URL keeps its hostname, so the Host header, TLS SNI and certificate verification all use
  the hostname, exactly as for an ordinary request.
- Redirects are followed here, not by httpx: at most max_redirects, each hop checked again; never
  for POST (or any method other than GET and HEAD).
- A total deadline: every socket operation gets at most the time left, so a server that drips
  headers or body a byte at a time is cut at `timeout` seconds overall.
- The body is capped at max_bytes (a larger Content-Length is refused before reading); bodies are
  asked for and accepted only uncompressed, so the cap is on what we hold in memory.

Keep-alive (``keep_alive=True``, what deliveries ask for): after a complete answer read within the
caps, the connection is kept idle per (scheme, host, port) for KEEPALIVE_SECONDS. A later request
to the same origin still resolves and checks the host first, as above, and takes an idle
connection only if its peer address is among the addresses that passed this check; otherwise it
connects anew to a checked address. A connection that errs, times out, is cut by a cap or is
told to close is never kept.

No proxy is taken from the environment. DNS lookups themselves are bounded only by the system
resolver's own timeout.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpcore
import httpx
import orjson
from django.conf import settings

from wikisocial import __version__

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (method, url, headers, body) -> headers to add (HTTP signatures: federation/signatures.py).
Signer = Callable[[str, str, Mapping[str, str], bytes | None], Mapping[str, str]]

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
ACTIVITYPUB_ACCEPT = f'application/activity+json, application/ld+json; profile="{AS_CONTEXT}"'
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
FOLLOWED_METHODS = frozenset({"GET", "HEAD"})
CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
WRITE_PIECE = 64 * 1024
KEEPALIVE_SECONDS = 20.0  # an idle kept connection older than this is closed, not used
KEEP_PER_ORIGIN = 8  # idle connections kept per (scheme, host, port)
KEEP_TOTAL = 256  # idle connections kept per process (each an open file)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Headers and body go out as two writes: without this, Nagle's algorithm holds the body until
# the server's delayed ACK of the headers on a kept connection (~1 ms on loopback, worse afar).
NO_DELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


class FetchError(Exception):
    """An outbound request failed or was refused; `reason` is a short code for callers."""

    def __init__(self, reason: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Response:
    status: int
    headers: httpx.Headers
    final_url: str
    body: bytes

    @property
    def content_type(self) -> str:
        """The media type, lowercased, without parameters ("" when there is none)."""
        return self.headers.get("content-type", "").partition(";")[0].strip().lower()


# --- addresses -------------------------------------------------------------------------------


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _is_public(ip: IPAddress) -> bool:
    """True only for an ordinary, globally routable unicast address."""
    if isinstance(ip, ipaddress.IPv6Address) and (embedded := _embedded_ipv4(ip)) is not None:
        return _is_public(embedded)
    special = (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )
    return ip.is_global and not special and ip not in CGNAT


def _is_allowed(ip: IPAddress, dev: bool) -> bool:
    if dev:  # instances side by side on one machine or a LAN; still never 0.0.0.0 or multicast
        return not (ip.is_unspecified or ip.is_multicast)
    return _is_public(ip)


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError("dns", f"cannot resolve {host}: {exc}") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise FetchError("dns", f"{host} has no address")
    return list(dict.fromkeys(addresses))


def _checked_addresses(host: str, port: int, dev: bool) -> list[IPAddress]:
    addresses = _resolve(host, port)
    blocked = [str(ip) for ip in addresses if not _is_allowed(ip, dev)]
    if blocked:
        raise FetchError("blocked_address", f"{host} resolves to a refused address ({blocked[0]})")
    return addresses


# --- urls ------------------------------------------------------------------------------------


def _parse_url(url: str | httpx.URL) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchError("bad_url", f"not a valid URL: {url!r}") from exc
    return parsed.copy_with(fragment=None) if parsed.fragment else parsed


def _check_url(url: httpx.URL, dev: bool) -> None:
    schemes = ("http", "https") if dev else ("https",)
    if url.scheme not in schemes:
        raise FetchError("bad_scheme", f"only {' and '.join(schemes)} URLs are fetched: {url}")
    if not url.host or url.userinfo:
        raise FetchError("bad_url", f"a URL needs a host and no user name: {url}")


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _redirect_target(response: Response) -> httpx.URL | None:
    location = response.headers.get("location")
    if response.status not in REDIRECT_STATUSES or not location:
        return None
    try:
        return _parse_url(httpx.URL(response.final_url).join(location))
    except httpx.InvalidURL as exc:
        raise FetchError("bad_url", f"bad redirect location {location!r}") from exc


# --- deadline and pinning (httpcore network backend) -----------------------------------------


class _Deadline:
    """The end of the current request's time: shared by a connection's streams, and moved on
    when a kept connection serves the next request; with the bytes read since (``received``),
    so a failed request on a kept connection is sent again only if nothing came back."""

    __slots__ = ("at", "received")

    def __init__(self, at: float) -> None:
        self.at = at
        self.received = 0


def _time_left(deadline: float, timeout: float | None = None) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("timeout", "the request took longer than its time limit")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write gets at most the time left before the deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._inner.read(max_bytes, _time_left(self._deadline.at, timeout))
        self._deadline.received += len(data)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        for start in range(0, len(buffer), WRITE_PIECE):
            piece = buffer[start : start + WRITE_PIECE]
            self._inner.write(piece, _time_left(self._deadline.at, timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(self._deadline.at, timeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, left), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects to the checked addresses of one host instead of resolving its name again."""

    def __init__(self, host: str, addresses: list[IPAddress], deadline: _Deadline) -> None:
        self._host = host
        self._addresses = addresses
        self._deadline = deadline
        self._sync = httpcore.SyncBackend()
        self.peer: IPAddress | None = None  # the checked address it connected to

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if host != self._host:
            raise FetchError("blocked_address", f"unexpected connection to {host}")
        error: httpcore.ConnectError | None = None
        for ip in self._addresses:  # in the resolver's order; next one if refused/unreachable
            left = _time_left(self._deadline.at, timeout)
            try:
                stream = self._sync.connect_tcp(str(ip), port, left, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
                continue
            self.peer = ip
            return _DeadlineStream(stream, self._deadline)
        raise error or httpcore.ConnectError(f"no address for {host}")

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise FetchError("bad_url", "unix sockets are never used for outbound requests")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@contextmanager
def _network_errors() -> Iterator[None]:
    try:
        yield
    except httpcore.TimeoutException as exc:
        raise FetchError("timeout", f"timed out: {exc or type(exc).__name__}") from exc
    except httpcore.ConnectError as exc:
        raise FetchError("connect", f"cannot connect: {exc}") from exc
    except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
        raise FetchError("network", f"connection failed: {exc or type(exc).__name__}") from exc


_ssl_lock = threading.Lock()
_ssl_built: list[ssl.SSLContext] = []


def _ssl_context() -> ssl.SSLContext:
    """Built once per process: loading the CA bundle costs ~20 ms, and the sending threads of
    a worker that just started would otherwise all build their own at once. Checked again
    under the lock, so the threads that waited for it take the one built meanwhile."""
    if not _ssl_built:
        with _ssl_lock:
            if not _ssl_built:
                _ssl_built.append(httpx.create_ssl_context(trust_env=False))
    return _ssl_built[0]


class _Connection:
    """One connection to one origin, pinned to a checked address (its backend), with the
    deadline its streams obey."""

    def __init__(self, url: httpx.URL, host: str, addresses: list[IPAddress], deadline: float):
        self.key = (url.scheme, host, _port(url))
        self.deadline = _Deadline(deadline)
        self.backend = _PinnedBackend(host, addresses, self.deadline)
        origin = httpcore.Origin(url.raw_scheme, url.raw_host, _port(url))
        context = _ssl_context() if url.scheme == "https" else None
        self.core = httpcore.HTTPConnection(
            origin, ssl_context=context, keepalive_expiry=KEEPALIVE_SECONDS,
            network_backend=self.backend, socket_options=NO_DELAY,
        )  # fmt: skip
        self.idle_since = 0.0

    def usable_for(self, addresses: list[IPAddress], now: float) -> bool:
        """Still open and idle, not too old, and connected to one of ``addresses`` (those that
        passed the address check for the request at hand)."""
        return (
            self.backend.peer in addresses
            and now - self.idle_since < KEEPALIVE_SECONDS
            and self.core.is_idle()
            and not self.core.has_expired()
        )

    def close(self) -> None:
        self.core.close()


class _KeptConnections:
    """Idle keep-alive connections per (scheme, host, port), shared by a process's threads; a
    connection is out of here (owned by one thread) while it serves a request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._count = 0
        self._next_sweep = 0.0  # when full, expired connections are looked for once a second

    def take(self, key: tuple[str, str, int], addresses: list[IPAddress]) -> _Connection | None:
        """The most recently used idle connection for ``key`` that may serve a request whose
        checked addresses are ``addresses``; idle ones that may not are closed. Each is checked
        outside the lock (the check polls its socket)."""
        while (connection := self._pop(key)) is not None:
            if connection.usable_for(addresses, time.monotonic()):
                return connection
            connection.close()
        return None

    def _pop(self, key: tuple[str, str, int]) -> _Connection | None:
        with self._lock:
            idle = self._idle.get(key)
            if not idle:
                return None
            self._count -= 1
            connection = idle.pop()
            if not idle:
                del self._idle[key]
            return connection

    def give(self, connection: _Connection) -> None:
        """Keep ``connection`` if it is idle (its answer was read whole) and there is room;
        when the process keeps KEEP_TOTAL, those idle too long are closed first."""
        if not connection.core.is_idle():
            connection.close()
            return
        now = time.monotonic()
        connection.idle_since = now
        with self._lock:
            old = []
            if self._count >= KEEP_TOTAL and now >= self._next_sweep:
                old, self._next_sweep = self._expired(now), now + 1.0
            idle = self._idle.get(connection.key, [])
            keep = len(idle) < KEEP_PER_ORIGIN and self._count < KEEP_TOTAL
            if keep:
                idle.append(connection)
                self._idle[connection.key] = idle
                self._count += 1
        for stale in old if keep else [*old, connection]:
            stale.close()

    def _expired(self, now: float) -> list[_Connection]:
        """Take out (under the lock) every connection idle for KEEPALIVE_SECONDS or more."""
        old = []
        for key, idle in list(self._idle.items()):
            fresh = [c for c in idle if now - c.idle_since < KEEPALIVE_SECONDS]
            old += [c for c in idle if now - c.idle_since >= KEEPALIVE_SECONDS]
            if fresh:
                self._idle[key] = fresh
            else:
                del self._idle[key]
        self._count -= len(old)
        return old


_kept = _KeptConnections()


# --- requests --------------------------------------------------------------------------------


def user_agent() -> str:
    return f"WikiSocial/{__version__} (+{settings.SITE_URL})"


def _hop_headers(
    method: str,
    url: httpx.URL,
    headers: Mapping[str, str] | None,
    content: bytes | None,
    signer: Signer | None,
) -> dict[str, str]:
    merged = {"User-Agent": user_agent(), "Accept-Encoding": "identity", **(headers or {})}
    if signer is not None:  # signed again for every hop: the signature covers host and path
        merged.update(signer(method, str(url), dict(merged), content))
    return merged


def _check_declared_length(method: str, headers: httpx.Headers, max_bytes: int) -> None:
    declared = headers.get("content-length", "")
    has_body = method != "HEAD"  # a HEAD answer declares the GET's length
    if has_body and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError("too_large", f"body of {declared} bytes is over {max_bytes}")
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise FetchError("bad_encoding", f"compressed body ({encoding}) though none was asked for")


def _read_capped(response: httpcore.Response, max_bytes: int) -> bytes:
    body = bytearray()
    with _network_errors():
        for chunk in response.iter_stream():
            body += chunk
            if len(body) > max_bytes:
                raise FetchError("too_large", f"body is over {max_bytes} bytes")
    return bytes(body)


def _core_request(
    method: str, url: httpx.URL, headers: dict[str, str], content: bytes | None, keep: bool
) -> httpcore.Request:
    """The request as sent: Host first (the URL's, unless a signer set it), then ours."""
    given = {name.lower() for name in headers}
    fields: list[tuple[bytes, bytes]] = []
    if "host" not in given:
        fields.append((b"Host", url.netloc))
    if "accept" not in given:
        fields.append((b"Accept", b"*/*"))
    fields += [(name.encode("ascii"), value.encode("ascii")) for name, value in headers.items()]
    if content is not None or method in BODY_METHODS:
        fields.append((b"Content-Length", str(len(content or b"")).encode("ascii")))
    if not keep:
        fields.append((b"Connection", b"close"))
    target = httpcore.URL(
        scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
    )
    return httpcore.Request(method, target, headers=fields, content=content or b"")


def _exchange(
    connection: _Connection, request: httpcore.Request, method: str, max_bytes: int
) -> tuple[int, httpx.Headers, bytes]:
    """Send ``request`` on ``connection`` and read the answer within the caps; the connection
    is closed on any failure."""
    try:
        with _network_errors():
            response = connection.core.handle_request(request)
        try:
            headers = httpx.Headers(response.headers)
            _check_declared_length(method, headers, max_bytes)
            body = _read_capped(response, max_bytes)
        finally:
            response.close()
    except BaseException:
        connection.close()
        raise
    return response.status, headers, body


def _hop(
    method: str,
    url: httpx.URL,
    headers: dict[str, str],
    content: bytes | None,
    deadline: float,
    max_bytes: int,
    keep_alive: bool = False,
) -> Response:
    dev = bool(settings.DEV_FEDERATION)
    _check_url(url, dev)
    host = url.raw_host.decode("ascii")
    addresses = _checked_addresses(host, _port(url), dev)
    request = _core_request(method, url, headers, content, keep_alive)
    kept = _kept.take((url.scheme, host, _port(url)), addresses) if keep_alive else None
    if kept is not None:
        kept.deadline.at, kept.deadline.received = deadline, 0
        try:
            status, answer_headers, body = _exchange(kept, request, method, max_bytes)
        except FetchError as exc:
            # The server may have closed the idle connection as we sent: once more on a new
            # one, but only if not a byte of an answer came back (then the server may have
            # taken the request; a repeat is harmless for deliveries, taken once by id).
            if exc.reason != "network" or kept.deadline.received:
                raise
            kept = None
    if kept is None:
        kept = _Connection(url, host, addresses, deadline)
        status, answer_headers, body = _exchange(kept, request, method, max_bytes)
    if keep_alive:
        _kept.give(kept)
    else:
        kept.close()
    return Response(status, answer_headers, str(url), body)


def safe_request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    timeout: float = 10,
    max_bytes: int = 1_000_000,
    max_redirects: int = 3,
    follow_redirects: bool = True,
    signer: Signer | None = None,
    keep_alive: bool = False,
) -> Response:
    """Send one request under the rules above; any status comes back as a Response (a redirect
    too, when not followed). Raises FetchError when refused or when the request fails.
    ``keep_alive``: take and leave connections in the process's keep-alive pool (see above)."""
    method = method.upper()
    deadline = time.monotonic() + timeout
    follow = follow_redirects and method in FOLLOWED_METHODS
    current = _parse_url(url)
    for _ in range(max_redirects + 1):
        hop_headers = _hop_headers(method, current, headers, content, signer)
        response = _hop(method, current, hop_headers, content, deadline, max_bytes, keep_alive)
        target = _redirect_target(response) if follow else None
        if target is None:
            return response
        current = target
    raise FetchError("too_many_redirects", f"more than {max_redirects} redirects from {url}")


# --- ActivityPub -----------------------------------------------------------------------------


def _media_param(params: str, name: str) -> str | None:
    for part in params.split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip().lower() == name:
            return value.strip().strip('"')
    return None


def is_activitypub_content_type(value: str) -> bool:
    media_type, _, params = value.partition(";")
    media_type = media_type.strip().lower()
    if media_type == "application/activity+json":
        return True
    profile = _media_param(params, "profile")
    return media_type == "application/ld+json" and (
        profile is None or AS_CONTEXT in profile.split()
    )


def _origin_case_folded(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))


def same_url(a: str, b: str) -> bool:
    """Equal, or equal once the scheme and host are lowercased: nothing else is normalised."""
    try:
        return a == b or _origin_case_folded(a) == _origin_case_folded(b)
    except ValueError:  # not a URL at all
        return False


def _parse_document(body: bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FetchError("invalid_json", f"the body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise FetchError("invalid_json", "the body is not a JSON object")
    return document


def fetch_activitypub(url: str, *, signer: Signer | None = None) -> dict[str, Any]:
    """GET an ActivityPub document; it must come with an ActivityPub content type and carry
    an `id` equal to the URL it was finally fetched from (after redirects)."""
    response = safe_request("GET", url, headers={"Accept": ACTIVITYPUB_ACCEPT}, signer=signer)
    if response.status != 200:
        raise FetchError(
            "http_status",
            f"{response.final_url} answered {response.status}",
            status=response.status,
        )
    content_type = response.headers.get("content-type", "")
    if not is_activitypub_content_type(content_type):
        raise FetchError("bad_content_type", f"not an ActivityPub content type: {content_type!r}")
    document = _parse_document(response.body)
    document_id = document.get("id")
    if not isinstance(document_id, str) or not same_url(document_id, response.final_url):
        raise FetchError(
            "id_mismatch", f"document id {document_id!r} is not its URL {response.final_url}"
        )
    return document
