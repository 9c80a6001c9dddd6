"""No password, auth token, visitor token or registered personal value in any output.

The suite runs against an in-process reference server that notes every secret
as it passes: the passwords given, the auth tokens it issues at login, the
password of the user the run creates, and the token, name, email and phone of
every visitor registered. Then every file of the report directory, stdout and
stderr are searched for them. One run is clean; one runs against faults that
put the token and the personal values into failure messages and assertion
reprs, so those are searched too, as are the reprs pytest shortens ('rcct79...'):
no token's first (or last) characters show against the ellipsis.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import pytest

from rc_contract.reference import ReferenceServer

from ..helpers import assert_nothing_left
from ..servers import (
    ADMIN_PASSWORD,
    PLAIN,
    SecretNotes,
    add_account,
    leaks,
    left_behind,
    run_to_end,
    shortened_leaks,
    suite_env,
)

RUN_TIMEOUT_S = 120
# Each puts secrets or personal values where a failure message would quote them.
LEAKY_FAULTS = ["token-beside-visitor", "ok-name-truncated", "ok-phone-string",
                "ok-emails-item-key", "token-base64-etag", "token-in-status-reason",
                "token-in-set-cookie", "token-returned"]


@pytest.mark.parametrize("faults", [[], LEAKY_FAULTS], ids=["clean", "leaky-faults"])
def test_no_secret_in_any_output(tmp_path, faults):
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD, faults=faults) as server:
        add_account(server, *PLAIN, ["user"])
        notes = SecretNotes(server)
        extra = {"RC_UNPRIVILEGED_USER": PLAIN[0], "RC_UNPRIVILEGED_PASSWORD": PLAIN[1]} if faults \
            else {}
        result = run_to_end(suite_env(tmp_path, server.url, **extra), RUN_TIMEOUT_S)
        left = left_behind(server)
        # The seeded visitors' tokens, which a fault may return too, are no less secret.
        tokens = notes.tokens | {v["token"] for v in server.state.enabled_visitors()}
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
    assert leaks(tmp_path, result, tokens) == []
    assert shortened_leaks(tmp_path, result, tokens) == []
    if faults:
        _failures_can_be_acted_on(tmp_path, result)
    assert_nothing_left(left, [PLAIN[0]])


def _failures_can_be_acted_on(report_dir: Path, result: subprocess.CompletedProcess[str]) -> None:
    """JUnit, the terminal and report.html each name the failing request and a curl line
    that reproduces it with the credentials as variables (issue 13, item 3)."""
    outputs = {
        "terminal": result.stdout,
        "junit.xml": html.unescape((report_dir / "junit.xml").read_text("utf-8")),
        "report.html": html.unescape((report_dir / "report.html").read_text("utf-8")),
    }
    request = "GET /api/v1/livechat/visitors.info?visitorId="
    curl = 'curl -g -sS -i -H "X-User-Id: $RC_USER_ID" -H "X-Auth-Token: $RC_AUTH_TOKEN" "$RC_URL"'
    for name, text in outputs.items():
        assert request in text and "as the CI account" in text, f"{name} names no request"
        assert curl in text, f"{name} has no curl line with the credentials as variables"
        named = "x VI-TOKEN-ABSENT" if name == "terminal" else "clause:    VI-TOKEN-ABSENT"
        assert named in text, f"{name} does not name the clause"
    # JUnit's message: one readable line naming the clause and the request.
    messages = re.findall(r'<failure message="([^"]*)"', (report_dir / "junit.xml").read_text())
    assert messages and all("\n" not in html.unescape(m) and "&#10;" not in m for m in messages)
    assert any(html.unescape(m).startswith("VI-TOKEN-ABSENT: ") and request in html.unescape(m)
               for m in messages), messages
