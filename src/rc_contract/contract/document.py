"""Load the OpenAPI document (docs JSON or upstream YAML) and repair it.

The bundled file is never edited: known defects are repaired in memory by the
patches of spec/patches.yaml, and the result records which patches applied.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from rc_contract.configuration.paths import BUNDLED_DOCUMENT, ENDPOINT, spec_dir
from rc_contract.contract.patches import AppliedPatch, load_registry, resolve_pointer

DOCS_JSON = "docs-json"
UPSTREAM_YAML = "upstream-yaml"


class DocumentError(ValueError):
    """The document cannot be read as either supported form."""


@dataclass(frozen=True)
class LoadedDocument:
    path: Path
    sha256: str
    form: str
    document: dict[str, Any]
    applied: tuple[AppliedPatch, ...]

    @property
    def operation(self) -> dict[str, Any]:
        return self.document["paths"][ENDPOINT]["get"]

    def response_schema(self, status: int) -> dict[str, Any]:
        """The JSON schema of a documented response, ``$ref`` resolved."""
        response = self.operation["responses"][str(status)]
        if "$ref" in response:
            response = resolve_pointer(self.document, response["$ref"][1:])
        return response["content"]["application/json"]["schema"]

    @property
    def documented_statuses(self) -> list[int]:
        return sorted(int(code) for code in self.operation["responses"])


def _parse(text: str, path: Path) -> tuple[str, dict[str, Any]]:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            return DOCS_JSON, json.loads(text)
        except json.JSONDecodeError as exc:
            raise DocumentError(f"{path.name}: invalid JSON: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DocumentError(f"{path.name}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise DocumentError(f"{path.name}: not an OpenAPI document or path item")
    if "openapi" in data:
        return UPSTREAM_YAML, data
    # An upstream path item: {"/api/v1/livechat/visitors.info": {...}, ...}.
    return UPSTREAM_YAML, {
        "openapi": "3.0.0",
        "info": {"title": "Omnichannel (upstream path item)", "version": "1.0.0"},
        "paths": data,
    }


def load_document(path: Path) -> LoadedDocument:
    raw = path.read_bytes()
    form, document = _parse(raw.decode("utf-8"), path)
    if ENDPOINT not in document.get("paths", {}):
        raise DocumentError(f"{path.name}: no path {ENDPOINT}")
    # Only the endpoint under test matters; upstream cuts carry a neighbour too.
    document["paths"] = {ENDPOINT: document["paths"][ENDPOINT]}
    applied = []
    for patch in load_registry(spec_dir() / "patches.yaml"):
        if form in patch.forms:
            locations = patch.apply(document)
            if locations:
                applied.append(AppliedPatch(patch.name, patch.reason, tuple(locations)))
    return LoadedDocument(
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        form=form,
        document=document,
        applied=tuple(applied),
    )


@cache
def load_bundled() -> LoadedDocument:
    return load_document(spec_dir() / BUNDLED_DOCUMENT)


def fuzz_document(loaded: LoadedDocument) -> dict[str, Any]:
    """The document Schemathesis fuzzes: auth headers removed because the suite pins them.

    Generated X-User-Id/X-Auth-Token values would only ever be 401s; VI-AUTH-401
    covers those, and the fuzz case sends the real credentials on every request.
    """
    document = copy.deepcopy(loaded.document)
    operation = document["paths"][ENDPOINT]["get"]
    pinned = {"#/components/parameters/AuthToken", "#/components/parameters/UserId"}
    operation["parameters"] = [
        p for p in operation.get("parameters", []) if p.get("$ref") not in pinned
    ]
    return document


def _merge(target: dict[str, Any], overlay: dict[str, Any]) -> None:
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        elif isinstance(value, list) and isinstance(target.get(key), list):
            target[key] = sorted(set(target[key]) | set(value))
        else:
            target[key] = copy.deepcopy(value)


@cache
def _strict_overlays() -> list[dict[str, Any]]:
    return yaml.safe_load((spec_dir() / "strict.yaml").read_text("utf-8"))["overlays"]


def strict_ok_schema(loaded: LoadedDocument) -> dict[str, Any]:
    """The 200 schema with spec/strict.yaml's stricter types merged in."""
    schema = copy.deepcopy(loaded.response_schema(200))
    for overlay in _strict_overlays():
        _merge(resolve_pointer(schema, overlay["at"]), overlay["schema"])
    return schema
