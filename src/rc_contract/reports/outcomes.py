"""Test outcomes folded into clause outcomes, as summary.json and the reports show them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rc_contract.outcomes import Outcome

# The outcomes the reports show (rc_contract.outcomes.Outcome.reported).
PASSED, FAILED, SKIPPED, NOTICE = Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED, Outcome.NOTICE
ERROR = Outcome.NOT_JUDGED  # "error" in the reports: an error of the run, never a pass


@dataclass
class TestOutcome:
    nodeid: str
    clauses: tuple[str, ...]
    outcome: Outcome
    message: str = ""
    duration_s: float = 0.0
    # The whole failure text (redacted), for the reports' folded detail.
    detail: str = ""


@dataclass
class ClauseOutcome:
    id: str
    title: str
    source: tuple[str, ...]
    versions: str
    outcome: Outcome
    tests: list[TestOutcome] = field(default_factory=list)
    message: str = ""


def fold(tests: list[TestOutcome]) -> Outcome:
    """A clause fails if any test does; passes if any passed; else notice, else skipped."""
    outcomes = {t.outcome for t in tests}
    for outcome in (ERROR, FAILED, PASSED, NOTICE, SKIPPED):
        if outcome in outcomes:
            # An error of the run (transport) is not a contract failure, but not a pass either.
            return outcome
    return SKIPPED


def not_judged(outcome: str, test_outcomes: Iterable[str]) -> bool:
    """A clause the run did not judge: no case of it ran, or one met an error of the run.
    Read from the outcomes (a clause of summary.json too), not from its message."""
    tests = list(test_outcomes)
    return outcome == ERROR or (outcome == SKIPPED and (not tests or ERROR in tests))
