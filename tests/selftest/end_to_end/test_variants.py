"""Legitimate variants, proven to pass: the mirror image of the fault proof.

Each variant of reference/variant_behaviours.py is a difference a real deployment shows while
keeping the contract. The suite runs against each (the server in this process, the
suite pointed at it by RC_URL) and must exit 0 with no failed or unjudged clause and
nothing left behind. The notices each raised go to reports/variants.{json,md}.
"""

from __future__ import annotations

import json
import time

import pytest

from rc_contract.configuration.paths import project_root
from rc_contract.reference import ReferenceServer
from rc_contract.reference.variants import catalogue

from ..helpers import assert_nothing_left
from ..servers import ADMIN_PASSWORD, left_behind, run_to_end, suite_env

VARIANTS = list(catalogue())
RESULTS: dict[str, dict] = {}


def test_catalogue_is_big_enough():
    assert len(VARIANTS) >= 15
    for variant in catalogue().values():
        assert variant.promise, f"{variant.name} names no promise"


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_passes(tmp_path, name):
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD,
                         variants=[name]) as server:
        started = time.monotonic()
        result = run_to_end(suite_env(tmp_path, server.url, RC_FUZZ_EXAMPLES="20"))
        duration = round(time.monotonic() - started, 2)
        left = left_behind(server)
    output = result.stdout[-3000:] + result.stderr[-2000:]
    assert result.returncode == 0, output
    summary = json.loads((tmp_path / "summary.json").read_text())
    outcomes = {c["id"]: c["outcome"] for c in summary["clauses"]}
    assert "failed" not in outcomes.values(), outcomes
    assert not summary["errors"], summary["errors"]
    assert_nothing_left(left)
    # Every sweep examined answers, whatever the base URL.
    assert summary["sweeps"] and all(s["examined"] > 0 for s in summary["sweeps"])
    notices = [n for n in summary["notices"] if n["kind"] == "unnamed-key"]
    # A notice never carries the value it saw.
    assert all(n["value"] == "[REDACTED]" for n in notices)
    RESULTS[name] = {"duration_s": duration, "requests": summary["requests"],
                     "notices": sorted({f"{n['where']} `{n['key']}`" for n in notices})}
    _write_table()


def _write_table() -> None:
    directory = project_root() / "reports"
    directory.mkdir(exist_ok=True)
    (directory / "variants.json").write_text(json.dumps(RESULTS, indent=2) + "\n")
    lines = ["# Legitimate variants: the suite passes against each", "",
             "| variant | what it does | run time (s) | notices raised |", "|---|---|---|---|"]
    for name, result in RESULTS.items():
        lines.append(f"| {name} | {catalogue()[name].description} | {result['duration_s']} | "
                     f"{', '.join(result['notices']) or '-'} |")
    (directory / "variants.md").write_text("\n".join(lines) + "\n")


def test_bundled_server_takes_variants_from_the_environment(tmp_path):
    """RC_REFERENCE_VARIANTS switches variants on in the bundled reference server."""
    from ..runner import run_suite

    result = run_suite(tmp_path, {"RC_REFERENCE_VARIANTS": "path-prefix,gzip,test-mode-stack"})
    assert result.exit_code == 0, result.stdout[-3000:]
    summary = result.summary
    assert summary["target"]["url"].endswith("/chat")
    assert summary["target"]["reference_variants"] == ["path-prefix", "gzip", "test-mode-stack"]
    assert any(n.get("key") == "stack" for n in summary["notices"])
    assert "Keys the contract does not name" in (tmp_path / "summary.md").read_text()


def test_serve_lists_and_checks_variants():
    import subprocess
    import sys

    listed = subprocess.run([sys.executable, "-m", "rc_contract", "serve", "--list-variants"],
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == VARIANTS
    bad = subprocess.run([sys.executable, "-m", "rc_contract", "serve", "--port", "0",
                          "--variant", "no-such-variant"], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 4 and "unknown variant(s): no-such-variant" in bad.stderr
