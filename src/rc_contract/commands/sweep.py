"""``rc-contract sweep``: its command line (the sweep itself is objects/sweep.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from rc_contract.commands.arguments import CommandParser
from rc_contract.configuration.settings import SETTINGS, ConfigError, resolve
from rc_contract.exit_codes import ExitCode
from rc_contract.objects.sweep import Sweep


def _parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="rc-contract sweep",
        description="Remove the objects an interrupted run left behind (from the ledger).",
    )
    for setting in SETTINGS.values():
        parser.add_argument(setting.option, dest=setting.env, default=None, help=setting.help)
    return parser


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    args = vars(_parser().parse_args(argv))
    try:
        settings = resolve(args)
    except ConfigError as exc:
        sys.stderr.write(f"rc-contract sweep: cannot start: {exc}\n")
        return ExitCode.CANNOT_START
    return Sweep(settings, out).run()
