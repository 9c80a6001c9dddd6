"""``rc-contract compare``: its command line (the comparison is reports/compare.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rc_contract.commands.arguments import CommandParser
from rc_contract.exit_codes import ExitCode
from rc_contract.reports.compare import (
    ACCEPT_INCOMPLETE,
    COMPARE_JSON,
    COMPARE_MD,
    CompareError,
    check_finished,
    compare,
    load,
)
from rc_contract.reports.compare_markdown import markdown


def main(argv: list[str] | None = None) -> int:
    parser = CommandParser(
        prog="rc-contract compare",
        description="What changed for visitors.info between two runs (e.g. before and after an "
                    "upgrade). Exit 1 when something breaking changed.",
    )
    parser.add_argument("before", type=Path, help="report directory (or its summary.json) of the earlier run")
    parser.add_argument("after", type=Path, help="report directory (or its summary.json) of the later run")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--output", type=Path, metavar="DIR",
                        help=f"also write {COMPARE_MD} and {COMPARE_JSON} to DIR")
    parser.add_argument(ACCEPT_INCOMPLETE, action="store_true",
                        help="compare runs that did not finish (interrupted, broke off) too")
    args = parser.parse_args(argv)
    try:
        before, after = load(args.before), load(args.after)
        if not args.accept_incomplete:
            check_finished(args.before)
            check_finished(args.after)
    except CompareError as exc:
        sys.stderr.write(f"rc-contract compare: {exc}\n")
        return ExitCode.UNREADABLE
    result = compare(before, after, before_source=args.before, after_source=args.after)
    text_md, text_json = markdown(result), json.dumps(result, indent=2) + "\n"
    if args.output:
        args.output.mkdir(parents=True, exist_ok=True)
        (args.output / COMPARE_MD).write_text(text_md, "utf-8")
        (args.output / COMPARE_JSON).write_text(text_json, "utf-8")
    sys.stdout.write(text_json if args.json else text_md)
    return ExitCode.BREAKING if result["breaking"] else ExitCode.OK
