"""The fault catalogue and the set of faults a server runs with.

Each fault is registered once, with its metadata and hooks (registry.py), in the
module of the clause it breaks; importing those modules in this order fills the
catalogue in its order (the order of `serve --list-faults`, the docs and the proof).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..hooks import HookChains, checked_names
from .registry import FAULTS, Fault

# isort: off
# The clause modules, in catalogue order: importing one registers its faults.
from . import auth, params, lookup, shape, token, external_ids, answers, target  # noqa: F401
# isort: on

__all__ = ["Fault", "FaultSet", "UnknownFaultError", "catalogue", "check_names"]


class UnknownFaultError(ValueError):
    pass


def catalogue() -> dict[str, Fault]:
    """Every named fault, in catalogue order."""
    return FAULTS.entries()


def check_names(names: Iterable[str]) -> tuple[str, ...]:
    """The names, de-duplicated; UnknownFaultError naming the valid ones otherwise."""
    return checked_names(names, catalogue(), "fault", UnknownFaultError)


class FaultSet(HookChains):
    """The active faults, compiled into one chain of functions per hook point."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__(check_names(names), catalogue())
