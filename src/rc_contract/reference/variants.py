"""The variant catalogue (registered in variant_behaviours.py) and the set of variants a
server runs with.

The mirror image of faults/: a variant is a difference a real deployment shows
that keeps the contract, so the suite must pass against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .hooks import HookChains, checked_names
from .variant_behaviours import VARIANTS, Variant


class UnknownVariantError(ValueError):
    pass


def catalogue() -> dict[str, Variant]:
    """Every named variant, in catalogue order."""
    return VARIANTS.entries()


def check_names(names: Iterable[str]) -> tuple[str, ...]:
    return checked_names(names, catalogue(), "variant", UnknownVariantError)


class VariantSet(HookChains):
    """The active variants: one chain of hooks per point, and their server options."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        known = catalogue()
        super().__init__(check_names(names), known)
        self.options: dict[str, Any] = {}
        for name in self.names:
            self.options.update(known[name].options)
