"""compare.md: the Markdown rendering of a comparison (reports/compare.py's result)."""

from __future__ import annotations

from typing import Any

_WHAT = {
    "field-removed": "visitor field removed",
    "field-added": "visitor field added",
    "field-retyped": "visitor field changed type",
    "status": "status changed",
    "body": "body changed",
    "body-key-removed": "error body key removed",
    "body-key-added": "error body key added",
    "body-key-retyped": "error body key changed type",
    "error-text": "error text changed",
    "answers": "answers changed",
    "clause": "clause outcome changed",
    "document": "the server's own document changed",
}


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown(result: dict[str, Any]) -> str:
    before, after = result["before"], result["after"]
    changes = result["changes"]
    breaking = [c for c in changes if c["breaking"]]
    lines = [
        f"# visitors.info: what changed from {before['server_version']} to {after['server_version']}",
        "",
    ]
    for name, ctx in (("before", before), ("after", after)):
        lines.append(
            f"- {name}: `{ctx['report']}`: Rocket.Chat {ctx['server_version']} "
            f"({ctx['version_source']}), judged by the {ctx['contract_version']} contract, "
            f"suite {ctx['suite_version']}"
        )
    lines.append("")
    if not changes:
        lines.append("No change.")
    else:
        lines.append(f"**{len(breaking)} breaking**, {len(changes) - len(breaking)} not breaking.")
        lines += ["", "| | change | what | before | after | where | documented |",
                  "|---|---|---|---|---|---|---|"]
        for c in sorted(changes, key=lambda c: not c["breaking"]):
            where = ", ".join(c["clauses"]) or ("visitor object" if c["kind"].startswith("field") else "")
            if c["cases"]:
                where += f" ({len(c['cases'])} case{'s' if len(c['cases']) != 1 else ''})"
            what = f"`{c['subject']}`" if c["kind"].startswith("field") else c["subject"]
            if c["details"]:
                what += " (" + "; ".join(c["details"]) + ")"
            documented = "<br>".join(c["documented"]) or "**undocumented**"
            lines.append(
                f"| {'**breaking**' if c['breaking'] else 'not breaking'} | {_WHAT[c['kind']]} | "
                f"{_cell(what)} | {_cell(c['before'])} | {_cell(c['after'])} | {_cell(where)} | "
                f"{_cell(documented)} |"
            )
    drift = result.get("document_drift") or {}
    if drift.get("before") or drift.get("after"):
        lines += ["", "The server's own OpenAPI document against the bundled contract (notices):"]
        for side in ("before", "after"):
            lines += [f"- {side}: {d}" for d in drift.get(side, [])] or [f"- {side}: no difference"]
    if result["not_compared"]:
        lines += ["", "Not compared (the case sent no request in one of the runs): "
                  + ", ".join(f"`{n['case']}` (only {n['observed_only_in']})"
                              for n in result["not_compared"])]
    if result["caveats"]:
        lines += ["", "Caveats:", *[f"- {note}" for note in result["caveats"]]]
    return "\n".join(lines) + "\n"
