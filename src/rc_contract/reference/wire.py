"""The request and answer objects passed between the HTTP layer, routes and faults."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .state import State, User
from .versions import Profile

JSON = "application/json"

# Route keys ("METHOD /pattern"): used for routing, rate limiting, stats and faults.
INFO = "GET /api/info"
DOCS = "GET /api/docs/json"
VISITORS_INFO = "GET /api/v1/livechat/visitors.info"
LOGIN = "POST /api/v1/login"
LOGOUT = "POST /api/v1/logout"
ME = "GET /api/v1/me"
REGISTER_VISITOR = "POST /api/v1/livechat/visitor"
GET_VISITOR = "GET /api/v1/livechat/visitor/{token}"
REMOVE_VISITOR = "DELETE /api/v1/livechat/visitor/{token}"
USERS_CREATE = "POST /api/v1/users.create"
USERS_INFO = "GET /api/v1/users.info"
USERS_DELETE = "POST /api/v1/users.delete"
NO_ROUTE = "(no route)"


class Headers(dict[str, str]):
    """Request headers; names are stored lower-case and looked up case-insensitively."""

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes = b""
    client_ip: str = "127.0.0.1"


@dataclass(slots=True)
class Response:
    """An answer before serialisation; `case` names the outcome for fault hooks."""

    status: int
    body: Any = None
    content_type: str | None = JSON
    headers: list[tuple[str, str]] = field(default_factory=list)
    case: str = ""
    delay: float = 0.0
    drop: bool = False
    # How it goes on the wire (legitimate variants): gzip when accepted, chunked, close.
    compress: bool = False
    chunked: bool = False
    close: bool = False
    # The status line's reason phrase; None: the standard one.
    reason: str | None = None

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        # Node's JSON.stringify: no spaces, non-ASCII left as is.
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(slots=True)
class Exchange:
    """One request in flight, with what the pipeline learned about it so far."""

    request: Request
    route: str
    profile: Profile
    state: State
    user: User | None = None
    params: dict[str, Any] = field(default_factory=dict)
    visitor: dict[str, Any] | None = None
    path_arg: str = ""
    # Added to whatever answer the route gives (rate-limit headers).
    extra_headers: list[tuple[str, str]] = field(default_factory=list)
    # The rate limiter has seen this request (it counts each request once).
    limited: bool = False
    # What the server keeps between requests for its behaviours (App.memory): a fault's cache.
    memory: dict[str, Any] = field(default_factory=dict)

    @property
    def visitor_id(self) -> Any:
        return self.params.get("visitorId")
