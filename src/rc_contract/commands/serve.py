"""Command line for the reference server (`rc-contract serve`, `python -m rc_contract.reference`)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from types import FrameType

from rc_contract.commands.arguments import CommandParser, port_number, positive_int
from rc_contract.configuration.settings import ConfigError, names, reference_limiter
from rc_contract.exit_codes import ExitCode
from rc_contract.reference.faults import UnknownFaultError, check_names
from rc_contract.reference.ratelimit import DEFAULT_CALLS, DEFAULT_WINDOW_MS
from rc_contract.reference.server import ReferenceServer
from rc_contract.reference.state import CI_AGENT, CI_PLAIN, SEEDED_EXTERNAL_IDS_VISITOR_ID
from rc_contract.reference.variants import check_names as check_variants
from rc_contract.reference.versions import DEFAULT_VERSION
from rc_contract.releases import supported_versions

PROG = "rc-contract serve"
LIMITER_ENV = "RC_REFERENCE_LIMITER"
BEFORE_PERMISSION = "before-permission"  # PR #41970's order
DEFAULT_PORT = 3000  # Rocket.Chat's own default


def _parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=PROG,
        description="Run a reference Rocket.Chat server on 127.0.0.1 for the visitors.info "
        "contract suite.",
    )
    parser.add_argument(
        "--version",
        default=DEFAULT_VERSION,
        help="Rocket.Chat version to emulate: " + ", ".join(supported_versions())
        + f", any earlier patch of those lines, or a line such as 8.6 (default {DEFAULT_VERSION})",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"port on 127.0.0.1 (0: a free port; default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--admin-password",
        help="password of the seeded `admin` user (default: generated and printed)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a named fault (repeatable; env RC_REFERENCE_FAULTS)",
    )
    parser.add_argument(
        "--list-faults", action="store_true", help="print the fault catalogue and exit"
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a named legitimate variant (repeatable; env RC_REFERENCE_VARIANTS)",
    )
    parser.add_argument(
        "--list-variants", action="store_true", help="print the variant catalogue and exit"
    )
    parser.add_argument(
        "--rate-limit", action="store_true", help="enable Rocket.Chat's REST rate limiter"
    )
    parser.add_argument(
        "--rate-limit-calls",
        type=positive_int,
        default=DEFAULT_CALLS,
        help=f"calls per window (default {DEFAULT_CALLS})",
    )
    parser.add_argument(
        "--rate-limit-window-ms",
        type=positive_int,
        default=DEFAULT_WINDOW_MS,
        help=f"window length in ms (default {DEFAULT_WINDOW_MS})",
    )
    parser.add_argument(
        "--limiter-first",
        action="store_true",
        help="run the rate limiter before the permission check, so 403 answers count too "
        "(proposed upstream in PR #41970, not shipped; implies --rate-limit; "
        f"env {LIMITER_ENV}={BEFORE_PERMISSION})",
    )
    parser.add_argument(
        "--ci-accounts-password",
        metavar="PW",
        help="also seed the accounts of a CI job on a limited server, with this password: "
        f"{CI_AGENT} (livechat-agent: view-l-room, no rate-limit bypass) and {CI_PLAIN} (user)",
    )
    return parser


def _print_catalogue() -> None:
    from rc_contract.reference.faults import catalogue

    for fault in catalogue().values():
        clauses = ",".join(fault.clauses) or f"({fault.kind})"
        print(f"{fault.name:36} {clauses:48} {fault.description}")


def _print_variants() -> None:
    from rc_contract.reference.variants import catalogue

    for variant in catalogue().values():
        print(f"{variant.name:26} {variant.description}")


def serve_main(argv: list[str] | None = None) -> int:
    """Run the server until SIGINT/SIGTERM. Returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.list_faults:
        _print_catalogue()
        return 0
    if args.list_variants:
        _print_variants()
        return 0
    try:
        faults = check_names([*names(os.environ.get("RC_REFERENCE_FAULTS")), *args.fault])
        variants = check_variants([*names(os.environ.get("RC_REFERENCE_VARIANTS")), *args.variant])
        env_limiter = reference_limiter(os.environ.get(LIMITER_ENV))
        env_limit, env_first = env_limiter != "off", env_limiter == BEFORE_PERMISSION
        limiter_first = args.limiter_first or env_first
        server = ReferenceServer(
            version=args.version,
            admin_password=args.admin_password,
            faults=faults,
            rate_limit=args.rate_limit or env_limit or limiter_first,
            limiter_first=limiter_first,
            rate_limit_calls=args.rate_limit_calls,
            rate_limit_window_ms=args.rate_limit_window_ms,
            port=args.port,
            variants=variants,
        )
        if args.ci_accounts_password:
            for name, role in ((CI_AGENT, "livechat-agent"), (CI_PLAIN, "user")):
                user = server.state.create_user(name, name, f"{name}@example.invalid",
                                                args.ci_accounts_password, [role])
                user.seeded = True
        url = server.start()
    except (UnknownFaultError, ConfigError) as error:
        return _fail(str(error))
    except ValueError as error:
        return _fail(str(error))
    except OSError as error:
        return _fail(f"cannot listen on 127.0.0.1:{args.port}: {error.strerror or error}")

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"Reference Rocket.Chat {server.version} listening on {url}", flush=True)
        if variants:
            print(f"Variants: {', '.join(variants)}", flush=True)
        if server.password_generated:
            print(f"Admin password (user admin): {server.admin_password}", flush=True)
        if server.profile.external_ids:
            print(f"Seeded visitor with externalIds: {SEEDED_EXTERNAL_IDS_VISITOR_ID}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _fail(message: str) -> int:
    print(f"{PROG}: cannot start: {message}", file=sys.stderr)
    return ExitCode.CANNOT_START
