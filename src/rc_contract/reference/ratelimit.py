"""Rocket.Chat's REST rate limiter: a fixed window per client IP, route and method.

Mirrors Meteor's RateLimiter as API.v1 drives it: increment, then check; the window
starts at the first call and resets once it has passed.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_CALLS = 10
DEFAULT_WINDOW_MS = 60_000

# Routes with their own limit (calls per window), as Rocket.Chat declares them.
ROUTE_LIMITS: dict[str, int] = {"POST /api/v1/livechat/visitor": 5}


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_epoch_ms: int
    wait_seconds: int

    def headers(self) -> list[tuple[str, str]]:
        return [
            ("X-RateLimit-Limit", str(self.limit)),
            ("X-RateLimit-Remaining", str(self.remaining)),
            ("X-RateLimit-Reset", str(self.reset_epoch_ms)),
        ]


class RateLimiter:
    def __init__(
        self,
        calls: int = DEFAULT_CALLS,
        window_ms: int = DEFAULT_WINDOW_MS,
        route_limits: Mapping[str, int] = ROUTE_LIMITS,
    ) -> None:
        if calls < 1 or window_ms < 1:
            raise ValueError("rate limit calls and window must be positive")
        self.calls = calls
        self.window_ms = window_ms
        self.route_limits = dict(route_limits)
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def hit(self, client_ip: str, route: str) -> Verdict:
        """Count one call of `route` (e.g. "GET /api/v1/me") from `client_ip`."""
        limit = self.route_limits.get(route, self.calls)
        now_ms = time.time() * 1000
        key = (client_ip, route)
        with self._lock:
            started, count = self._windows.get(key, (now_ms, 0))
            if now_ms - started >= self.window_ms:
                started, count = now_ms, 0
            count += 1
            self._windows[key] = (started, count)
        time_to_reset = max(self.window_ms - (now_ms - started), 0)
        return Verdict(
            allowed=count <= limit,
            limit=limit,
            remaining=max(limit - count, 0),
            reset_epoch_ms=int(now_ms + time_to_reset),
            wait_seconds=math.ceil(time_to_reset / 1000),
        )
