"""Reports of a run: summary.json, summary.md, report.html, a redacted HAR, observations,
the terminal table.

JUnit XML is pytest's; the plugin points it at the report directory and redacts
what it is given. report.html is rendered from the same data as summary.json.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from rc_contract import __version__
from rc_contract.contract import Clause
from rc_contract.exit_codes import MEANINGS
from rc_contract.reports import html_report, observations
from rc_contract.reports.outcomes import ERROR, NOTICE, SKIPPED, ClauseOutcome, TestOutcome, fold
from rc_contract.reports.views import SummarisedRun

SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"
HAR_FILE = "traffic.har"
JUNIT_XML = "junit.xml"
REPORT_HTML = "report.html"
# The files of one run (the ledger is not one: it outlives runs, for `rc-contract sweep`).
RUN_FILES = (SUMMARY_JSON, SUMMARY_MD, HAR_FILE, JUNIT_XML, REPORT_HTML, "observations.json",
             "evidence.json")
# What each exit code of a run means (design.md).
EXIT_MEANINGS = MEANINGS
EXIT_CODE_PROPERTY = "rc_contract_exit_code"


def clause_outcomes(run: SummarisedRun, tests: list[TestOutcome]) -> list[ClauseOutcome]:
    result = []
    for clause in run.catalogue.clauses:
        mine = [t for t in tests if clause.id in t.clauses]
        outcome = fold(mine) if mine else SKIPPED
        messages = [t.message for t in mine if t.outcome == outcome and t.message]
        unrun = f"not judged: {run.stopped}" if run.stopped else "no test ran for this clause"
        message = messages[0] if messages else ("" if mine else unrun)
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


def clause_evidence(run: SummarisedRun, clause: Clause) -> str:
    """How the expectation judged here is known (spec/clauses.yaml), or where the clause comes from."""
    if clause.expectations and run.judged_by is not None:
        try:
            found = run.expectations(clause.id)
        except LookupError:
            found = []
        if found:
            return "; ".join(dict.fromkeys(str(e.evidence) for e in found))
    if clause.evidence is not None:
        return str(clause.evidence)
    return "promised by the " + " and the ".join(clause.source)


def summary(run: SummarisedRun, tests: list[TestOutcome], exit_code: int) -> dict[str, Any]:
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
            "reference_variants": list(run.settings.reference_variants),
            "rate_limit_bypass": run.rate_limit_bypass,
        },
        "contract_version": str(run.judged_by) if run.judged_by else None,
        "clauses": [
            {
                "id": c.id,
                "title": c.title,
                "source": list(c.source),
                "versions": c.versions,
                "outcome": c.outcome,
                "tests": [{"nodeid": t.nodeid, "outcome": t.outcome,
                           **({"message": t.message, "detail": t.detail} if t.detail else {})}
                          for t in c.tests],
                "message": c.message,
                "evidence": clause_evidence(run, run.catalogue[c.id]),
            }
            for c in clauses
        ],
        "notices": [{"clause": None, "kind": "version", "message": n} for n in run.version_notices] + [
            # A start-up answer that broke the contract while a setting may also be wrong.
            {"clause": None, "kind": "setting", "message": n} for n in run.setting_notices] + [
            {"clause": None, "kind": "document", "message": n} for n in document_notices(run)
        ] + [
            {"clause": c.id, "kind": "upgrade", "message": c.message}
            for c in clauses if c.outcome == NOTICE
        ] + run.notices.as_list(),
        # The server's own OpenAPI document of visitors.info against the bundled one.
        "server_document": run.server_document.as_dict() if run.server_document else None,
        # Where the catalogue's evidence is unknown (or the server's line answers
        # differently per release): what the server did, never asserted.
        "observed": list(run.observed),
        # Sweeps over the recorded traffic, with how many answers each examined.
        "sweeps": [{"test": nodeid, "clause": clause, "examined": count}
                   for nodeid, (clause, count) in sorted(run.sweeps.items())],
        "errors": list(dict.fromkeys(t.message for t in tests if t.outcome == ERROR)),
        "cleanup_problems": run.cleanup_problems,
        # Why the run stopped before its end (a signal, a server gone), and what it left.
        "stopped": run.stopped or None,
        "breakdown": run.breakdown.sentence() if run.breakdown else None,
        "left_on_server": run.left_behind,
        "sweep": sweep_command(run) if run.left_behind else None,
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


def document_notices(run: SummarisedRun) -> list[str]:
    """Where the server's own document of visitors.info differs from the bundled one."""
    return list(run.server_document.differences) if run.server_document else []


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
        f"exit code: {data['exit_code']} ({EXIT_MEANINGS.get(data['exit_code'], '?')})",
        f"- rate limit: {data['rate_limited']} answers 429 absorbed, "
        f"{data['rate_limit_wait_s']} s waited",
        *([f"- {data['budget']['usage']}", f"- time budget: {data['budget']['note']}"]
          if data.get("budget") else []),
        "",
        "| clause | outcome | title | message |",
        "|---|---|---|---|",
    ]
    for clause in data["clauses"]:
        message = clause["message"].replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {clause['id']} | {clause['outcome']} | {clause['title']} | {message} |")
    upgrade = [n for n in data["notices"] if n.get("kind") in ("version", "upgrade")]
    unnamed = [n for n in data["notices"] if n.get("kind") == "unnamed-key"]
    if upgrade:
        lines += ["", "## What changes on upgrade", ""]
        lines += [f"- **{n['clause'] or 'version'}**: {n['message']}" for n in upgrade]
    settings = [n for n in data["notices"] if n.get("kind") == "setting"]
    if settings:
        lines += ["", "## Settings that might also be at fault", ""]
        lines += [f"- {n['message']}" for n in settings]
    document = data.get("server_document")
    if document:
        lines += ["", "## The server's own OpenAPI document (notices, not failures)", ""]
        if not document["served"]:
            lines.append(f"- not compared: {document['reason']}")
        elif not document["differences"]:
            lines.append(f"- `{document['url_path']}` (version {document['version']}) documents "
                         "visitors.info as the bundled contract does")
        lines += [f"- {d}" for d in document["differences"]]
    if data["observed"]:
        lines += ["", "## Seen, not asserted (the facts are not known for this version)", ""]
        lines += [f"- **{o['clause']}** ({o['case']}) on {o['version']}: {o['expected']}; "
                  f"this server: {o['saw']}" for o in data["observed"]]
    if unnamed:
        lines += ["", "## Keys the contract does not name (notices, values redacted)", "",
                  "| clause | where | key | type | answers |", "|---|---|---|---|---|"]
        lines += [f"| {n['clause']} | {n['where']} | `{n['key']}` | {n['type']} | {n['seen']} |"
                  for n in unnamed]
    if data.get("sweeps"):
        lines += ["", "## Sweeps over the run's traffic", ""]
        lines += [f"- {s['clause']} `{s['test']}`: {s['examined']} answers examined"
                  for s in data["sweeps"]]
    if data["errors"] or data["cleanup_problems"]:
        lines += ["", "## Errors of the run", ""]
        lines += [f"- {e}" for e in data["errors"] + data["cleanup_problems"]]
    if data.get("stopped"):
        lines += ["", "## The run stopped early", "", f"- {data['stopped']}"]
        if data.get("breakdown"):
            lines.append(f"- {data['breakdown']}")
    if data.get("left_on_server"):
        lines += [f"- left on the server: {', '.join(data['left_on_server'])}; remove them with "
                  f"`{data['sweep']}` and the run's account (RC_USER, RC_PASSWORD)"]
    return "\n".join(lines) + "\n"


def sweep_command(run: SummarisedRun) -> str:
    """The command that removes what the run left (same account as the run)."""
    return f"rc-contract sweep --rc-url {run.url} --rc-report-dir {run.settings.report_dir}"


def not_run_summary(exit_code: int, reason: str, target: str | None = None) -> dict[str, Any]:
    """summary.json of a run that never got to judge anything: it says why."""
    return {
        "suite": {"name": "rc-contract", "version": __version__},
        **({"target": {"url": target}} if target else {}),
        "exit_code": exit_code,
        "outcome": EXIT_MEANINGS.get(exit_code, ""),
        "reason": reason,
        "clauses": [],
        "notices": [],
        "errors": [reason],
        "requests": 0,
    }


def replace_with_not_run(directory: Path, exit_code: int, reason: str,
                         target: str | None = None) -> bool:
    """Replace the previous run's reports by ones that give this run's reason (exit 4, 2)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name in RUN_FILES:
            (directory / name).unlink(missing_ok=True)
        data = not_run_summary(exit_code, reason, target)
        (directory / SUMMARY_JSON).write_text(json.dumps(data, indent=2) + "\n", "utf-8")
        meaning = EXIT_MEANINGS.get(exit_code, "")
        (directory / SUMMARY_MD).write_text(
            "# visitors.info contract: summary\n\n"
            + (f"- target: {target}\n" if target else "")
            + f"- exit code: {exit_code} ({meaning})\n"
            f"- {reason}\n- no clause was judged\n", "utf-8")
        (directory / JUNIT_XML).write_text(_not_run_junit(exit_code, reason), "utf-8")
        (directory / REPORT_HTML).write_text(_not_run_html(exit_code, reason, target), "utf-8")
    except OSError:
        return False
    return True


def _not_run_junit(exit_code: int, reason: str) -> str:
    from xml.sax.saxutils import quoteattr

    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="rc-contract" '
        'errors="1" failures="0" skipped="0" tests="1"><properties>'
        f'<property name="{EXIT_CODE_PROPERTY}" value="{exit_code}"/></properties>'
        f'<testcase classname="rc-contract" name="run"><error message={quoteattr(reason)}/>'
        "</testcase></testsuite></testsuites>\n"
    )


def _not_run_html(exit_code: int, reason: str, target: str | None = None) -> str:
    """The same page as a run's, with the reason where the clauses would be."""
    data = {
        "suite": {"version": __version__, "spec": None},
        "target": {"url": target or "not known (the settings were refused)", "reference": False,
                   "server_version": None, "version_source": None},
        "contract_version": None, "requests": 0, "rate_limited": 0, "rate_limit_wait_s": 0,
        "duration_s": 0, "exit_code": exit_code, "reason": reason, "clauses": [], "notices": [],
        "observed": [], "errors": [], "cleanup_problems": [],
    }
    return html_report.render(data, html_exit_code(exit_code))


def html_exit_code(exit_code: int) -> str:
    """The line the HTML report carries (also found again to correct it)."""
    return f"rc-contract exit code: <b>{exit_code}</b> ({EXIT_MEANINGS.get(exit_code, '?')})"


def correct_exit_code(directory: Path, run: SummarisedRun, tests: list[TestOutcome], written: int,
                      exit_code: int) -> None:
    """A signal after the reports were written: every report must carry the new exit code."""
    write_all(run, tests, exit_code)
    junit = directory / JUNIT_XML
    if junit.is_file():
        text = re.sub(f'(name="{EXIT_CODE_PROPERTY}" value=")\\d+"', rf'\g<1>{exit_code}"',
                      junit.read_text("utf-8"))
        junit.write_text(text, "utf-8")
    # report.html was rendered again by write_all, with the new exit code.


def har(run: SummarisedRun) -> dict[str, Any]:
    """HAR 1.2 of every exchange, with secrets and personal data masked."""
    r = run.redactor
    entries = []
    for e in run.recorder.exchanges:
        url = r.text(e.url)
        # The query from the URL as sent: a masked value can make the masked URL unparsable.
        query = [(k, r.text(v)) for k, v in parse_qsl(urlsplit(e.url).query, True)]
        entries.append({
            "startedDateTime": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(e.started))
            + f".{int(e.started * 1000) % 1000:03d}Z",
            "time": round(e.elapsed * 1000, 3),
            "request": {
                "method": e.method,
                "url": url,
                "httpVersion": e.http_version,
                "headers": [{"name": k, "value": v} for k, v in r.headers(e.request_headers).items()],
                "queryString": [{"name": k, "value": v} for k, v in query],
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
            # The pytest case that sent it (none for set-up and tear-down).
            **({"comment": e.case} if e.case else {}),
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


def write_all(run: SummarisedRun, tests: list[TestOutcome], exit_code: int) -> Path:
    directory = run.settings.report_dir
    directory.mkdir(parents=True, exist_ok=True)
    data = summary(run, tests, exit_code)
    redact = run.redactor.text
    (directory / SUMMARY_JSON).write_text(redact(json.dumps(data, indent=2)) + "\n", "utf-8")
    (directory / SUMMARY_MD).write_text(redact(summary_markdown(data)), "utf-8")
    (directory / HAR_FILE).write_text(redact(json.dumps(har(run))), "utf-8")
    page = html_report.render(data, html_exit_code(exit_code))
    (directory / REPORT_HTML).write_text(redact(page), "utf-8")
    # What the run saw of the endpoint, for `rc-contract compare` across versions.
    observations.write(run, tests, data["clauses"], directory)
    return directory


def rate_limit_note(run: SummarisedRun) -> str:
    """How much of the run the limiter took: 429s waited out and time spent waiting."""
    if not run.recorder.rate_limited and not run.recorder.waited_s:
        return ""
    return (
        f" ({run.recorder.rate_limited} answers 429 absorbed, "
        f"{run.recorder.waited_s:.1f} s waiting for the rate limiter)"
    )


def terminal_table(run: SummarisedRun, tests: list[TestOutcome]) -> list[str]:
    clauses = clause_outcomes(run, tests)
    width = max(len(c.id) for c in clauses)
    lines = ["", f"rc-contract: clauses against {run.url} "
             f"(server {run.server_version}, contract {run.contract_version})"]
    for c in clauses:
        note = f"  {c.message}" if c.message and c.outcome != "passed" else ""
        if len(note) > 110:
            note = note[:107] + "..."
        lines.append(f"  {c.id:<{width}}  {c.outcome.upper():<8}{run.redactor.text(note)}")
    return lines + terminal_extras(run, tests)


def terminal_extras(run: SummarisedRun, tests: list[TestOutcome]) -> list[str]:
    """What the terminal says after the clause table: notices, sweeps, errors, requests."""
    lines = []
    for notice in run.version_notices:
        lines.append(f"rc-contract: notice: {notice}")
    for notice in run.setting_notices:
        lines.append(f"rc-contract: a setting might also be at fault: {notice}")
    if run.server_document is not None:
        lines.append(f"rc-contract: {run.server_document.line()}")
    for notice in document_notices(run):
        lines.append(f"rc-contract: notice: document: {notice}")
    for seen in run.observed:
        lines.append(f"rc-contract: seen, not asserted: {seen['clause']} ({seen['case']}) on "
                     f"{seen['version']}: {seen['expected']}; this server: {seen['saw']}")
    unnamed = run.notices.as_list()
    if unnamed:
        lines.append(f"rc-contract: {len(unnamed)} notice(s): keys the contract does not name "
                     "(values redacted; not failures):")
        lines += [f"  {n['clause']}: {n['where']} `{n['key']}` ({n['type']}, {n['seen']}x)"
                  for n in unnamed]
    if run.sweeps:
        lines.append("rc-contract: sweeps examined " + ", ".join(
            f"{clause} {count} answers" for clause, count in run.sweeps.values()))
    errors = list(dict.fromkeys(t.message for t in tests if t.outcome == ERROR))
    if errors:
        lines.append("rc-contract: errors of the run (not judged: no answer from the server, or "
                     "a check examined nothing; not contract failures):")
        lines += [f"  {run.redactor.text(e)}" for e in errors]
    lines.append(
        f"rc-contract: {run.recorder.requests_sent} requests in {run.duration_s:.1f} s"
        f"{rate_limit_note(run)}; "
        f"reports in {run.settings.report_dir}/"
    )
    return lines
