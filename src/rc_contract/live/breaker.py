"""The circuit breaker: a server that died, hangs or answers 5xx to everything ends the run.

Without it every remaining request of a run waits the full ``RC_TIMEOUT`` (an
hour at the default for a dead server) and each case reports the same silence.
A request that got no answer, or a 5xx, is followed by a probe of ``GET
/api/info`` with a short timeout: a live server answers it (then the failure
is the case's own: an error of the run, or a 5xx the contract judges). When
the probes fail too, or several requests in a row got no answer, the server
is gone: the breaker opens, every later request fails at once, and the run
breaks off (exit code 3).

During the clean-up after the breaker opened, one short attempt is made: the
first request that gets no answer (or a 5xx) stops it, and the ledger keeps
what is left for ``rc-contract sweep``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rc_contract.errors import ServerGone

PROBE_PATH = "/api/info"
PROBES = 2  # with the failed request: three failures in a row (one when a probe times out)
PROBE_TIMEOUT_S = 3.0
MAX_SILENT_IN_A_ROW = 3
CLEANUP_TIMEOUT_S = 3.0
# The clean-up of an interrupted run: a healthy server removes an object well within it.
INTERRUPTED_TIMEOUT_S = 10.0


@dataclass
class Breakdown:
    """Why the run broke off: what failed, when, which request."""

    request: str
    reason: str
    at: float
    probes: list[str] = field(default_factory=list)

    def sentence(self) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(self.at))
        text = f"at {when} {self.request} {self.reason}"
        if self.probes:
            text += f", and {PROBE_PATH} after it: " + "; ".join(self.probes)
        return text


@dataclass
class Breaker:
    """Consecutive failures of the server; open once it is judged gone."""

    silent_in_a_row: int = 0
    # Set while the breaker is open; ``breakdown`` keeps the first one for the reports.
    broken: Breakdown | None = None
    breakdown: Breakdown | None = None
    # Clean-up after a breakdown: any failure stops it, no probe.
    strict: bool = False

    def check(self) -> None:
        if self.broken is not None:
            raise ServerGone(f"not sent: the server stopped answering ({self.broken.sentence()})")

    def no_answer(self, request: str, reason: str, probe: Callable[[], str | None]) -> None:
        """A request got no answer: open when the server is gone (raises ``ServerGone``)."""
        self.silent_in_a_row += 1
        self._judge(request, reason, probe, force=self.silent_in_a_row >= MAX_SILENT_IN_A_ROW)

    def answered(self, request: str, status: int, probe: Callable[[], str | None]) -> None:
        if status < 500:
            self.silent_in_a_row = 0
            return
        self._judge(request, f"answered {status}", probe, force=False)

    def _judge(self, request: str, reason: str, probe: Callable[[], str | None],
               force: bool) -> None:
        failures: list[str] = []
        if not (force or self.strict):
            started = time.monotonic()
            for _ in range(PROBES):
                failure = probe()
                if failure is None:
                    return  # the server is alive: the failure is this request's own
                failures.append(failure)
                if time.monotonic() - started >= PROBE_TIMEOUT_S:
                    break  # a probe that timed out: the server hangs, a second would too
        self.broken = Breakdown(request, reason, time.time(), failures)
        if self.breakdown is None:
            self.breakdown = self.broken
        self.check()

    def for_cleanup(self) -> None:
        """After a breakdown: one more try, which any failure ends."""
        if self.broken is not None:
            self.broken, self.strict, self.silent_in_a_row = None, True, 0
