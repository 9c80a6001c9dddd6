"""The fault catalogue (faults.yaml) and the set of faults a server runs with."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from ..hooks import HookChains, checked_names
from .behaviours import BEHAVIOURS

ENV_FAULTS = "RC_REFERENCE_FAULTS"
HOOK_POINTS = ("authenticate", "permitted", "parse", "validate", "lookup", "view", "response")


@dataclass(frozen=True)
class Fault:
    name: str
    kind: str  # "contract" or "target"
    clauses: tuple[str, ...]
    description: str
    # The version the proof runs it on, when not the one where every clause is in force.
    version: str | None = None


class UnknownFaultError(ValueError):
    pass


@cache
def catalogue() -> dict[str, Fault]:
    """Every named fault, in catalogue order."""
    text = resources.files("rc_contract.reference").joinpath("faults.yaml").read_text(encoding="utf-8")
    entries = yaml.safe_load(text)["faults"]
    return {
        e["name"]: Fault(
            name=e["name"],
            kind=e.get("kind", "contract"),
            clauses=tuple(e.get("clauses") or ()),
            description=e["description"],
            version=str(e["version"]) if e.get("version") else None,
        )
        for e in entries
    }


def check_names(names: Iterable[str]) -> tuple[str, ...]:
    """The names, de-duplicated; UnknownFaultError naming the valid ones otherwise."""
    return checked_names(names, catalogue(), "fault", UnknownFaultError)


def faults_from_env(environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """Fault names from RC_REFERENCE_FAULTS (comma-separated), checked."""
    return check_names(environ.get(ENV_FAULTS, "").split(","))


class FaultSet(HookChains):
    """The active faults, compiled into one chain of functions per hook point."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__(check_names(names), BEHAVIOURS)
