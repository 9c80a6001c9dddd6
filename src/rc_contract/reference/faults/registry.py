"""One registration per fault: its name, the clauses that must catch it, what it
breaks, the version the proof runs it on and its hooks, in the manner of
Schemathesis' registered checks. The catalogue order is the registration order."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from ..hooks import Hook, HookPoint, Registry

H = TypeVar("H", bound=Callable[..., Any])


@dataclass(frozen=True)
class Fault:
    name: str
    # contract: breaks one documented behaviour, `clauses` must catch it;
    # target: breaks the server as a whole, for robustness tests.
    kind: Literal["contract", "target"]
    clauses: tuple[str, ...]
    description: str
    # The version the proof runs it on, when not the one where every clause is in force.
    version: str | None = None
    hooks: Mapping[HookPoint, Hook] = field(default_factory=dict, compare=False, repr=False)


FAULTS: Registry[Fault] = Registry("fault")


def fault(name: str, at: HookPoint, hook: Hook | None = None, *, clauses: Sequence[str] = (),
          description: str, version: str | None = None,
          kind: Literal["contract", "target"] = "contract",
          also: Mapping[HookPoint, Hook] | None = None) -> Any:
    """Register fault ``name``, hooked at ``at``: used as a decorator of the hook, or
    called with the hook (a built one); ``also`` adds hooks at other points."""

    def register(function: H) -> H:
        FAULTS.add(Fault(name, kind, tuple(clauses), description, version,
                         {at: function, **(also or {})}))
        return function

    return register if hook is None else register(hook)
