"""report.html: the run for people, rendered from the same data as summary.json.

Self-contained (inline CSS, no script, no network), readable on a phone (the
clause table turns into cards), leading with the verdict, the server and the
contract; every failure's detail is folded under its clause.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

REPORT_HTML = "report.html"

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


def render(data: dict[str, Any]) -> str:
    env = Environment(loader=PackageLoader("rc_contract", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2").render(data=data, verdict=verdict(int(data["exit_code"])))


def write(data: dict[str, Any], directory: Path) -> Path:
    path = directory / REPORT_HTML
    path.write_text(render(data), "utf-8")
    return path
