"""The clause catalogue of spec/clauses.yaml, and the expectations of a version.

An expectation is chosen by the contract version; a server that reported only
MAJOR.MINOR may run any known version of its line, so a clause may have several
candidate expectations there (``expectations_for``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from rc_contract.configuration.paths import spec_dir
from rc_contract.versions import RCVersion, VersionRange

SOURCES = {"docs", "server"}
EVIDENCE_LEVELS = ("verified", "inferred", "unknown")
DEFAULT_CASE = "default"
# The keys by which an expectation names a behaviour ("token": "absent") instead of
# giving status and body.
NAMED_BEHAVIOUR_KEYS = ("token", "array_form")


@dataclass(frozen=True)
class Evidence:
    """How an expectation is known: verified at named versions, inferred, or unknown."""

    level: str
    source: str
    at: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f" at {', '.join(self.at)}" if self.at else ""
        return f"{self.level}{where}: {self.source}"


@dataclass(frozen=True)
class Expectation:
    versions: VersionRange
    evidence: Evidence
    case: str = DEFAULT_CASE
    status: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    optional: dict[str, Any] = field(default_factory=dict)
    changelog: str | None = None
    # A named behaviour ("token": "absent"), for expectations that are not one answer.
    behaviour: tuple[str, str] | None = None

    @property
    def known(self) -> bool:
        return self.evidence.level != "unknown"


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
    evidence: Evidence | None = None

    def applies_to(self, version: RCVersion) -> bool:
        return self.versions.contains(version)

    def observes(self, version: RCVersion) -> bool:
        """Outside its range, a clause whose catalogue entry says what servers do there
        still runs its cases: they observe and report instead of asserting."""
        return any(e.versions.contains(version) for e in self.expectations)

    def notice_for(self, version: RCVersion) -> str:
        text = self.notice or f"{self.id} holds from {self.versions}, not on {{version}}."
        return " ".join(text.replace("{version}", str(version)).split())

    def expectation(self, version: RCVersion, case: str = DEFAULT_CASE) -> Expectation:
        for expectation in self.expectations:
            if expectation.case == case and expectation.versions.contains(version):
                return expectation
        raise LookupError(f"{self.id} has no expectation for {version} ({case})")

    def expectations_for(self, candidates: list[RCVersion], case: str = DEFAULT_CASE) -> list[Expectation]:
        """The distinct expectations of the versions a server may run, in catalogue order."""
        found = {id(e): e for v in candidates for e in [self.expectation(v, case)]}
        return [e for e in self.expectations if id(e) in found]


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


def parse_evidence(raw: Any, where: str) -> Evidence:
    """An ``evidence`` mapping; a missing or malformed one is an error of the catalogue."""
    if not isinstance(raw, dict) or raw.get("level") not in EVIDENCE_LEVELS or not raw.get("source"):
        raise ValueError(f"{where}: evidence needs level ({'/'.join(EVIDENCE_LEVELS)}) and source")
    at = tuple(str(v) for v in raw.get("at", []))
    for version in at:
        RCVersion.parse(version)
    if raw["level"] == "verified" and not at:
        raise ValueError(f"{where}: verified evidence must name the versions it was verified at")
    return Evidence(level=raw["level"], source=_text(str(raw["source"])), at=at)


def _expectation(clause_id: str, index: int, e: dict[str, Any]) -> Expectation:
    where = f"{clause_id} expect[{index}]"
    behaviours = [(name, str(e[name])) for name in NAMED_BEHAVIOUR_KEYS if name in e]
    if ("status" in e) == bool(behaviours) or len(behaviours) > 1:
        raise ValueError(f"{where}: give either status and body, or one of {NAMED_BEHAVIOUR_KEYS}")
    return Expectation(
        versions=VersionRange(str(e["versions"])),
        evidence=parse_evidence(e.get("evidence"), where),
        case=str(e.get("case", DEFAULT_CASE)),
        status=int(e["status"]) if "status" in e else None,
        body=e.get("body", {}),
        optional=e.get("optional", {}),
        changelog=e.get("changelog"),
        behaviour=behaviours[0] if behaviours else None,
    )


def parse_catalogue(raw: dict[str, Any]) -> Catalogue:
    clauses = []
    for entry in raw["clauses"]:
        source = tuple(entry["source"])
        if not set(source) <= SOURCES:
            raise ValueError(f"{entry['id']}: source must be among {sorted(SOURCES)}")
        expectations = tuple(
            _expectation(entry["id"], i, e) for i, e in enumerate(entry.get("expect", []))
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
                evidence=parse_evidence(entry["evidence"], entry["id"]) if "evidence" in entry else None,
            )
        )
    ids = [clause.id for clause in clauses]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate clause ids in the catalogue")
    return Catalogue(tuple(clauses))


@cache
def load_catalogue() -> Catalogue:
    return parse_catalogue(yaml.safe_load((spec_dir() / "clauses.yaml").read_text("utf-8")))
