"""Assertions many self-tests repeat, said once: a run that cannot start, a server left clean."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

CANNOT_START = 4  # design.md's exit code for a run that cannot start

NOTHING = {"users": [], "visitors": []}


def stderr_lines(stderr: str) -> list[str]:
    """The lines of stderr that say something."""
    return [line for line in stderr.splitlines() if line.strip()]


def _finished(result: Any) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of a CompletedProcess, a run with ``exit_code`` (runner's
    SuiteResult, the chaos runs' Outcome) or a ``(code, stdout, stderr)`` tuple."""
    if isinstance(result, tuple):
        return result
    code = getattr(result, "returncode", None)
    return (result.exit_code if code is None else code), result.stdout, result.stderr


def assert_cannot_start(result: Any, *words: str) -> str:
    """Exit 4, exactly one line on stderr that holds every one of ``words``, no traceback
    anywhere; returns that line."""
    code, stdout, stderr = _finished(result)
    output = stdout + stderr
    assert code == CANNOT_START, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    lines = stderr_lines(stderr)
    assert len(lines) == 1, stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def assert_nothing_left(left: dict[str, Any], kept_users: Iterable[str] = ()) -> None:
    """What servers.left_behind() read: no visitor, and no user but the accounts the test
    itself added (``kept_users``): the run removed everything it created."""
    assert left["visitors"] == [], left
    assert sorted(u["username"] for u in left["users"]) == sorted(kept_users), left
