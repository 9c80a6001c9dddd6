"""How a case ends, as a type: the reports and the exit code read these, never a message's text.

A bottom module (it imports nothing of the package), so that the contract cases, the
budget and the plugin raise the same types. A case that is not a plain pass or failure
ends as a pytest skip, so JUnit keeps its skipped entries, but its class says which
outcome it is.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

import pytest


class Outcome(StrEnum):
    """A case's outcome. The value is what summary.json and the reports write."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOTICE = "notice"  # outside the clause's version range: what changes on upgrade
    NOT_JUDGED = "error"  # an error of the run (the server did not answer), never a pass
    NOT_SENT = "not sent"  # past RC_TIME_BUDGET's deadline on a limited server
    NOT_ASSERTED = "not asserted"  # the facts are unknown for this version: seen, not asserted

    @property
    def reported(self) -> Outcome:
        """The outcome the reports show: a case not sent or not asserted is a skip there."""
        return Outcome.SKIPPED if self in (Outcome.NOT_SENT, Outcome.NOT_ASSERTED) else self


class OutcomeSkip(pytest.skip.Exception):  # type: ignore[name-defined]
    """A skip that carries its outcome. ``label`` leads the text JUnit and the terminal show."""

    __module__ = "builtins"  # as pytest's own Skipped, for the same short text
    outcome: ClassVar[Outcome] = Outcome.SKIPPED
    label: ClassVar[str] = ""
    # Whether the recorded message (summary.json, the HTML report) keeps the label.
    keeps_label: ClassVar[bool] = True

    def __init__(self, reason: str) -> None:
        super().__init__(msg=self.label + reason)
        self.reason = reason

    @property
    def recorded(self) -> str:
        return self.label + self.reason if self.keeps_label else self.reason


class NoticeSkip(OutcomeSkip):
    """The clause does not apply to this version: a notice of what changes on upgrade."""

    outcome = Outcome.NOTICE
    label = "NOTICE: "
    keeps_label = False


class NotJudgedSkip(OutcomeSkip):
    """The run could not judge the case (the run broke off, the server did not answer)."""

    outcome = Outcome.NOT_JUDGED
    label = "not judged: "
    keeps_label = False


class NotSentSkip(OutcomeSkip):
    """The case's call would go out after RC_TIME_BUDGET's deadline: it is not sent."""

    outcome = Outcome.NOT_SENT
    label = "not sent: "


class NotAssertedSkip(OutcomeSkip):
    """What the server did was seen and recorded, but nothing is known to assert."""

    outcome = Outcome.NOT_ASSERTED
