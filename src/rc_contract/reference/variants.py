"""The variant catalogue (variants.yaml) and the set of variants a server runs with.

The mirror image of faults.py: a variant is a difference a real deployment shows
that keeps the contract, so the suite must pass against it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from .hooks import HookChains, checked_names
from .variant_behaviours import BEHAVIOURS, SERVER_OPTIONS

ENV_VARIANTS = "RC_REFERENCE_VARIANTS"


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    promise: str


class UnknownVariantError(ValueError):
    pass


@cache
def catalogue() -> dict[str, Variant]:
    """Every named variant, in catalogue order."""
    text = resources.files(__package__).joinpath("variants.yaml").read_text(encoding="utf-8")
    return {
        e["name"]: Variant(e["name"], " ".join(e["description"].split()),
                           " ".join(e["promise"].split()))
        for e in yaml.safe_load(text)["variants"]
    }


def check_names(names: Iterable[str]) -> tuple[str, ...]:
    return checked_names(names, catalogue(), "variant", UnknownVariantError)


def variants_from_env(environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    return check_names(environ.get(ENV_VARIANTS, "").split(","))


class VariantSet(HookChains):
    """The active variants: one chain of hooks per point, and their server options."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__(check_names(names), BEHAVIOURS)
        self.options: dict[str, Any] = {}
        for name in self.names:
            self.options.update(SERVER_OPTIONS.get(name, {}))
