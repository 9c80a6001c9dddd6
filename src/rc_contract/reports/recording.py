"""Each case's outcome as the reports keep it, and its report redacted for pytest's own outputs.

The plugin hands every pytest report here: the outcome comes from the case's exception
(its type, rc_contract.outcomes), never from the text of a message; the text that
reaches the terminal, JUnit and the HTML report is redacted first.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from rc_contract.contract.judge import NotJudged
from rc_contract.errors import TransportError
from rc_contract.outcomes import NotJudgedSkip, OutcomeSkip
from rc_contract.reports.failure import Detail
from rc_contract.reports.outcomes import ERROR, FAILED, PASSED, SKIPPED, TestOutcome
from rc_contract.reports.views import RecordingRun

# The detail failure.describe builds for a failed case, kept on its report.
DETAIL_ATTRIBUTE = "_rc_detail"


def detail_of(report: pytest.TestReport) -> Detail | None:
    return getattr(report, DETAIL_ATTRIBUTE, None)


def is_recorded(report: pytest.TestReport) -> bool:
    """The phase whose report decides a case's outcome (see ``record``)."""
    return report.when == "call" or (report.when == "setup" and not report.passed)


def is_contract_failure(exc: BaseException) -> bool:
    return not isinstance(exc, NotJudged) and transport_error(exc) is None


def transport_error(exc: BaseException) -> TransportError | None:
    """The server's silence behind a case's exception, if that is all there was.

    Hypothesis wraps an error that does not recur on replay (a dropped connection)
    in an exception group; a group with any other exception in it is a failure.
    """
    if isinstance(exc, TransportError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        found = [transport_error(inner) for inner in exc.exceptions]
        if found and all(found):
            return found[0]
    return None


def skip_text(report: pytest.TestReport, exc: BaseException | None) -> None:
    """A typed skip shows the same text as pytest's own skip: the outcome is in the type."""
    if isinstance(exc, OutcomeSkip) and isinstance(report.longrepr, tuple):
        path, line, _ = report.longrepr
        report.longrepr = (path, line, f"Skipped: {exc.msg}")


def record(run: RecordingRun, item: pytest.Item, clauses: tuple[str, ...], generated: bool,
           report: pytest.TestReport, call: pytest.CallInfo[None]) -> TestOutcome | None:
    """The case's outcome from the phase that decides it (None: another phase)."""
    if not is_recorded(report):
        return None
    exc = call.excinfo.value if call.excinfo is not None else None
    explained = detail_of(report)  # failure.py's detail of the case
    if report.passed:
        outcome, message = PASSED, ""
    elif report.skipped and isinstance(exc, OutcomeSkip):
        outcome, message = exc.outcome.reported, run.redactor.text(exc.recorded)
    elif report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        outcome, message = SKIPPED, reason.removeprefix("Skipped: ")
    elif exc is not None and (transport := transport_error(exc)):
        outcome, message = ERROR, run.redactor.text(str(transport))
    elif isinstance(exc, NotJudged):
        # The check examined nothing: an error of the run, never a pass.
        outcome, message = ERROR, run.redactor.text(f"examined nothing: {exc}")
    else:
        outcome, message = FAILED, (explained.message if explained
                                    else summary_line(str(report.longrepr)))
    if outcome == PASSED and run.budget is not None and generated:
        # Judged, but on fewer cases than asked: the reports say how many and why.
        message = run.budget.note(run.fuzz_cases_run, run.fuzz_cases_cut)
    # The reports' detail is the suite's account of the failure, not pytest's traceback.
    detail = ((explained.text if explained else str(report.longrepr))
              if outcome in (FAILED, ERROR) else "")
    return TestOutcome(item.nodeid, clauses, outcome, message, report.duration, detail)


def not_judged_skip(item: pytest.Item, report: pytest.TestReport, message: str) -> None:
    """The server's silence judged nothing: a skip with one line in JUnit, HTML and the
    terminal, never a failure (nor pages of connection tracebacks)."""
    _path, line, _ = item.location
    report.outcome = "skipped"
    report.longrepr = (str(item.path), (line or 0) + 1, f"{NotJudgedSkip.label}{message}")


class RedactedFailure:
    """A failure's text once redacted. It keeps the one-line crash message that pytest's
    short summary and JUnit's ``message`` attribute read from ``longrepr.reprcrash``."""

    def __init__(self, text: str, message: str, detail: str = "") -> None:
        self.text = text
        self.reprcrash = SimpleNamespace(message=message)
        self.detail = detail

    def toterminal(self, out: Any) -> None:
        # The traceback, then what a person acts on (failure.describe), last on screen.
        for line in (self.text + ("\n\n" + self.detail if self.detail else "")).splitlines():
            out.line(line)

    def __str__(self) -> str:
        # JUnit's failure text and the HTML report lead with the detail.
        return self.detail + "\n\n" + self.text if self.detail else self.text


def redact_report(run: RecordingRun, report: pytest.TestReport) -> None:
    """Secrets and personal data never reach the terminal, JUnit or HTML."""
    redact = run.redactor.text
    if report.longrepr is not None:
        if isinstance(report.longrepr, tuple):
            path, line, reason = report.longrepr
            report.longrepr = (path, line, redact(reason))
        else:
            longrepr = report.longrepr
            text = redact(longrepr.text if isinstance(longrepr, RedactedFailure) else str(longrepr))
            crash = getattr(longrepr, "reprcrash", None)
            message = redact(crash.message) if crash is not None else summary_line(text)
            detail = detail_of(report)
            if detail is not None:
                message = detail.line  # one readable line for JUnit and the short summary
            # pytest takes any object with toterminal(); its TerminalRepr base is private.
            report.longrepr = RedactedFailure(  # type: ignore[assignment]
                text, message, detail.text if detail else "")
    report.sections = [(title, redact(text)) for title, text in report.sections]


def summary_line(text: str) -> str:
    """A failure's one line when pytest gave none: its first ``E`` line, else its last."""
    for line in text.splitlines():
        if line.startswith("E "):
            return line[1:].strip()
    return text.strip().splitlines()[-1] if text.strip() else "failed"
