"""Named behaviours switched on by name, faults and variants alike: each one is
registered once with its metadata and the functions it hooks into the reference
server's pipeline, compiled into one chain per hook point for the active ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

Hook = Callable[[Any, Any], Any]


class HookPoint(StrEnum):
    """Where a behaviour hooks in: each is called with the exchange and the value that
    stage produced, and returns the value to use instead (the visitors.info stages in
    the order app.py calls them, then visitor registration)."""

    AUTHENTICATE = "authenticate"  # user | None -> user | None
    PERMITTED = "permitted"  # bool -> bool: holds `view-l-room`
    PARSE = "parse"  # params -> params, after qs parsing
    VALIDATE = "validate"  # message | None -> message | None
    LOOKUP = "lookup"  # visitor | None -> visitor | None
    VIEW = "view"  # the visitor as it is about to be sent -> the visitor to send
    RESPONSE = "response"  # Response -> Response, on every route (filter on ex.route)
    REGISTERED = "registered"  # a visitor just registered, before it is sent -> visitor


class Behaviour(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def hooks(self) -> Mapping[HookPoint, Hook]: ...


B = TypeVar("B", bound=Behaviour)


class Registry(Generic[B]):
    """Behaviours of one kind in registration order (the catalogue order)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, B] = {}

    def add(self, entry: B) -> B:
        if entry.name in self._entries:
            raise ValueError(f"{self.kind} {entry.name!r} is registered twice")
        self._entries[entry.name] = entry
        return entry

    def entries(self) -> dict[str, B]:
        return dict(self._entries)


def checked_names(names: Iterable[str], known: Mapping[str, Any], kind: str,
                  error: type[ValueError]) -> tuple[str, ...]:
    """The names, de-duplicated; ``error`` naming the valid ones when one is unknown."""
    wanted = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise error(f"unknown {kind}(s): {', '.join(unknown)}; valid {kind}s: {', '.join(known)}")
    return wanted


class HookChains:
    """The active behaviours, compiled into one chain of functions per hook point."""

    def __init__(self, names: tuple[str, ...], behaviours: Mapping[str, Behaviour]) -> None:
        self.names = names
        chains: dict[HookPoint, list[Hook]] = {}
        for name in names:
            for point, hook in behaviours[name].hooks.items():
                chains.setdefault(point, []).append(hook)
        self._chains = {point: tuple(hooks) for point, hooks in chains.items()}

    def apply(self, point: HookPoint, exchange: Any, value: Any) -> Any:
        """Run ``value`` through the active behaviours' hooks for ``point``."""
        for hook in self._chains.get(point, ()):
            value = hook(exchange, value)
        return value

    def __bool__(self) -> bool:
        return bool(self.names)
