"""Named behaviours switched on by name, faults and variants alike: each name maps hook
points of the visitors.info pipeline to functions, compiled into one chain per point."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Hook = Callable[[Any, Any], Any]


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

    def __init__(self, names: tuple[str, ...], behaviours: Mapping[str, Mapping[str, Hook]]) -> None:
        self.names = names
        chains: dict[str, list[Hook]] = {}
        for name in names:
            for point, hook in behaviours[name].items():
                chains.setdefault(point, []).append(hook)
        self._chains = {point: tuple(hooks) for point, hooks in chains.items()}

    def apply(self, point: str, exchange: Any, value: Any) -> Any:
        """Run ``value`` through the active behaviours' hooks for ``point``."""
        for hook in self._chains.get(point, ()):
            value = hook(exchange, value)
        return value

    def __bool__(self) -> bool:
        return bool(self.names)
