"""The suite on a rate-limited server: it paces itself, waits out 429s, and still passes.

The account is a ``livechat-agent`` (view-l-room, no api-bypass-rate-limit) with an
existing ``user`` account for the 403 clause, as a CI account on a shared
staging server would be. The window is shortened so the run takes seconds; the
arithmetic of the preflight's estimate is checked for Rocket.Chat's defaults.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
from pathlib import Path

import pytest

from rc_contract.ratelimit import plan_rate_limit
from rc_contract.reference import ReferenceServer
from rc_contract.reference.wire import Headers, Request, Response
from rc_contract.session import Pacer, RateLimitedError, RCSession, Recorder

from .servers import (
    ADMIN_PASSWORD,
    AGENT,
    PLAIN,
    add_account,
    left_behind,
    run_to_end,
    suite_env,
)

WINDOW_MS = 1500
CALLS = 10
RUN_TIMEOUT_S = 240
ENDPOINT = "/api/v1/livechat/visitors.info"


def _limited_server() -> ReferenceServer:
    server = ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD, rate_limit=True,
                             rate_limit_calls=CALLS, rate_limit_window_ms=WINDOW_MS)
    add_account(server, *AGENT, ["livechat-agent"])
    add_account(server, *PLAIN, ["user"])
    return server


class _OtherClient:
    """Another client on the same IP (same limiter key): it spends the whole window just
    before the run's n-th visitors.info call, so that call meets a 429 the run's pacing
    could not foresee."""

    def __init__(self, server: ReferenceServer, before_calls: set[int]) -> None:
        user = server.state.user_by_name(AGENT[0])
        assert user is not None
        token = server.state.issue_token(user)
        self.headers = Headers({"x-user-id": user._id, "x-auth-token": token})
        self.before_calls = before_calls
        self.calls = 0
        self._seen = 0
        handle = server.app.handle

        def crowded(request: Request) -> Response:
            if request.path == ENDPOINT and request.headers.get("x-auth-token") != token:
                self._seen += 1
                if self._seen in self.before_calls:
                    for _ in range(CALLS):
                        self.calls += 1
                        handle(Request("GET", ENDPOINT, "visitorId=x", self.headers))
            return handle(request)

        server.app.handle = crowded  # type: ignore[method-assign]


def _run(env: dict[str, str]) -> tuple[int, str, str]:
    result = run_to_end(env, RUN_TIMEOUT_S)
    return result.returncode, result.stdout, result.stderr


def _summary(report_dir: Path) -> dict:
    return json.loads((report_dir / "summary.json").read_text())


def test_limited_account_passes_pacing_itself_and_absorbing_429s(tmp_path):
    with _limited_server() as server:
        other = _OtherClient(server, before_calls={1, 25})
        env = suite_env(tmp_path, server.url, *AGENT, RC_UNPRIVILEGED_USER=PLAIN[0],
                        RC_UNPRIVILEGED_PASSWORD=PLAIN[1])
        code, stdout, stderr = _run(env)
        left = left_behind(server)
        info_calls = server.app.stats()["by_route"].get(f"GET {ENDPOINT}", 0)
    assert code == 0, stdout[-4000:] + stderr[-2000:]
    summary = _summary(tmp_path)
    # VI-EXTIDS-SHAPE saw no externalIds without RC_EXTERNAL_IDS_VISITOR: not judged.
    assert {c["outcome"] for c in summary["clauses"] if c["id"] != "VI-EXTIDS-SHAPE"} == {"passed"}
    assert left["visitors"] == []
    # The window the run started in was used up: that 429 was waited out, not reported.
    assert summary["rate_limited"] >= 2
    # Pacing on X-RateLimit-Remaining: many windows' worth of calls, hardly any 429.
    assert info_calls > 3 * CALLS
    assert summary["rate_limited"] <= 4
    plan = summary["rate_limit"]
    assert plan["bypass"] is False and plan["limit"] == CALLS and plan["estimated_wait_s"] > 0
    # The estimate counts the calls the limiter sees: all but the 401 and 403 cases'.
    sent = info_calls - other.calls
    assert sent * 0.7 <= plan["planned_requests"] <= sent, (plan, sent)
    assert "rate limit: the account is limited to 10 visitors.info calls" in stdout
    assert "waiting" in stdout and "until the limiter resets at" in stdout
    assert "answers 429 absorbed" in stdout
    assert "failed" not in stdout.lower()


def test_bypassing_account_is_told_and_never_waits(tmp_path):
    with _limited_server() as server:
        code, stdout, stderr = _run(suite_env(tmp_path, server.url))
    assert code == 0, stdout[-3000:] + stderr[-2000:]
    summary = _summary(tmp_path)
    assert summary["rate_limit"]["bypass"] is True and summary["target"]["rate_limit_bypass"]
    assert summary["rate_limited"] == 0 and summary["rate_limit_wait_s"] == 0
    assert "bypasses the limiter" in stdout


def test_estimate_for_rocket_chat_defaults():
    """10 calls a minute and about 80 planned calls: about 7 minutes of waiting."""
    now = 1_000_000.0
    headers = {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "9",
               "X-RateLimit-Reset": str(int((now + 60) * 1000))}
    plan = plan_rate_limit(headers, planned=80, now=now)
    assert plan.window_s == 60 and plan.limit == 10
    # 79 calls after the preflight, 9 left in this window: 70 more need 7 windows.
    assert plan.estimated_wait_s == pytest.approx(60 + 6 * 60)
    assert "about 7.0 min of waiting" in plan.line()
    assert plan_rate_limit({}, planned=80).bypass is True
    few = plan_rate_limit(headers, planned=10, now=now)
    assert few.estimated_wait_s == 0


def test_estimate_mid_window_assumes_the_default_window():
    now = 1_000_000.0
    headers = {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "3",
               "X-RateLimit-Reset": str(int((now + 12) * 1000))}
    plan = plan_rate_limit(headers, planned=20, now=now)
    assert plan.window_s == 60
    assert plan.estimated_wait_s == pytest.approx(12 + 60)


class _AlwaysLimited(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"success": False, "error": "Error, too many requests. Please slow "
                           "down. You must wait 1 seconds before trying this endpoint again. "
                           "[error-too-many-requests]"}).encode()
        self.send_response(429)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-RateLimit-Limit", "10")
        self.send_header("X-RateLimit-Remaining", "0")
        self.send_header("X-RateLimit-Reset", str(int(time.time() * 1000) + 20))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_endless_429_is_an_error_of_the_run_not_an_answer():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AlwaysLimited)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    notes: list[str] = []
    recorder = Recorder()
    try:
        session = RCSession(f"http://127.0.0.1:{server.server_address[1]}", recorder,
                            Pacer(notes.append), timeout=5)
        with pytest.raises(RateLimitedError, match="still answered 429"):
            session.get(ENDPOINT, params={"visitorId": "x"})
    finally:
        server.shutdown()
        server.server_close()
    assert recorder.rate_limited == 6 and len(notes) >= 5
    assert all("rate limit" in note and "waiting" in note for note in notes)


@pytest.mark.skipif(not os.environ.get("SELFTEST_SLOW"),
                    reason="takes about 3 minutes; set SELFTEST_SLOW=1 to run it")
def test_rocket_chat_default_limits_pass_and_match_the_estimate(tmp_path):
    """10 calls a minute, as Rocket.Chat ships: the run passes and lasts what it said."""
    server = ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD, rate_limit=True)
    add_account(server, *AGENT, ["livechat-agent"])
    add_account(server, *PLAIN, ["user"])
    with server:
        env = suite_env(tmp_path, server.url, *AGENT, RC_UNPRIVILEGED_USER=PLAIN[0],
                        RC_UNPRIVILEGED_PASSWORD=PLAIN[1])
        result = run_to_end(env, timeout=600)
        left = left_behind(server)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = _summary(tmp_path)
    assert left["visitors"] == []
    estimate = summary["rate_limit"]["estimated_wait_s"]
    assert abs(summary["rate_limit_wait_s"] - estimate) <= 60, summary
