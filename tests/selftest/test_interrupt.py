"""Ctrl-C or SIGTERM at any moment of a run still removes every object it created.

The suite runs as a subprocess against an in-process reference server; a trip
wire in the server signals the suite while it waits for a chosen request's
answer (the request took effect, the answer is lost): during set-up, during
the cases, during fuzzing and during the tear-down itself (twice there: a
second Ctrl-C must not cut the clean-up short). Then nothing may be left on
the server, and nothing outstanding in the ledger. A run killed with SIGKILL
cannot clean up: ``rc-contract sweep`` removes what it left, and only that.
"""

from __future__ import annotations

import signal
import subprocess

import pytest

from rc_contract.ledger import Ledger
from rc_contract.reference import ReferenceServer

from .servers import (
    ADMIN_PASSWORD,
    Tripwire,
    add_account,
    left_behind,
    start_suite,
    suite_env,
    sweep,
)

INT, TERM = signal.SIGINT, signal.SIGTERM
LOGIN = "POST /api/v1/login"
INFO = "GET /api/info"
VISITORS_INFO = "GET /api/v1/livechat/visitors.info"
REGISTER = "POST /api/v1/livechat/visitor"
REMOVE = "DELETE /api/v1/livechat/visitor/{token}"
USERS_CREATE = "POST /api/v1/users.create"
USERS_DELETE = "POST /api/v1/users.delete"
RUN_TIMEOUT_S = 90

# Ten moments for Ctrl-C, from the first request to the tear-down, and one SIGTERM:
# (shots, exit code). A clean run with RC_FUZZ_EXAMPLES=5 sends about 60 requests.
# The not-found case removes a visitor itself (REMOVE #1); the run's tear-down
# sends the next removals. A signal during the tear-down only gets a "please
# wait": the run finishes (exit 0) and removes everything.
INTERRUPTED, FINISHED = 2, 0
MOMENTS = {
    "login": ([(LOGIN, 1, INT)], INTERRUPTED),
    "version-probe": ([(INFO, 1, INT)], INTERRUPTED),
    "preflight": ([(VISITORS_INFO, 1, INT)], INTERRUPTED),
    "creating-the-user": ([(USERS_CREATE, 1, INT)], INTERRUPTED),
    "registering-a-visitor": ([(REGISTER, 2, INT)], INTERRUPTED),
    "first-cases": ([("*", 14, INT)], INTERRUPTED),
    "middle-cases": ([("*", 28, INT)], INTERRUPTED),
    "late-cases": ([("*", 36, INT)], INTERRUPTED),  # of about 43 requests (5 examples)
    "a-case-then-again-in-tear-down": ([(REMOVE, 1, INT), (REMOVE, 2, INT)], INTERRUPTED),
    "tear-down": ([(USERS_DELETE, 1, INT)], FINISHED),
    "sigterm-mid-run": ([("*", 20, TERM)], INTERRUPTED),
}


def _run_interrupted(tmp_path, server, shots) -> tuple[subprocess.CompletedProcess[str], Tripwire]:
    wire = Tripwire(server, shots)
    wire.install()
    process = start_suite(suite_env(tmp_path, server.url))
    wire.pid = process.pid
    try:
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), wire


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_interrupted_run_leaves_nothing_behind(tmp_path, moment):
    shots, exit_code = MOMENTS[moment]
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        result, wire = _run_interrupted(tmp_path, server, shots)
        left = left_behind(server)
        outstanding = Ledger(tmp_path).outstanding(target=server.url)
    output = result.stdout[-3000:] + result.stderr[-3000:]
    assert len(wire.fired) == len(shots), f"trip wire did not fire: {output}"
    assert result.returncode == exit_code, output
    assert "Traceback" not in output
    if shots[-1][0] in (REMOVE, USERS_DELETE):  # the last signal came during the tear-down
        assert "still removing what the run created; please wait" in result.stderr
    assert left == {"users": [], "visitors": []}, output
    assert outstanding == [], output
    assert "clean-up:" not in result.stderr, output


def test_sweep_removes_what_a_killed_run_left_and_only_that(tmp_path):
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        # Objects the run did not create: the sweep must leave them alone.
        add_account(server, "someone-else", "someone-else-pw-1", ["user"])
        server.state.register_visitor(token="someone-elses-visitor", name="Not Ours")
        before = left_behind(server)
        # SIGKILL after set-up, while the first case waits: no clean-up is possible.
        result, _wire = _run_interrupted(tmp_path, server, [("*", 12, signal.SIGKILL)])
        assert result.returncode == -signal.SIGKILL
        stranded = left_behind(server)
        assert len(stranded["visitors"]) == len(before["visitors"]) + 3
        assert len(stranded["users"]) == len(before["users"]) + 1
        env = suite_env(tmp_path, server.url)

        swept = sweep(env)
        assert swept.returncode == 0, swept.stdout + swept.stderr
        assert left_behind(server) == before
        assert Ledger(tmp_path).outstanding(target=server.url) == []
        assert "4 of 4 outstanding objects removed" in swept.stdout
        assert ADMIN_PASSWORD not in swept.stdout + swept.stderr

        again = sweep(env)
        assert again.returncode == 0 and "nothing outstanding" in again.stdout
        assert left_behind(server) == before


def test_sweep_with_another_account_removes_nothing(tmp_path):
    """Visitor tokens derive from the account's secret: another account cannot guess them."""
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        add_account(server, "other-admin", "other-admin-pw-2", ["admin"])
        _run_interrupted(tmp_path, server, [("*", 12, signal.SIGKILL)])
        stranded = left_behind(server)
        swept = sweep(suite_env(tmp_path, server.url, "other-admin", "other-admin-pw-2"))
        assert swept.returncode == 1
        assert "sweep with the account" in swept.stderr
        assert len(left_behind(server)["visitors"]) == len(stranded["visitors"])
        # The run's own account can.
        assert sweep(suite_env(tmp_path, server.url)).returncode == 0
        assert left_behind(server)["visitors"] == []


def test_sweep_without_a_ledger_says_so(tmp_path):
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        swept = sweep(suite_env(tmp_path, server.url))
    assert swept.returncode == 0 and "nothing outstanding" in swept.stdout
