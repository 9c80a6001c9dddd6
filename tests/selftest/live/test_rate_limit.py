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
import re
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from rc_contract.live.budget import (
    COVERAGE_CASES,
    TEARDOWN_RESERVE_S,
    BudgetTooSmall,
    Window,
    plan_budget,
)
from rc_contract.live.progress import Progress
from rc_contract.live.ratelimit import plan_rate_limit
from rc_contract.live.session import Pacer, RateLimitedError, RCSession, Recorder
from rc_contract.reference import SEEDED_EXTERNAL_IDS_VISITOR_ID, ReferenceServer
from rc_contract.reference.wire import Headers, Request, Response

from ..helpers import assert_cannot_start
from ..servers import (
    ADMIN_PASSWORD,
    AGENT,
    PLAIN,
    add_ci_accounts,
    agent_env,
    left_behind,
    run_to_end,
    start_suite,
    suite_env,
)

WINDOW_MS = 1500
CALLS = 10
RUN_TIMEOUT_S = 240
ENDPOINT = "/api/v1/livechat/visitors.info"
# The hand-written clauses' counted visitors.info calls: the questions of 0.1.0 cost 15
# before answers were shared and 12 after; VI-PARAM-TYPE's `visitorId[]=<id>` case adds
# one and VI-NOT-FOUND's eleven near-miss ids (issue 13) eleven, each a question of its own.
# Issue 19: VI-PARAM-EXTRA's seven generic parameters, and VI-PERM-403's livechat-agent one
# (none when the run's account is the agent: it takes VI-OK-SHAPE's answer).
HAND_WRITTEN_COUNTED_CALLS = 32


def _limited_server(limiter_first: bool = False, window_ms: int = WINDOW_MS,
                    variants: tuple[str, ...] = ()) -> ReferenceServer:
    server = ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD, rate_limit=True,
                             rate_limit_calls=CALLS, rate_limit_window_ms=window_ms,
                             limiter_first=limiter_first, variants=variants)
    add_ci_accounts(server)
    return server


class _OtherClient:
    """Another client on the same IP (same limiter key): it spends the whole window just
    before the run's n-th visitors.info call, so that call meets a 429 the run's pacing
    could not foresee."""

    def __init__(self, server: ReferenceServer, before_calls: set[int],
                 of_user: str | None = None, window_calls: int = CALLS) -> None:
        user = server.state.user_by_name(AGENT[0])
        assert user is not None
        token = server.state.issue_token(user)
        self.headers = Headers({"x-user-id": user._id, "x-auth-token": token})
        self.before_calls = before_calls
        self.calls = 0
        self._seen = 0
        handle = server.app.handle
        # Only the run's calls as this user count towards before_calls (None: any user).
        of = server.state.user_by_name(of_user) if of_user else None

        def crowded(request: Request) -> Response:
            if (request.path == ENDPOINT and request.headers.get("x-auth-token") != token
                    and (of is None or request.headers.get("x-user-id") == of._id)):
                self._seen += 1
                if self._seen in self.before_calls:
                    for _ in range(window_calls):
                        self.calls += 1
                        handle(Request("GET", ENDPOINT, "visitorId=x", self.headers))
            return handle(request)

        server.app.handle = crowded  # type: ignore[method-assign]


def _run(env: dict[str, str]) -> tuple[int, str, str]:
    result = run_to_end(env, RUN_TIMEOUT_S)
    return result.returncode, result.stdout, result.stderr


def _summary(report_dir: Path) -> dict:
    return json.loads((report_dir / "summary.json").read_text())


@pytest.mark.parametrize("limiter_first", [False, True], ids=["rocket-chat-order", "limiter-first"])
def test_limited_account_passes_pacing_itself_and_absorbing_429s(tmp_path, limiter_first):
    """Either order of limiter and permission check (PR #41970's proposal counts the 403s)."""
    with _limited_server(limiter_first) as server:
        other = _OtherClient(server, before_calls={1, 25})
        env = agent_env(tmp_path, server.url)
        code, stdout, stderr = _run(env)
        left = left_behind(server)
        stats = server.app.stats()
        info_calls = stats["by_route"].get(f"GET {ENDPOINT}", 0)
        counted = stats["counted"].get(f"GET {ENDPOINT}", 0) - other.calls
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
    # The estimate is an upper bound of the calls the limiter counts (one answer may
    # serve several cases; the 403 cases count only when the limiter runs first).
    assert counted <= plan["planned_requests"] <= 2 * counted, (plan, counted)
    # The progress figures count what the limiter counted (the answers carrying its headers).
    assert summary["progress"]["requests_done"] == counted, (summary["progress"], counted)
    assert "rate limit: the account is limited to 10 visitors.info calls" in stdout
    # Not a terminal: plain progress lines in the log.
    assert "progress: " in stdout and "counted visitors.info requests" in stdout
    assert "waiting" in stdout and "until the limiter resets at" in stdout
    assert "answers 429 absorbed" in stdout
    assert "failed" not in stdout.lower()


def test_bypassing_account_is_told_and_never_waits(tmp_path):
    with _limited_server() as server:
        # Without a limiter to wait for, the budget changes nothing, however small.
        code, stdout, stderr = _run(suite_env(tmp_path, server.url, RC_TIME_BUDGET="1"))
    assert code == 0, stdout[-3000:] + stderr[-2000:]
    summary = _summary(tmp_path)
    assert summary["rate_limit"]["bypass"] is True and summary["target"]["rate_limit_bypass"]
    assert summary["rate_limited"] == 0 and summary["rate_limit_wait_s"] == 0
    assert summary["budget"] is None and summary["progress"] is None
    assert summary["fuzz_cases_run"] >= 5
    assert "bypasses the limiter" in stdout and "progress: " not in stdout


def test_403_probe_answered_429_is_waited_out_not_judged(tmp_path):
    """The limiter before the permission check: another client empties the window just
    before the first 403 probe, which meets a 429; it is waited out and sent again."""
    with _limited_server(limiter_first=True) as server:
        _OtherClient(server, before_calls={1}, of_user=PLAIN[0])
        env = agent_env(tmp_path, server.url)
        code, stdout, stderr = _run(env)
    assert code == 0, stdout[-4000:] + stderr[-2000:]
    summary = _summary(tmp_path)
    outcomes = {c["id"]: c["outcome"] for c in summary["clauses"]}
    assert outcomes.pop("VI-EXTIDS-SHAPE") == "skipped"  # through RC_URL: nothing to judge
    assert outcomes["VI-PERM-403"] == "passed" and set(outcomes.values()) == {"passed"}
    assert summary["rate_limited"] >= 1
    assert "429 on GET /api/v1/livechat/visitors.info" in stdout


def test_reference_limiter_first_counts_the_403():
    """The reference server's switch: in Rocket.Chat's order a 403 is not counted (no
    limiter headers); limiter first (PR #41970), it is, and the 11th call is a 429."""
    for first in (False, True):
        with _limited_server(limiter_first=first, window_ms=60_000) as server, \
                requests.Session() as http:
            login = http.post(f"{server.url}/api/v1/login", timeout=5,
                              json={"user": PLAIN[0], "password": PLAIN[1]}).json()["data"]
            auth = {"X-User-Id": login["userId"], "X-Auth-Token": login["authToken"]}
            answers = [http.get(f"{server.url}{ENDPOINT}?visitorId=x", headers=auth, timeout=5)
                       for _ in range(CALLS + 1)]
        assert [a.status_code for a in answers[:-1]] == [403] * CALLS
        if first:
            assert answers[0].headers["X-RateLimit-Remaining"] == str(CALLS - 1)
            assert answers[-1].status_code == 429
        else:
            assert "X-RateLimit-Remaining" not in answers[0].headers
            assert answers[-1].status_code == 403


def test_hand_written_clauses_spend_few_counted_calls(tmp_path):
    """One answer serves every case asking the same question (the preflight's included)."""
    with _limited_server() as server:
        env = suite_env(tmp_path, server.url, RC_EXTERNAL_IDS_VISITOR=SEEDED_EXTERNAL_IDS_VISITOR_ID)
        process = start_suite(env, "--ignore", "tests/contract/test_fuzz.py")
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
        counted = server.app.stats()["counted"].get(f"GET {ENDPOINT}", 0)
    assert process.returncode == 0, stdout[-3000:] + stderr[-2000:]
    # 15 before answers were shared: the preflight, 3 not-found, 2 known, 6 parameter,
    # 2 token and 1 externalIds cases; the token cases and VI-PARAM-MISSING's first
    # case now take the answers of the known-visitor cases and of the preflight.
    assert counted <= HAND_WRITTEN_COUNTED_CALLS, counted
    assert _summary(tmp_path)["answers_reused"] >= 3


@pytest.mark.parametrize("limiter_first", [False, True], ids=["rocket-chat-order", "limiter-first"])
def test_the_plan_counts_every_counted_call(tmp_path, limiter_first):
    """The budget plans every call the limiter counts, by route, set-up and clean-up
    included: never fewer than the run sent (else the budget is no promise), and no more
    than the 403s Rocket.Chat's order does not count (VI-PERM-403's two cases, the first
    shared with the unprivileged user's check). The hand-written clauses only: no
    generated case to estimate."""
    with _limited_server(limiter_first) as server:
        env = agent_env(tmp_path, server.url, RC_TIME_BUDGET="60",
                        RC_EXTERNAL_IDS_VISITOR=SEEDED_EXTERNAL_IDS_VISITOR_ID)
        process = start_suite(env, "--ignore", "tests/contract/test_fuzz.py")
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
        counted = server.app.stats()["counted"]
    assert process.returncode == 0, stdout[-3000:] + stderr[-2000:]
    budget = _summary(tmp_path)["budget"]
    planned = {route: n for route, n in budget["planned_calls"].items()}
    assert budget["counted_calls"] == {r: n for r, n in counted.items() if r in budget["counted_calls"]}
    for route, sent in counted.items():
        assert sent <= planned.get(route, 0), (route, sent, planned)
    info = f"GET {ENDPOINT}"
    # At most one over: a near-miss id that has no near miss is not judged, so not sent.
    # The unprivileged user's check is VI-PERM-403's first case: one answer serves both.
    uncounted_403s = 0 if limiter_first else 2
    assert 0 <= planned[info] - counted[info] - uncounted_403s <= 1, (planned, counted)
    others = {route: n for route, n in planned.items() if route != info}
    assert others == {route: n for route, n in counted.items() if route != info}, (planned, counted)


@pytest.mark.parametrize(("limiter_first", "variants"), [(False, ()), (True, ()), (False, ("path-prefix",))],
                         ids=["rocket-chat-order", "limiter-first", "behind-a-path-prefix"])
def test_time_budget_sizes_the_fuzzing_and_holds(tmp_path, limiter_first, variants):
    """A budget too short for all 50 examples: every clause still runs, VI-FUZZ runs what
    fits, the reports say how many and why, and the run ends within its budget (also
    behind a proxy's path prefix, where the limiter's route carries the prefix)."""
    budget, window_ms = 20, 3000
    with _limited_server(limiter_first, window_ms=window_ms, variants=variants) as server:
        env = agent_env(tmp_path, server.url, RC_FUZZ_EXAMPLES="50",
                        RC_TIME_BUDGET=str(budget))
        started = time.monotonic()
        code, stdout, stderr = _run(env)
        wall = time.monotonic() - started
        left = left_behind(server)
    assert code == 0, stdout[-4000:] + stderr[-2000:]
    summary = _summary(tmp_path)
    # Through RC_URL no visitor of the run carries externalIds: that clause has nothing to judge.
    assert {c["outcome"] for c in summary["clauses"] if c["id"] != "VI-EXTIDS-SHAPE"} == {"passed"}
    assert left["visitors"] == []
    assert wall <= budget + window_ms / 1000, wall
    cut = summary["budget"]
    assert cut["seconds"] == budget and 0 < cut["generated_cases_run"] < 50
    note = f"VI-FUZZ: {cut['generated_cases_run']} of 50 cases fit the {budget} s budget"
    assert cut["note"].startswith(note) and "raise RC_TIME_BUDGET" in cut["note"]
    fuzz = next(c for c in summary["clauses"] if c["id"] == "VI-FUZZ")
    assert fuzz["message"].startswith(note)
    assert note in stdout and note in (tmp_path / "summary.md").read_text()
    progress = summary["progress"]
    assert progress["requests_done"] == progress["requests_planned"] > 20
    assert progress["waits"] >= 2 and progress["eta_s"] == 0
    # Planned against used, every limited route: set-up and clean-up included.
    assert cut["within"] is True and cut["used_s"] <= budget
    info = next(route for route in cut["planned_calls"] if route.endswith(ENDPOINT))
    assert cut["counted_calls"][info] <= cut["planned_calls"][info] + 1
    assert any(route.endswith("/api/v1/livechat/visitor") for route in cut["planned_calls"])
    assert f"time budget {budget} s: the run took" in stdout and cut["usage"] in stdout


def test_budget_too_small_for_the_hand_written_clauses_is_exit_4(tmp_path):
    with _limited_server(window_ms=60_000) as server:
        env = agent_env(tmp_path, server.url, RC_TIME_BUDGET="30")
        code, stdout, stderr = _run(env)
        left = left_behind(server)
    line = assert_cannot_start((code, stdout, stderr),
                               "RC_TIME_BUDGET=30 is too small for the hand-written clauses")
    minimum = int(re.search(r"need at least (\d+) s", line).group(1))
    # About 24 counted calls at 10 a minute: two full windows, then the rest.
    assert 60 < minimum < 190 and f"set RC_TIME_BUDGET={minimum} or more" in line
    assert left["visitors"] == []  # it stopped before registering anything


def test_a_setup_wait_past_the_deadline_is_exit_4_and_leaves_nothing(tmp_path):
    """Another client on this IP spent visitor registration's window (5 a minute): the
    run's registrations would wait past its budget, so it stops (exit 4) and removes what
    it registered, rather than overrun the budget."""
    server = ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD, rate_limit=True,
                             rate_limit_calls=100, rate_limit_window_ms=60_000)
    add_ci_accounts(server)
    with server:
        for n in range(4):  # one call is left in the window: the second registration waits
            requests.post(f"{server.url}/api/v1/livechat/visitor", timeout=5,
                          json={"visitor": {"token": f"other-client-{n}"}}).raise_for_status()
        env = agent_env(tmp_path, server.url, RC_TIME_BUDGET="40")
        started = time.monotonic()
        code, stdout, stderr = _run(env)
        wall = time.monotonic() - started
        left = left_behind(server)
    assert_cannot_start((code, stdout, stderr), "RC_TIME_BUDGET=40 cannot be kept: the set-up's "
                        "POST /api/v1/livechat/visitor would wait")
    # The other client's four visitors stay; the one the run registered is removed.
    assert wall < 40 and len(left["visitors"]) == 4, left


def test_a_wait_past_the_deadline_mid_run_is_not_made(tmp_path):
    """Another client spends the window mid-run, so the next call would wait a minute,
    past the budget's deadline: the rest is not sent (skips: those clauses are not judged),
    the run ends within its budget, removes what it created and says so."""
    server = ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD, rate_limit=True,
                             rate_limit_calls=100, rate_limit_window_ms=60_000)
    add_ci_accounts(server)
    with server:
        _OtherClient(server, before_calls={12}, of_user=AGENT[0], window_calls=100)
        env = agent_env(tmp_path, server.url, RC_TIME_BUDGET="30")
        started = time.monotonic()
        code, stdout, stderr = _run(env)
        wall = time.monotonic() - started
        left = left_behind(server)
    summary = _summary(tmp_path)
    assert code == 0, stdout[-3000:] + stderr[-2000:]
    assert wall < 30 and left["visitors"] == [], (wall, left)
    assert summary["budget"]["within"] is True and summary["rate_limited"] >= 1
    unjudged = [c for c in summary["clauses"] if c["message"].startswith("not sent")]
    assert unjudged and all(c["outcome"] == "skipped" for c in unjudged), summary["clauses"]
    assert "past the 30 s budget's deadline" in unjudged[0]["message"]


def test_window_arithmetic():
    window = Window(limit=10, window_s=60, remaining=9, reset_at=1060.0)
    assert window.send_times(1000.0, 9) == 1000.0
    assert window.send_times(1000.0, 10) == 1060.0
    assert window.send_times(1000.0, 30) == 1180.0
    assert window.fit(1000.0, 1059.0) == 9
    assert window.fit(1000.0, 1060.0) == 19
    assert window.fit(1000.0, 1175.0) == 29
    assert window.fit(1200.0, 1100.0) == 0
    # A window that has reset: a fresh one starts at the next call.
    assert window.fit(2000.0, 2000.0) == 10
    plan = plan_budget(180, 995.0, window, 1000.0, hand_written_calls=12, boundary_calls=9,
                       examples=50)
    assert plan.minimum_s == pytest.approx(1060 - 995 + TEARDOWN_RESERVE_S + 1)
    assert plan.estimated_examples == 29 - 12 - 9 - COVERAGE_CASES
    with pytest.raises(BudgetTooSmall, match="at least 71 s"):
        plan_budget(60, 995.0, window, 1000.0, hand_written_calls=12, boundary_calls=9,
                    examples=50)


def test_progress_line_rewritten_in_a_terminal_plain_in_a_log():
    pacer = Pacer()
    run = SimpleNamespace(session=SimpleNamespace(pacer=pacer), recorder=Recorder(),
                          planned_info_calls=40, budget_clock=time.time() - 65,
                          info_window=lambda: Window(10, 60, 0, time.time() + 30))
    pacer.counted[f"GET {ENDPOINT}"] = 20
    lines: list[str] = []
    rewritten: list[tuple[str, float]] = []
    plain = Progress(run, lines.append)
    tty = Progress(run, lines.append, lambda line, left: rewritten.append((line, left)))
    for progress in (plain, tty):
        pacer.waits += 1
        for left in (30, 29, 28, 0):
            progress.on_wait(left)
    assert len(lines) == 1 and [left for _, left in rewritten] == [30, 29, 28, 0]
    assert rewritten[0][0].endswith("(this wait: 30 s)") and "this wait" not in rewritten[-1][0]
    assert lines[0].startswith("progress: 20/40 counted visitors.info requests, 1 waits absorbed, "
                               "1:05 elapsed, about 1:30 left")
    assert plain.figures(final=True)["requests_planned"] == 20


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
                    reason="takes about 2 minutes each; set SELFTEST_SLOW=1 to run it")
@pytest.mark.parametrize("limiter_first", [False, True], ids=["rocket-chat-order", "limiter-first"])
def test_rocket_chat_default_limits_fit_the_default_budget(tmp_path, limiter_first):
    """10 calls a minute as Rocket.Chat ships, a livechat-agent account, a default run
    (50 examples, RC_TIME_BUDGET unset): every clause judged, within the 180 s budget."""
    server = ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD, rate_limit=True,
                             limiter_first=limiter_first)
    add_ci_accounts(server)
    with server:
        env = agent_env(tmp_path, server.url, RC_FUZZ_EXAMPLES="50",
                        RC_EXTERNAL_IDS_VISITOR=SEEDED_EXTERNAL_IDS_VISITOR_ID)
        started = time.monotonic()
        result = run_to_end(env, timeout=600)
        wall = time.monotonic() - started
        left = left_behind(server)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = _summary(tmp_path)
    assert {c["outcome"] for c in summary["clauses"]} == {"passed"}
    assert left["visitors"] == []
    assert wall <= 180, wall
    assert summary["budget"]["seconds"] == 180 and summary["fuzz_cases_run"] > 0
