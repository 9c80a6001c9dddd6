"""The HTTP session every request of a run goes through.

It paces itself on Rocket.Chat's rate-limit headers, waits out a 429 and tries
again (a 429 is the limiter, never a contract answer), retries nothing else,
counts requests and records every exchange for the reports. Recording keeps
raw values: redaction happens when anything is written out.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from rc_contract.errors import NotSent, TransportError
from rc_contract.live import interrupts
from rc_contract.live.breaker import PROBE_PATH, PROBE_TIMEOUT_S, Breaker

RATE_LIMIT_STATUS = 429
MAX_RATE_LIMIT_RETRIES = 5
DEFAULT_TIMEOUT = 10.0  # RC_TIMEOUT's default (configuration/settings.py)
_WAIT_SECONDS = re.compile(r"wait (\d+) seconds")
# Rocket.Chat limits a route, not a URL: every visitor token shares one window.
# Anchored at the end only: RC_URL may carry a path prefix (a proxy at /chat).
_VISITOR_BY_TOKEN = re.compile(r"^(.*/api/v1/livechat/visitor)/[^/]+$")
_MAX_DESCRIBED_QUERY = 120


class RateLimitedError(TransportError):
    """Still 429 after waiting out the limiter several times: an error of the run."""


@dataclass
class Exchange:
    started: float
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int
    response_headers: dict[str, str]
    body: str
    elapsed: float
    http_version: str = "HTTP/1.1"
    # The pytest case (node id) that sent it; None for the run's set-up and tear-down.
    case: str | None = None
    # The status line's reason phrase, as sent (VI-TOKEN-ABSENT looks there too).
    reason: str = ""

    def header(self, name: str) -> str:
        lowered = name.lower()
        for key, value in self.response_headers.items():
            if key.lower() == lowered:
                return value
        return ""

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class Recorder:
    """Every exchange of the run, in order; thread-safe."""

    exchanges: list[Exchange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rate_limited: int = 0
    waited_s: float = 0.0
    # Set by the plugin around each case, so observations can tell the cases apart.
    current_case: str | None = None
    # The path prefix of RC_URL ("/chat" behind a proxy); set by the session.
    base_path: str = ""
    # Answers recorded once and given again to a case asking the same question: (case, exchange).
    served: list[tuple[str | None, Exchange]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def serve(self, exchange: Exchange) -> None:
        with self._lock:
            self.served.append((self.current_case, exchange))

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            if exchange.case is None:
                exchange.case = self.current_case
            self.exchanges.append(exchange)

    def for_path(self, path: str) -> list[Exchange]:
        """The exchanges of an API path (``/api/v1/...``), under RC_URL's path prefix."""
        full = self.base_path + path
        with self._lock:
            return [e for e in self.exchanges if e.path == full]

    @property
    def requests_sent(self) -> int:
        return len(self.exchanges) + len(self.errors)


def _route(method: str, url: str) -> str:
    """The limiter's key for a request: method and route (path parameters collapsed)."""
    path = _VISITOR_BY_TOKEN.sub(r"\1/{token}", urlsplit(url).path)
    return f"{method.upper()} {path}"


def describe(method: str, url: str) -> str:
    """The request as a report names it: route and (shortened) query, no token in the path."""
    query = urlsplit(url).query
    if len(query) > _MAX_DESCRIBED_QUERY:
        query = query[:_MAX_DESCRIBED_QUERY] + "..."
    return _route(method, url) + (f"?{query}" if query else "")


class Pacer:
    """Waits before a request when the route's rate-limit window is used up."""

    def __init__(self, notify: Callable[[str], None] | None = None) -> None:
        self._windows: dict[str, tuple[int, float]] = {}  # route -> (remaining, reset epoch s)
        self._notify = notify or (lambda message: None)
        self._lock = threading.Lock()
        # Calls the limiter counted (answers carrying its headers), by route; waits so far.
        self.counted: dict[str, int] = {}
        self.waits = 0
        # Called at the start of a wait, about once a second in it (seconds left), 0 at its end.
        self.on_wait: Callable[[float], None] = lambda left: None
        # RC_TIME_BUDGET's deadline (epoch s) while the run's cases go on: a wait that
        # would end after it is not made and its request not sent (``NotSent``).
        self.deadline: float | None = None
        self.budget_s: float = 0.0

    def window(self, route: str) -> tuple[int, float] | None:
        """The route's last known window: (calls remaining, reset epoch s), if limited."""
        with self._lock:
            return self._windows.get(route)

    def wait_before(self, route: str, recorder: Recorder) -> None:
        with self._lock:
            remaining, reset = self._windows.get(route, (1, 0.0))
        delay = reset - time.time()
        if remaining <= 0 and delay > 0:
            self._within_budget(route, delay)
            self._sleep(delay, f"rate limit: {route} has no calls left in this window", recorder)

    def _within_budget(self, route: str, delay: float) -> None:
        """The plan, re-checked on the limiter's headers: no wait past the budget's deadline."""
        end = time.time() + delay
        if self.deadline is not None and end > self.deadline:
            raise NotSent(
                f"not sent: {route} would wait for the rate limiter until "
                f"{time.strftime('%H:%M:%S', time.localtime(end))}, past the "
                f"{self.budget_s:.0f} s budget's deadline; raise RC_TIME_BUDGET or use an "
                "account holding api-bypass-rate-limit")

    def observe(self, route: str, response: requests.Response) -> None:
        headers = response.headers
        if "X-RateLimit-Remaining" in headers and "X-RateLimit-Reset" in headers:
            try:
                remaining = int(headers["X-RateLimit-Remaining"])
                reset = int(headers["X-RateLimit-Reset"]) / 1000.0
            except ValueError:
                return
            with self._lock:
                self._windows[route] = (remaining, reset)
                self.counted[route] = self.counted.get(route, 0) + 1

    def wait_after_429(self, route: str, response: requests.Response, recorder: Recorder) -> None:
        delay = 0.0
        reset = response.headers.get("X-RateLimit-Reset")
        if reset and reset.isdigit():
            delay = int(reset) / 1000.0 - time.time()
        else:
            match = _WAIT_SECONDS.search(response.text)
            delay = float(match.group(1)) if match else 1.0
        self._within_budget(route, delay)
        self._sleep(max(delay, 0.05), f"rate limit: 429 on {route}", recorder)

    def _sleep(self, delay: float, why: str, recorder: Recorder) -> None:
        now = time.time()
        self._notify(
            f"{time.strftime('%H:%M:%S', time.localtime(now))} {why}; waiting {delay:.1f} s "
            f"until the limiter resets at {time.strftime('%H:%M:%S', time.localtime(now + delay))}"
        )
        recorder.waited_s += delay
        self.waits += 1
        end = time.time() + delay + 0.05
        while (left := end - time.time()) > 0:
            self.on_wait(left)
            interrupts.sleep(min(left, 1.0))  # a signal must not wait for the limiter
        self.on_wait(0.0)


class RCSession(requests.Session):
    """``requests.Session`` bound to one server; relative URLs are resolved against it."""

    def __init__(
        self,
        base_url: str,
        recorder: Recorder,
        pacer: Pacer,
        timeout: float = DEFAULT_TIMEOUT,
        verify: bool | str = True,
    ) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.recorder = recorder
        recorder.base_path = urlsplit(self.base_url).path.rstrip("/")
        self.pacer = pacer
        self.timeout = timeout
        self.verify = verify
        self.headers["User-Agent"] = "rc-contract"
        self.breaker = Breaker()

    def route(self, method: str, path: str) -> str:
        """The limiter's key for an API path of this server (RC_URL's path prefix included)."""
        return _route(method, self.base_url + path)

    # The pacing wraps every request; the arguments are requests' own (hence the override).
    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if url.startswith("/"):
            url = self.base_url + url
        # RC_TIMEOUT for every request, also Schemathesis' (it passes its own).
        kwargs["timeout"] = self.timeout
        route = _route(method, url)
        for _attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            interrupts.checkpoint()
            self.breaker.check()
            self.pacer.wait_before(route, self.recorder)
            started = time.time()
            request = describe(method, _with_params(url, kwargs.get("params")))
            try:
                response = super().request(method, url, *args, **kwargs)
            except requests.RequestException as exc:
                self.recorder.errors.append(f"{request}: {_reason(exc)}")
                interrupts.checkpoint(stop_cleanup=False)
                self.breaker.no_answer(request, f"failed: {_reason(exc)}", self._probe)
                raise TransportError(f"{request} failed: {_reason(exc)}") from exc
            self._record(response, started)
            interrupts.checkpoint(stop_cleanup=False)
            self.breaker.answered(request, response.status_code, self._probe)
            self.pacer.observe(route, response)
            if response.status_code != RATE_LIMIT_STATUS:
                return response
            self.recorder.rate_limited += 1
            if _attempt == MAX_RATE_LIMIT_RETRIES:
                break
            self.pacer.wait_after_429(route, response, self.recorder)
        # A 429 is the limiter speaking, never the contract: it must not reach a case.
        raise RateLimitedError(
            f"{describe(method, url)} still answered 429 after waiting out the rate limiter "
            f"{MAX_RATE_LIMIT_RETRIES} times; is another client using the same account and IP?"
        )

    def _probe(self) -> str | None:
        """``GET /api/info`` with a short timeout: None when the server answers it (below 500)."""
        started = time.time()
        try:
            response = super().request("GET", self.base_url + PROBE_PATH,
                                       timeout=min(self.timeout, PROBE_TIMEOUT_S))
        except requests.RequestException as exc:
            return _reason(exc)
        self._record(response, started)
        return None if response.status_code < 500 else f"answered {response.status_code}"

    def _record(self, response: requests.Response, started: float) -> None:
        request = response.request
        body = request.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        self.recorder.add(
            Exchange(
                started=started,
                method=request.method or "GET",
                url=request.url or "",
                request_headers=dict(request.headers),
                request_body=body,
                status=response.status_code,
                response_headers=dict(response.headers),
                body=response.text,
                elapsed=response.elapsed.total_seconds(),
                reason=response.reason or "",
            )
        )


def _with_params(url: str, params: Any) -> str:
    """The URL as sent: Schemathesis passes the query as ``params``, not in the URL."""
    if not params:
        return url
    return requests.Request("GET", url, params=params).prepare().url or url


def _reason(exc: requests.RequestException) -> str:
    """The cause in words, with its host:port and the one fix that fits it."""
    where = _where(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return (
                f"TLS error: the certificate is not trusted at {where} (self-signed or private "
                "CA?); point REQUESTS_CA_BUNDLE at the CA certificate that signed it"
            )
        return (
            f"TLS error: TLS spoken to {where}, which answers plain HTTP; use an http:// RC_URL"
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return f"timed out: no answer from {where} within RC_TIMEOUT seconds"
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        if ("Name or service not known" in text or "nodename nor servname" in text
                or "Temporary failure in name resolution" in text or "NameResolutionError" in text):
            return f"the host name {where.rsplit(':', 1)[0]} does not resolve; check RC_URL"
        if "Connection refused" in text or "Failed to establish" in text:
            return f"connection refused at {where}: is the server running, and RC_URL right?"
        return f"connection failed or was reset ({where})"
    return type(exc).__name__


def _where(exc: requests.RequestException) -> str:
    """host:port of the failed request (the default port of its scheme when none is given)."""
    url = getattr(getattr(exc, "request", None), "url", None) or ""
    parts = urlsplit(url)
    if not parts.hostname:
        return "the server"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{port}"


def json_object(response: Any) -> dict[str, Any]:
    """The body as a JSON object, or ``{}`` when it is not one (an HTML page, a list)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
