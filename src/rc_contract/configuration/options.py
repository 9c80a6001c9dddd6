"""What ``rc-contract run`` accepts: its own options, the pytest options that shape a run,
and the RC_* environment; anything that would end a run before a clause is judged is
refused in the tool's own words (exit 4), so that a typo never turns a CI job green.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from rc_contract.configuration.settings import SETTINGS, ConfigError

# The tool's own flags: --debug shows pytest's own terminal (tracebacks, locals, paths).
DEBUG_FLAGS = ("--debug",)
# pytest options that shape a run and still judge what it selects.
PYTEST_WITH_VALUE = {
    "-k", "-m", "-p", "-o", "--override-ini", "-W", "--pythonwarnings", "--junitxml",
    "--junit-xml", "--junit-prefix", "--maxfail", "--ignore", "--ignore-glob", "--deselect", "--tb",
    "-r", "--durations", "--durations-min", "--capture", "--color", "--code-highlight",
    "--log-level", "--log-file", "--hypothesis-seed", "--hypothesis-verbosity", "-c",
    "--config-file", "--basetemp",
}
PYTEST_FLAGS = {
    "-q", "--quiet", "-v", "--verbose", "-x", "--exitfirst", "-s", "-l", "--showlocals",
    "--trace-config", "--strict-markers", "--no-header", "--no-summary", "--full-trace",
    "--disable-warnings", "--disable-pytest-warnings", "--hypothesis-show-statistics",
    "--setup-show",
}
_CLUSTER = set("qvxsl")  # short flags that may be written together (-qq, -xv)
_STOPS = "would end the run before any clause is judged"
# pytest options that stop before judging (or wait for a person), with what to use instead.
REFUSED = {
    "--collect-only": f"lists the cases and {_STOPS}; `rc-contract run --help` lists the options",
    "--co": f"lists the cases and {_STOPS}; `rc-contract run --help` lists the options",
    "--setup-plan": f"{_STOPS}",
    "--setup-only": f"{_STOPS}",
    "--fixtures": f"{_STOPS}",
    "--funcargs": f"{_STOPS}",
    "--fixtures-per-test": f"{_STOPS}",
    "--markers": f"{_STOPS}",
    "--cache-show": f"{_STOPS}",
    "--pdb": "waits for a person at the first failure (a CI job would hang); use --debug",
    "--trace": "waits for a person at every case (a CI job would hang); use --debug",
    "--lf": "needs pytest's cache, which the suite keeps off; every run judges every clause",
    "--last-failed": "needs pytest's cache, which the suite keeps off; every run judges every clause",
    "--ff": "needs pytest's cache, which the suite keeps off; every run judges every clause",
    "--failed-first": "needs pytest's cache, which the suite keeps off",
    "--sw": "needs pytest's cache, which the suite keeps off",
    "--stepwise": "needs pytest's cache, which the suite keeps off",
}
# Names of RC_* variables the suite's own scripts read (CI template, action, the reference
# server's slow fault, the curl lines' placeholders, the validator self-test's npm cache):
# known, never "did you mean".
OTHER_KNOWN_ENV = {
    "RC_CONTRACT_ROOT", "RC_CONTRACT_PYTHON", "RC_CONTRACT_INSTALL", "RC_CONTRACT_VENV",
    "RC_CONTRACT_REF", "RC_CONTRACT_REPOSITORY", "RC_REFERENCE_SLOW_SECONDS",
    "RC_UNPRIVILEGED_USER_ID", "RC_UNPRIVILEGED_AUTH_TOKEN", "RC_VALIDATOR_CACHE",
}
# A name this close to a known one is a typo (exit 4); further away, another tool's (a warning).
TYPO_DISTANCE = 2


@dataclass
class RunArgs:
    """``rc-contract run``'s arguments, checked: what pytest gets, and the tool's own."""

    pytest_args: list[str] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)  # env name -> value given as option
    debug: bool = False


def _own_options() -> dict[str, str]:
    return {s.option: s.env for s in SETTINGS.values()}


def _known_options() -> list[str]:
    return [*_own_options(), *DEBUG_FLAGS, *PYTEST_WITH_VALUE, *PYTEST_FLAGS, "--help"]


def _did_you_mean(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.75)
    return (f"; did you mean {close[0]}?" if close
            else "; `rc-contract run --help` lists the options")


def parse_run_args(args: list[str]) -> RunArgs:
    """Check ``rc-contract run``'s arguments; a ``ConfigError`` names what is wrong and the fix."""
    own = _own_options()
    parsed = RunArgs()
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        name, equals, attached = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if arg == "--":
            raise ConfigError("`--` is not an option of rc-contract run; "
                              "`rc-contract run --help` lists the options")
        if not arg.startswith("-") or arg == "-":
            parsed.pytest_args.append(arg)  # a test path: checked by the caller
            continue
        if name in ("--version", "-V"):
            value = attached or (args[index] if index < len(args)
                                 and not args[index].startswith("-") else "")
            example = f" {value}" if value else " 9.0.0"
            raise ConfigError(
                f"{name} is not an option of rc-contract run: the version the bundled reference "
                f"server emulates is --rc-reference-version{example} (RC_REFERENCE_VERSION); "
                "`rc-contract --version` prints the suite's own version"
            )
        if name in REFUSED:
            raise ConfigError(f"{name} is refused by rc-contract run: it {REFUSED[name]}")
        if name in own:
            value = attached if equals else _value(args, index, name)
            index += 0 if equals else 1
            parsed.settings[own[name]] = value
            parsed.pytest_args.append(f"{name}={value}")
            continue
        if name in DEBUG_FLAGS:
            parsed.debug = True
            continue
        if name in PYTEST_FLAGS:
            parsed.pytest_args.append(arg)
            continue
        if name in PYTEST_WITH_VALUE:
            if not equals:
                parsed.pytest_args += [arg, _value(args, index, name)]
                index += 1
            else:
                parsed.pytest_args.append(arg)
            continue
        if not arg.startswith("--") and len(arg) > 1:
            letters = arg[1:]
            if set(letters) <= _CLUSTER:
                parsed.pytest_args.append(arg)
                continue
            short = arg[:2]
            if short in PYTEST_WITH_VALUE:  # -kEXPR, -pno:html
                parsed.pytest_args += [short, arg[2:]]
                continue
        raise ConfigError(f"unknown option {name} of rc-contract run"
                          f"{_did_you_mean(name, _known_options())}")
    return parsed


def _value(args: list[str], index: int, name: str) -> str:
    if index >= len(args):
        raise ConfigError(f"{name} needs a value; `rc-contract run --help` lists the options")
    return args[index]


def distance(a: str, b: str) -> int:
    """Edit distance with transpositions (optimal string alignment)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def check_environment(environ: Mapping[str, str] | None = None) -> list[str]:
    """RC_* variables the suite does not know: a typo of a known one is a ``ConfigError``;
    the others (another tool's) come back as warnings, one line each."""
    environ = os.environ if environ is None else environ
    known = set(SETTINGS) | OTHER_KNOWN_ENV
    warnings = []
    for name in sorted(environ):
        if not name.upper().startswith("RC_") or name in known:
            continue
        nearest = min(known, key=lambda k: distance(name.upper(), k))
        if name.upper() == nearest or distance(name.upper(), nearest) <= TYPO_DISTANCE:
            raise ConfigError(f"unknown setting {name}; did you mean {nearest}?")
        warnings.append(f"{name} is not a setting of the suite (ignored)")
    return warnings
