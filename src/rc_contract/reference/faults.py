"""The fault catalogue (faults.yaml) and the set of faults a server runs with."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from .fault_behaviours import BEHAVIOURS

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
    text = resources.files(__package__).joinpath("faults.yaml").read_text(encoding="utf-8")
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
    known = catalogue()
    wanted = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise UnknownFaultError(
            f"unknown fault(s): {', '.join(unknown)}; valid faults: {', '.join(known)}"
        )
    return wanted


def faults_from_env(environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """Fault names from RC_REFERENCE_FAULTS (comma-separated), checked."""
    return check_names(environ.get(ENV_FAULTS, "").split(","))


class FaultSet:
    """The active faults, compiled into one chain of functions per hook point."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names = check_names(names)
        chains: dict[str, list[Callable[[Any, Any], Any]]] = {}
        for name in self.names:
            for point, hook in BEHAVIOURS[name].items():
                chains.setdefault(point, []).append(hook)
        self._chains = {point: tuple(hooks) for point, hooks in chains.items()}

    def apply(self, point: str, exchange: Any, value: Any) -> Any:
        """Run `value` through the active faults' hooks for `point`."""
        for hook in self._chains.get(point, ()):
            value = hook(exchange, value)
        return value

    def __bool__(self) -> bool:
        return bool(self.names)
