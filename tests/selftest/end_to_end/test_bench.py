"""bench/run.py in its quickest mode writes every figure the issue asks for.

Figures only: nothing here judges a timing, so the test holds on any machine.
"""

import json
import os
import subprocess
import sys

from rc_contract.configuration.paths import project_root


def test_quick_bench_writes_every_figure(tmp_path):
    output = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RC_")}
    process = subprocess.run(
        [sys.executable, str(project_root() / "bench" / "run.py"), "--quick", "--output", str(output)],
        cwd=project_root(), env=env, capture_output=True, text=True, timeout=300,
    )
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    figures = json.loads(output.read_text())

    timing = {"runs", "median", "min", "max", "stdev", "spread_pct"}
    block = figures["examples"]["10"]
    for tool in ("suite", "schemathesis"):
        assert timing <= set(block[tool]["wall_s"])
        assert block[tool]["requests"]["median"] > 0
        assert block[tool]["exit_codes"] == [0]
    assert block["ratio_wall"] > 0 and block["ratio_requests"] > 0
    # The suite's fuzzing and st run's are the same generator: st sends no more than the suite.
    assert block["suite"]["requests"]["median"] >= block["schemathesis"]["requests"]["median"]

    hand = figures["hand_written"]
    assert hand["requests"]["max"] > 0 and "GET /api/v1/livechat/visitors.info" in hand["by_route"]
    default = figures["default_run"]
    assert default["exit_codes"] == [0] and default["peak_rss_mb"]["max"] > 0
    throughput = figures["reference_throughput"]
    assert throughput["http_client_rps"]["median"] > 0
    assert throughput["requests_session_rps"]["median"] > 0

    assert hand["counted_info_requests"]["max"] > 0
    # The limited-server scenario (a short window in quick mode): two budgets, every
    # clause judged, the fuzzing sized to each.
    limited = figures["limited"]
    assert [run["budget_s"] for run in limited["runs"]] == [18, 30]
    for run in limited["runs"]:
        assert run["exit_code"] == 0 and run["clauses_judged"] == run["clauses"] > 0
        assert run["counted_info_requests"] > 0 and run["fuzz_cases_run"] > 0
    assert "-- limited server" in process.stdout

    targets = {t["target"]: t for t in figures["targets"]}
    assert set(targets) == {"ratio_100", "ratio_1000", "hand_written_requests", "reference_rps",
                            "default_run_peak_mb"}
    # Not measured in quick mode (10 examples), said so rather than guessed.
    assert targets["ratio_100"]["met"] is None and targets["ratio_1000"]["met"] is None
    for name in ("hand_written_requests", "reference_rps", "default_run_peak_mb"):
        assert targets[name]["value"] is not None
    assert figures["bench"]["st_run"]["config"]["generation"]["deterministic"] is True
    assert "ratio suite / st run" in process.stdout
