"""The narrow views of the run that the contract's checks and fuzzing read and write.

The run (rc_contract.run.Run) has them all; the checks see only these members, so that
what a check may touch is written down, and a test may hand in a small stand-in.
"""

from __future__ import annotations

from typing import Any, Protocol

from rc_contract.contract.catalogue import Expectation
from rc_contract.contract.document import LoadedDocument


class JudgingRun(Protocol):
    """What the hand-written clauses' checks read and record (checks.py)."""

    document: LoadedDocument
    recorder: Any  # the run's Recorder: exchanges, the current case
    objects: Any  # the objects the run created (None before the set-up)
    notices: Any  # the run's body notices
    expected_answers: dict[str, str]
    sweeps: dict[str, tuple[str, int]]

    def expectations(self, clause_id: str, case: str = ...) -> list[Expectation]: ...

    def observe(self, clause_id: str, case: str, expected: str, saw: str) -> str: ...


class FuzzingRun(JudgingRun, Protocol):
    """What VI-FUZZ's cases read and set besides (fuzz.py)."""

    url: str
    auth: dict[str, str]
    session: Any  # the run's RCSession
    budget: Any  # the RC_TIME_BUDGET plan (None without a limiter)
    fuzz_cases_run: int
    fuzz_cases_cut: int

    @property
    def token_must_be_absent(self) -> bool: ...

    @property
    def registered_tokens(self) -> list[str]: ...

    def recall(self, asked: Any) -> Any: ...

    def keep(self, asked: Any, response: Any = ...) -> None: ...

    def fuzz_call_fits(self) -> bool: ...

    def removed_visitor(self) -> Any: ...
