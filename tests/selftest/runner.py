"""Run the contract suite as a user would (a subprocess of ``rc-contract run``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rc_contract.configuration.paths import project_root


@dataclass
class SuiteResult:
    exit_code: int
    stdout: str
    stderr: str
    report_dir: Path

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.report_dir / "summary.json").read_text())

    @property
    def outcomes(self) -> dict[str, str]:
        return {c["id"]: c["outcome"] for c in self.summary["clauses"]}


def run_suite(report_dir: Path, env: dict[str, str] | None = None, *args: str,
              timeout: float = 300) -> SuiteResult:
    """``rc-contract run`` with only the given RC_* settings (the caller's are dropped)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RC_")}
    clean.update({"RC_REPORT_DIR": str(report_dir), "RC_FUZZ_EXAMPLES": "20"})
    clean.update(env or {})
    process = subprocess.run(
        [sys.executable, "-m", "rc_contract", "run", "-q", "-p", "no:randomly", *args],
        cwd=project_root(), env=clean, capture_output=True, text=True, timeout=timeout,
    )
    return SuiteResult(process.returncode, process.stdout, process.stderr, report_dir)
