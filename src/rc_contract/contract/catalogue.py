"""The clause catalogue of spec/clauses.yaml, and the expectations of a version."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from rc_contract.paths import spec_dir
from rc_contract.versions import RCVersion, VersionRange

SOURCES = {"docs", "server"}


@dataclass(frozen=True)
class Expectation:
    versions: VersionRange
    status: int
    body: dict[str, Any]
    optional: dict[str, Any] = field(default_factory=dict)
    changelog: str | None = None


@dataclass(frozen=True)
class Clause:
    id: str
    title: str
    source: tuple[str, ...]
    versions: VersionRange
    requirement: str
    expectations: tuple[Expectation, ...] = ()
    notice: str | None = None
    changelog: str | None = None

    def applies_to(self, version: RCVersion) -> bool:
        return self.versions.contains(version)

    def notice_for(self, version: RCVersion) -> str:
        text = self.notice or f"{self.id} holds from {self.versions}, not on {{version}}."
        return " ".join(text.replace("{version}", str(version)).split())

    def expectation(self, version: RCVersion) -> Expectation:
        for expectation in self.expectations:
            if expectation.versions.contains(version):
                return expectation
        raise LookupError(f"{self.id} has no expectation for {version}")


@dataclass(frozen=True)
class Catalogue:
    clauses: tuple[Clause, ...]

    def __getitem__(self, clause_id: str) -> Clause:
        for clause in self.clauses:
            if clause.id == clause_id:
                return clause
        raise KeyError(clause_id)

    @property
    def ids(self) -> list[str]:
        return [clause.id for clause in self.clauses]


def _text(value: str) -> str:
    return " ".join(value.split())


def parse_catalogue(raw: dict[str, Any]) -> Catalogue:
    clauses = []
    for entry in raw["clauses"]:
        source = tuple(entry["source"])
        if not set(source) <= SOURCES:
            raise ValueError(f"{entry['id']}: source must be among {sorted(SOURCES)}")
        expectations = tuple(
            Expectation(
                versions=VersionRange(str(e["versions"])),
                status=int(e["status"]),
                body=e["body"],
                optional=e.get("optional", {}),
                changelog=e.get("changelog"),
            )
            for e in entry.get("expect", [])
        )
        clauses.append(
            Clause(
                id=entry["id"],
                title=entry["title"],
                source=source,
                versions=VersionRange(str(entry["versions"])),
                requirement=_text(entry["requirement"]),
                expectations=expectations,
                notice=entry.get("notice"),
                changelog=_text(entry["changelog"]) if entry.get("changelog") else None,
            )
        )
    ids = [clause.id for clause in clauses]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate clause ids in the catalogue")
    return Catalogue(tuple(clauses))


@cache
def load_catalogue() -> Catalogue:
    return parse_catalogue(yaml.safe_load((spec_dir() / "clauses.yaml").read_text("utf-8")))
