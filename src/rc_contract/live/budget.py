"""RC_TIME_BUDGET: what of a run fits its time on a rate-limited server, and what does not.

Rocket.Chat's limiter gives ``limit`` calls per window to each route (a fixed window
that starts at its first call; visitor registration has a smaller limit). Every counted
call of the run is planned, set-up and clean-up included: the hand-written clauses must
fit (else the run refuses to start, exit 4, with the minimum it needs); the fuzzing
(VI-FUZZ's boundary queries, then its generated cases) gets the calls that fit before
the deadline. The plan is re-checked on the limiter's headers as the run goes: a call
that would have to wait past the deadline is not sent, whatever the plan said. Without
a limiter the budget changes nothing.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

# After the deadline: the clean-up, the log-outs and the reports.
TEARDOWN_RESERVE_S = 5.0
# Cases Schemathesis' coverage phase adds to max_examples for visitors.info (measured
# with Schemathesis 4.32: N examples send N + 4 requests); calls beyond the deadline
# are not sent whatever this says.
COVERAGE_CASES = 4


# Rocket.Chat's own limits below its default (docs/rocketchat-behaviour.md#rate-limiter), by the
# route's path: POST /api/v1/livechat/visitor allows 5 calls a minute per IP.
ROUTE_LIMITS = {("POST", "/api/v1/livechat/visitor"): 5}


class BudgetTooSmall(Exception):
    """The hand-written clauses alone do not fit: exit 4 with the minimum."""


def process_started_at() -> float:
    """When this process started (Linux /proc), else now: the budget covers the whole run."""
    try:
        with open("/proc/self/stat") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as uptime:
            up = float(uptime.read().split()[0])
        started = time.time() - (up - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.time()
    return min(started, time.time())


@dataclass(frozen=True)
class Window:
    """The limiter's state for visitors.info: calls left now, and when the window resets."""

    limit: int
    window_s: float
    remaining: int
    reset_at: float

    def send_times(self, now: float, calls: int) -> float:
        """When the ``calls``-th call from now can be sent (now when it fits this window)."""
        remaining, reset = (self.limit, now + self.window_s) if self.reset_at <= now else (
            self.remaining, self.reset_at)
        if calls <= remaining:
            return now
        windows = math.ceil((calls - remaining) / self.limit)
        return reset + (windows - 1) * self.window_s

    def fit(self, now: float, deadline: float) -> int:
        """Calls that can be sent from ``now`` up to ``deadline``."""
        if now > deadline:
            return 0
        remaining, reset = (self.limit, now + self.window_s) if self.reset_at <= now else (
            self.remaining, self.reset_at)
        if reset > deadline:
            return remaining
        return remaining + self.limit * (1 + math.floor((deadline - reset) / self.window_s))


@dataclass
class Budget:
    """The budget of one run on a limited server, and what the run made of it."""

    seconds: float
    started_at: float
    limit: int
    window_s: float
    # Counted calls of the hand-written clauses (planned, at most), and what they need.
    hand_written_calls: int
    minimum_s: float
    examples_asked: int
    # Set as the run goes: the examples the generated test was given, and the boundary
    # queries not sent because they would have gone out past the deadline.
    examples_sized: int | None = None
    estimated_examples: int = 0
    boundaries_cut: list[str] = field(default_factory=list)
    # Counted calls planned by route (set-up, cases, clean-up), and what the limiter
    # counted when the run's clean-up was over (``finish``).
    planned_calls: dict[str, int] = field(default_factory=dict)
    used_calls: dict[str, int] | None = None
    ended_at: float | None = None

    @property
    def deadline(self) -> float:
        return self.started_at + self.seconds - TEARDOWN_RESERVE_S

    def allows(self, send_at: float) -> bool:
        return send_at <= self.deadline

    def size_examples(self, window: Window, now: float) -> int:
        """max_examples for the generated test, from the calls left before the deadline."""
        left = window.fit(now, self.deadline)
        # Fewer calls left than the coverage phase takes: one example, the rest is cut.
        sized = left - COVERAGE_CASES if left > COVERAGE_CASES else min(left, 1)
        self.examples_sized = min(self.examples_asked, sized)
        return self.examples_sized

    def finish(self, counted: dict[str, int], now: float) -> None:
        """The run's requests are over (clean-up included): what it used of the budget."""
        if self.ended_at is None:
            self.used_calls, self.ended_at = dict(counted), now

    @property
    def used_s(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at

    def usage(self) -> str:
        """Planned against used, for the terminal and summary.md."""
        planned = sum(self.planned_calls.values())
        info = next((r for r in self.planned_calls if r.endswith("/visitors.info")), "")
        if self.used_s is None:
            return f"time budget {self.seconds:.0f} s: {planned} counted calls planned"
        used = self.used_calls or {}
        over = "OVER it" if self.used_s > self.seconds else "within it"
        return (f"time budget {self.seconds:.0f} s: the run took {self.used_s:.0f} s, {over}; "
                f"counted calls: {sum(used.values())} sent of {planned} planned (visitors.info "
                f"{used.get(info, 0)} of {self.planned_calls.get(info, 0)})")

    def line(self, examples: int) -> str:
        """What the preflight expects of the budget, for the terminal."""
        return (f"time budget: {self.seconds:.0f} s; the hand-written clauses need at least "
                f"{self.minimum_s:.0f} s; at least {self.estimated_examples} of {examples} "
                "VI-FUZZ examples fit (sized when the fuzzing starts)")

    def cut_short(self, cases_cut: int) -> bool:
        return bool(cases_cut or self.boundaries_cut) or (
            self.examples_sized is not None and self.examples_sized < self.examples_asked)

    def note(self, cases_run: int, cases_cut: int) -> str:
        """What the budget did to VI-FUZZ, for the terminal, summary.json and summary.md."""
        if not self.cut_short(cases_cut):
            return (f"VI-FUZZ: all {self.examples_asked} examples fit the {self.seconds:.0f} s "
                    "budget on a limited server")
        skipped = (f" ({len(self.boundaries_cut)} boundary queries not sent)"
                   if self.boundaries_cut else "")
        return (f"VI-FUZZ: {cases_run} of {self.examples_asked} cases fit the "
                f"{self.seconds:.0f} s budget on a limited server{skipped}; raise RC_TIME_BUDGET "
                "or use an account with the bypass")

    def as_dict(self, cases_run: int, cases_cut: int) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "limited": True,
            "hand_written_calls": self.hand_written_calls,
            "minimum_s": math.ceil(self.minimum_s),
            "examples_asked": self.examples_asked,
            "examples_estimated": self.estimated_examples,
            "examples_sized": self.examples_sized,
            "generated_cases_run": cases_run,
            "generated_cases_cut": cases_cut,
            "boundaries_cut": self.boundaries_cut,
            "planned_calls": dict(self.planned_calls),
            "counted_calls": self.used_calls,
            "used_s": None if self.used_s is None else round(self.used_s, 1),
            "within": None if self.used_s is None else self.used_s <= self.seconds,
            "usage": self.usage(),
            "note": self.note(cases_run, cases_cut),
        }


def route_limit(route: str, default: int) -> int:
    """The limit of a route key ("POST /chat/api/v1/livechat/visitor"): its own, else the default."""
    method, _, path = route.partition(" ")
    for (m, p), limit in ROUTE_LIMITS.items():
        if m == method and path.endswith(p):
            return min(limit, default)
    return default


def other_routes_wait(calls: dict[str, int], limit: int, window_s: float) -> float:
    """The longest wait the set-up and clean-up routes need: more calls than a route's
    limit wait a window each (they start in fresh windows; the headers re-check it)."""
    waits = [(math.ceil(n / route_limit(route, limit)) - 1) * window_s
             for route, n in calls.items() if n > 0]
    return max(waits, default=0.0)


def plan_budget(
    seconds: float,
    started_at: float,
    window: Window,
    now: float,
    hand_written_calls: int,
    boundary_calls: int,
    examples: int,
    other_calls: dict[str, int] | None = None,
) -> Budget:
    """The budget after the preflight; ``BudgetTooSmall`` when the hand-written clauses do not fit.

    ``hand_written_calls``: visitors.info calls still to come before the fuzzing (set-up
    checks and the hand-written cases); ``other_calls``: calls of the other limited
    routes by route (registration, removal, users, log-in and log-out)."""
    other = dict(other_calls or {})
    last = window.send_times(now, hand_written_calls)
    wait = other_routes_wait(other, window.limit, window.window_s)
    minimum = last + wait - started_at + TEARDOWN_RESERVE_S + 1.0
    budget = Budget(seconds, started_at, window.limit, window.window_s, hand_written_calls,
                    minimum, examples, planned_calls=other)
    if minimum > seconds:
        raise BudgetTooSmall(
            f"RC_TIME_BUDGET={seconds:g} is too small for the hand-written clauses on this "
            f"rate-limited server: about {hand_written_calls} counted visitors.info calls at "
            f"{window.limit} per {window.window_s:.0f} s"
            + (f" and {wait:.0f} s of waiting for set-up and clean-up calls" if wait else "")
            + f" need at least {math.ceil(minimum)} s; "
            f"set RC_TIME_BUDGET={math.ceil(minimum)} or more, or use an account holding "
            "api-bypass-rate-limit"
        )
    left = window.fit(now, budget.deadline) - hand_written_calls - boundary_calls
    budget.estimated_examples = min(examples, max(left - COVERAGE_CASES, 0))
    return budget
