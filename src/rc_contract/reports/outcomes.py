"""Test outcomes folded into clause outcomes, as summary.json and the reports show them."""

from __future__ import annotations

from dataclasses import dataclass, field

# A skip reason starting with one of these is not a plain skip: a notice of what changes
# on upgrade, or a case the run could not judge (an error of the run). Any other skip
# reason ("not sent" past a time budget, "nothing to judge") stays a skip.
NOTICE_PREFIX = "NOTICE: "
NOT_JUDGED_PREFIX = "not judged: "
PASSED, FAILED, SKIPPED, NOTICE, ERROR = "passed", "failed", "skipped", "notice", "error"


@dataclass
class TestOutcome:
    nodeid: str
    clauses: tuple[str, ...]
    outcome: str
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
    outcome: str
    tests: list[TestOutcome] = field(default_factory=list)
    message: str = ""


def fold(tests: list[TestOutcome]) -> str:
    """A clause fails if any test does; passes if any passed; else notice, else skipped."""
    outcomes = {t.outcome for t in tests}
    for outcome in (ERROR, FAILED, PASSED, NOTICE, SKIPPED):
        if outcome in outcomes:
            # An error of the run (transport) is not a contract failure, but not a pass either.
            return outcome
    return SKIPPED
