"""The commands around the suite say what they do: compare refuses a run that did not
finish, prove refuses an unknown fault, --version and run --help answer briefly."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys

import pytest

from rc_contract.configuration.paths import BUNDLED_DOCUMENT, project_root, spec_dir
from rc_contract.reference import ReferenceServer
from rc_contract.releases import supported_versions

from ..helpers import assert_cannot_start
from ..servers import ADMIN_PASSWORD, Tripwire, run_to_end, start_suite, suite_env


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rc_contract", *args], cwd=project_root(),
                          capture_output=True, text=True, timeout=60)


def test_compare_refuses_a_run_that_did_not_finish(tmp_path):
    finished, interrupted = tmp_path / "finished", tmp_path / "interrupted"
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        assert run_to_end(suite_env(finished, server.url)).returncode == 0
        wire = Tripwire(server, [("*", 14, signal.SIGINT)])
        wire.install()
        process = start_suite(suite_env(interrupted, server.url))
        wire.pid = process.pid
        process.communicate(timeout=90)
    assert process.returncode == 2
    assert_cannot_start(_cli("compare", str(finished), str(interrupted)),
              str(interrupted), "was interrupted", "--accept-incomplete")
    assert_cannot_start(_cli("compare", str(interrupted / "summary.json"), str(finished)), "did not finish")
    accepted = _cli("compare", str(finished), str(interrupted), "--accept-incomplete")
    assert accepted.returncode in (0, 1), accepted.stderr
    assert _cli("compare", str(finished), str(finished)).returncode == 0


def test_compare_refuses_what_is_not_a_report_directory(tmp_path):
    assert_cannot_start(_cli("compare", str(tmp_path / "nope"), str(tmp_path)), "does not exist")


def test_prove_refuses_an_unknown_fault_and_lists_them():
    line = assert_cannot_start(_cli("prove", "--fault", "nope"), "'nope'", "token-beside-visitor")
    assert "score" not in line


def test_version_names_suite_spec_and_rocket_chat_versions():
    from rc_contract import __version__

    result = _cli("--version")
    assert result.returncode == 0, result.stderr
    digest = hashlib.sha256((spec_dir() / BUNDLED_DOCUMENT).read_bytes()).hexdigest()
    assert f"rc-contract {__version__}" in result.stdout and digest in result.stdout
    assert all(v in result.stdout for v in supported_versions())
    assert "pytest" not in result.stdout


def test_run_help_is_the_suite_s_own_options_first_and_brief():
    result = _cli("run", "--help")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) < 40, len(lines)
    assert lines[0].startswith("usage: rc-contract run")
    assert "--rc-url" in result.stdout and "RC_TIMEOUT" in result.stdout
    assert "--help-pytest" in result.stdout and "Exit codes" in result.stdout


@pytest.mark.parametrize(("args", "words"), [
    (["sweep", "--bogus"], ["rc-contract sweep: cannot start: unknown argument --bogus",
                            "`rc-contract sweep --help`"]),
    (["sweep", "--rc-ur", "http://x"], ["unknown argument --rc-ur (did you mean --rc-url?)"]),
    (["prove", "--workers", "0"], ["rc-contract prove: cannot start", "'0' is not at least 1"]),
    (["prove", "--fuzz-example", "5"], ["did you mean --fuzz-examples?"]),
    (["compare"], ["rc-contract compare: cannot start", "required: before, after"]),
    (["compare", "a", "b", "--jsno"], ["did you mean --json?"]),
    (["serve", "--port", "99999"], ["rc-contract serve: cannot start", "from 0 to 65535"]),
])
def test_a_bad_command_line_is_one_line_and_exit_4(args, words):
    # argparse's own is a usage block and exit 2, the exit code of an interrupted run.
    assert_cannot_start(_cli(*args), *words)
