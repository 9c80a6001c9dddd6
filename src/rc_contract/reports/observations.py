"""What a run saw of visitors.info, as data another run can be compared with.

Built from the recorded traffic and the test outcomes only (no extra request).
It keeps shapes, never values: field paths with their JSON types, statuses,
body keys, and the `error`/`errorType` texts (Rocket.Chat's own wording, never
personal). Everything volatile (ids, timestamps, counts, durations, URLs) stays
out of the parts `rc_contract.reports.compare` compares.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rc_contract import __version__
from rc_contract.configuration.paths import ENDPOINT
from rc_contract.contract.judge import json_type
from rc_contract.live.session import RATE_LIMIT_STATUS, Exchange
from rc_contract.reports.outcomes import TestOutcome
from rc_contract.reports.views import ObservedRun

OBSERVATIONS_JSON = "observations.json"
SCHEMA_VERSION = 1
FUZZ_CLAUSE = "VI-FUZZ"
# Free-form objects owned by apps or agents: their type is part of the contract,
# their keys are data (and could name people), so they are not descended into.
OPAQUE_PATHS = {"visitor.externalIds[].metadata", "visitor.livechatData"}
# Error texts worth comparing: Rocket.Chat's codes and messages, not personal data.
TEXT_KEYS = ("error", "errorType")


def field_types(value: Any, prefix: str = "", into: dict[str, set[str]] | None = None
                ) -> dict[str, set[str]]:
    """Every path under ``value`` (``visitor.phone[].phoneNumber``) with the JSON types seen."""
    types: dict[str, set[str]] = {} if into is None else into
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            types.setdefault(path, set()).add(json_type(item))
            if path not in OPAQUE_PATHS:
                field_types(item, path, types)
    elif isinstance(value, list):
        for item in value:
            path = f"{prefix}[]"
            types.setdefault(path, set()).add(json_type(item))
            if path not in OPAQUE_PATHS:
                field_types(item, path, types)
    return types


def _joined(types: dict[str, set[str]]) -> dict[str, str]:
    return {path: "|".join(sorted(kinds)) for path, kinds in sorted(types.items())}


NOT_JSON = "not-json"


def _json(exchange: Exchange) -> Any:
    try:
        return json.loads(exchange.body)
    except ValueError:
        return NOT_JSON


def answer_shape(exchange: Exchange) -> dict[str, Any]:
    """Status, top-level body keys with types, and the error texts of one answer.

    Top level only: the visitor inside a 200 answer is described by ``visitor_fields``.
    """
    body = _json(exchange)
    shape: dict[str, Any] = {"status": exchange.status}
    if isinstance(body, dict):
        shape["body"] = {key: json_type(value) for key, value in sorted(body.items())}
        for key in TEXT_KEYS:
            if isinstance(body.get(key), str):
                shape[key] = body[key]
    else:
        shape["body"] = NOT_JSON if body == NOT_JSON else json_type(body)
    return shape


def _requested_visitor(exchange: Exchange) -> str | None:
    values = parse_qs(urlsplit(exchange.url).query, keep_blank_values=True).get("visitorId", [])
    return values[0] if len(values) == 1 else None


def observe(run: ObservedRun, tests: list[TestOutcome]) -> dict[str, Any]:
    clauses_of = {t.nodeid: list(t.clauses) for t in tests}
    known_visitors = {v.id for v in run.objects.visitors if v.id} if run.objects else set()
    if run.external_ids_visitor:
        known_visitors.add(run.external_ids_visitor)

    visitor_fields: dict[str, set[str]] = {}
    cases: dict[str, dict[str, Any]] = {}
    fuzz_statuses: Counter[str] = Counter()
    # Each answer as the case that sent it saw it, and again for each case it was
    # served to (one answer may serve several cases asking the same question).
    answers = [(e.case, e) for e in run.recorder.for_path(ENDPOINT)] + [
        (case, e) for case, e in run.recorder.served if e.path == ENDPOINT]
    for case_id, exchange in answers:
        # The run's preflight and tear-down are no case; a 429 is the limiter, which
        # the session waited out and retried: neither says anything about the contract.
        if case_id is None or exchange.status == RATE_LIMIT_STATUS:
            continue
        clause_ids = clauses_of.get(case_id, [])
        if FUZZ_CLAUSE in clause_ids:
            fuzz_statuses[str(exchange.status)] += 1
            continue
        body = _json(exchange)
        if (exchange.status == 200 and isinstance(body, dict)
                and _requested_visitor(exchange) in known_visitors):
            field_types(body, into=visitor_fields)
        case = cases.setdefault(case_id, {"clauses": clause_ids, "answers": []})
        shape = answer_shape(exchange)
        # Identical answers within a case are one observation: counts are volatile.
        if shape not in case["answers"]:
            case["answers"].append(shape)

    detected = run.detected
    return {
        "schema_version": SCHEMA_VERSION,
        "endpoint": f"GET {ENDPOINT}",
        "suite_version": __version__,
        "spec_sha256": run.document.sha256,
        "server_version": str(detected.version) if detected else None,
        "version_source": detected.source if detected else None,
        "contract_version": str(run.contract_version) if detected else None,
        "reference": run.reference is not None,
        "reference_faults": list(run.settings.reference_faults),
        "visitor_fields": _joined(visitor_fields),
        "cases": dict(sorted(cases.items())),
        # Summarised, never compared: generated requests differ from run to run.
        "fuzz": {"answers": sum(fuzz_statuses.values()), "statuses": dict(sorted(fuzz_statuses.items()))},
        "clauses": {},
        "notices": {},
        # The server's own OpenAPI document of visitors.info, flattened (compare diffs it).
        "server_document": run.server_document.as_dict() if run.server_document else None,
    }


def with_clauses(data: dict[str, Any], clauses: list[dict[str, Any]]) -> dict[str, Any]:
    """Add the clause outcomes (and notice texts) as summary.json has them."""
    data["clauses"] = {c["id"]: c["outcome"] for c in clauses}
    data["notices"] = {c["id"]: c["message"] for c in clauses if c["outcome"] == "notice"}
    return data


def write(run: ObservedRun, tests: list[TestOutcome], clauses: list[dict[str, Any]], directory: Path) -> Path:
    data = with_clauses(observe(run, tests), clauses)
    path = directory / OBSERVATIONS_JSON
    # Shapes hold no values, but a server's error text could still echo one: redact.
    path.write_text(run.redactor.text(json.dumps(data, indent=2)) + "\n", "utf-8")
    return path
