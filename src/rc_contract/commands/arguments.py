"""The command line of the commands besides ``run``: argparse, in the tool's own words.

A bad command line is one line on stderr and exit 4 (could not start), as for ``run``;
argparse's own is a usage block and exit 2, which rc-contract gives to an interrupted run.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Sequence
from typing import Any, NoReturn

from rc_contract.exit_codes import ExitCode


class CommandParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors name the problem, a near option, and --help.
    Options are taken whole: an abbreviation (``--rc-ur``) is a typo, as it is for ``run``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: Any = None) -> argparse.Namespace:
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            self.error(f"unknown argument {extra[0]}{self._did_you_mean(extra[0])}")
        return parsed

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.CANNOT_START,
                  f"{self.prog}: cannot start: {message}; `{self.prog} --help` lists the options\n")

    def _did_you_mean(self, given: str) -> str:
        if not given.startswith("-"):
            return ""
        known = [option for action in self._actions for option in action.option_strings]
        close = difflib.get_close_matches(given.split("=", 1)[0], known, n=1, cutoff=0.75)
        return f" (did you mean {close[0]}?)" if close else ""


def whole_number(text: str, least: int = 1, most: int | None = None) -> int:
    """An argparse type: a whole number from ``least`` to ``most``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < least or (most is not None and value > most):
        within = f"from {least} to {most}" if most is not None else f"at least {least}"
        raise argparse.ArgumentTypeError(f"{text!r} is not {within}")
    return value


def positive_int(text: str) -> int:
    return whole_number(text)


def port_number(text: str) -> int:
    return whole_number(text, 0, 65535)  # 0: a free port
