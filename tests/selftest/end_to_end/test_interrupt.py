"""A run killed with SIGKILL cannot clean up: ``rc-contract sweep`` removes what it left,
and only that, with the account the run used.

SIGINT and SIGTERM at ten moments of a run (and a double Ctrl-C) are in test_chaos.py.
"""

from __future__ import annotations

import signal
import subprocess

from rc_contract.objects.ledger import Ledger
from rc_contract.reference import ReferenceServer

from ..servers import (
    ADMIN_PASSWORD,
    Tripwire,
    add_account,
    left_behind,
    start_suite,
    suite_env,
    sweep,
)

RUN_TIMEOUT_S = 90


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
        # The user without view-l-room and the livechat-agent (VI-PERM-403's other half).
        assert len(stranded["users"]) == len(before["users"]) + 2
        env = suite_env(tmp_path, server.url)

        swept = sweep(env)
        assert swept.returncode == 0, swept.stdout + swept.stderr
        assert left_behind(server) == before
        assert Ledger(tmp_path).outstanding(target=server.url) == []
        assert "5 of 5 outstanding objects removed" in swept.stdout
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
