"""The exit codes of every rc-contract command, in one place (design.md).

A bottom module: it imports nothing of the package, so every layer may use it.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """A run's exit code; the other commands use the same numbers for the same kinds of end."""

    OK = 0  # every clause holds (sweep: nothing left; compare: nothing breaking)
    FAILED = 1  # a clause failed (sweep: objects left behind; compare: a breaking change)
    INTERRUPTED = 2  # SIGINT or SIGTERM; what the run created is removed first
    BROKE_OFF = 3  # the server stopped answering mid-run, or an internal error
    CANNOT_START = 4  # bad input, unreachable server, wrong credentials: one line, no traceback

    # The other commands' names for the same numbers.
    LEFT_BEHIND = 1
    BREAKING = 1
    UNREADABLE = 4


# What each exit code of a run means, as the reports say it.
MEANINGS: dict[int, str] = {
    ExitCode.OK: "every clause holds",
    ExitCode.FAILED: "a clause failed",
    ExitCode.INTERRUPTED: "interrupted",
    ExitCode.BROKE_OFF: "the run broke off",
    ExitCode.CANNOT_START: "the run could not start",
}
