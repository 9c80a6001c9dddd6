"""The proof that the suite can fail: run it once per fault of the reference server.

Each fault registered in ``reference/faults/`` names the clause(s) that must catch it.
A fault is caught when the run exits 1 and every named clause failed. Each
clean emulated version must exit 0. The mutation score is caught / faults.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rc_contract.configuration.paths import project_root
from rc_contract.exit_codes import ExitCode
from rc_contract.releases import FEATURED

# Every line in support at its newest patch, the historical lines, 9.0's release candidate.
CLEAN_VERSIONS = FEATURED
FAULT_VERSION = "9.0.0"  # every documented behaviour is in force there
PROOF_FUZZ_EXAMPLES = 20


@dataclass
class ProofRun:
    name: str  # a fault name, or "clean-<version>"
    version: str
    expected_clauses: list[str]
    exit_code: int = -1
    failed_clauses: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    detail: str = ""

    @property
    def is_clean(self) -> bool:
        return self.name.startswith("clean-")

    @property
    def ok(self) -> bool:
        if self.is_clean:
            return self.exit_code == 0
        return self.exit_code == 1 and set(self.expected_clauses) <= set(self.failed_clauses)


def _run(item: ProofRun, fuzz_examples: int) -> ProofRun:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RC_")}
    with tempfile.TemporaryDirectory(prefix="rc-proof-") as report_dir:
        env.update({
            "RC_REPORT_DIR": report_dir,
            "RC_REFERENCE_VERSION": item.version,
            "RC_FUZZ_EXAMPLES": str(fuzz_examples),
        })
        if not item.is_clean:
            env["RC_REFERENCE_FAULTS"] = item.name
        started = time.monotonic()
        process = subprocess.run(
            [sys.executable, "-m", "rc_contract", "run", "-q", "-p", "no:html",
             "--junitxml", os.devnull],
            cwd=project_root(), env=env, capture_output=True, text=True, timeout=600,
        )
        item.duration_s = round(time.monotonic() - started, 2)
        item.exit_code = process.returncode
        summary_path = Path(report_dir) / "summary.json"
        if summary_path.exists():
            summary = json.loads(summary_path.read_text())
            item.failed_clauses = [c["id"] for c in summary["clauses"] if c["outcome"] == "failed"]
        else:
            item.detail = (process.stderr or process.stdout).strip()[-300:]
    return item


def plan(faults: list[str] | None = None, versions: tuple[str, ...] = CLEAN_VERSIONS) -> list[ProofRun]:
    from rc_contract.reference.faults import catalogue

    runs = [ProofRun(f"clean-{v}", v, []) for v in versions]
    for fault in catalogue().values():
        if fault.kind == "contract" and (faults is None or fault.name in faults):
            runs.append(ProofRun(fault.name, fault.version or FAULT_VERSION, list(fault.clauses)))
    return runs


def prove(runs: list[ProofRun], workers: int = 3, fuzz_examples: int = PROOF_FUZZ_EXAMPLES,
          progress: bool = True) -> dict[str, object]:
    started = time.monotonic()
    done = 0

    def one(item: ProofRun) -> ProofRun:
        nonlocal done
        result = _run(item, fuzz_examples)
        done += 1
        if progress:
            mark = "ok " if result.ok else "MISS"
            sys.stderr.write(f"[{done}/{len(runs)}] {mark} {result.name} "
                             f"(exit {result.exit_code}, {result.duration_s} s)\n")
        return result

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, runs))
    faults = [r for r in results if not r.is_clean]
    caught = [r for r in faults if r.ok]
    return {
        "faults": len(faults),
        "caught": len(caught),
        "score": round(len(caught) / len(faults), 4) if faults else None,
        "clean_versions_pass": all(r.ok for r in results if r.is_clean),
        "duration_s": round(time.monotonic() - started, 1),
        "workers": workers,
        "fuzz_examples": fuzz_examples,
        "runs": [asdict(r) | {"ok": r.ok} for r in results],
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Mutation score of the contract suite",
        "",
        f"- faults caught by their clause(s): {report['caught']} / {report['faults']} "
        f"(score {report['score']})",
        f"- clean versions pass: {report['clean_versions_pass']}",
        f"- time: {report['duration_s']} s with {report['workers']} runs in parallel",
        "",
        "| run | version | must fail | failed | exit | caught |",
        "|---|---|---|---|---|---|",
    ]
    for run in report["runs"]:
        lines.append(
            f"| {run['name']} | {run['version']} | {', '.join(run['expected_clauses']) or '-'} | "
            f"{', '.join(run['failed_clauses']) or '-'} | {run['exit_code']} | "
            f"{'yes' if run['ok'] else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def write(report: dict[str, object], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "mutation-score.json").write_text(json.dumps(report, indent=2) + "\n")
    (directory / "mutation-score.md").write_text(markdown(report))


def main(argv: list[str]) -> int:
    from rc_contract.commands.arguments import CommandParser, positive_int

    parser = CommandParser(prog="rc-contract prove",
                                     description="run the suite against every fault")
    parser.add_argument("--fault", action="append", help="only this fault (repeatable)")
    parser.add_argument("--workers", type=positive_int, default=3)
    parser.add_argument("--fuzz-examples", type=positive_int, default=PROOF_FUZZ_EXAMPLES)
    parser.add_argument("--report-dir", default=os.environ.get("RC_REPORT_DIR", "reports"))
    args = parser.parse_args(argv)
    if args.fault:
        from rc_contract.reference.faults import catalogue

        known = sorted(f.name for f in catalogue().values() if f.kind == "contract")
        unknown = [name for name in args.fault if name not in known]
        if unknown:
            sys.stderr.write(f"rc-contract prove: cannot start: unknown fault "
                             f"{', '.join(map(repr, unknown))}; the faults are: {', '.join(known)}\n")
            return ExitCode.CANNOT_START
    report = prove(plan(args.fault), workers=args.workers, fuzz_examples=args.fuzz_examples)
    write(report, Path(args.report_dir))
    sys.stdout.write(markdown(report))
    return (ExitCode.OK if report["caught"] == report["faults"] and report["clean_versions_pass"]
            else ExitCode.FAILED)
