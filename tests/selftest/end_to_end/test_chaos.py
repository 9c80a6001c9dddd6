"""CI's bad days: the suite keeps control whatever happens to it or to the server.

The suite runs as a subprocess against an in-process reference server, which
outlives the run and can be inspected after it. Each failure mode asserts the
exit code, the one-line reason, reports that carry that exit code (summary.json,
summary.md, junit.xml, report.html), no secret in any output, and nothing left
on the server (after a double signal or a server that died: nothing left once
``rc-contract sweep`` ran).

- a signal at ten moments of a run (start-up to report writing), as SIGINT, as
  SIGTERM and as two Ctrl-C 50 ms apart; and after the last report was written,
  also over and over while Python shuts down (exit 0, as the reports say);
- the server killed mid-run (at the default RC_TIMEOUT: over in seconds), hanging
  (with the defaults: over in under 30 s), or answering 500 to everything;
- a report directory that is not one, and a run that cannot start after a good one;
- a password in RC_URL's userinfo.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rc_contract.objects.ledger import Ledger
from rc_contract.reference import ReferenceServer
from rc_contract.reference.wire import Request, Response

from ..helpers import assert_cannot_start
from ..servers import ADMIN_PASSWORD, SecretNotes, leaks, start_suite, suite_env, sweep

INT, TERM = signal.SIGINT, signal.SIGTERM
LOGIN = "POST /api/v1/login"
INFO = "GET /api/info"
VISITORS_INFO = "GET /api/v1/livechat/visitors.info"
REGISTER = "POST /api/v1/livechat/visitor"
REMOVE = "DELETE /api/v1/livechat/visitor/{token}"
USERS_CREATE = "POST /api/v1/users.create"
RUN_TIMEOUT_S = 90
NOTHING = {"users": [], "visitors": []}
INTERRUPTED, BROKE_OFF, CANNOT_START = 2, 3, 4
SIGNAL_LINE = "stopping; removing what the run created and writing the reports"

# Ten moments of a run with RC_FUZZ_EXAMPLES=5 (about 44 requests): the request
# whose answer the signal lands before, or "start-up" (the process has just taken
# over SIGTERM, pytest is loading) and "reports" (summary.json has just appeared).
# REMOVE #1 is the not-found case's own removal: #2 is the run's clean-up.
MOMENTS = {
    "start-up": None,
    "login": (LOGIN, 1),
    "version-probe": (INFO, 1),
    "preflight": (VISITORS_INFO, 1),
    "user-creation": (USERS_CREATE, 1),
    "registration": (REGISTER, 2),
    "hand-written-cases": ("*", 14),
    "fuzzing": ("*", 36),  # of about 44 requests: boundaries and generated cases
    "clean-up": (REMOVE, 2),
    "reports": None,
}
SIGNALS = {"SIGINT": (INT,), "SIGTERM": (TERM,), "double-ctrl-c": (INT, INT)}
GAP_S = 0.05  # between the two signals of a double Ctrl-C
# After the last request: the last report (evidence.json) has just been written, or
# from then on until the process is gone, every 5 ms (the interpreter shutting down).
LAST_REPORT = "evidence.json"
LATE_MOMENTS = ("reports-written", "shut-down")
LATE_GAP_S = 0.005


# -- the server's side ----------------------------------------------------------


def _route(request: Request) -> str:
    key = f"{request.method} {request.path}"
    return REMOVE if key.startswith("DELETE /api/v1/livechat/visitor/") else key


@dataclass
class Chaos:
    """Wraps the server's handler: counts requests, fires signals, breaks the server."""

    server: ReferenceServer
    pid: int = 0
    seen: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    fired_at: float = 0.0
    # (route or "*", occurrence) -> what to do when that request arrives
    trigger: tuple[str, int] | None = None
    action: object = None
    storm: bool = False
    hang: threading.Event | None = None

    def install(self) -> None:
        handle = self.server.app.handle

        def chaotic(request: Request) -> Response:
            if request.path.startswith("/_reference/"):
                return handle(request)
            if self._count(_route(request)):
                result = self.action(request)  # type: ignore[operator]
                if isinstance(result, Response):
                    return result
            if self.hang is not None:
                self.hang.wait(60)
            if self.storm:
                return Response(500, {"success": False, "error": "Internal server error"})
            return handle(request)

        self.server.app.handle = chaotic  # type: ignore[method-assign]

    def _count(self, route: str) -> bool:
        with self.lock:
            hit = False
            for name in (route, "*"):
                self.seen[name] = self.seen.get(name, 0) + 1
                if self.trigger == (name, self.seen[name]):
                    hit = True
            return hit


def _send(pid: int, signals: tuple[int, ...]) -> None:
    for i, sig in enumerate(signals):
        if i:
            time.sleep(GAP_S)
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return


def _catches_sigterm(pid: int) -> bool:
    """The process installed its SIGTERM handler (/proc/PID/status, SigCgt bit 15)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = re.search(r"^SigCgt:\s*([0-9a-f]+)", status, re.M)
    return bool(caught and int(caught.group(1), 16) & (1 << (TERM - 1)))


# -- the run's side -------------------------------------------------------------


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    report_dir: Path

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def summary(self) -> dict:
        return json.loads((self.report_dir / "summary.json").read_text())


def _run(env: dict[str, str], report_dir: Path, chaos: Chaos | None = None,
         watch: str | None = None, signals: tuple[int, ...] = ()) -> Outcome:
    """Run the suite; ``watch`` sends ``signals`` at "start-up" or "reports" (see MOMENTS)."""
    started = time.monotonic()
    process = start_suite(env)
    if chaos is not None:
        chaos.pid = process.pid
    if watch is not None:
        threading.Thread(target=_watch, args=(watch, process, report_dir, signals),
                         daemon=True).start()
    try:
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
    return Outcome(process.returncode, stdout, stderr, time.monotonic() - started, report_dir)


def _watch(moment: str, process: subprocess.Popen[str], report_dir: Path,
           signals: tuple[int, ...]) -> None:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while process.poll() is None and time.monotonic() < deadline:
        ready = (_catches_sigterm(process.pid) if moment == "start-up"
                 else (report_dir / LAST_REPORT).exists() if moment in LATE_MOMENTS
                 else (report_dir / "summary.json").exists())
        if ready:
            _send(process.pid, signals)
            # "shut-down": again and again until the process is gone (Python's own exit).
            while moment == "shut-down" and process.poll() is None:
                time.sleep(LATE_GAP_S)
                _send(process.pid, signals)
            return
        time.sleep(0.001)


def assert_reports_say(outcome: Outcome, exit_code: int) -> None:
    """Every report of the run carries its exit code; "not judged" is never a failure."""
    summary = outcome.summary()
    assert summary["exit_code"] == exit_code, summary
    assert f"exit code: {exit_code} (" in (outcome.report_dir / "summary.md").read_text()
    junit = outcome.report_dir / "junit.xml"
    if junit.exists():
        text = junit.read_text()
        assert f'name="rc_contract_exit_code" value="{exit_code}"' in text, text[:500]
        if exit_code != 1:
            assert "<failure" not in text
    html = outcome.report_dir / "report.html"
    if html.exists():
        assert f"rc-contract exit code: <b>{exit_code}</b>" in html.read_text()
    if exit_code in (INTERRUPTED, BROKE_OFF):
        assert "failed" not in {c["outcome"] for c in summary["clauses"]}, summary["clauses"]


def assert_no_secret(outcome: Outcome, notes: SecretNotes) -> None:
    result = subprocess.CompletedProcess([], outcome.exit_code, outcome.stdout, outcome.stderr)
    assert leaks(outcome.report_dir, result, notes.needles()) == []


def _left(server: ReferenceServer) -> dict:
    return server.state.objects()


# -- signals ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(SIGNALS))
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_signal(tmp_path, moment, kind):
    signals = SIGNALS[kind]
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        notes = SecretNotes(server)
        chaos = Chaos(server)
        if MOMENTS[moment] is not None:
            chaos.trigger = MOMENTS[moment]
            chaos.action = lambda request: _send(chaos.pid, signals)
        chaos.install()
        env = suite_env(tmp_path, server.url)
        outcome = _run(env, tmp_path, chaos, None if MOMENTS[moment] else moment, signals)
        left = _left(server)
        outstanding = Ledger(tmp_path).outstanding(target=server.url)
        swept = sweep(env) if left != NOTHING else None
        after_sweep = _left(server)
    output = outcome.output[-4000:]
    assert outcome.exit_code == INTERRUPTED, output
    assert "Traceback" not in outcome.output
    assert f"rc-contract: {signal.Signals(signals[0]).name}: {SIGNAL_LINE}" in outcome.stderr, output
    assert_reports_say(outcome, INTERRUPTED)
    assert_no_secret(outcome, notes)
    if len(signals) == 1:
        assert left == NOTHING, output
        assert outstanding == []
    else:
        assert "again: stopping the clean-up now" in outcome.stderr, output
        if left != NOTHING:  # the second signal stopped the clean-up: sweep says what to do
            assert "rc-contract sweep" in outcome.stderr, output
            assert swept is not None and swept.returncode == 0, swept
        assert after_sweep == NOTHING


@pytest.mark.parametrize("kind", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("moment", LATE_MOMENTS)
def test_signal_after_the_last_report(tmp_path, moment, kind):
    """All work is done: the process ends with the exit code its reports carry (0 here),
    never killed by the signal, and says the signal came too late to change anything."""
    signals = SIGNALS[kind]
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        notes = SecretNotes(server)
        chaos = Chaos(server)
        chaos.install()
        outcome = _run(suite_env(tmp_path, server.url), tmp_path, chaos, moment, signals)
        left = _left(server)
    output = outcome.output[-4000:]
    assert outcome.exit_code == 0, output  # never -2 / -15: the signal does not kill it
    assert "Traceback" not in outcome.output
    assert_reports_say(outcome, 0)
    assert f"{kind}: the run is over and its reports are written (exit code 0)" in outcome.stderr, \
        output
    assert_no_secret(outcome, notes)
    assert left == NOTHING


# -- the server dies, hangs, or answers 500 ------------------------------------------


def _kill(server: ReferenceServer) -> Response:
    """The server process dies: the answer is lost, then every connection is refused."""
    threading.Thread(target=server.stop, daemon=True).start()
    return Response(200, {}, drop=True)


BREAKDOWNS = {
    # mode: (what to do at request #20 (a hand-written case), extra settings, seconds at most)
    "server-killed": ("kill", {}, 30),  # the default RC_TIMEOUT: must end in seconds
    "server-hanging": ("hang", {"RC_TIMEOUT": "1"}, 20),
    # With the defaults: RC_TIMEOUT, one 3 s probe, one 3 s clean-up attempt.
    "server-hanging-defaults": ("hang", {}, 30),
    "5xx-storm": ("storm", {}, 20),
}


@pytest.mark.parametrize("mode", list(BREAKDOWNS))
def test_server_breaks_down_mid_run(tmp_path, mode):
    action, extra, seconds = BREAKDOWNS[mode]
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        notes = SecretNotes(server)
        chaos = Chaos(server, trigger=("*", 20))
        release = threading.Event()
        if action == "kill":
            chaos.action = lambda request: _kill(server)
        elif action == "hang":
            chaos.action = lambda request: setattr(chaos, "hang", release)
        else:
            chaos.action = lambda request: _start_storm(chaos)
        chaos.install()
        env = suite_env(tmp_path, server.url, **extra)
        outcome = _run(env, tmp_path, chaos)
        stranded = _left(server)
        # The server comes back: the ledger lets sweep remove what the run could not.
        if action == "kill":
            server.start()
        chaos.storm, chaos.hang = False, None
        release.set()
        swept = sweep(env)
        after_sweep = _left(server)
    output = outcome.output[-4000:]
    assert outcome.exit_code == BROKE_OFF, output
    assert "Traceback" not in outcome.output and "urllib3" not in outcome.output
    paragraph = [line for line in outcome.stderr.splitlines() if "the run broke off" in line]
    assert len(paragraph) == 1, outcome.stderr
    assert "the server stopped answering" in paragraph[0] and "not judged: " in paragraph[0]
    assert "rc-contract sweep" in paragraph[0] and "exit code 3" in paragraph[0]
    assert outcome.seconds < seconds, outcome.seconds
    assert_reports_say(outcome, BROKE_OFF)
    summary = outcome.summary()
    assert summary["breakdown"] and summary["left_on_server"]
    unjudged = [c for c in summary["clauses"] if c["message"].startswith("not judged")]
    assert unjudged, summary["clauses"]
    assert_no_secret(outcome, notes)
    assert stranded != NOTHING  # a dead server keeps what the run created ...
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert after_sweep == NOTHING  # ... until sweep removes it
    print(f"{mode}: exit {outcome.exit_code} in {outcome.seconds:.1f} s, left "
          f"{len(stranded['users']) + len(stranded['visitors'])} objects, 0 after sweep")


def _start_storm(chaos: Chaos) -> Response:
    chaos.storm = True
    return Response(500, {"success": False, "error": "Internal server error"})


# -- cannot start ---------------------------------------------------------------------


def test_bad_report_dir_is_one_line_and_exit_4(tmp_path):
    not_a_dir = tmp_path / "reports"
    not_a_dir.write_text("a file, not a directory")
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        outcome = _run(suite_env(not_a_dir, server.url), not_a_dir)
        requests_seen = server.app.stats()["requests"]
    assert_cannot_start(outcome, "RC_REPORT_DIR")
    assert "INTERNALERROR" not in outcome.output
    assert requests_seen == 0


def test_cannot_start_replaces_the_previous_reports(tmp_path):
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        good = _run(suite_env(tmp_path, server.url), tmp_path)
        assert good.exit_code == 0, good.output[-3000:]
        bad = _run(suite_env(tmp_path, server.url, password="not-the-password"), tmp_path)
    assert_cannot_start(bad, "refused the credentials")
    assert_reports_say(bad, CANNOT_START)
    summary = bad.summary()
    assert "refused the credentials" in summary["reason"] and summary["clauses"] == []
    for stale in ("traffic.har", "observations.json", "evidence.json"):
        assert not (tmp_path / stale).exists(), stale
    assert "not-the-password" not in bad.output + (tmp_path / "summary.json").read_text()


# -- secrets ----------------------------------------------------------------------------


def test_password_in_rc_url_works_and_is_never_shown(tmp_path):
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        notes = SecretNotes(server)
        url = server.url
        env = suite_env(tmp_path, url)
        del env["RC_USER"], env["RC_PASSWORD"]
        env["RC_URL"] = url.replace("http://", f"http://admin:{ADMIN_PASSWORD}@")
        outcome = _run(env, tmp_path)
        left = _left(server)
    assert outcome.exit_code == 0, outcome.output[-3000:]
    assert_reports_say(outcome, 0)
    assert outcome.summary()["target"]["url"] == url
    assert_no_secret(outcome, notes)
    assert ADMIN_PASSWORD not in (tmp_path / "ledger.jsonl").read_text()
    assert left == NOTHING
