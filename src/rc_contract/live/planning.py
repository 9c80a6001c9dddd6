"""The run's plan of visitors.info calls, for RC_TIME_BUDGET: which cases send how many
counted calls, and how many generated cases VI-FUZZ gets of what is left of the budget.

Beside the budget (budget.py), which holds the time; this module reads the collected
pytest cases (their markers) and sizes the Schemathesis test.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

import pytest

from rc_contract.live.budget import COVERAGE_CASES, Budget, Window
from rc_contract.outcomes import NotSentSkip

# Refused before the limiter counts them (auth, then permission, then rate limit)...
_BEFORE_THE_LIMITER = {"VI-AUTH-401", "VI-PERM-403"}
# ...but a later router may run the limiter before the permission check (PR #41970):
# the time budget counts the 403 probes, so that either order fits it.
_MAYBE_COUNTED = {"VI-PERM-403"}
FUZZ = "VI-FUZZ"


class PlannedRun(Protocol):
    """What sizing the generated test reads and sets of the run."""

    budget: Budget | None
    planned_info_calls: int

    def info_window(self) -> Window | None: ...

    def counted_info_calls(self) -> int: ...


def clauses(item: pytest.Item) -> tuple[str, ...]:
    """The clause ids a case enforces (its ``clause`` markers), in order, once each."""
    ids: list[str] = []
    for marker in item.iter_markers("clause"):
        ids.extend(marker.args)
    return tuple(dict.fromkeys(ids))


def is_budgeted(item: pytest.Item) -> bool:
    return item.get_closest_marker("budgeted") is not None


def is_fuzz(item: pytest.Item) -> bool:
    return FUZZ in clauses(item)


def is_generated(item: pytest.Item) -> bool:
    from schemathesis.pytest.plugin import SchemathesisFunction

    return isinstance(item, SchemathesisFunction)


@dataclass(frozen=True)
class PlannedCalls:
    """visitors.info calls the limiter will count, at most (one answer may serve several cases)."""

    hand_written: int  # the hand-written clauses' cases, after the preflight
    boundaries: int  # VI-FUZZ's boundary queries
    generated_tests: int
    examples: int
    agent_reads: int = 0  # among the boundaries: none sent when the account is the agent

    @property
    def fixed(self) -> int:
        return 1 + self.hand_written + self.boundaries  # the preflight is one

    @property
    def total(self) -> int:
        return self.fixed + self.generated_tests * generated_calls(self.examples)


def generated_calls(examples: int) -> int:
    return examples + COVERAGE_CASES if examples else 0


def planned_info_calls(items: list[pytest.Item], fuzz_examples: int) -> PlannedCalls:
    """About one counted call per case; a Schemathesis test sends one per generated case."""
    hand_written = boundaries = generated = agent_reads = 0
    for item in items:
        ids = set(clauses(item))
        # Sweeps over the run's traffic send nothing; a shared answer is not sent again.
        if not ids or ids <= _BEFORE_THE_LIMITER - _MAYBE_COUNTED or (
                item.get_closest_marker("after_all") is not None
                or item.get_closest_marker("shares_answer") is not None):
            continue
        agent_reads += item.get_closest_marker("agent_read") is not None
        if FUZZ not in ids and not is_budgeted(item):
            hand_written += 1
        elif is_generated(item):
            generated += 1
        else:
            boundaries += 1
    return PlannedCalls(hand_written, boundaries, generated, fuzz_examples, agent_reads)


def size_generated(item: pytest.Item, run: PlannedRun) -> None:
    """Give the generated test the examples that fit what is left of the time budget.

    Schemathesis fixes max_examples in the test's Hypothesis settings at collection;
    Hypothesis reads them when the test is called, so they can still be changed here.
    """
    from hypothesis import settings

    window = run.info_window()
    if run.budget is None or window is None:
        return
    examples = run.budget.size_examples(window, time.time())
    done = run.counted_info_calls()
    run.planned_info_calls = done + generated_calls(examples)
    if examples == 0:
        raise NotSentSkip(f"no generated case fits the {run.budget.seconds:.0f} s budget "
                          "on a limited server; raise RC_TIME_BUDGET or use an account with the bypass")
    test: Any = getattr(item, "obj", None)
    current = getattr(test, "_hypothesis_internal_use_settings", None)
    if current is not None and current.max_examples > examples:
        test._hypothesis_internal_use_settings = settings(current, max_examples=examples)
