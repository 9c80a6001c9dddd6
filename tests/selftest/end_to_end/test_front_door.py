"""The front door (issue 20): no green without judgement, settings checked, the terminal
the tool's own (under a pseudo-terminal at 80 and 120 columns, and piped), and a bundled
server that stays quiet for a bad client."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import socket
import ssl
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from rc_contract.configuration.options import check_environment, distance
from rc_contract.configuration.paths import project_root
from rc_contract.configuration.settings import ConfigError
from rc_contract.reference import ReferenceServer

from ..helpers import assert_cannot_start
from ..servers import ADMIN_PASSWORD

# What pytest's own terminal shows and the tool's must not (without --debug).
PYTEST_WORDS = ("rootdir", "configfile", "site-packages", "tests/contract/", "test session starts",
                "short test summary", "Traceback", "def test_", "passed in", "collected ")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _env(report_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RC_") and k not in ("COLUMNS", "LINES")}
    env.update({"RC_REPORT_DIR": str(report_dir), "RC_FUZZ_EXAMPLES": "5"}, **settings)
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rc_contract", "run", *args],
                          cwd=project_root(), env=env, capture_output=True, text=True, timeout=180)


def _refused(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 4, one line on stderr naming ``words``, nothing judged, no traceback, no usage."""
    line = assert_cannot_start(result, *words)
    assert "usage: " not in result.stderr
    return line


# -- 1. no green without judgement -------------------------------------------------------------
def test_run_version_names_the_reference_version_option(tmp_path):
    line = _refused(_run(_env(tmp_path), "--version", "9.0.0"),
                    "--rc-reference-version 9.0.0", "rc-contract --version")
    assert "pytest" not in line
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["exit_code"] == 4 and summary["clauses"] == []


@pytest.mark.parametrize(("args", "words"), [
    (["--collect-only"], ["--collect-only", "before any clause is judged"]),
    (["--co"], ["--co"]),
    (["--setup-plan"], ["--setup-plan"]),
    (["--fixtures"], ["--fixtures"]),
    (["--pdb"], ["--pdb", "hang"]),
    (["-V"], ["--rc-reference-version"]),
    (["--rc-fuz-examples", "5"], ["--rc-fuz-examples", "did you mean --rc-fuzz-examples?"]),
    (["--exitfrist"], ["--exitfrist", "did you mean --exitfirst?"]),
    (["--rc-url"], ["--rc-url needs a value"]),
    (["no/such/test_file.py"], ["no/such/test_file.py", "tests/contract"]),
])
def test_options_that_would_judge_nothing_are_refused(tmp_path, args, words):
    _refused(_run(_env(tmp_path), *args), *words)


def test_a_selection_that_judges_nothing_is_never_green(tmp_path):
    nothing = _run(_env(tmp_path), "-k", "no_such_case")
    assert nothing.returncode == 4, nothing.stdout + nothing.stderr
    assert "NOTHING JUDGED" in nothing.stdout.splitlines()[-1]
    assert json.loads((tmp_path / "summary.json").read_text())["exit_code"] == 4
    # Cases selected, all of them notices on this version (externalIds before 8.4): no clause
    # judged.
    notices = _run(_env(tmp_path, RC_REFERENCE_VERSION="8.3.3"), "-k", "external_ids")
    assert notices.returncode == 4, notices.stdout[-2000:] + notices.stderr
    assert json.loads((tmp_path / "summary.json").read_text())["exit_code"] == 4


def test_the_suite_version():
    from rc_contract import __version__

    result = subprocess.run([sys.executable, "-m", "rc_contract", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith(f"rc-contract {__version__}\n")


# -- 2. settings are checked --------------------------------------------------------------------
def test_a_misspelled_setting_is_refused_with_the_right_name(tmp_path):
    line = _refused(_run(_env(tmp_path, RC_FUZZ_EXAMPLE="5")),
                    "unknown setting RC_FUZZ_EXAMPLE", "did you mean RC_FUZZ_EXAMPLES?")
    assert line.startswith("rc-contract: cannot start: ")
    assert json.loads((tmp_path / "summary.json").read_text())["exit_code"] == 4


def test_settings_far_from_the_suite_s_are_a_warning_only():
    assert check_environment({"RC_URL": "x", "RC_CONTRACT_INSTALL": "none",
                              "RC_UNPRIVILEGED_AUTH_TOKEN": "t"}) == []
    warnings = check_environment({"RC_DEPLOY_STAGE": "blue"})
    assert warnings == ["RC_DEPLOY_STAGE is not a setting of the suite (ignored)"]
    for typo, meant in (("RC_USERS", "RC_USER"), ("RC_TIME_BUGDET", "RC_TIME_BUDGET"),
                        ("RC_REPORTDIR", "RC_REPORT_DIR")):
        with pytest.raises(ConfigError, match=f"did you mean {meant}\\?"):
            check_environment({typo: "1"})
    assert distance("RC_TIME_BUGDET", "RC_TIME_BUDGET") == 1


# -- 3. the terminal is the tool's own ------------------------------------------------------------
def _under_pty(env: dict[str, str], columns: int) -> tuple[int, str]:
    """The run under a pseudo-terminal of ``columns`` columns: exit code and raw output."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "rc_contract", "run"],
                               cwd=project_root(), env=env, stdin=follower, stdout=follower,
                               stderr=follower, close_fds=True)
    os.close(follower)
    chunks, deadline = [], time.monotonic() + 180
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the follower side closed: the run is over
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    os.close(leader)
    code = process.wait(timeout=30)
    return code, b"".join(chunks).decode("utf-8", "replace")


def _screen_lines(raw: str) -> list[str]:
    """What stays on screen: each line as the last redraw left it (after the last \\r)."""
    return [ANSI.sub("", line.split("\r")[-1]) for line in raw.replace("\r\n", "\n").split("\n")]


@pytest.mark.parametrize("columns", [80, 120])
def test_the_terminal_in_a_pseudo_terminal(tmp_path, columns):
    env = _env(tmp_path, RC_REFERENCE_FAULTS="no-store-missing")
    code, raw = _under_pty(env, columns)
    assert code == 1, raw[-3000:]
    for word in PYTEST_WORDS:
        assert word not in raw, word
    # The progress line is redrawn in place, each drawing within the terminal's width.
    drawings = [ANSI.sub("", part) for line in raw.replace("\r\n", "\n").split("\n")
                for part in line.split("\r")[1:] if "cases" in part]
    assert len(drawings) > 3, raw[:3000]
    assert all(len(d) <= columns - 1 for d in drawings), max(drawings, key=len)
    assert "\x1b[K" in raw
    lines = _screen_lines(raw)
    assert lines[0].startswith("rc-contract ") and "GET /api/v1/livechat/visitors.info" in lines[0]
    for key in ("server", "version", "account", "examples", "budget", "reports"):
        assert any(line.startswith(f"  {key} ") for line in lines[:9]), (key, lines[:9])
    assert ADMIN_PASSWORD not in raw
    # The clause table, failed first, every row within the width.
    start = next(i for i, line in enumerate(lines) if line.startswith("clauses ("))
    rows = [line for line in lines[start + 1:start + 13]]
    assert rows[0].split()[:2] == ["VI-NO-STORE", "FAILED"], rows
    assert all(len(row) <= columns - 1 for row in rows)
    # The failure's block: clause, promise, request, actual, curl; then the last line.
    block = "\n".join(lines)
    for word in ("x VI-NO-STORE", "    promise   ", "    request   GET /api/v1/livechat/",
                 "    actual    200", "    curl      curl ", "    failed    "):
        assert word in block, word
    last = [line for line in lines if line.strip()][-1]
    assert last.startswith("rc-contract: FAILED") and "exit code 1" in last
    assert last.endswith(str(tmp_path / "report.html"))


def test_the_progress_line_of_a_limited_run_fits_80_columns(tmp_path):
    from ..live.test_rate_limit import _limited_server
    from ..servers import AGENT, PLAIN

    with _limited_server(window_ms=3000) as server:
        env = _env(tmp_path, RC_URL=server.url, RC_USER=AGENT[0], RC_PASSWORD=AGENT[1],
                   RC_UNPRIVILEGED_USER=PLAIN[0], RC_UNPRIVILEGED_PASSWORD=PLAIN[1])
        code, raw = _under_pty(env, 80)
    assert code == 0, raw[-3000:]
    drawings = [ANSI.sub("", part) for line in raw.replace("\r\n", "\n").split("\n")
                for part in line.split("\r")[1:] if "cases" in part]
    waits = [d for d in drawings if "waiting" in d]
    assert waits and all(len(d) <= 79 for d in drawings), max(drawings, key=len)
    assert any("s for the limiter" in d for d in waits), waits[:5]
    assert "Traceback" not in raw and AGENT[1] not in raw


def test_the_terminal_piped_into_a_log(tmp_path):
    result = _run(_env(tmp_path))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "\r" not in result.stdout and "\x1b[" not in result.stdout
    for word in PYTEST_WORDS:
        assert word not in result.stdout + result.stderr, word
    lines = result.stdout.splitlines()
    assert lines[-1] == ("rc-contract: PASSED: every clause holds | exit code 0 | "
                         f"report: {tmp_path}/report.html")
    assert len(lines) < 40, result.stdout


def test_debug_gives_pytest_s_own_terminal(tmp_path):
    result = _run(_env(tmp_path), "--debug", "-k", "test_auth")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "test session starts" in result.stdout and "passed" in result.stdout


# -- 4. the bundled server and a bad client -------------------------------------------------------
def test_the_reference_server_never_prints_a_traceback_for_a_bad_client(capfd):
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        port = int(server.url.rsplit(":", 1)[1])
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", port)) as sock, \
                pytest.raises(ssl.SSLError):
            context.wrap_socket(sock, server_hostname="localhost")
        for payload in (b"\x00\xffgarbage\r\n\r\n", b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                        b"GET /api/info HTTP/1.1\r\nContent-Length: 10\r\n\r\nab"):
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(payload)
                sock.shutdown(socket.SHUT_WR)
                sock.settimeout(5)
                sock.recv(100)
        time.sleep(0.3)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "AttributeError" not in err, err
