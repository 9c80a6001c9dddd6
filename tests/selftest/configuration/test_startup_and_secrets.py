"""A server's break is never the user's misconfiguration, and the breaks an attacker would
try are caught (issue 19).

Start-up checks judge what they read by the contract: exit 4 only when the answers fit a
correct server and a wrong setting, exit 1 with the clause named (and the setting as a
possible cause) otherwise. VI-PERM-403 both ways (a livechat-agent gets the visitor), every
secret of the run in the token rule, named by kind, never by value.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from rc_contract.configuration.settings import ConfigError, resolve
from rc_contract.contract.judge import Foreign
from rc_contract.leaks import Secret
from rc_contract.reference import SEEDED_EXTERNAL_IDS_VISITOR_ID, ReferenceServer

from ..helpers import assert_cannot_start, assert_nothing_left
from ..servers import (
    ADMIN_PASSWORD,
    AGENT,
    PLAIN,
    add_account,
    add_ci_accounts,
    agent_env,
    left_behind,
    run_to_end,
    suite_env,
)

MANAGER = ("ci-manager", "selftest-manager-pw-67")  # livechat-manager: view-l-room, no create-user


def _summary(report_dir: Path) -> dict:
    return json.loads((report_dir / "summary.json").read_text())


def _outcomes(report_dir: Path) -> dict[str, str]:
    return {c["id"]: c["outcome"] for c in _summary(report_dir)["clauses"]}


def _tests(report_dir: Path, clause: str) -> dict[str, str]:
    found = next(c for c in _summary(report_dir)["clauses"] if c["id"] == clause)
    return {t["nodeid"].split("::")[-1]: t["outcome"] for t in found["tests"]}


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


# -- start-up checks: a break is exit 1 with its clause, the setting a possible cause ------

@pytest.mark.parametrize(("fault", "clause", "setting", "extra"), [
    ("ok-status-201", "VI-OK-SHAPE", "RC_EXTERNAL_IDS_VISITOR",
     {"RC_EXTERNAL_IDS_VISITOR": SEEDED_EXTERNAL_IDS_VISITOR_ID}),
    ("ok-unwrapped", "VI-OK-SHAPE", "RC_EXTERNAL_IDS_VISITOR",
     {"RC_EXTERNAL_IDS_VISITOR": SEEDED_EXTERNAL_IDS_VISITOR_ID}),
    ("missing-id-403", "VI-PARAM-MISSING", "RC_USER", {}),
])
def test_a_break_read_at_start_up_is_exit_1_with_its_clause(tmp_path, fault, clause, setting,
                                                            extra):
    with ReferenceServer(admin_password=ADMIN_PASSWORD, faults=[fault]) as server:
        result = run_to_end(suite_env(tmp_path, server.url, **extra))
        left = left_behind(server)
    output = _output(result)
    assert result.returncode == 1, output[-3000:]
    assert "cannot start" not in output
    assert _outcomes(tmp_path)[clause] == "failed"
    # One line says which setting might also be at fault, in the terminal and the reports.
    line = next(x for x in result.stdout.splitlines() if "might also be at fault" in x)
    assert setting in line and clause in line, line
    settings = [n for n in _summary(tmp_path)["notices"] if n["kind"] == "setting"]
    assert len(settings) == 1 and setting in settings[0]["message"]
    assert "Settings that might also be at fault" in (tmp_path / "summary.md").read_text()
    assert_nothing_left(left)


def test_an_account_without_view_l_room_is_still_exit_4(tmp_path):
    # Both questions get the documented 403: a correct server and a wrong account.
    with ReferenceServer(admin_password=ADMIN_PASSWORD) as server:
        add_account(server, *PLAIN, ["user"])
        result = run_to_end(suite_env(tmp_path, server.url, *PLAIN))
    assert_cannot_start(result, "lacks the view-l-room permission")


# -- VI-PERM-403 both ways ------------------------------------------------------------------

def test_a_livechat_agent_is_created_judged_and_removed(tmp_path):
    with ReferenceServer(admin_password=ADMIN_PASSWORD) as server:
        result = run_to_end(suite_env(tmp_path, server.url))
        left = left_behind(server)
    assert result.returncode == 0, _output(result)[-3000:]
    assert _tests(tmp_path, "VI-PERM-403")["test_view_l_room_alone_is_enough"] == "passed"
    assert_nothing_left(left)


def test_an_agent_from_the_settings_is_used_and_kept(tmp_path):
    with ReferenceServer(admin_password=ADMIN_PASSWORD) as server:
        add_account(server, *AGENT, ["livechat-agent"])
        result = run_to_end(suite_env(tmp_path, server.url, RC_AGENT_USER=AGENT[0],
                                      RC_AGENT_PASSWORD=AGENT[1]))
        left = left_behind(server)
    assert result.returncode == 0, _output(result)[-3000:]
    assert _tests(tmp_path, "VI-PERM-403")["test_view_l_room_alone_is_enough"] == "passed"
    # Only the seeded account remains: the run created and left nothing.
    assert_nothing_left(left, [AGENT[0]])


def test_an_agent_setting_with_an_admin_role_is_exit_4(tmp_path):
    with ReferenceServer(admin_password=ADMIN_PASSWORD) as server:
        result = run_to_end(suite_env(tmp_path, server.url, RC_AGENT_USER="admin",
                                      RC_AGENT_PASSWORD=ADMIN_PASSWORD))
    assert_cannot_start(result, "RC_AGENT_USER", "admin")


def test_without_an_agent_that_half_is_not_judged(tmp_path):
    # A livechat-manager may not create users: no agent, the half is said not judged.
    with ReferenceServer(admin_password=ADMIN_PASSWORD) as server:
        add_account(server, *MANAGER, ["livechat-manager"])
        add_account(server, *PLAIN, ["user"])
        result = run_to_end(suite_env(tmp_path, server.url, *MANAGER,
                                      RC_UNPRIVILEGED_USER=PLAIN[0],
                                      RC_UNPRIVILEGED_PASSWORD=PLAIN[1]))
        left = left_behind(server)
    assert result.returncode == 0, _output(result)[-3000:]
    assert _tests(tmp_path, "VI-PERM-403")["test_view_l_room_alone_is_enough"] == "skipped"
    message = next(c for c in _summary(tmp_path)["clauses"] if c["id"] == "VI-PERM-403")["message"]
    assert "not judged (not passed)" in message and "RC_AGENT_USER" in message
    assert not left["visitors"]


def test_the_run_account_that_is_an_agent_serves_as_the_agent(tmp_path):
    with ReferenceServer(admin_password=ADMIN_PASSWORD) as server:
        add_ci_accounts(server)
        result = run_to_end(agent_env(tmp_path, server.url))
    assert result.returncode == 0, _output(result)[-3000:]
    assert _tests(tmp_path, "VI-PERM-403")["test_view_l_room_alone_is_enough"] == "passed"


def test_agent_settings_come_in_pairs_and_need_rc_url():
    with pytest.raises(ConfigError, match="RC_AGENT_PASSWORD"):
        resolve({}, {"RC_URL": "http://rc.example", "RC_USER": "ci", "RC_PASSWORD": "pw",
                     "RC_AGENT_USER": "agent"})
    with pytest.raises(ConfigError, match="RC_URL"):
        resolve({}, {"RC_AGENT_USER": "agent", "RC_AGENT_PASSWORD": "pw"})
    settings = resolve({}, {"RC_URL": "http://rc.example", "RC_USER": "ci", "RC_PASSWORD": "pw",
                            "RC_AGENT_USER": "agent", "RC_AGENT_PASSWORD": "agent-pw-1"})
    assert "agent-pw-1" in settings.secrets()


# -- every secret of the run, named by kind ----------------------------------------------

TOKEN = "Xq3-account-auth-token-value-9f2c1"


@pytest.mark.parametrize(("where", "answer"), [
    ("body", {"text": json.dumps({"success": False, "error": "x",
                                  "details": {"headers": {"x-auth-token": TOKEN}}})}),
    ("header", {"headers": {"X-Debug-Auth": TOKEN}}),
    ("base64", {"headers": {"ETag": base64.b64encode(f"u:{TOKEN}".encode()).decode()}}),
    ("status reason", {"reason": f"Bad Request {TOKEN}"}),
])
def test_a_secret_in_any_place_is_named_by_kind_not_value(where, answer):
    foreign = Foreign(secrets=(Secret("the account's auth token", TOKEN),))
    problems = foreign.problems(400, answer.get("text", '{"success": false, "error": "x"}'), [],
                                answer.get("headers", {}), answer.get("reason", ""))
    assert len(problems) == 1, problems
    assert "the account's auth token" in problems[0]
    assert TOKEN not in problems[0]


def test_a_short_password_is_not_looked_for():
    # It would show by chance ("admin" in any text naming the role).
    foreign = Foreign(secrets=(Secret("the account's password", "admin"),))
    assert foreign.problems(400, '{"success": false, "error": "admin"}', []) == []
