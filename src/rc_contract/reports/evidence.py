"""The evidence manifest of a run: what an upgrade sign-off needs, in one index.

Written last (after pytest's JUnit XML and the suite's report.html exist), it
names the server version, the suite version, the spec's sha256 and the patches
applied to it, the outcome, and every report file with its sha256, so a
reviewer can check that the files they were given are the ones the run wrote.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

EVIDENCE_JSON = "evidence.json"
# The files of one run, in the order a reviewer reads them.
REPORT_FILES = (
    "summary.md", "summary.json", "observations.json", "traffic.har", "junit.xml",
    "report.html", "ledger.jsonl",
)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest(directory: Path) -> dict[str, Any]:
    summary = json.loads((directory / "summary.json").read_text("utf-8"))
    target = summary.get("target", {})
    suite = summary.get("suite", {})
    return {
        "run_id": summary.get("run_id"),
        "server_version": target.get("server_version"),
        "version_source": target.get("version_source"),
        "contract_version": summary.get("contract_version"),
        "reference_server": target.get("reference"),
        "suite_version": suite.get("version"),
        "spec": suite.get("spec", {}),
        "exit_code": summary.get("exit_code"),
        "outcomes": {c["id"]: c["outcome"] for c in summary.get("clauses", [])},
        "files": {
            name: {"sha256": _sha256(directory / name), "bytes": (directory / name).stat().st_size}
            for name in REPORT_FILES
            if (directory / name).is_file()
        },
    }


def write(directory: Path) -> Path | None:
    """The manifest beside the reports, or None when the run wrote no summary."""
    if not (directory / "summary.json").is_file():
        return None
    path = directory / EVIDENCE_JSON
    path.write_text(json.dumps(manifest(directory), indent=2) + "\n", "utf-8")
    return path
