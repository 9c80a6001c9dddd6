"""What the preflight learns about Rocket.Chat's rate limiter, and the wait it means for a run."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

# Rocket.Chat's default limiter window, assumed when the headers cannot tell it.
DEFAULT_RATE_LIMIT_WINDOW_S = 60.0


@dataclass(frozen=True)
class RateLimitPlan:
    """What the preflight learned about the limiter, and how long the run will wait for it."""

    bypass: bool
    limit: int | None = None
    window_s: float | None = None
    planned_requests: int = 0
    estimated_wait_s: float = 0.0

    def line(self) -> str:
        if self.bypass:
            return "rate limit: the account bypasses the limiter (api-bypass-rate-limit); no waits"
        wait = self.estimated_wait_s
        length = f"{wait / 60:.1f} min" if wait >= 120 else f"{wait:.0f} s"
        return (
            f"rate limit: the account is limited to {self.limit} visitors.info calls per "
            f"{self.window_s:.0f} s; about {self.planned_requests} planned: expect about "
            f"{length} of waiting (an account holding api-bypass-rate-limit avoids it)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "bypass": self.bypass,
            "limit": self.limit,
            "window_s": self.window_s,
            "planned_requests": self.planned_requests,
            "estimated_wait_s": round(self.estimated_wait_s, 1),
        }


def plan_rate_limit(headers: Any, planned: int, now: float | None = None) -> RateLimitPlan:
    """The wait ahead of ``planned`` visitors.info calls, from the preflight's X-RateLimit-* headers.

    The preflight used one call of the window. When it was the window's first call
    the reset tells the window's length; otherwise Rocket.Chat's default is assumed.
    """
    try:
        limit = int(headers["X-RateLimit-Limit"])
        remaining = int(headers["X-RateLimit-Remaining"])
        reset_s = int(headers["X-RateLimit-Reset"]) / 1000.0
    except (KeyError, ValueError):
        return RateLimitPlan(bypass=True)
    now = time.time() if now is None else now
    to_reset = max(reset_s - now, 0.0)
    window = to_reset if remaining == limit - 1 else max(to_reset, DEFAULT_RATE_LIMIT_WINDOW_S)
    window = max(window, 1.0)
    beyond = max(planned - 1 - remaining, 0)  # the preflight was one of them
    windows = math.ceil(beyond / limit) if limit > 0 else 0
    wait = to_reset + (windows - 1) * window if windows else 0.0
    return RateLimitPlan(False, limit, round(window), planned, wait)
