"""Posting to a URL someone typed in, without letting it reach inside the network (SSRF).

The host is resolved here, every address checked, and the connection made to a checked address;
the address actually connected to is checked again, so a DNS answer that changes between the
check and the delivery (rebinding) cannot point the post at loopback or a private network.
Time and the size of the response read are bounded. No Django import: the caller passes the
operator's setting.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 64 * 1024


class UnsafeDestination(Exception):
    """The URL resolves to an address CSOS refuses to post to."""


@dataclass(frozen=True)
class PostResult:
    status: int
    body: bytes
    latency_ms: int


def address_refused(address: str) -> bool:
    """Loopback, private, link-local, multicast, reserved or unspecified: not the internet."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def resolve_checked(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses of ``host``; refused if any of them is not on the internet."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UnsafeDestination(f"{host} does not resolve: {error}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    refused = [a for a in addresses if address_refused(a)]
    if refused and not allow_private:
        raise UnsafeDestination(f"{host} resolves to {refused[0]}, which is not a public address")
    return addresses


def url_check(url: str, *, allow_private: bool) -> None:
    """Refuse a URL that is not http(s) or whose host resolves inside the network."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeDestination("The URL must start with https:// (or http://) and name a host.")
    resolve_checked(parts.hostname, _port(parts), allow_private=allow_private)


def _port(parts) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


class _CheckedConnection(http.client.HTTPConnection):
    """Connects to an address checked by ``resolve_checked``, then checks the peer again."""

    allow_private = False

    def connect(self) -> None:
        addresses = resolve_checked(self.host, self.port, allow_private=self.allow_private)
        self.sock = socket.create_connection((addresses[0], self.port), timeout=self.timeout)
        # As http.client does: a request must not wait for the previous one's delayed ACK.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = self.sock.getpeername()[0]
        if address_refused(peer) and not self.allow_private:
            self.sock.close()
            raise UnsafeDestination(f"{self.host} connected to {peer}, not a public address")


class _CheckedHTTPSConnection(_CheckedConnection):
    default_port = 443

    def connect(self) -> None:
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


class Poster:
    """Posts to one URL over one kept-alive connection: a batch of deliveries to one endpoint
    pays for one resolution, one address check and one connection, not one per post.

    Every new connection is resolved and checked again (``_CheckedConnection``); a connection
    is dropped after any error, after a response it could not read whole, and when the receiver
    asks to close it. Use it as a context manager, which closes the connection.
    """

    def __init__(self, url: str, *, allow_private: bool):
        parts = urlsplit(url)
        self._valid = parts.scheme in {"http", "https"} and bool(parts.hostname)
        self._kind = _CheckedHTTPSConnection if parts.scheme == "https" else _CheckedConnection
        self._host, self._port = parts.hostname, _port(parts) if self._valid else 0
        self._path = f"{parts.path or '/'}{'?' + parts.query if parts.query else ''}"
        self._allow_private = allow_private
        self._connection: _CheckedConnection | None = None

    def __enter__(self) -> "Poster":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def post(self, *, body: bytes, headers: dict[str, str]) -> PostResult:
        """POST ``body``; the status and at most MAX_RESPONSE_BYTES of the response. Raises
        UnsafeDestination, OSError (refused, reset, timed out) or http.client errors."""
        if not self._valid:
            raise UnsafeDestination(
                "The URL must start with https:// (or http://) and name a host."
            )
        reused = self._connection is not None
        try:
            return self._post(body, headers)
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            if not reused:
                raise
            # The receiver closed the idle kept-alive connection: post once more on a new one.
            return self._post(body, headers)

    def _post(self, body: bytes, headers: dict[str, str]) -> PostResult:
        if self._connection is None:
            self._connection = self._kind(self._host, self._port, timeout=CONNECT_TIMEOUT)
            self._connection.allow_private = self._allow_private
        connection = self._connection
        started = time.monotonic()
        try:
            if connection.sock is not None:
                connection.sock.settimeout(CONNECT_TIMEOUT)
            connection.request("POST", self._path, body=body, headers=headers)
            connection.sock.settimeout(max(TOTAL_TIMEOUT - (time.monotonic() - started), 0.1))
            response = connection.getresponse()
            content = response.read(MAX_RESPONSE_BYTES)
            if time.monotonic() - started > TOTAL_TIMEOUT:
                raise TimeoutError(f"the receiver took longer than {TOTAL_TIMEOUT:.0f}s")
        except BaseException:
            self.close()
            raise
        if response.will_close or (not response.isclosed() and response.length != 0):
            # Closing is the only way past a response larger than what was read (a bodiless
            # answer such as 204 has length 0 and stays open, though not marked closed).
            self.close()
        return PostResult(
            status=response.status,
            body=content,
            latency_ms=round((time.monotonic() - started) * 1000),
        )


def post(url: str, *, body: bytes, headers: dict[str, str], allow_private: bool) -> PostResult:
    """POST ``body`` to ``url`` on a connection of its own (see ``Poster.post``)."""
    with Poster(url, allow_private=allow_private) as poster:
        return poster.post(body=body, headers=headers)
