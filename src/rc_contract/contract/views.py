"""The narrow views of the run that the contract's checks and fuzzing read and write.

The run (rc_contract.run.Run) has them all; the checks see only these members, so that
what a check may touch is written down, and a test may hand in a small stand-in.
"""

from __future__ import annotations

from typing import Any, Protocol

from rc_contract.contract.catalogue import Expectation
from rc_contract.contract.document import LoadedDocument
from rc_contract.contract.judge import Notices
from rc_contract.questions import Question


class JudgingRun(Protocol):
    """What the hand-written clauses' checks read and record (checks.py)."""

    document: LoadedDocument
    # The contract does not import live/ or objects/ (pyproject's [tool.importlinter]),
    # not even for a type: what it reads of them is named here.
    recorder: Any  # live's Recorder: exchanges, the current case
    objects: Any  # objects' RunObjects: the visitors the run created (None before the set-up)
    notices: Notices  # the run's body notices
    expected_answers: dict[str, str]
    sweeps: dict[str, tuple[str, int]]

    def expectations(self, clause_id: str, case: str = ...) -> list[Expectation]: ...

    def observe(self, clause_id: str, case: str, expected: str, saw: str) -> str: ...


class FuzzingRun(JudgingRun, Protocol):
    """What VI-FUZZ's cases read and set besides (fuzz.py)."""

    url: str
    auth: dict[str, str]
    session: Any  # live's RCSession
    budget: Any  # live's Budget, the RC_TIME_BUDGET plan (None without a limiter)
    fuzz_cases_run: int
    fuzz_cases_cut: int

    @property
    def token_must_be_absent(self) -> bool: ...

    @property
    def registered_tokens(self) -> list[str]: ...

    def recall(self, asked: Question) -> Any: ...  # live's Answer to the question, or None

    def keep(self, asked: Question, response: Any = ...) -> None: ...

    def fuzz_call_fits(self) -> bool: ...

    def removed_visitor(self) -> Any: ...  # objects' Visitor
