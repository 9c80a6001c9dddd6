"""The terminal of a contract run, the tool's own (in the manner of Schemathesis' ``st run``):
a header with the settings that shape the run, one progress line, the clause table, each
failure as a compact block, and a last line with the verdict, the exit code and the report.

pytest's own terminal reporter is taken off the run (its paths, rootdir, locals and
source are for people who develop the suite: ``--debug`` or ``-v`` bring it back).
In a terminal the progress line is redrawn in place and cut to the terminal's width;
piped into a CI log it is a plain line now and then.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from typing import IO, Any, Protocol

import pytest

from rc_contract.exit_codes import ExitCode
from rc_contract.live.interrupts import CLEAR_LINE
from rc_contract.reports.outcomes import ERROR, FAILED, PASSED
from rc_contract.reports.views import HeaderRun

PLAIN_EVERY_S = 10.0  # a plain progress line at most this often (not a terminal)
VERDICT_WORDS: dict[int, str] = {
    ExitCode.OK: "PASSED: every clause holds",
    ExitCode.FAILED: "FAILED: a clause does not hold",
    ExitCode.INTERRUPTED: "INTERRUPTED",
    ExitCode.BROKE_OFF: "BROKE OFF: the server stopped answering",
    ExitCode.CANNOT_START: "COULD NOT START",
}


def takes_over(config: pytest.Config) -> bool:
    """The tool's terminal, unless --debug (--rc-debug) or -v asks for pytest's."""
    return not (config.getoption("rc_debug", False) or config.option.verbose > 0
                or config.option.traceconfig)


def silence_pytest(config: pytest.Config) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        config.pluginmanager.unregister(reporter, "terminalreporter")


TAKEOVER = "rc-contract-terminal"


class ConsoleState(Protocol):
    """What the take-over reads and sets of the plugin's state (plugin.State)."""

    contract_run: bool
    console: Console | None


class TakeOver:
    """A plugin of one hook, registered by the suite's plugin with a reader of its state
    (the plugin sits above the reports: they do not import it)."""

    def __init__(self, state_of: Callable[[pytest.Config], ConsoleState | None]) -> None:
        self._state_of = state_of

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        """After pytest's terminal reporter was made (and before it printed): the tool's."""
        state = self._state_of(config)
        if (state is None or not state.contract_run or config.option.collectonly
                or not takes_over(config)):
            return
        silence_pytest(config)
        state.console = Console(config)


def case_name(nodeid: str) -> str:
    """``tests/contract/test_token.py::test_x[a]`` -> ``test_x[a]``: the case, not the file."""
    return nodeid.split("::")[-1]


class Console:
    """Writes the run's lines; keeps the progress line at the bottom in a terminal."""

    def __init__(self, config: pytest.Config, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._capture = config.pluginmanager.get_plugin("capturemanager")
        self._drawn = False
        self._last_plain = time.monotonic()
        self.total = 0
        self.done = 0
        self.failed = 0
        self.not_judged = 0
        self.current = ""
        self.started = time.monotonic()
        self.waiting = ""  # the rate limiter's part of the progress line
        self.pending: list[str] | None = []  # lines said before the header (start-up)

    @contextlib.contextmanager
    def _uncaptured(self) -> Iterator[None]:
        # Waits and notes happen inside cases, whose output pytest captures.
        if self._capture is None:
            yield
            return
        with self._capture.global_and_fixture_disabled():
            yield

    def width(self) -> int:
        return max(shutil.get_terminal_size((80, 24)).columns, 20)

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write(CLEAR_LINE)
            self._drawn = False

    def line(self, text: str = "", err: bool = False) -> None:
        with self._uncaptured():
            self._clear()
            (sys.stderr if err else self.stream).write(text + "\n")
            (sys.stderr if err else self.stream).flush()
            self._draw()

    def wrapped(self, text: str) -> None:
        """A header line, wrapped to the width under its value (``  key       value``)."""
        for line in textwrap.wrap(text, max(self.width() - 1, 40), subsequent_indent=" " * 12,
                                  break_long_words=False, break_on_hyphens=False) or [""]:
            self.line(line)

    def note(self, text: str) -> None:
        """A line of the run (a wait, a limiter fact): after the header once it is out."""
        if self.pending is not None:
            self.pending.append(text)
        elif self.tty and "until the limiter resets" in text:
            self.wait(text.split("; ", 1)[-1])  # a wait: the progress line says it, in place
        else:
            self.wrapped(f"  note      {text}")

    def flush_pending(self) -> None:
        pending, self.pending = self.pending or [], None
        for text in pending:
            self.wrapped(f"  note      {text}")

    # -- progress -----------------------------------------------------------------------
    def progress_text(self) -> str:
        elapsed = time.monotonic() - self.started
        parts = [f"{self.done}/{self.total} cases"]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.not_judged:
            parts.append(f"{self.not_judged} not judged")
        parts.append(f"{int(elapsed) // 60}:{int(elapsed) % 60:02d}")
        if self.current:
            parts.append(self.current)
        if self.waiting:
            parts.append(self.waiting)
        return "  " + " | ".join(parts)

    def _draw(self) -> None:
        if not self.tty or self.pending is not None or self.total == 0 or self.done >= self.total:
            return
        text = self.progress_text()
        most = self.width() - 1  # the last column would wrap on some terminals
        if len(text) > most:
            text = text[:most - 3] + "..."
        self.stream.write(CLEAR_LINE + text)
        self.stream.flush()
        self._drawn = True

    def update(self, force_plain: bool = False) -> None:
        with self._uncaptured():
            if self.tty:
                self._draw()
                return
            now = time.monotonic()
            if force_plain or now - self._last_plain >= PLAIN_EVERY_S:
                self._last_plain = now
                self.stream.write(self.progress_text() + "\n")
                self.stream.flush()

    def case_done(self, clauses: tuple[str, ...], outcome: str) -> None:
        self.done += 1
        if outcome == FAILED:
            self.failed += 1
        elif outcome == ERROR:
            self.not_judged += 1
        self.current = ", ".join(clauses)
        self.update()

    def wait(self, text: str) -> None:
        """The rate limiter's wait, redrawn in place (a terminal only; see progress.py)."""
        self.waiting = text
        self.update()

    def finish_progress(self) -> None:
        with self._uncaptured():
            self._clear()
            if not self.tty and self.total and self.done:
                self.stream.write(self.progress_text() + "\n")
        self.waiting = ""


# -- the blocks printed by the plugin ------------------------------------------------------
def header(version: str, run: HeaderRun, settings: Any, warnings: list[str], sources: dict[str, str],
           account: str, contract: str) -> list[str]:
    """The settings that shape the run: server, version and its source, account, examples,
    budget, report dir. ``sources``: where each setting's value came from (env, option,
    default)."""
    if run.reference is not None:
        target = (f"{run.url}: the bundled reference server, emulating "
                  f"{settings.reference_version} ({sources['RC_REFERENCE_VERSION']})"
                  + (f", faults {', '.join(settings.reference_faults)}"
                     if settings.reference_faults else "")
                  + (f", variants {', '.join(settings.reference_variants)}"
                     if settings.reference_variants else ""))
    else:
        target = f"{run.url} ({sources['RC_URL']})"
    source = run.detected.source if run.detected else "?"
    judged = f"; judged by the {contract} contract" if run.contract_version else ""
    if run.budget is not None:
        budget = "the server is rate-limited: VI-FUZZ is sized to fit"
    elif run.rate_limit is not None and run.rate_limit.bypass:
        budget = "not needed: the account bypasses the rate limiter"
    else:
        budget = "not needed: no rate limiter seen"
    budget = f"{settings.time_budget_s:.0f} s ({sources['RC_TIME_BUDGET']}); {budget}"
    lines = [
        f"rc-contract {version} | GET /api/v1/livechat/visitors.info",
        f"  server    {target}",
        f"  version   Rocket.Chat {run.server_version} from {source}{judged}",
        f"  account   {account}",
        f"  examples  {settings.fuzz_examples} generated cases for VI-FUZZ "
        f"({sources['RC_FUZZ_EXAMPLES']})",
        f"  budget    {budget}",
        f"  reports   {settings.report_dir}/ ({sources['RC_REPORT_DIR']})",
    ]
    lines += [f"  warning   {w}" for w in warnings]
    return lines


def clause_table(clauses: list[Any], redact: Callable[[str], str], width: int) -> list[str]:
    """One line per clause: failed and not judged first, the message cut to the width."""
    from rc_contract.reports.html_report import rank

    def key(c: Any) -> int:
        return rank({"outcome": c.outcome, "tests": [{"outcome": t.outcome} for t in c.tests]})

    id_width = max((len(c.id) for c in clauses), default=10)
    lines = []
    for c in sorted(clauses, key=key):
        word = "NOT JUDGED" if key(c) == 1 else c.outcome.upper()
        text = f"  {c.id:<{id_width}}  {word:<10}"
        # The request after " -- " is in the failure's block below: the table keeps the why.
        note = (redact(" ".join(c.message.split(" -- ")[0].split()))
                if c.message and c.outcome != PASSED else "")
        if note:
            room = max(width - 1 - len(text) - 2, 10)
            text += "  " + (note if len(note) <= room else note[:room - 3] + "...")
        lines.append(text.rstrip())
    return lines


def last_line(code: int, report: str, nothing_judged: str = "") -> str:
    verdict = VERDICT_WORDS.get(code, f"ENDED WITH EXIT {code}")
    if nothing_judged:
        verdict = f"NOTHING JUDGED: {nothing_judged}"
    return f"rc-contract: {verdict} | exit code {code} | {report}"
