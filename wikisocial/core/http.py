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

No proxy is taken from the environment (trust_env=False). DNS lookups themselves are bounded only
by the system resolver's own timeout.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
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


def _time_left(deadline: float, timeout: float | None = None) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("timeout", "the request took longer than its time limit")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write gets at most the time left before the deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(self._deadline, timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        for start in range(0, len(buffer), WRITE_PIECE):
            piece = buffer[start : start + WRITE_PIECE]
            self._inner.write(piece, _time_left(self._deadline, timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(self._deadline, timeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, left), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects to the checked addresses of one host instead of resolving its name again."""

    def __init__(self, host: str, addresses: list[IPAddress], deadline: float) -> None:
        self._host = host
        self._addresses = addresses
        self._deadline = deadline
        self._sync = httpcore.SyncBackend()

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
            left = _time_left(self._deadline, timeout)
            try:
                stream = self._sync.connect_tcp(str(ip), port, left, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
                continue
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


class _BodyStream(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        with _network_errors():
            yield from self._response.iter_stream()

    def close(self) -> None:
        self._response.close()


class _PinnedTransport(httpx.BaseTransport):
    """httpx's HTTPTransport, with our network backend under its connection pool."""

    def __init__(self, backend: _PinnedBackend) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(), network_backend=backend, max_connections=1, retries=0
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = httpcore.URL(
            scheme=request.url.raw_scheme,
            host=request.url.raw_host,
            port=request.url.port,
            target=request.url.raw_path,
        )
        core_request = httpcore.Request(
            request.method,
            url,
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _network_errors():
            core_response = self._pool.handle_request(core_request)
        return httpx.Response(
            core_response.status,
            headers=core_response.headers,
            stream=_BodyStream(core_response),
            extensions=core_response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


@cache
def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=False)


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


def _check_declared_length(response: httpx.Response, max_bytes: int) -> None:
    declared = response.headers.get("content-length", "")
    has_body = response.request.method != "HEAD"  # a HEAD answer declares the GET's length
    if has_body and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError("too_large", f"body of {declared} bytes is over {max_bytes}")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise FetchError("bad_encoding", f"compressed body ({encoding}) though none was asked for")


def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    body = bytearray()
    for chunk in response.iter_raw():
        body += chunk
        if len(body) > max_bytes:
            raise FetchError("too_large", f"body is over {max_bytes} bytes")
    return bytes(body)


def _hop(
    method: str,
    url: httpx.URL,
    headers: dict[str, str],
    content: bytes | None,
    deadline: float,
    max_bytes: int,
) -> Response:
    dev = bool(settings.DEV_FEDERATION)
    _check_url(url, dev)
    host = url.raw_host.decode("ascii")
    backend = _PinnedBackend(host, _checked_addresses(host, _port(url), dev), deadline)
    limits = httpx.Timeout(_time_left(deadline))
    client = httpx.Client(transport=_PinnedTransport(backend), trust_env=False, timeout=limits)
    with client, client.stream(method, url, headers=headers, content=content) as response:
        _check_declared_length(response, max_bytes)
        body = _read_capped(response, max_bytes)
    return Response(response.status_code, response.headers, str(url), body)


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
) -> Response:
    """Send one request under the rules above; any status comes back as a Response (a redirect
    too, when not followed). Raises FetchError when refused or when the request fails."""
    method = method.upper()
    deadline = time.monotonic() + timeout
    follow = follow_redirects and method in FOLLOWED_METHODS
    current = _parse_url(url)
    for _ in range(max_redirects + 1):
        hop_headers = _hop_headers(method, current, headers, content, signer)
        response = _hop(method, current, hop_headers, content, deadline, max_bytes)
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
