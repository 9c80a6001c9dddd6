"""What the tool's own terminal says of a run: the account, the contract, the results
and the closing paragraph of a run that stopped early (redacted)."""

from __future__ import annotations

from typing import Any

import pytest

from rc_contract.exit_codes import ExitCode
from rc_contract.live import interrupts
from rc_contract.reports import summary
from rc_contract.reports.failure import Detail
from rc_contract.reports.outcomes import ERROR, FAILED, PASSED, TestOutcome, not_judged
from rc_contract.reports.terminal import Console, case_name, clause_table
from rc_contract.reports.views import ResultsRun, SummarisedRun


def exit_code(run: ResultsRun, tests: list[TestOutcome], pytest_status: int) -> tuple[int, str]:
    """The run's exit code from its cases' outcomes, and why nothing was judged (if so)."""
    if interrupts.interrupted():
        run.stopped = interrupts.reason()
        return ExitCode.INTERRUPTED, ""
    if run.breakdown is not None:
        run.stopped = "the run broke off: the server stopped answering"
        return ExitCode.BROKE_OFF, ""
    if pytest_status not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return pytest_status, ""  # an internal error (3), no tests collected (5)
    if any(t.outcome in (FAILED, ERROR) for t in tests) or run.cleanup_problems:
        return ExitCode.FAILED, ""
    if not any(t.outcome == PASSED for t in tests):
        # Every selected case was skipped or a notice: a run that judged nothing is not green.
        return ExitCode.CANNOT_START, ("every selected case was skipped or a notice; select "
                                       "cases that judge a clause, or run them all")
    return ExitCode.OK, ""


def account(run: ResultsRun) -> str:
    """The account the run logs in with, in words; no secret."""
    settings = run.settings
    credentials = settings.credentials
    if run.reference is not None:
        main = ("a livechat agent of the bundled server (rate-limited)"
                if run.reference.ci_password else "admin of the bundled server")
        main += " (password generated)"
    elif credentials.user:
        main = f"{credentials.user} (RC_USER, password from RC_PASSWORD)"
    else:
        main = f"user id {credentials.user_id} (RC_USER_ID, token from RC_AUTH_TOKEN)"
    if settings.unprivileged is not None:
        other = f"{settings.unprivileged.user} (RC_UNPRIVILEGED_USER)"
    elif run.unprivileged_given is not None:
        other = f"{run.unprivileged_given.user} of the bundled server"
    else:
        other = "created by the run, deleted after it"
    return f"{main}; without view-l-room: {other}"


def contract_name(run: ResultsRun) -> str:
    version = run.contract_version
    if version.exact:
        return str(version)
    return f"{version} (any known {version} release: {', '.join(map(str, run.releases.candidates(version)))})"


def closing_paragraph(run: SummarisedRun, tests: list[TestOutcome], exit_code: int | None) -> str:
    """One paragraph for a run that stopped early: what happened, what is left, what to do."""
    if exit_code not in (ExitCode.INTERRUPTED, ExitCode.BROKE_OFF):
        return ""
    parts = []
    if exit_code == ExitCode.BROKE_OFF and run.breakdown is not None:
        parts.append(f"the run broke off: the server stopped answering: {run.breakdown.sentence()}")
    else:
        parts.append(run.stopped or "interrupted")
    unjudged = [c.id for c in summary.clause_outcomes(run, tests)
                if not_judged(c.outcome, (t.outcome for t in c.tests))]
    if unjudged:
        parts.append(f"not judged: {', '.join(unjudged)}")
    left = run.left_behind
    if left:
        parts.append(f"left on the server: {', '.join(left)}; remove them with "
                     f"`{summary.sweep_command(run)}` and the run's account (RC_USER, "
                     "RC_PASSWORD)")
    else:
        parts.append("nothing the run created is left on the server")
    parts.append(f"reports in {run.settings.report_dir}/ (exit code {exit_code})")
    return run.redactor.text("; ".join(parts))


def print_results(console: Console, run: SummarisedRun, tests: list[TestOutcome], details: dict[str, Detail],
                  progress: Any) -> None:
    """The clause table, each failure's block, the run's notes (the tool's terminal)."""
    redact = run.redactor.text
    if not run.detected:
        return
    if not console.tty:  # in a terminal, the progress line's place is the blank line
        console.line()
    console.line(f"clauses (server {run.server_version}, contract {run.contract_version}):")
    for line in clause_table(summary.clause_outcomes(run, tests), redact,
                                      console.width() if console.tty else 120):
        console.line(line)
    order = {clause.id: index for index, clause in enumerate(run.catalogue.clauses)}
    failed = sorted((t for t in tests if t.outcome == FAILED),
                    key=lambda t: min((order.get(c, len(order)) for c in t.clauses), default=0))
    if failed:
        console.line()
        console.line(f"failures ({len(failed)} case{'s' if len(failed) > 1 else ''}; "
                     "each one in report.html too):")
        for test in failed:
            detail = details.get(test.nodeid)
            block = detail.block if detail is not None else (
                f"  x {', '.join(test.clauses)}  {case_name(test.nodeid)}\n"
                f"    failed    {test.message}")
            for line in block.splitlines():
                console.line(redact(line))
    extras = summary.terminal_extras(run, tests)
    if extras:
        console.line()
    for line in extras:
        console.line(line)
    if run.budget is not None:
        console.line(f"rc-contract: {run.budget.note(run.fuzz_cases_run, run.fuzz_cases_cut)}")
        console.line(f"rc-contract: {run.budget.usage()}")
    if progress is not None:
        console.line(f"rc-contract: {progress.line(final=True)}")
