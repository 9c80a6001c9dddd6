"""``rc-contract``: run the suite, serve the reference server, and the tools around them.

    rc-contract [run] [PYTEST ARGS...]   the contract suite (tests/contract)
    rc-contract serve [--version V] ...  the bundled reference server on its own

Each command's parsing is its own module of this package; ``main`` picks one.
"""

from __future__ import annotations

import sys

from rc_contract.commands.run import run_suite, version_text
from rc_contract.exit_codes import ExitCode

USAGE = """usage: rc-contract [run] [options...]
       rc-contract --version
       rc-contract serve [--version V] [--port P] [--admin-password PW] [--fault NAME]...
       rc-contract prove [--workers N] [--fault NAME]...
       rc-contract sweep [--rc-url URL] [--rc-report-dir DIR] ...
       rc-contract compare BEFORE AFTER [--json] [--output DIR]

  run     run the contract suite (default); `rc-contract run --help` lists its options
  serve   start the bundled reference Rocket.Chat server on 127.0.0.1
  sweep   remove what an earlier crashed or killed run left on RC_URL's server
          (from RC_REPORT_DIR/ledger.jsonl; same account as that run)
  prove   run the suite once per fault of the reference server: the mutation score
  compare what changed between two runs' reports (e.g. before and after an upgrade);
          exit 1 when something breaking changed

Exit codes of a run: 0 every clause holds, 1 a clause failed, 2 interrupted,
3 the run broke off (the server stopped answering), 4 the run could not start.
"""


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args and not args[0].startswith("-") else "run"
    if args and args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return 0
    if args and args[0] in ("-V", "--version"):
        if len(args) > 1:
            sys.stderr.write(f"rc-contract: --version takes no argument; for the version the "
                             f"bundled reference server emulates: rc-contract run "
                             f"--rc-reference-version {args[1]}\n")
            return ExitCode.CANNOT_START
        sys.stdout.write(version_text())
        return 0
    if command == "run":
        from rc_contract.live import interrupts

        interrupts.install()  # first of all: a signal during start-up is handled too
    rest = args[1:] if args and args[0] == command else args
    if command == "run":
        return run_suite(rest)
    if command == "prove":
        from rc_contract.commands.prove import main as prove_main

        return prove_main(rest)
    if command == "compare":
        from rc_contract.commands.compare import main as compare_main

        return compare_main(rest)
    if command == "sweep":
        from rc_contract.commands.sweep import main as sweep_main

        return sweep_main(rest)
    if command == "serve":
        from rc_contract.commands.serve import serve_main

        return serve_main(rest)
    sys.stderr.write(f"rc-contract: unknown command {command!r}; see rc-contract --help\n")
    return ExitCode.CANNOT_START


if __name__ == "__main__":
    sys.exit(main())
