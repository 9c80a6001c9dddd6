"""The HTTP server around App, and the Python API to run it (ReferenceServer)."""

from __future__ import annotations

import contextlib
import functools
import gzip
import ipaddress
import secrets
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from .app import App
from .faults import FaultSet
from .ids import meteor_id, object_id
from .ratelimit import DEFAULT_CALLS, DEFAULT_WINDOW_MS, RateLimiter
from .state import State, load_roles
from .variants import VariantSet
from .versions import DEFAULT_VERSION, resolve
from .wire import Headers, Request

_MAX_LINE = 65536
_MAX_HEADERS = 100


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every answer has a Content-Length
    server_version = "rc-contract-reference"
    sys_version = ""
    disable_nagle_algorithm = True
    server: _HTTPServer
    headers_in: Headers
    _headers_buffer: list[bytes]  # created by send_response_only

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # quiet by default
        pass

    def handle_one_request(self) -> None:
        # A lean replacement for the stdlib's email-based header parsing, which
        # costs more than the whole route does.
        self.command = ""  # a request line that does not parse (TLS, garbage) sets none
        try:
            line = self.rfile.readline(_MAX_LINE + 1)
            if not line:
                self.close_connection = True
                return
            parts = line.decode("latin-1").split()
            if len(line) > _MAX_LINE or len(parts) != 3 or not parts[2].startswith("HTTP/"):
                self._refuse(400)
                return
            self.command, self.path, self.request_version = parts
            headers = Headers()
            for _ in range(_MAX_HEADERS):
                raw = self.rfile.readline(_MAX_LINE + 1)
                if raw in (b"\r\n", b"\n", b""):
                    break
                name, colon, value = raw.decode("latin-1").partition(":")
                if not colon or len(raw) > _MAX_LINE:
                    self._refuse(400)
                    return
                headers[name.strip().lower()] = value.strip()
            else:
                self._refuse(431)
                return
            connection = headers.get("Connection", "").lower()
            self.close_connection = connection == "close" or (
                self.request_version != "HTTP/1.1" and connection != "keep-alive"
            )
            self.headers_in = headers
            if not (headers.get("Content-Length") or "0").isdigit():
                self._refuse(400)
                return
            self._serve(headers)
        except (TimeoutError, OSError):
            # The client went away mid-request (reset, half-closed, TLS torn down).
            self.close_connection = True

    def _refuse(self, status: int) -> None:
        self.request_version = "HTTP/1.1"
        self.close_connection = True
        self._write(status, b"", None, [("Connection", "close")])

    def _serve(self, headers: Headers) -> None:
        length = int(headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        path, _, query = self.path.partition("?")
        prefix = self.server.path_prefix
        if prefix:
            # Behind a reverse proxy at /chat: only paths under the prefix reach the app.
            if path != prefix and not path.startswith(prefix + "/"):
                self._write(404, b'{"success":false,"error":"Not found"}', "application/json", [])
                return
            path = path[len(prefix):] or "/"
        request = Request(
            method=self.command,
            path=path,
            query=query,
            headers=headers,
            body=body,
            client_ip=self.client_address[0],
        )
        resp = self.server.app.handle(request)
        if resp.delay:
            time.sleep(resp.delay)
        if resp.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        payload, out = resp.payload(), list(resp.headers)
        if resp.compress and "gzip" in headers_value(self.headers_in, "Accept-Encoding"):
            payload = gzip.compress(payload)
            out += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        if resp.close:
            self.close_connection = True
            out.append(("Connection", "close"))
        self._write(resp.status, payload, resp.content_type, out, chunked=resp.chunked,
                    reason=resp.reason)

    def _write(
        self,
        status: int,
        payload: bytes,
        content_type: str | None,
        headers: list[tuple[str, str]],
        chunked: bool = False,
        reason: str | None = None,
    ) -> None:
        self.send_response_only(status, reason)
        self.send_header("Date", _http_date())
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            half = len(payload) // 2
            parts = [p for p in (payload[:half], payload[half:]) if p]
            payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
        else:
            self.send_header("Content-Length", str(len(payload)))
        # One write for head and body: no small-packet stalls on keep-alive.
        self._headers_buffer.append(b"\r\n" if self.command == "HEAD" else b"\r\n" + payload)
        self.flush_headers()


def headers_value(headers: Headers, name: str) -> str:
    return str(headers.get(name, "") or "").lower()


def _http_date() -> str:
    """The Date header, formatted at most once a second."""
    return _http_date_of(int(time.time()))


# Two: the threads answering across a second's turn ask for both seconds.
@functools.lru_cache(maxsize=2)
def _http_date_of(second: int) -> str:
    return formatdate(second, usegmt=True)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive clients must not hold up stop()
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App, path_prefix: str = "") -> None:
        self.app = app
        self.path_prefix = path_prefix
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A bad client is never worth a traceback on the console of the person running
        # the server; a fault of the server's own is one line (the client got no answer).
        error = sys.exception()
        if error is None or isinstance(error, OSError):
            return
        sys.stderr.write(f"rc-contract reference server: no answer to {client_address[0]}: "
                         f"{type(error).__name__}: {error}\n")

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"the reference server listens on loopback only, not {host!r}")


class ReferenceServer:
    """A Rocket.Chat look-alike on loopback for one emulated version.

    >>> with ReferenceServer(version="8.5") as server:
    ...     url = server.url
    """

    def __init__(
        self,
        version: str = DEFAULT_VERSION,
        admin_password: str | None = None,
        faults: Iterable[str] = (),
        rate_limit: bool = False,
        rate_limit_calls: int = DEFAULT_CALLS,
        rate_limit_window_ms: int = DEFAULT_WINDOW_MS,
        limiter_first: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        variants: Iterable[str] = (),
        tls: ssl.SSLContext | None = None,
    ) -> None:
        _check_loopback(host)
        self.profile = resolve(version)
        self.version = self.profile.version
        self.password_generated = admin_password is None
        self.admin_password = admin_password or secrets.token_urlsafe(16)
        self.faults = FaultSet(faults)
        self.variants = VariantSet(variants)
        options = self.variants.options
        roles = load_roles()
        if "rate_limit_calls" in options:
            # A deployment whose accounts do not bypass the limiter: headers on every answer.
            rate_limit, rate_limit_calls = True, options["rate_limit_calls"]
            roles = {role: perms - {"api-bypass-rate-limit"} for role, perms in roles.items()}
        limiter = RateLimiter(rate_limit_calls, rate_limit_window_ms) if rate_limit else None
        self.state = State(self.profile, self.admin_password, roles,
                           visitor_id=meteor_id if options.get("visitor_ids") == "meteor"
                           else object_id)
        self.app = App(self.profile, self.state, self.faults, limiter, self.variants, limiter_first)
        self.path_prefix = str(options.get("path_prefix", ""))
        self.tls = tls
        self.host = host
        self.port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the reference server is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{host}:{self.port}{self.path_prefix}"

    def start(self) -> str:
        """Bind, serve on a background thread, and return the base URL."""
        if self._httpd is not None:
            return self.url
        httpd = _HTTPServer((self.host, self.port), self.app, self.path_prefix)
        if self.tls is not None:
            httpd.socket = self.tls.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, args=(0.1,), name="rc-reference-server", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ReferenceServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
