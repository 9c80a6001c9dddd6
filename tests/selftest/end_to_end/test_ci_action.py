"""The CI entry points: action.yml, the GitLab CI template and the script both run.

The script runs as a CI job would, from the job's own directory, against a
reference server, with fake ``$GITHUB_STEP_SUMMARY`` and ``$GITHUB_OUTPUT``
files; the suite already installed here stands in for its install step.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from rc_contract.configuration.paths import project_root
from rc_contract.configuration.settings import SETTINGS
from rc_contract.contract.catalogue import load_catalogue
from rc_contract.reference import ReferenceServer

from ..servers import ADMIN_PASSWORD, suite_env

ROOT = project_root()
SCRIPT = "ci/run-contract.sh"
EARLIER_STEP = "## an earlier step of the job\n\n"


def _run_script(tmp_path: Path, url: str, **extra: str) -> tuple[subprocess.CompletedProcess[str], str, str]:
    """The script in a job directory; returns the process, the step summary and the step outputs."""
    job = tmp_path / "job"
    job.mkdir()
    step_summary, step_output = tmp_path / "step-summary.md", tmp_path / "step-output"
    step_summary.write_text(EARLIER_STEP)
    step_output.write_text("")
    env = suite_env(Path("rc-contract-reports"), url, **extra)
    env.update({
        "RC_CONTRACT_INSTALL": "none",
        "RC_CONTRACT_PYTHON": sys.executable,
        "GITHUB_STEP_SUMMARY": str(step_summary),
        "GITHUB_OUTPUT": str(step_output),
    })
    process = subprocess.run(["sh", str(ROOT / SCRIPT)], cwd=job, env=env, capture_output=True,
                             text=True, timeout=180)
    return process, step_summary.read_text(), step_output.read_text()


def _clause_rows(summary: str) -> dict[str, str]:
    """clause id -> outcome, from the summary table."""
    return dict(re.findall(r"^\| (VI-[A-Z0-9-]+) \| (\w+) \|", summary, re.MULTILINE))


def test_a_clean_server_passes_and_the_summary_reaches_the_job(tmp_path: Path) -> None:
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        process, step_summary, step_output = _run_script(tmp_path, server.url)
    assert process.returncode == 0, process.stderr[-2000:]
    report_dir = tmp_path / "job" / "rc-contract-reports"
    assert (report_dir / "junit.xml").is_file()
    # Appended after what earlier steps wrote, exactly the run's summary.md.
    assert step_summary == EARLIER_STEP + (report_dir / "summary.md").read_text()
    rows = _clause_rows(step_summary)
    assert set(rows) == set(load_catalogue().ids)
    # Through RC_URL alone no answer carries externalIds: that clause is not judged (skipped).
    assert rows.pop("VI-EXTIDS-SHAPE") == "skipped"
    assert set(rows.values()) == {"passed"}
    assert step_output == "exit-code=0\n"
    assert ADMIN_PASSWORD not in process.stdout + process.stderr + step_summary


def test_a_failing_clause_fails_the_step_with_the_suite_exit_code(tmp_path: Path) -> None:
    fault = "auth-one-header-accepted"
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD, faults=[fault]) as server:
        process, step_summary, step_output = _run_script(tmp_path, server.url)
    assert process.returncode == 1, process.stderr[-2000:]
    assert _clause_rows(step_summary)["VI-AUTH-401"] == "failed"
    assert step_output == "exit-code=1\n"


def test_an_empty_url_stops_before_installing_anything(tmp_path: Path) -> None:
    """An unreadable secret must not turn into a green run against the bundled server."""
    venv = tmp_path / "venv"
    process, step_summary, step_output = _run_script(
        tmp_path, "", RC_CONTRACT_INSTALL="should-not-be-installed", RC_CONTRACT_VENV=str(venv))
    assert process.returncode == 4
    assert process.stderr.count("\n") == 1 and "RC_URL is empty" in process.stderr
    assert step_summary.startswith(EARLIER_STEP) and "exit code 4" in step_summary
    assert step_output == "exit-code=4\n"
    assert not venv.exists()


def test_the_script_is_posix_sh() -> None:
    assert (ROOT / SCRIPT).read_text().startswith("#!/bin/sh\n")
    subprocess.run(["sh", "-n", str(ROOT / SCRIPT)], check=True)


def _action() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def test_action_is_a_composite_action_around_the_script() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    runs = [s for s in steps if "run" in s]
    assert len(runs) == 1, "the action's shell steps live in the script"
    assert runs[0]["run"] == 'sh "${{ github.action_path }}/' + SCRIPT + '"'
    assert runs[0]["shell"] == "sh"
    # It installs its own copy unless the user names another.
    assert runs[0]["env"]["RC_CONTRACT_INSTALL"] == "${{ inputs.suite || github.action_path }}"
    setup = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()", "the reports of a failed run are the ones that matter"
    assert upload["with"]["path"] == "${{ inputs.report-dir }}"
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.run.outputs.exit-code }}"


def test_action_inputs_are_the_suite_settings() -> None:
    action = _action()
    env = next(s for s in action["runs"]["steps"] if "run" in s)["env"]
    for name in env:
        assert name in SETTINGS or name.startswith("RC_CONTRACT_"), f"{name} is no setting of the suite"
    text = (ROOT / "action.yml").read_text()
    for name in action["inputs"]:
        assert f"inputs.{name} " in text or f"inputs.{name}}}" in text or f"inputs.{name} ||" in text, (
            f"input {name} is used by no step")
    assert action["inputs"]["rc-url"]["required"] is True
    secrets = ("rc-password", "rc-auth-token", "rc-unprivileged-password")
    for name in secrets:
        assert "default" not in action["inputs"][name] or action["inputs"][name]["default"] == ""


def test_gitlab_template_runs_the_script_and_publishes_junit() -> None:
    template = yaml.safe_load((ROOT / "ci" / "rc-contract.gitlab-ci.yml").read_text())
    job = template[".rc-contract"]
    assert any(SCRIPT in line for line in job["script"])
    report_dir = job["variables"]["RC_REPORT_DIR"]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["paths"] == [f"{report_dir}/"]
    assert job["artifacts"]["reports"]["junit"] == f"{report_dir}/junit.xml"
    assert job["variables"]["RC_CONTRACT_REF"].startswith("v")


@pytest.mark.parametrize("name", ["action.yml", "ci/rc-contract.gitlab-ci.yml", SCRIPT])
def test_ci_files_travel_in_the_sdist(name: str) -> None:
    """pip install git+URL and the action's own path build from these files."""
    manifest = (ROOT / "MANIFEST.in").read_text()
    assert name in manifest
