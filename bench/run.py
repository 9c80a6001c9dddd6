"""Benchmark: the contract suite against plain Schemathesis (``st run``) on the same server.

One run starts the bundled reference server once and measures, ``--repeat`` times each:

- the whole ``rc-contract run`` process against it (``RC_URL``), at every ``--examples``;
- plain ``st run`` against it with the same repaired document, the same auth headers,
  the same number of examples and the same Schemathesis configuration as VI-FUZZ
  (``rc_contract.contract.fuzz.config_data()`` written out as ``schemathesis.toml``: same
  phases, same built-in checks, deterministic generation, one worker);
- the HTTP requests each sent, counted by the reference server;
- the hand-written clauses alone (every test but tests/contract/test_fuzz.py);
- a default run (``RC_URL`` unset: the suite starts its own server) for wall time
  and peak memory;
- the reference server's keep-alive throughput for visitors.info from one client;
- a limited server: the reference server with Rocket.Chat's limiter on (10 calls a
  minute, 5 for visitor registration), one run per ``--budgets`` value of
  RC_TIME_BUDGET, per account set-up (``--setups``: an admin with the bypass, a
  livechat-manager or livechat-agent with an unprivileged user given, an account
  without the bypass that creates the unprivileged user) and per limiter order
  (``--orders``): wall time, exit code, counted requests, fuzz cases run, clauses judged.

It prints medians, spread and the suite / ``st run`` ratios, and writes them all to
``reports/bench.json``. Figures only: nothing here fails on a slow machine (the exit
code is 1 only when a measured run itself failed).

    python bench/run.py [--repeat 3] [--examples 100,1000] [--quick] [--output PATH]
                        [--budgets 120,180] [--limiter-first] [--limited-only]
                        [--setups agent|all|admin,manager,agent,creator]
                        [--orders rocket-chat,limiter-first] [--path-prefix]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from rc_contract.reference.ratelimit import DEFAULT_CALLS, DEFAULT_WINDOW_MS

ROOT = Path(__file__).resolve().parent.parent
ENDPOINT = "/api/v1/livechat/visitors.info"
RUN_TIMEOUT_S = 600.0  # one measured process; a hung run is killed, never waited on forever
REQUEST_TIMEOUT_S = 10.0
THROUGHPUT_REQUESTS = 3000
QUICK_THROUGHPUT_REQUESTS = 300
QUICK_EXAMPLES = (10,)
# What Tools.st_command runs, as the JSON states it (no paths, no token).
ST_COMMAND = ("st --config-file schemathesis.toml --no-color run visitors-info.fuzz.json --url URL "
              "-H 'X-User-Id: ID' -H 'X-Auth-Token: TOKEN' --max-examples N --mode all --workers 1")

# The targets: (figure key, limit, "max" = at most, "min" = at least).
TARGETS = {
    "ratio_100": (1.5, "max", "suite / st run wall time, 100 examples"),
    "ratio_1000": (1.2, "max", "suite / st run wall time, 1000 examples"),
    "hand_written_requests": (40, "max", "requests of the hand-written clauses (all but VI-FUZZ)"),
    "reference_rps": (2000, "min", "reference server keep-alive visitors.info requests/s"),
    "default_run_peak_mb": (300, "max", "peak memory of a default run (suite + its server), MB"),
}


@dataclass
class Sample:
    """One measured process."""

    wall_s: float
    exit_code: int
    requests: int | None = None
    by_route: dict[str, int] | None = None
    # Calls the server's limiter counted (passed auth and permission), by route.
    counted: dict[str, int] | None = None
    peak_rss_mb: float | None = None  # the largest single process (wait4's ru_maxrss)
    tree_peak_mb: float | None = None  # the process and its children together, sampled


# -- measuring a process ---------------------------------------------------------


def _children_rss(root: int) -> int:
    """Resident bytes of ``root`` and its descendants, from /proc (Linux); 0 elsewhere."""
    parents: dict[int, int] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in tree:
        try:
            total += int((proc / str(pid) / "statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


def measure(command: list[str], env: dict[str, str], cwd: Path, *, sample_tree: bool = False,
            timeout: float = RUN_TIMEOUT_S) -> tuple[Sample, str]:
    """Run ``command`` to its end; wall time, exit code, peak memory and its output."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                   text=True)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], _children_rss(process.pid))

        def stop() -> None:
            # SIGTERM first: the suite then removes what it created and stops its server.
            process.send_signal(signal.SIGTERM)
            if not done.wait(10):
                process.kill()

        sampler = threading.Thread(target=sample, daemon=True) if sample_tree else None
        if sampler:
            sampler.start()
        killer = threading.Timer(timeout, stop)
        killer.start()
        # wait4 rather than Popen.wait: it also gives the child's peak resident size.
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        if sampler:
            sampler.join()
        out.seek(0)
        output = out.read()
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Sample(round(wall, 3), process.returncode, peak_rss_mb=round(rss_mb, 1),
                  tree_peak_mb=round(peak[0] / 2**20, 1) if sample_tree and peak[0] else None), output


# -- the reference server --------------------------------------------------------


class Server:
    """The bundled reference server, started once for the whole benchmark."""

    def __init__(self, version: str) -> None:
        from rc_contract.live.reference_process import ReferenceProcess
        from rc_contract.reference import SEEDED_EXTERNAL_IDS_VISITOR_ID
        from rc_contract.versions import RCVersion

        self.version = version
        self.process = ReferenceProcess(RCVersion.parse(version))
        self.url = self.process.start()
        self.password = self.process.admin_password
        self.external_ids_visitor = SEEDED_EXTERNAL_IDS_VISITOR_ID
        self.http = requests.Session()
        answer = self.http.post(f"{self.url}/api/v1/login", timeout=REQUEST_TIMEOUT_S,
                                json={"user": "admin", "password": self.password})
        answer.raise_for_status()
        data = answer.json()["data"]
        self.auth = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}

    def reset(self) -> None:
        self.http.post(f"{self.url}/_reference/stats/reset", timeout=REQUEST_TIMEOUT_S).raise_for_status()

    def stats(self) -> dict[str, Any]:
        answer = self.http.get(f"{self.url}/_reference/stats", timeout=REQUEST_TIMEOUT_S)
        answer.raise_for_status()
        return dict(answer.json())

    def counted(self, sample: Sample) -> Sample:
        stats = self.stats()
        sample.requests, sample.by_route = int(stats["requests"]), dict(stats["by_route"])
        sample.counted = dict(stats.get("counted", {}))
        return sample

    def stop(self) -> None:
        self.http.close()
        self.process.stop()


def throughput_http_client(server: Server, count: int) -> float:
    """Keep-alive GETs a second over one lean connection: the server's own rate."""
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port,
                                            timeout=REQUEST_TIMEOUT_S)
    path = f"{ENDPOINT}?visitorId={server.external_ids_visitor}"
    try:
        started = time.perf_counter()
        for _ in range(count):
            connection.request("GET", path, headers=server.auth)
            response = connection.getresponse()
            response.read()
            if response.status >= 500 or response.getheader("Connection", "").lower() == "close":
                raise RuntimeError(f"throughput loop: {response.status}, keep-alive lost")
        return count / (time.perf_counter() - started)
    finally:
        connection.close()


def throughput_requests(server: Server, count: int) -> float:
    """The same with a ``requests.Session``, the suite's own client (client-bound)."""
    with requests.Session() as session:
        url = f"{server.url}{ENDPOINT}"
        params = {"visitorId": server.external_ids_visitor}
        started = time.perf_counter()
        for _ in range(count):
            session.get(url, params=params, headers=server.auth, timeout=REQUEST_TIMEOUT_S)
        return count / (time.perf_counter() - started)


# -- the two tools -----------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """A minimal TOML writer for the nested tables of ``fuzz.config_data()``."""
    scalars = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    text = (f"[{prefix}]\n" if prefix else "") + "".join(line + "\n" for line in scalars)
    for key, value in data.items():
        if isinstance(value, dict):
            text += "\n" + to_toml(value, f"{prefix}.{key}" if prefix else key)
    return text


class Tools:
    """How each tool is started; the environment both share."""

    def __init__(self, server: Server, workdir: Path) -> None:
        from rc_contract.contract import fuzz, load_bundled
        from rc_contract.contract.document import fuzz_document

        self.server = server
        self.workdir = workdir
        self.document = workdir / "visitors-info.fuzz.json"
        self.document.write_text(json.dumps(fuzz_document(load_bundled())), "utf-8")
        self.st_config = fuzz.config_data()
        self.config_file = workdir / "schemathesis.toml"
        self.config_file.write_text(to_toml(self.st_config), "utf-8")
        st = Path(sys.executable).with_name("st")
        self.st = str(st) if st.exists() else shutil.which("st") or "st"
        # Nothing of the caller's RC_* leaks into a measured run.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("RC_")}

    def suite_command(self, *extra: str) -> list[str]:
        return [sys.executable, "-m", "rc_contract", "run", "-q", *extra]

    def suite_env(self, examples: int | None, report_dir: Path, *,
                  own_server: bool = False) -> dict[str, str]:
        env = dict(self.env, RC_REPORT_DIR=str(report_dir))
        if examples is not None:
            env["RC_FUZZ_EXAMPLES"] = str(examples)
        if not own_server:
            env.update(RC_URL=self.server.url, RC_USER="admin", RC_PASSWORD=self.server.password,
                       RC_REFERENCE_VERSION=self.server.version,
                       # The bundled server's seeded visitor: what a default run uses too.
                       RC_EXTERNAL_IDS_VISITOR=self.server.external_ids_visitor)
        else:
            env["RC_REFERENCE_VERSION"] = self.server.version
        return env

    def run_suite(self, examples: int | None, *extra: str, own_server: bool = False,
                  sample_tree: bool = False) -> Sample:
        with tempfile.TemporaryDirectory(prefix="rc-bench-") as reports:
            if not own_server:
                self.server.reset()
            sample, output = measure(self.suite_command(*extra),
                                     self.suite_env(examples, Path(reports), own_server=own_server),
                                     ROOT, sample_tree=sample_tree)
            if own_server:
                summary = Path(reports) / "summary.json"
                if summary.exists():
                    sample.requests = int(json.loads(summary.read_text())["requests"])
            else:
                self.server.counted(sample)
        _report_failure("rc-contract run", sample, output)
        return sample

    def st_command(self, examples: int) -> list[str]:
        auth = self.server.auth
        return [self.st, "--config-file", str(self.config_file), "--no-color", "run",
                str(self.document), "--url", self.server.url,
                "-H", f"X-User-Id: {auth['X-User-Id']}", "-H", f"X-Auth-Token: {auth['X-Auth-Token']}",
                "--max-examples", str(examples), "--mode", "all", "--workers", "1"]

    def run_st(self, examples: int) -> Sample:
        self.server.reset()
        sample, output = measure(self.st_command(examples), self.env, self.workdir)
        self.server.counted(sample)
        _report_failure("st run", sample, output)
        return sample


# -- a rate-limited server ----------------------------------------------------------

LIMITED_PASSWORD = "bench-admin-pw"
PLAIN = ("bench-plain", "bench-plain-pw-1")  # user: no view-l-room, for VI-PERM-403
# An account without the bypass that may create and delete users, as a CI job's own
# role would be on a staging server (no default role has exactly these).
CREATOR_ROLE = ("bench-creator", frozenset({"view-l-room", "create-user", "delete-user"}))
# Account set-ups of a CI job: (the account's roles, the unprivileged user given?).
# "admin" holds api-bypass-rate-limit: the limiter never counts it.
SETUPS: dict[str, tuple[list[str], bool]] = {
    "admin": (["admin"], False),
    "manager": (["livechat-manager"], True),
    "agent": (["livechat-agent"], True),
    "creator": ([CREATOR_ROLE[0]], False),
}
ORDERS = {"rocket-chat": False, "limiter-first": True}
QUICK_LIMITED_WINDOW_MS = 1500
QUICK_BUDGETS = (18, 30)  # the shorter still leaves generated cases after the hand-written ones


def limited_run(tools: Tools, budget: int, version: str, window_ms: int,
                limiter_first: bool, setup: str = "agent", path_prefix: bool = False) -> dict[str, Any]:
    """One default run (50 examples) against a fresh limited server, as a CI account of ``setup``."""
    from rc_contract.reference import SEEDED_EXTERNAL_IDS_VISITOR_ID, ReferenceServer

    roles, given = SETUPS[setup]
    account = (f"bench-{setup}", f"bench-{setup}-pw-1")
    server = ReferenceServer(version=version, admin_password=LIMITED_PASSWORD, rate_limit=True,
                             rate_limit_window_ms=window_ms, limiter_first=limiter_first,
                             variants=["path-prefix"] if path_prefix else [])
    server.state.roles[CREATOR_ROLE[0]] = CREATOR_ROLE[1]
    with server, requests.Session() as http, tempfile.TemporaryDirectory(prefix="rc-bench-") as reports:
        login = http.post(f"{server.url}/api/v1/login", timeout=REQUEST_TIMEOUT_S,
                          json={"user": "admin", "password": LIMITED_PASSWORD}).json()["data"]
        admin = {"X-User-Id": login["userId"], "X-Auth-Token": login["authToken"]}
        for (name, password), role in ((account, roles), (PLAIN, ["user"])):
            http.post(f"{server.url}/api/v1/users.create", headers=admin, timeout=REQUEST_TIMEOUT_S,
                      json={"username": name, "name": name, "password": password,
                            "email": f"{name}@example.invalid", "roles": role}).raise_for_status()
        server.app.reset_stats()
        env = dict(tools.env, RC_URL=server.url, RC_USER=account[0], RC_PASSWORD=account[1],
                   RC_REFERENCE_VERSION=version, RC_TIME_BUDGET=str(budget),
                   RC_EXTERNAL_IDS_VISITOR=SEEDED_EXTERNAL_IDS_VISITOR_ID, RC_REPORT_DIR=reports)
        if given:
            env.update(RC_UNPRIVILEGED_USER=PLAIN[0], RC_UNPRIVILEGED_PASSWORD=PLAIN[1])
        sample, output = measure(tools.suite_command(), env, ROOT,
                                 timeout=budget + 2 * window_ms / 1000 + 120)
        _report_failure(f"rc-contract run (limited, {setup}, {budget} s budget)", sample, output)
        stats = server.app.stats()
        summary_file = Path(reports) / "summary.json"
        summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    clauses = summary.get("clauses", [])
    budget_report = summary.get("budget") or {}
    # What the limiter counted for this account: nothing for one that bypasses it.
    limited = not (summary.get("rate_limit") or {}).get("bypass", False)
    counted = stats["counted"] if limited else {}
    return {
        "setup": setup,
        "unprivileged": "given" if given else "created",
        "order": "limiter-first" if limiter_first else "rocket-chat",
        "path_prefix": path_prefix,
        "budget_s": budget,
        "wall_s": sample.wall_s,
        "over_budget_pct": round(100 * (sample.wall_s - budget) / budget, 1),
        "exit_code": sample.exit_code,
        "summary_exit_code": summary.get("exit_code"),
        "counted_info_requests": sum(n for route, n in counted.items() if route.endswith(ENDPOINT)),
        "counted_requests": sum(counted.values()),
        "planned_requests": sum((budget_report.get("planned_calls") or {}).values()) or None,
        "fuzz_cases_run": summary.get("fuzz_cases_run"),
        "examples_asked": budget_report.get("examples_asked"),
        "clauses_judged": sum(c["outcome"] in ("passed", "failed") for c in clauses),
        "clauses": len(clauses),
        "note": budget_report.get("note"),
        "usage": budget_report.get("usage"),
    }


def _report_failure(tool: str, sample: Sample, output: str) -> None:
    if sample.exit_code != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        sys.stderr.write(f"bench: {tool} exited with {sample.exit_code}:\n{tail}\n")


# -- figures -------------------------------------------------------------------------


def spread(values: list[float]) -> dict[str, Any]:
    median = statistics.median(values)
    return {
        "runs": [round(v, 3) for v in values],
        "median": round(median, 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "stdev": round(statistics.stdev(values), 3) if len(values) > 1 else 0.0,
        "spread_pct": round(100 * (max(values) - min(values)) / median, 1) if median else 0.0,
    }


def tool_figures(samples: list[Sample]) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "wall_s": spread([s.wall_s for s in samples]),
        "requests": spread([float(s.requests or 0) for s in samples]),
        "peak_rss_mb": spread([s.peak_rss_mb or 0.0 for s in samples]),
        "exit_codes": [s.exit_code for s in samples],
        "by_route": samples[-1].by_route,
        "counted_info_requests": spread([float((s.counted or {}).get(f"GET {ENDPOINT}", 0))
                                         for s in samples]),
    }
    trees = [s.tree_peak_mb for s in samples if s.tree_peak_mb is not None]
    if trees:
        figures["tree_peak_mb"] = spread(trees)
    return figures


def evaluate(figures: dict[str, Any]) -> list[dict[str, Any]]:
    values = {
        "ratio_100": figures["examples"].get("100", {}).get("ratio_wall"),
        "ratio_1000": figures["examples"].get("1000", {}).get("ratio_wall"),
        "hand_written_requests": figures["hand_written"]["requests"]["max"],
        "reference_rps": figures["reference_throughput"]["http_client_rps"]["median"],
        "default_run_peak_mb": figures["default_run"].get("tree_peak_mb",
                                                          figures["default_run"]["peak_rss_mb"])["max"],
    }
    result = []
    for key, (limit, kind, title) in TARGETS.items():
        value = values[key]
        met = None if value is None else (value <= limit if kind == "max" else value >= limit)
        result.append({"target": key, "title": title, "value": value,
                       "limit": f"{'<=' if kind == 'max' else '>='} {limit}", "met": met})
    return result


def print_figures(figures: dict[str, Any]) -> None:
    def line(text: str) -> None:
        sys.stdout.write(text + "\n")

    def timing(name: str, stats: dict[str, Any]) -> str:
        return (f"{name:<34} median {stats['median']:>8.3f}   min {stats['min']:.3f}  "
                f"max {stats['max']:.3f}  stdev {stats['stdev']:.3f}  ({stats['spread_pct']}% spread)")

    meta = figures["bench"]
    line(f"\nrc-contract benchmark: {meta['repeat']} run(s) each, reference server "
         f"{meta['server_version']}, {meta['machine']['cpus']} CPU(s), Python {meta['machine']['python']}")
    line("wall times in seconds, whole processes; suite runs use RC_URL = the same server as st run\n")
    for examples, block in figures["examples"].items():
        line(f"-- {examples} examples")
        line(timing("rc-contract run (RC_URL)", block["suite"]["wall_s"]))
        line(timing("st run", block["schemathesis"]["wall_s"]))
        line(f"{'ratio suite / st run':<34} {block['ratio_wall']:.2f}x (medians)")
        line(f"{'requests suite / st run':<34} {block['suite']['requests']['median']:.0f} / "
             f"{block['schemathesis']['requests']['median']:.0f} ({block['ratio_requests']:.2f}x)")
        line(f"{'peak RSS MB suite / st run':<34} {block['suite']['peak_rss_mb']['max']:.0f} / "
             f"{block['schemathesis']['peak_rss_mb']['max']:.0f}")
    hand = figures["hand_written"]
    line("-- hand-written clauses (all but VI-FUZZ)")
    line(timing("rc-contract run (RC_URL)", hand["wall_s"]))
    line(f"{'requests':<34} {hand['requests']['max']:.0f} {hand['by_route']}")
    line(f"{'counted visitors.info requests':<34} {hand['counted_info_requests']['max']:.0f} "
         "(what a limited account spends of the limiter's 10 a minute)")
    default = figures["default_run"]
    line(f"-- default run (RC_URL unset: starts its own server, {meta['default_examples']} examples)")
    line(timing("rc-contract run", default["wall_s"]))
    line(f"{'requests (summary.json)':<34} {default['requests']['median']:.0f}")
    peak = default.get("tree_peak_mb", default["peak_rss_mb"])
    line(f"{'peak memory MB (suite + server)':<34} {peak['max']:.0f}  "
         f"(largest single process {default['peak_rss_mb']['max']:.0f})")
    rps = figures["reference_throughput"]
    line(f"-- reference server throughput, keep-alive visitors.info, one client, "
         f"{rps['requests_per_round']} requests a round")
    line(timing("http.client (server-bound) req/s", rps["http_client_rps"]))
    line(timing("requests.Session (client) req/s", rps["requests_session_rps"]))
    if figures.get("limited"):
        print_limited(figures["limited"])
    line("\ntargets")
    for target in figures["targets"]:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[target["met"]]
        value = "-" if target["value"] is None else target["value"]
        line(f"  {target['target']:<24} {value!s:>9} {target['limit']:<8} {verdict:<12} {target['title']}")


def print_limited(limited: dict[str, Any]) -> None:
    sys.stdout.write(
        f"-- limited server: limiter on ({limited['calls']} calls per "
        f"{limited['window_ms'] / 1000:g} s, 5 for visitor registration), default run "
        "(50 examples)\n")
    sys.stdout.write(f"{'set-up':<20} {'order':<14} {'budget':>6} {'wall s':>7} {'exit':>4} "
                     f"{'counted (info)':>14} {'planned':>7} {'fuzz':>4} {'judged':>6}\n")
    for run in limited["runs"]:
        setup = f"{run['setup']}, {run['unprivileged']}" + (" /chat" if run["path_prefix"] else "")
        sys.stdout.write(
            f"{setup:<20} {run['order']:<14} {run['budget_s']:>6} {run['wall_s']:>7.1f} "
            f"{run['exit_code']:>4} {run['counted_requests']:>7} ({run['counted_info_requests']:>3}) "
            f"{run['planned_requests'] or '-':>9} {run['fuzz_cases_run'] or 0:>4} "
            f"{run['clauses_judged']:>3}/{run['clauses']}\n")


# -- main --------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (default 3)")
    parser.add_argument("--examples", default="100,1000",
                        help="RC_FUZZ_EXAMPLES / --max-examples values, comma-separated (default 100,1000)")
    parser.add_argument("--quick", action="store_true",
                        help="one run each, 10 examples, a short throughput loop, no warm-up")
    parser.add_argument("--version", default="9.0.0", help="version the reference server emulates")
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "bench.json",
                        help="where the JSON figures go (default reports/bench.json)")
    parser.add_argument("--budgets", default="120,180",
                        help="RC_TIME_BUDGET values for the limited-server scenario, seconds "
                        "(default 120,180; each run waits for the limiter: minutes)")
    parser.add_argument("--limiter-first", action="store_true",
                        help="limited server: the limiter before the permission check (PR #41970); "
                        "the same as --orders limiter-first")
    parser.add_argument("--orders", default=None,
                        help="limited server: limiter orders, comma-separated, of "
                        f"{', '.join(ORDERS)} (default rocket-chat)")
    parser.add_argument("--setups", default="agent",
                        help="limited server: account set-ups, comma-separated, of "
                        f"{', '.join(SETUPS)}, or all (default agent)")
    parser.add_argument("--path-prefix", action="store_true",
                        help="limited server: behind a proxy's path prefix (/chat)")
    parser.add_argument("--limited-only", action="store_true",
                        help="only the limited-server scenario")
    args = parser.parse_args(argv)
    args.examples = QUICK_EXAMPLES if args.quick else tuple(int(n) for n in args.examples.split(","))
    args.budgets = QUICK_BUDGETS if args.quick else tuple(int(n) for n in args.budgets.split(","))
    args.window_ms = QUICK_LIMITED_WINDOW_MS if args.quick else DEFAULT_WINDOW_MS
    if args.quick:
        args.repeat = 1
    if args.repeat < 1 or any(n < 1 for n in args.examples):
        parser.error("--repeat and --examples must be at least 1")
    args.setups = list(SETUPS) if args.setups == "all" else args.setups.split(",")
    orders = args.orders or ("limiter-first" if args.limiter_first else "rocket-chat")
    args.orders = orders.split(",")
    unknown = [s for s in args.setups if s not in SETUPS] + [o for o in args.orders if o not in ORDERS]
    if unknown:
        parser.error(f"unknown set-up or order: {', '.join(unknown)}")
    return args


def limited_figures(tools: Tools, args: argparse.Namespace) -> dict[str, Any]:
    runs = []
    for setup in args.setups:
        for order in args.orders:
            for budget in args.budgets:
                runs.append(limited_run(tools, budget, args.version, args.window_ms, ORDERS[order],
                                        setup, args.path_prefix))
                sys.stderr.write(f"bench: limited server, {setup}, {order}, {budget} s budget: "
                                 f"{runs[-1]['wall_s']:.1f} s, exit {runs[-1]['exit_code']}\n")
    return {"calls": DEFAULT_CALLS, "window_ms": args.window_ms, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from rc_contract.configuration.settings import DEFAULT_FUZZ_EXAMPLES

    server = Server(args.version)
    if args.limited_only:
        try:
            with tempfile.TemporaryDirectory(prefix="rc-bench-") as work:
                figures = {"limited": limited_figures(Tools(server, Path(work)), args)}
        finally:
            server.stop()
        print_limited(figures["limited"])
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(figures, indent=2) + "\n", "utf-8")
        return 1 if any(r["exit_code"] != 0 for r in figures["limited"]["runs"]) else 0
    failed = False
    try:
        with tempfile.TemporaryDirectory(prefix="rc-bench-") as work:
            tools = Tools(server, Path(work))
            if not args.quick:
                # Untimed: first runs pay for cold disk caches, for either tool alike.
                tools.run_suite(min(args.examples))
                tools.run_st(min(args.examples))
            examples: dict[str, Any] = {}
            for n in args.examples:
                suite, plain = [], []
                for i in range(args.repeat):
                    # Alternate which tool goes first, so drift of the machine hits both.
                    order = [("suite", n), ("st", n)] if i % 2 == 0 else [("st", n), ("suite", n)]
                    for tool, count in order:
                        if tool == "suite":
                            suite.append(tools.run_suite(count))
                        else:
                            plain.append(tools.run_st(count))
                    sys.stderr.write(f"bench: {n} examples, round {i + 1}/{args.repeat}: "
                                     f"suite {suite[-1].wall_s:.2f} s, st run {plain[-1].wall_s:.2f} s\n")
                block = {"suite": tool_figures(suite), "schemathesis": tool_figures(plain)}
                block["ratio_wall"] = round(block["suite"]["wall_s"]["median"]
                                            / block["schemathesis"]["wall_s"]["median"], 3)
                block["ratio_requests"] = round(block["suite"]["requests"]["median"]
                                                / max(block["schemathesis"]["requests"]["median"], 1), 3)
                examples[str(n)] = block
                failed |= any(s.exit_code != 0 for s in suite + plain)
            hand = [tools.run_suite(None, "--ignore", str(ROOT / "tests" / "contract" / "test_fuzz.py"))
                    for _ in range(args.repeat)]
            default = [tools.run_suite(None, own_server=True, sample_tree=True) for _ in range(args.repeat)]
            failed |= any(s.exit_code != 0 for s in hand + default)
            count = QUICK_THROUGHPUT_REQUESTS if args.quick else THROUGHPUT_REQUESTS
            raw = [throughput_http_client(server, count) for _ in range(args.repeat)]
            lib = [throughput_requests(server, count) for _ in range(args.repeat)]
            limited = limited_figures(tools, args)
            failed |= any(r["exit_code"] != 0 for r in limited["runs"])
        figures: dict[str, Any] = {
            "bench": {
                "repeat": args.repeat,
                "quick": args.quick,
                "examples": list(args.examples),
                "default_examples": DEFAULT_FUZZ_EXAMPLES,
                "server_version": args.version,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                            "platform": platform.platform()},
                "timing": "wall time of the whole process (interpreter start to exit), one at a time",
                "st_run": {"command": ST_COMMAND,
                           "config": tools.st_config},
            },
            "examples": examples,
            "hand_written": tool_figures(hand),
            "default_run": tool_figures(default),
            "reference_throughput": {
                "requests_per_round": count,
                "http_client_rps": spread(raw),
                "requests_session_rps": spread(lib),
            },
            "limited": limited,
        }
        figures["targets"] = evaluate(figures)
    finally:
        server.stop()
    print_figures(figures)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2) + "\n", "utf-8")
    sys.stdout.write(f"\nfigures written to {args.output}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
