"""The server's own OpenAPI document of visitors.info, beside the bundled one.

Rocket.Chat serves its document at ``GET /api/docs/json`` (no auth; on API.default,
which has no rate limiter: ApiClass limits only versioned routes). The route's query
validator ships in @rocket.chat/rest-typings from 8.0.0, so every version the suite
knows serves it. Routes registered the legacy way (``addRoute``, as visitors.info is)
are tagged "Missing Documentation" and listed only with ``?withUndocumented=true``,
documented as ApiClass's registerTypedRoutesLegacy writes them: the whole query as one
object parameter named ``query`` and a 200 of ``{success, error}``.

A run fetches it once and compares the visitors.info operation with the bundled one,
structurally (parameters, auth headers, response codes, body schemas). Differences are
notices ("the server documents X; the bundled contract says Y"), never failures: the
contract is the published documentation and the server's behaviour, not its self-
description. ``rc-contract compare`` lists how the document changed between two runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rc_contract.configuration.paths import ENDPOINT
from rc_contract.contract.patches import resolve_pointer

DOCS_PATH = "/api/docs/json"
DOCS_QUERY = {"withUndocumented": "true"}
_SCHEMA_WORDS = ("format", "enum", "const", "nullable", "minLength", "maxLength", "pattern",
                 "minimum", "maximum", "minItems", "maxItems")
_VALUE_WIDTH = 80

Flat = dict[str, str]


@dataclass
class ServerDocument:
    """What the run learnt of the server's document."""

    served: bool
    reason: str = ""  # why there is no document to compare (empty when served)
    version: str | None = None  # the document's info.version
    operation: Flat | None = None  # visitors.info, flattened; None: the document lacks it
    differences: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"url_path": DOCS_PATH, "query": DOCS_QUERY, "served": self.served,
                "reason": self.reason or None, "version": self.version,
                "operation": self.operation, "differences": self.differences}

    def line(self) -> str:
        """The terminal's one line about the document."""
        if not self.served:
            return f"the server's own OpenAPI document: not compared ({self.reason})"
        if not self.differences:
            return (f"the server's own OpenAPI document ({DOCS_PATH}, version {self.version}) "
                    "documents visitors.info as the bundled contract does")
        return (f"the server's own OpenAPI document ({DOCS_PATH}, version {self.version}) differs "
                f"from the bundled contract in {len(self.differences)} place(s): notices, not failures")


def examine(answer_status: int, body: Any, bundled: dict[str, Any]) -> ServerDocument:
    """Judge ``GET /api/docs/json``'s answer against the bundled document."""
    if answer_status != 200:
        return ServerDocument(False, f"{DOCS_PATH} answered HTTP {answer_status}")
    if not isinstance(body, dict) or not isinstance(body.get("paths"), dict):
        return ServerDocument(False, f"{DOCS_PATH} answered no OpenAPI document")
    info = body.get("info")
    version = str(info.get("version")) if isinstance(info, dict) and "version" in info else None
    mine = operation_of(body)
    theirs = flatten_operation(bundled, bundled["paths"][ENDPOINT]["get"])
    if mine is None:
        return ServerDocument(True, "", version, None, [
            f"the server documents no GET {ENDPOINT}; the bundled contract does"])
    return ServerDocument(True, "", version, mine, differences(mine, theirs))


def operation_of(document: dict[str, Any]) -> Flat | None:
    path = document.get("paths", {}).get(ENDPOINT)
    operation = path.get("get") if isinstance(path, dict) else None
    return flatten_operation(document, operation) if isinstance(operation, dict) else None


# -- flattening: one label per fact, so two documents compare key by key -------------

def _resolve(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 20:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return node
        try:
            node = resolve_pointer(document, ref[1:])
        except (KeyError, IndexError, TypeError, ValueError):
            return node
        depth += 1
    return node


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 3] + "..."


def _schema(document: dict[str, Any], schema: Any, label: str, out: Flat, depth: int = 0) -> None:
    schema = _resolve(document, schema)
    if not isinstance(schema, dict) or depth > 12:
        out[label] = _short(schema)
        return
    kind = schema.get("type", "any")
    out[label] = "|".join(kind) if isinstance(kind, list) else str(kind)
    for word in _SCHEMA_WORDS:
        if word in schema:
            out[f"{label} {word}"] = _short(schema[word])
    extra = schema.get("additionalProperties")
    if isinstance(extra, bool):
        out[f"{label} additionalProperties"] = json.dumps(extra)
    elif isinstance(extra, dict):
        _schema(document, extra, f"{label}.*", out, depth + 1)
    required = schema["required"] if isinstance(schema.get("required"), list) else []
    for name, sub in (schema.get("properties") or {}).items():
        _schema(document, sub, f"{label}.{name}", out, depth + 1)
        if name in required:
            out[f"{label}.{name} required"] = "true"
    if "items" in schema:
        _schema(document, schema["items"], f"{label}[]", out, depth + 1)
    for word in ("anyOf", "oneOf", "allOf"):
        for index, sub in enumerate(schema.get(word) or []):
            _schema(document, sub, f"{label} {word}[{index}]", out, depth + 1)


def flatten_operation(document: dict[str, Any], operation: dict[str, Any]) -> Flat:
    """Parameters, auth headers, responses and body schemas of one operation, as labels."""
    out: Flat = {}
    for raw in operation.get("parameters") or []:
        parameter = _resolve(document, raw)
        if not isinstance(parameter, dict):
            continue
        schema = _resolve(document, parameter.get("schema"))
        if (parameter.get("in"), parameter.get("name")) == ("query", "query") and isinstance(
                schema, dict) and schema.get("type") == "object":
            # Rocket.Chat's routers document the whole query as one object named `query`.
            required = schema.get("required") or []
            for name, sub in (schema.get("properties") or {}).items():
                _schema(document, sub, f"query parameter {name}", out)
                out[f"query parameter {name} required"] = json.dumps(name in required)
            if isinstance(schema.get("additionalProperties"), bool):
                out["query parameters additionalProperties"] = json.dumps(
                    schema["additionalProperties"])
            continue
        label = f"{parameter.get('in')} parameter {parameter.get('name')}"
        _schema(document, schema if schema is not None else {}, label, out)
        out[f"{label} required"] = json.dumps(parameter.get("required") is True)
    # Security schemes that are headers (Rocket.Chat's userId/authToken) are the auth headers
    # the bundled document lists as header parameters.
    schemes = document.get("components", {}).get("securitySchemes", {})
    for requirement in operation.get("security") or []:
        for name in requirement if isinstance(requirement, dict) else []:
            scheme = _resolve(document, schemes.get(name))
            if isinstance(scheme, dict) and scheme.get("in") == "header" and scheme.get("name"):
                label = f"header parameter {scheme['name']}"
                out[label] = "string"
                out[f"{label} required"] = "true"
    for status, raw in (operation.get("responses") or {}).items():
        response = _resolve(document, raw)
        label = f"response {status}"
        content = response.get("content") if isinstance(response, dict) else None
        content = content if isinstance(content, dict) else {}
        out[label] = ", ".join(sorted(content)) or "no body"
        body = content.get("application/json")
        if isinstance(body, dict) and "schema" in body:
            _schema(document, body["schema"], f"{label} body", out)
    return out


# -- differences ----------------------------------------------------------------------

def _descends(label: str, ancestor: str) -> bool:
    return label != ancestor and label.startswith(
        (f"{ancestor}.", f"{ancestor} ", f"{ancestor}["))


def _tops(labels: list[str]) -> list[str]:
    """The labels whose ancestors are not in the list too (one line per missing subtree)."""
    chosen = set(labels)
    return [x for x in labels if not any(_descends(x, a) for a in chosen)]


def differences(mine: Flat, theirs: Flat, me: str = "the server",
                them: str = "the bundled contract") -> list[str]:
    """``mine`` against ``theirs``, one sentence per difference, in label order."""
    lines = []
    only_mine = _tops(sorted(set(mine) - set(theirs)))
    only_theirs = _tops(sorted(set(theirs) - set(mine)))
    for label in sorted(set(only_mine) | set(only_theirs) | (set(mine) & set(theirs))):
        if label in only_mine:
            lines.append(f"{me} documents `{label}` ({mine[label]}); {them} does not")
        elif label in only_theirs:
            lines.append(f"{me} does not document `{label}`; {them} says {theirs[label]}")
        elif label in mine and label in theirs and mine[label] != theirs[label]:
            lines.append(f"{me} documents `{label}` as {mine[label]}; {them} says {theirs[label]}")
    return lines


def served_document(bundled: dict[str, Any], version: str, site_url: str) -> dict[str, Any]:
    """The document the reference server serves by default: Rocket.Chat's envelope
    (default/openApi.ts) around the bundled visitors.info operation, references inlined."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Rocket.Chat API", "description": "Rocket.Chat API", "version": version},
        "servers": [{"url": site_url}],
        "components": {"securitySchemes": dict(SECURITY_SCHEMES), "schemas": {}},
        "paths": {ENDPOINT: {"get": _inline(bundled, bundled["paths"][ENDPOINT]["get"])}},
    }


SECURITY_SCHEMES = {
    "userId": {"type": "apiKey", "in": "header", "name": "X-User-Id"},
    "authToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
}


def _inline(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    node = _resolve(document, node)
    if depth > 30:
        return node
    if isinstance(node, dict):
        return {k: _inline(document, v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(document, v, depth + 1) for v in node]
    return node
