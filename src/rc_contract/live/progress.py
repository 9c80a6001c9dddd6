"""The progress line of a paced run: counted requests done of planned, waits, elapsed, time left.

On a rate-limited server most of a run is waiting. In a terminal the line is
rewritten in place about once a second while the run waits; in a CI log (not a
terminal) it is a plain line at each wait, and every ``interval_s`` during a long one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from rc_contract.configuration.paths import ENDPOINT

if TYPE_CHECKING:
    from rc_contract.live.budget import Window
    from rc_contract.live.session import Pacer, RCSession, Recorder

PLAIN_INTERVAL_S = 30.0


def _clock(seconds: float) -> str:
    seconds = max(round(seconds), 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


class PacedRun(Protocol):
    """What the progress line reads of the run (its budget and route are read if present)."""

    recorder: Recorder  # the time waited
    planned_info_calls: int
    budget_clock: float

    @property
    def session(self) -> RCSession | None: ...  # its pacer counts and waits

    def info_window(self) -> Window | None: ...


class Progress:
    """Figures from the run's session and plan; written through the caller's terminal."""

    def __init__(
        self,
        run: PacedRun,
        write_line: Callable[[str], None],
        rewrite: Callable[[str, float], None] | None = None,
        interval_s: float = PLAIN_INTERVAL_S,
    ) -> None:
        self.run = run
        self._write_line = write_line
        # (line, seconds left of this wait, 0 when it is over); None: not a terminal, plain lines
        self._rewrite = rewrite
        self._interval_s = interval_s
        self._last_plain = 0.0
        self._last_wait = -1

    def _pacer(self) -> Pacer:
        session = self.run.session
        assert session is not None, "a progress line is made once the run has its session"
        return session.pacer

    def figures(self, final: bool = False) -> dict[str, Any]:
        """The figures now; ``final``: the run's cases are over, what was done was the plan."""
        run = self.run
        pacer = self._pacer()
        # Under RC_URL's path prefix, if any (a proxy at /chat).
        done = pacer.counted.get(getattr(run, "info_route", f"GET {ENDPOINT}"), 0)
        planned = done if final else max(run.planned_info_calls, done)
        now = time.time()
        window = run.info_window()
        budget = getattr(run, "budget", None)
        if not final and window is not None and budget is not None:
            # No more than fits before the budget's deadline will be sent.
            planned = max(min(planned, done + window.fit(now, budget.deadline)), done)
        left = max(planned - done, 0)
        eta = max(window.send_times(now, left) - now, 0.0) if window is not None and left else 0.0
        return {
            "requests_done": done,
            "requests_planned": planned,
            "waits": pacer.waits,
            "waited_s": round(run.recorder.waited_s, 1),
            "elapsed_s": round(now - run.budget_clock, 1),
            "eta_s": round(eta, 1),
        }

    def line(self, final: bool = False) -> str:
        f = self.figures(final)
        return (
            f"progress: {f['requests_done']}/{f['requests_planned']} counted visitors.info "
            f"requests, {f['waits']} waits absorbed, {_clock(f['elapsed_s'])} elapsed, "
            f"about {_clock(f['eta_s'])} left"
        )

    def on_wait(self, left: float) -> None:
        """Called by the session's pacer at the start of a wait and about once a second in it."""
        if self._rewrite is not None:
            # Over (left 0): the line stays, what follows starts below it.
            wait = f" (this wait: {left:.0f} s)" if left > 0 else ""
            self._rewrite(self.line() + wait, max(left, 0.0))
            return
        if left <= 0:
            return
        now = time.time()
        waits = self._pacer().waits
        if waits != self._last_wait or now - self._last_plain >= self._interval_s:
            self._last_wait, self._last_plain = waits, now
            self._write_line(self.line())
