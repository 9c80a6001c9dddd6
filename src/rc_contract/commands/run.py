"""``rc-contract run``: the contract suite (tests/contract) under pytest, with the suite's
plugin, from whatever directory it is called in."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rc_contract.exit_codes import ExitCode

RUN_EXAMPLES = """
  --debug             pytest's own terminal: paths, tracebacks, locals (also -v)

pytest options a run accepts: -q, -v, -x (stop at the first failure), -k EXPR (only
matching cases), -m, --junitxml PATH, -p, --ignore, --deselect, -W, -o. Options that end a
run before any clause is judged (--collect-only, --setup-plan, --fixtures, --pdb...) are
refused with exit code 4; so is a run that judged no clause. pytest's own help:
rc-contract run --help-pytest

Exit codes: 0 every clause holds, 1 a clause failed, 2 interrupted (Ctrl-C, SIGTERM),
3 the run broke off (the server stopped answering), 4 the run could not start.
"""


def run_help() -> str:
    """The suite's own options first, briefly; pytest's 460 lines only on request."""
    from rc_contract.configuration.settings import SETTINGS

    lines = ["usage: rc-contract run [options] [pytest options]", "",
             "Runs the visitors.info contract suite against RC_URL's server (unset: the bundled",
             "reference server). Options override the environment variables.", "",
             "options:"]
    width = max(len(s.option) for s in SETTINGS.values()) + 2
    for setting in SETTINGS.values():
        lines.append(f"  {setting.option:<{width}}{setting.help} [{setting.env}]")
    return "\n".join(lines) + "\n" + RUN_EXAMPLES


def version_text() -> str:
    """The suite's version, the bundled spec's sha256, the Rocket.Chat versions it knows."""
    import hashlib

    from rc_contract import __version__
    from rc_contract.configuration.paths import BUNDLED_DOCUMENT, spec_dir
    from rc_contract.releases import load_releases, supported_versions

    spec = spec_dir() / BUNDLED_DOCUMENT
    digest = hashlib.sha256(spec.read_bytes()).hexdigest() if spec.is_file() else "not found"
    releases = load_releases()
    lines = []
    for line in releases.lines:
        versions = line.versions
        lines.append(f"{line.name} ({versions[0]} to {versions[-1]})")
    return (f"rc-contract {__version__}\n"
            f"spec: spec/{BUNDLED_DOCUMENT} sha256 {digest}\n"
            f"Rocket.Chat versions known (checked {releases.checked}): {', '.join(lines)}; later "
            f"lines are judged by the {releases.newest} contract, 8.0 to 8.2 by the "
            f"{releases.oldest} one\n"
            f"reference server emulates: {', '.join(supported_versions())}\n")


def run_suite(args: list[str]) -> int:
    if any(a in ("-h", "--help") for a in args):
        sys.stdout.write(run_help())
        return 0
    if "--help-pytest" in args:
        import pytest

        return int(pytest.main(["--help", "-p", "rc_contract.plugin"]))
    import pytest

    from rc_contract.configuration.paths import project_root

    root = project_root()
    refused = _refused(args, root)
    if refused is not None:
        return refused
    from rc_contract.configuration.options import parse_run_args

    parsed = parse_run_args(args)
    args = parsed.pytest_args + (["--rc-debug"] if parsed.debug else [])
    contract = root / "tests" / "contract"
    if not contract.is_dir():
        sys.stderr.write(
            "rc-contract: cannot start: tests/contract not found; reinstall rc-contract, or set "
            "RC_CONTRACT_ROOT to a checkout of the suite\n"
        )
        return ExitCode.CANNOT_START
    # Test paths given by the user replace tests/contract; option values do not.
    paths = [a for a in _positional(args) if _is_test_path(root, a)]
    _cache_hypothesis_data()
    command = [*_isolated_from_caller(root, args), "-p", "rc_contract.plugin", *args]
    if not paths:
        command.append(str(contract))
    from rc_contract.configuration.startup import preload_plugin_packages

    preload_plugin_packages(command)  # before pytest's rewrite hook: see startup.py
    from rc_contract.live import interrupts
    from rc_contract.run import OpenRuns

    open_runs = OpenRuns()  # the plugin registers its run here (plugin.open_runs_of)
    try:
        code = int(pytest.main(command, plugins=[open_runs]))
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    finally:
        # A signal that landed before pytest's tear-down hook took over leaves a
        # run open: its objects are removed here, whatever else happened.
        problems = open_runs.close_all()
    for problem in problems:
        sys.stderr.write(f"rc-contract: clean-up: {problem}\n")
    sealed = interrupts.sealed()
    if sealed is not None:
        code = sealed  # what the reports say, whatever came after them
    elif interrupts.interrupted() and code in (0, 1):
        code = ExitCode.INTERRUPTED  # a signal after the last safe point
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        # No contract case at all (a path outside tests/contract): nothing judged, never green.
        sys.stderr.write("rc-contract: nothing judged: no contract case was selected\n")
        code = ExitCode.CANNOT_START
    interrupts.ignore_from_now()
    return code


def _refused(args: list[str], root: Path) -> int | None:
    """Exit code 4 and one line for arguments or settings that would make a run judge
    nothing or the wrong thing; None when the run may start."""
    from rc_contract.configuration.options import check_environment, parse_run_args
    from rc_contract.configuration.settings import (
        DEFAULT_REPORT_DIR,
        ConfigError,
        check_report_dir,
        resolve,
    )

    report_dir = Path(os.environ.get("RC_REPORT_DIR") or DEFAULT_REPORT_DIR)
    try:
        parsed = parse_run_args(args)
        report_dir = Path(parsed.settings.get("RC_REPORT_DIR") or report_dir)
        for arg in _positional(parsed.pytest_args):
            if not _is_test_path(root, arg):
                raise ConfigError(f"{arg!r} is not a case of the suite (a path under "
                                  f"tests/contract); `rc-contract run --help` lists the options")
        check_environment()
        settings = resolve(parsed.settings)
        check_report_dir(settings.report_dir)
    except ConfigError as exc:
        sys.stderr.write(f"rc-contract: cannot start: {exc}\n")
        from rc_contract.configuration.settings import split_userinfo
        from rc_contract.reports.summary import replace_with_not_run

        # The target as given (its password never), for the could-not-start report.
        url = os.environ.get("RC_URL") or ""
        target = split_userinfo(url)[0] if url else "the bundled reference server"
        replace_with_not_run(report_dir, 4, f"cannot start: {exc}", target)
        return ExitCode.CANNOT_START
    return None


def _positional(args: list[str]) -> list[str]:
    """The arguments that are neither options nor their values (checked args: see options.py)."""
    from rc_contract.configuration.options import PYTEST_WITH_VALUE

    found, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in PYTEST_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            found.append(arg)
    return found


def _isolated_from_caller(root: Path, args: list[str]) -> list[str]:
    """pytest settings that keep the caller's directory out of the run.

    Run from a team's own repository, pytest would otherwise read their
    pytest.ini / pyproject.toml / tox.ini (found above a virtual environment kept
    in that repository) and their conftest.py files. The suite's settings are the
    checkout's pyproject.toml, or none in an installed copy (the plugin registers
    its markers itself); conftest files are read only from ``root`` down (the
    checkout's conftest.py loads the same plugin, which pytest registers once).
    """
    from rc_contract.configuration.paths import is_checkout

    isolation = ["--rootdir", str(root), "--confcutdir", str(root), "-p", "no:cacheprovider"]
    if not any(a in ("-c", "--config-file") or a.startswith("--config-file=") for a in args):
        isolation += ["-c", str(root / "pyproject.toml") if is_checkout(root) else os.devnull]
    return isolation


def _is_test_path(root: Path, arg: str) -> bool:
    path = Path(arg.split("::")[0])
    path = path if path.is_absolute() else Path.cwd() / path
    return path.exists() and (root / "tests") in path.resolve().parents


def _cache_hypothesis_data() -> None:
    """Keep Hypothesis' data in a per-user cache, not a .hypothesis/ in the caller's directory.

    Its Unicode table is built on the first run in a new directory (about 2 s and
    290 MB peak instead of 100 MB); cached per user, a fresh CI checkout on the
    same machine does not pay it again, and the suite leaves no folder behind.
    """
    if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(cache / "rc-contract" / "hypothesis")
