"""report.html: the run for people, rendered from the same data as summary.json.

Self-contained (inline CSS, no script, no network), readable on a phone (the
clause table turns into cards), leading with the verdict, the server and the
contract; every failure's detail is folded under its clause.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from rc_contract.reports.outcomes import FAILED, not_judged

# Exit code -> (css class, word, sentence); codes as design.md fixes them.
VERDICTS: dict[int, tuple[str, str, str]] = {
    0: ("passed", "passed", "Passed: every clause holds"),
    1: ("failed", "failed", "Failed: a clause does not hold"),
    2: ("other", "interrupted", "Interrupted: the run was stopped; what it created was removed"),
    3: ("other", "broke off", "Broke off: the server stopped answering; clauses left unjudged"),
    4: ("other", "could not start", "Could not start"),
}


def verdict(exit_code: int) -> dict[str, str]:
    css, word, text = VERDICTS.get(exit_code, ("other", f"exit {exit_code}", f"Ended with exit {exit_code}"))
    return {"css": css, "word": word, "text": text}


def rank(clause: dict[str, Any]) -> int:
    """What a person must act on first: failed, then not judged, skipped, notices, passed."""
    outcome = str(clause.get("outcome"))
    if outcome == FAILED:
        return 0
    if not_judged(outcome, (str(t.get("outcome")) for t in clause.get("tests") or [])):
        return 1
    return {"skipped": 2, "notice": 3, "passed": 4}.get(str(outcome), 2)


def render(data: dict[str, Any], exit_line: str) -> str:
    """``exit_line``: the run's exit code as every report words it (summary.html_exit_code)."""
    env = Environment(loader=PackageLoader("rc_contract.reports", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    # The same order at every width (the phone's cards too): failures before six passes.
    clauses = sorted(data.get("clauses") or [], key=rank)
    return env.get_template("report.html.j2").render(
        data=data, clauses=clauses, verdict=verdict(int(data["exit_code"])),
        exit_line=Markup(exit_line))
