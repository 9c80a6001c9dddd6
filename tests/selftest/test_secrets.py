"""No password, auth token, visitor token or registered personal value in any output.

The suite runs against an in-process reference server that notes every secret
as it passes: the passwords given, the auth tokens it issues at login, the
password of the user the run creates, and the token, name, email and phone of
every visitor registered. Then every file of the report directory, stdout and
stderr are searched for them. One run is clean; one runs against faults that
put the token and the personal values into failure messages and assertion
reprs, so those are searched too.
"""

from __future__ import annotations

import json

import pytest

from rc_contract.reference import ReferenceServer

from .servers import (
    ADMIN_PASSWORD,
    PLAIN,
    SecretNotes,
    add_account,
    leaks,
    left_behind,
    run_to_end,
    suite_env,
)

RUN_TIMEOUT_S = 120
# Each puts secrets or personal values where a failure message would quote them.
LEAKY_FAULTS = ["token-beside-visitor", "ok-name-truncated", "ok-phone-string",
                "ok-emails-item-key"]


@pytest.mark.parametrize("faults", [[], LEAKY_FAULTS], ids=["clean", "leaky-faults"])
def test_no_secret_in_any_output(tmp_path, faults):
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD, faults=faults) as server:
        add_account(server, *PLAIN, ["user"])
        notes = SecretNotes(server)
        extra = {"RC_UNPRIVILEGED_USER": PLAIN[0], "RC_UNPRIVILEGED_PASSWORD": PLAIN[1]} if faults \
            else {}
        result = run_to_end(suite_env(tmp_path, server.url, **extra), RUN_TIMEOUT_S)
        left = left_behind(server)
    assert result.returncode == (1 if faults else 0), result.stdout[-3000:] + result.stderr
    needles = notes.needles()
    # What was noted: both passwords (or the created user's), 2 logins, 3 visitors' 4 values.
    assert len(needles) >= 2 + 2 + 3 * 4, needles
    if faults:
        assert PLAIN[1] in needles
        failed = {c["id"] for c in json.loads((tmp_path / "summary.json").read_text())["clauses"]
                  if c["outcome"] == "failed"}
        assert {"VI-TOKEN-ABSENT", "VI-OK-SHAPE"} <= failed
    files = {p.name for p in tmp_path.iterdir()}
    assert {"junit.xml", "report.html", "summary.json", "summary.md", "traffic.har",
            "ledger.jsonl"} <= files
    assert leaks(tmp_path, result, needles) == []
    assert left["visitors"] == [] and [u["username"] for u in left["users"]] == [PLAIN[0]]
