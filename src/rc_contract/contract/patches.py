"""Repairs for known documentation defects, driven by spec/patches.yaml.

Each patch kind is a pair of plain functions: ``find`` returns the JSON
pointers where the defect is present, ``fix`` repairs them. Keeping ``find``
separate lets a self-test prove each patch is still needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Document = dict[str, Any]
Finder = Callable[[Document, "Patch"], list[str]]
Fixer = Callable[[Document, "Patch", list[str]], None]

_STRING_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class Patch:
    name: str
    kind: str
    reason: str
    forms: tuple[str, ...]
    args: dict[str, Any] = field(default_factory=dict)

    def find(self, document: Document) -> list[str]:
        return KINDS[self.kind][0](document, self)

    def apply(self, document: Document) -> list[str]:
        """Repair the document in place; return where it was defective."""
        locations = self.find(document)
        if locations:
            KINDS[self.kind][1](document, self, locations)
        return locations


@dataclass(frozen=True)
class AppliedPatch:
    name: str
    reason: str
    locations: tuple[str, ...]


def _walk(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            yield from _walk(value, f"{pointer}/{escaped}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{index}")


def resolve_pointer(document: Any, pointer: str) -> Any:
    node = document
    for part in pointer.split("/")[1:] if pointer else []:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _parent_and_key(document: Any, pointer: str) -> tuple[Any, str]:
    parent_pointer, _, key = pointer.rpartition("/")
    return resolve_pointer(document, parent_pointer), key.replace("~1", "/").replace("~0", "~")


# string-boolean: a YAML boolean the docs page rendered as "true"/"false".
def _find_string_booleans(document: Document, patch: Patch) -> list[str]:
    keyword = patch.args["keyword"]
    within = patch.args.get("within")
    found = []
    for pointer, node in _walk(document):
        if not isinstance(node, dict) or not isinstance(node.get(keyword), str):
            continue
        if node[keyword] not in _STRING_BOOLEANS:
            continue
        if within and f"/{within}/" not in pointer + "/":
            continue
        found.append(f"{pointer}/{keyword}")
    return found


def _fix_string_booleans(document: Document, patch: Patch, locations: list[str]) -> None:
    for pointer in locations:
        parent, key = _parent_and_key(document, pointer)
        parent[key] = _STRING_BOOLEANS[parent[key]]


# supply-components: the upstream path item references components it lacks.
def _upstream_components() -> Document:
    from rc_contract.configuration.paths import spec_dir

    return yaml.safe_load(Path(spec_dir(), "upstream-components.yaml").read_text("utf-8"))


def _find_missing_components(document: Document, patch: Patch) -> list[str]:
    missing = []
    for _pointer, node in _walk(document):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref.startswith("#/"):
                try:
                    resolve_pointer(document, ref[1:])
                except (KeyError, IndexError, TypeError):
                    missing.append(ref[1:])
    return sorted(set(missing))


def _fix_missing_components(document: Document, patch: Patch, locations: list[str]) -> None:
    supplied = _upstream_components()
    components = document.setdefault("components", {})
    for pointer in locations:
        _, section, name = pointer.split("/")[1:4]
        components.setdefault(section, {})[name] = supplied[section][name]


# ensure-parameter-ref: an operation that lost one of its documented parameters.
def _operations(document: Document) -> Iterator[tuple[str, Document]]:
    for path, item in document.get("paths", {}).items():
        for method in ("get", "post", "put", "delete", "patch"):
            if method in item:
                escaped = path.replace("~", "~0").replace("/", "~1")
                yield f"/paths/{escaped}/{method}", item[method]


def _find_missing_parameter_ref(document: Document, patch: Patch) -> list[str]:
    ref = patch.args["ref"]
    return [
        f"{pointer}/parameters"
        for pointer, operation in _operations(document)
        if {"$ref": ref} not in operation.get("parameters", [])
    ]


def _fix_missing_parameter_ref(document: Document, patch: Patch, locations: list[str]) -> None:
    for pointer in locations:
        parent, key = _parent_and_key(document, pointer)
        parent.setdefault(key, []).append({"$ref": patch.args["ref"]})


KINDS: dict[str, tuple[Finder, Fixer]] = {
    "string-boolean": (_find_string_booleans, _fix_string_booleans),
    "supply-components": (_find_missing_components, _fix_missing_components),
    "ensure-parameter-ref": (_find_missing_parameter_ref, _fix_missing_parameter_ref),
}


def load_registry(path: Path) -> list[Patch]:
    raw = yaml.safe_load(path.read_text("utf-8"))
    patches = []
    for entry in raw["patches"]:
        entry = dict(entry)
        name, kind, reason = entry.pop("name"), entry.pop("kind"), entry.pop("reason")
        if kind not in KINDS:
            raise ValueError(f"patch {name!r}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
        forms = tuple(entry.pop("forms"))
        patches.append(Patch(name=name, kind=kind, reason=" ".join(reason.split()), forms=forms,
                             args=entry))
    return patches
