"""Start-up cost of ``rc-contract run``: import the big plugin packages before pytest.

Profiling the suite showed that over a third of a default run went into pytest's
assertion rewriting, not into testing: pytest marks *every* module of each
distribution that registers a ``pytest11`` entry point for rewriting, so about
380 modules of Schemathesis and Hypothesis are parsed, rewritten and compiled.
pytest caches the result next to the module, but not when bytecode writing is
off (``PYTHONDONTWRITEBYTECODE``, which tox and many CI images set), so every
run paid it again (about 2 s on a 2-core machine).

Their asserts are internal invariants, never the suite's checks (those raise
their own ``AssertionError`` with a message, from modules pytest does not rewrite
either way), so the suite loses nothing when these packages load unrewritten.
Importing them before ``pytest.main`` installs its import hook does exactly that.
"""

from __future__ import annotations

import os
import sys

# Modules the profile showed rewritten on every run that no entry point names:
# Schemathesis and Hypothesis import them lazily, mid-run.
LAZY_MODULES = (
    "hypothesis.internal.conjecture.optimiser",
    "hypothesis.strategies._internal.flatmapped",
    "hypothesis.strategies._internal.random",
    "schemathesis.generation.dictionaries",
    "schemathesis.specs.openapi.coverage._operation",
    "schemathesis.specs.openapi.schemas",
    "schemathesis.transport.asgi",
    "schemathesis.transport.wsgi",
)

# pytest's documented opt-out marker: a module whose docstring holds it is not
# rewritten, and pytest does not warn that it was imported before the hook.
_DONT_REWRITE = "PYTEST_DONT_REWRITE"


def _plugin_modules(args: list[str]) -> list[str]:
    """The modules pytest would load through ``pytest11`` entry points for these args."""
    from importlib.metadata import entry_points

    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") or "--disable-plugin-autoload" in args:
        return []
    blocked = {a.removeprefix("-p").strip().removeprefix("no:")
               for a in _p_values(args) if a.removeprefix("-p").strip().startswith("no:")}
    return [ep.value.partition(":")[0].strip() for ep in entry_points(group="pytest11")
            if ep.name not in blocked]


def _p_values(args: list[str]) -> list[str]:
    values = []
    for i, arg in enumerate(args):
        if arg == "-p" and i + 1 < len(args):
            values.append(args[i + 1])
        elif arg.startswith("-p") and len(arg) > 2:
            values.append(arg[2:])
    return values


def preload_plugin_packages(args: list[str]) -> None:
    """Import the entry-point plugins and :data:`LAZY_MODULES`, marked as not rewritten."""
    import importlib

    before = set(sys.modules)
    for name in [*_plugin_modules(args), *LAZY_MODULES]:
        try:
            importlib.import_module(name)
        except Exception:  # pytest imports it again, later, and reports it itself
            continue
    for name in set(sys.modules) - before:
        module = sys.modules.get(name)
        if module is None:
            continue
        doc = getattr(module, "__doc__", None) or ""
        if _DONT_REWRITE not in doc:
            try:
                module.__doc__ = f"{doc}\n\n{_DONT_REWRITE}"
            except (AttributeError, TypeError):  # a module that refuses attributes
                continue
