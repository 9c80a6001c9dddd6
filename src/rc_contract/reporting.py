"""Reports of a run: summary.json, summary.md, a redacted HAR, observations, the terminal table.

JUnit XML and the HTML report are pytest's and pytest-html's; the plugin
points them at the report directory and redacts what they are given.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from rc_contract import __version__, observations
from rc_contract.outcomes import ERROR, NOTICE, SKIPPED, ClauseOutcome, TestOutcome, fold
from rc_contract.run import Run

SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"
HAR_FILE = "traffic.har"


def clause_outcomes(run: Run, tests: list[TestOutcome]) -> list[ClauseOutcome]:
    result = []
    for clause in run.catalogue.clauses:
        mine = [t for t in tests if clause.id in t.clauses]
        outcome = fold(mine) if mine else SKIPPED
        messages = [t.message for t in mine if t.outcome == outcome and t.message]
        message = messages[0] if messages else ("" if mine else "no test ran for this clause")
        skipped = [t.message for t in mine if t.outcome == SKIPPED and t.message]
        if outcome == "passed" and skipped:
            message = f"partly skipped: {skipped[0]}"
        if outcome == ERROR:
            # Not judged: the server did not answer. Kept apart from contract failures.
            outcome, message = SKIPPED, f"not judged, error of the run: {message}"
        result.append(
            ClauseOutcome(clause.id, clause.title, clause.source, str(clause.versions), outcome,
                          mine, message)
        )
    return result


def summary(run: Run, tests: list[TestOutcome], exit_code: int) -> dict[str, Any]:
    clauses = clause_outcomes(run, tests)
    document = run.document
    return {
        "suite": {
            "name": "rc-contract",
            "version": __version__,
            "spec": {
                "file": f"spec/{document.path.name}",
                "sha256": document.sha256,
                "patches": [
                    {"name": p.name, "reason": p.reason, "locations": list(p.locations)}
                    for p in document.applied
                ],
            },
        },
        "run_id": run.run_id,
        "target": {
            "url": run.url,
            "reference": run.reference is not None,
            "server_version": str(run.server_version) if run.detected else None,
            "version_source": run.detected.source if run.detected else None,
            "reference_faults": list(run.settings.reference_faults),
            "rate_limit_bypass": run.rate_limit_bypass,
        },
        "contract_version": str(run.contract_version) if run.detected else None,
        "clauses": [
            {
                "id": c.id,
                "title": c.title,
                "source": list(c.source),
                "versions": c.versions,
                "outcome": c.outcome,
                "tests": [{"nodeid": t.nodeid, "outcome": t.outcome} for t in c.tests],
                "message": c.message,
            }
            for c in clauses
        ],
        "notices": [
            {"clause": c.id, "message": c.message} for c in clauses if c.outcome == NOTICE
        ],
        "errors": [t.message for t in tests if t.outcome == ERROR],
        "cleanup_problems": run.cleanup_problems,
        "requests": run.recorder.requests_sent,
        "rate_limited": run.recorder.rate_limited,
        "rate_limit_wait_s": round(run.recorder.waited_s, 3),
        # The preflight's view of the limiter and its estimate of the waits.
        "rate_limit": run.rate_limit.as_dict() if run.rate_limit else None,
        # RC_TIME_BUDGET on a limited server (None without a limiter): what of VI-FUZZ fit.
        "budget": (run.budget.as_dict(run.fuzz_cases_run, run.fuzz_cases_cut)
                   if run.budget else None),
        "fuzz_cases_run": run.fuzz_cases_run,
        "answers_reused": run.answers.reused,
        "progress": run.progress_figures(),
        "duration_s": round(run.duration_s, 3),
        "exit_code": exit_code,
    }


def summary_markdown(data: dict[str, Any]) -> str:
    target = data["target"]
    lines = [
        "# visitors.info contract: summary",
        "",
        f"- target: {target['url']}" + (" (bundled reference server)" if target["reference"] else ""),
        f"- server version: {target['server_version']} ({target['version_source']})",
        f"- judged by the contract of: {data['contract_version']}",
        f"- spec: `{data['suite']['spec']['file']}` sha256 `{data['suite']['spec']['sha256']}`",
        f"- requests: {data['requests']}, duration: {data['duration_s']} s, "
        f"exit code: {data['exit_code']}",
        f"- rate limit: {data['rate_limited']} answers 429 absorbed, "
        f"{data['rate_limit_wait_s']} s waited",
        *([f"- time budget: {data['budget']['note']}"] if data.get("budget") else []),
        "",
        "| clause | outcome | title | message |",
        "|---|---|---|---|",
    ]
    for clause in data["clauses"]:
        message = clause["message"].replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {clause['id']} | {clause['outcome']} | {clause['title']} | {message} |")
    if data["notices"]:
        lines += ["", "## What changes on upgrade", ""]
        lines += [f"- **{n['clause']}**: {n['message']}" for n in data["notices"]]
    if data["errors"] or data["cleanup_problems"]:
        lines += ["", "## Errors of the run", ""]
        lines += [f"- {e}" for e in data["errors"] + data["cleanup_problems"]]
    return "\n".join(lines) + "\n"


def har(run: Run) -> dict[str, Any]:
    """HAR 1.2 of every exchange, with secrets and personal data masked."""
    r = run.redactor
    entries = []
    for e in run.recorder.exchanges:
        url = r.text(e.url)
        entries.append({
            "startedDateTime": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(e.started))
            + f".{int(e.started * 1000) % 1000:03d}Z",
            "time": round(e.elapsed * 1000, 3),
            "request": {
                "method": e.method,
                "url": url,
                "httpVersion": e.http_version,
                "headers": [{"name": k, "value": v} for k, v in r.headers(e.request_headers).items()],
                "queryString": [
                    {"name": k, "value": v} for k, v in parse_qsl(urlsplit(url).query, True)
                ],
                "cookies": [],
                "headersSize": -1,
                "bodySize": len(e.request_body or ""),
                **({"postData": {"mimeType": "application/json",
                                 "text": _redact_body(r, e.request_body)}}
                   if e.request_body else {}),
            },
            "response": {
                "status": e.status,
                "statusText": "",
                "httpVersion": e.http_version,
                "headers": [{"name": k, "value": v}
                            for k, v in r.headers(e.response_headers).items()],
                "cookies": [],
                "content": {
                    "size": len(e.body),
                    "mimeType": e.response_headers.get("Content-Type", ""),
                    "text": _redact_body(r, e.body),
                },
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": len(e.body),
            },
            "cache": {},
            "timings": {"send": 0, "wait": round(e.elapsed * 1000, 3), "receive": 0},
        })
    return {"log": {"version": "1.2", "creator": {"name": "rc-contract", "version": __version__},
                    "entries": entries}}


def _redact_body(redactor: Any, text: str | None) -> str:
    if not text:
        return ""
    try:
        return json.dumps(redactor.data(json.loads(text)))
    except ValueError:
        return redactor.text(text)


def write_all(run: Run, tests: list[TestOutcome], exit_code: int) -> Path:
    directory = run.settings.report_dir
    directory.mkdir(parents=True, exist_ok=True)
    data = summary(run, tests, exit_code)
    redact = run.redactor.text
    (directory / SUMMARY_JSON).write_text(redact(json.dumps(data, indent=2)) + "\n", "utf-8")
    (directory / SUMMARY_MD).write_text(redact(summary_markdown(data)), "utf-8")
    (directory / HAR_FILE).write_text(redact(json.dumps(har(run))), "utf-8")
    # What the run saw of the endpoint, for `rc-contract compare` across versions.
    observations.write(run, tests, data["clauses"], directory)
    return directory


def rate_limit_note(run: Run) -> str:
    """How much of the run the limiter took: 429s waited out and time spent waiting."""
    if not run.recorder.rate_limited and not run.recorder.waited_s:
        return ""
    return (
        f" ({run.recorder.rate_limited} answers 429 absorbed, "
        f"{run.recorder.waited_s:.1f} s waiting for the rate limiter)"
    )


def terminal_table(run: Run, tests: list[TestOutcome]) -> list[str]:
    clauses = clause_outcomes(run, tests)
    width = max(len(c.id) for c in clauses)
    lines = ["", f"rc-contract: clauses against {run.url} "
             f"(server {run.server_version}, contract {run.contract_version})"]
    for c in clauses:
        note = f"  {c.message}" if c.message and c.outcome != "passed" else ""
        if len(note) > 110:
            note = note[:107] + "..."
        lines.append(f"  {c.id:<{width}}  {c.outcome.upper():<8}{run.redactor.text(note)}")
    errors = [t.message for t in tests if t.outcome == ERROR]
    if errors:
        lines.append("rc-contract: errors of the run (no answer from the server; not contract "
                     "failures):")
        lines += [f"  {run.redactor.text(e)}" for e in errors]
    lines.append(
        f"rc-contract: {run.recorder.requests_sent} requests in {run.duration_s:.1f} s"
        f"{rate_limit_note(run)}; "
        f"reports in {run.settings.report_dir}/"
    )
    return lines
