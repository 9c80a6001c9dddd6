"""``rc-contract``: run the suite, serve the reference server, and the tools around them.

    rc-contract [run] [PYTEST ARGS...]   the contract suite (tests/contract)
    rc-contract serve [--version V] ...  the bundled reference server on its own
"""

from __future__ import annotations

import sys

USAGE = """usage: rc-contract [run] [pytest options...]
       rc-contract serve [--version V] [--port P] [--admin-password PW] [--fault NAME]...

  run     run the contract suite (default); options are pytest's and the suite's
          (--rc-url, --rc-user, ... see README), environment variables RC_*
  serve   start the bundled reference Rocket.Chat server on 127.0.0.1
"""


def run_suite(args: list[str]) -> int:
    import pytest

    from rc_contract.paths import project_root

    root = project_root()
    contract = root / "tests" / "contract"
    if not contract.is_dir():
        sys.stderr.write(
            "rc-contract: cannot start: tests/contract not found; run from a checkout of the "
            "suite or set RC_CONTRACT_ROOT to one\n"
        )
        return 4
    paths = [a for a in args if not a.startswith("-")]
    command = ["--rootdir", str(root), "-p", "rc_contract.plugin", *args]
    if not paths:
        command.append(str(contract))
    return int(pytest.main(command))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args and not args[0].startswith("-") else "run"
    if args and args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return 0
    rest = args[1:] if args and args[0] == command else args
    if command == "run":
        return run_suite(rest)
    if command == "serve":
        from rc_contract.reference import serve_main

        return serve_main(rest)
    sys.stderr.write(f"rc-contract: unknown command {command!r}\n{USAGE}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
