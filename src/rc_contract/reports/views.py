"""The narrow views of the run that the reports read (and the one member they set).

The run (rc_contract.run.Run) has them all; the reports sit below run.py in the layers,
so each module names only the members it reads here, and a test may hand in a small
stand-in (as contract/views.py does for the checks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from rc_contract.configuration.settings import Credentials, Settings
    from rc_contract.contract import Catalogue, LoadedDocument
    from rc_contract.contract.catalogue import Expectation
    from rc_contract.contract.judge import Notices
    from rc_contract.contract.server_document import ServerDocument
    from rc_contract.live.answers import AnswerMemo
    from rc_contract.live.breaker import Breakdown
    from rc_contract.live.budget import Budget
    from rc_contract.live.probe import DetectedVersion
    from rc_contract.live.ratelimit import RateLimitPlan
    from rc_contract.live.redact import Redactor
    from rc_contract.live.reference_process import ReferenceProcess
    from rc_contract.live.session import Recorder
    from rc_contract.objects.visitors_and_users import RunObjects
    from rc_contract.releases import Releases
    from rc_contract.versions import RCVersion


class FailureRun(Protocol):
    """What a failed case's detail reads (failure.py); it reads ``url``, ``auth``,
    ``unprivileged_auth``, ``expected_answers`` and ``catalogue`` with getattr, if there."""

    recorder: Recorder
    redactor: Redactor


class RecordingRun(Protocol):
    """What a test's outcome is recorded with (recording.py)."""

    redactor: Redactor
    budget: Budget | None
    fuzz_cases_run: int
    fuzz_cases_cut: int


class HeaderRun(Protocol):
    """What the terminal's header reads (terminal.py)."""

    url: str
    reference: ReferenceProcess | None
    detected: DetectedVersion | None
    budget: Budget | None
    rate_limit: RateLimitPlan | None

    @property
    def server_version(self) -> RCVersion: ...

    @property
    def contract_version(self) -> RCVersion: ...


class ResultsRun(RecordingRun, Protocol):
    """What the exit code, the account line and the printed results read (results.py);
    ``stopped`` is set by the exit code."""

    settings: Settings
    reference: ReferenceProcess | None
    unprivileged_given: Credentials | None
    detected: DetectedVersion | None
    catalogue: Catalogue
    releases: Releases
    cleanup_problems: list[str]
    stopped: str

    @property
    def breakdown(self) -> Breakdown | None: ...

    @property
    def left_behind(self) -> list[str]: ...

    @property
    def server_version(self) -> RCVersion: ...

    @property
    def contract_version(self) -> RCVersion: ...


class ObservedRun(Protocol):
    """What observations.json is written from (observations.py)."""

    settings: Settings
    document: LoadedDocument
    recorder: Recorder
    redactor: Redactor
    reference: ReferenceProcess | None
    detected: DetectedVersion | None
    objects: RunObjects | None
    external_ids_visitor: str | None
    server_document: ServerDocument | None

    @property
    def contract_version(self) -> RCVersion: ...


class SummarisedRun(ResultsRun, ObservedRun, HeaderRun, Protocol):
    """What the summary, the HAR and the table read besides (summary.py)."""

    run_id: str
    judged_by: RCVersion | None
    answers: AnswerMemo
    notices: Notices
    observed: list[dict[str, str]]
    rate_limit_bypass: bool | None
    setting_notices: list[str]
    version_notices: list[str]
    sweeps: dict[str, tuple[str, int]]

    @property
    def duration_s(self) -> float: ...

    def expectations(self, clause_id: str, case: str = ...) -> list[Expectation]: ...

    def progress_figures(self) -> dict[str, Any] | None: ...

