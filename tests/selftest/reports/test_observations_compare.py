"""Observations and ``rc-contract compare``: the suite reports what changes between versions.

The suite runs once per emulated version of the reference server; the runs,
compared pairwise in version order, must show exactly the documented changes
(and every change must name the catalogue line that documents it). Unit tests
of the classifier use small hand-made observation files.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from rc_contract.commands.compare import main as compare_main
from rc_contract.configuration.paths import project_root
from rc_contract.live.redact import MASK, Redactor
from rc_contract.reports import compare as cmp
from rc_contract.reports.observations import OBSERVATIONS_JSON, SCHEMA_VERSION, field_types

from ..runner import SuiteResult, run_suite

# The historical lines, the first and last 8.x line in support, 9.0's release
# candidate and 9.0.0: each pair in version order is an upgrade people make.
VERSIONS = ("8.3.3", "8.4.1", "8.5.5", "8.9.0", "9.0.0-rc.3", "9.0.0")
ARRAY_CASE = "HTTP 400 answer"
EXTIDS = "visitor.externalIds"
AUTH_401 = "VI-AUTH-401"

# (kind, subject, before, after, breaking) of every change, per upgrade.
EXPECTED: dict[tuple[str, str], set[tuple[str, str, str | None, str | None, bool]]] = {
    ("8.3.3", "8.4.1"): {
        ("field-added", EXTIDS, None, "array", False),
        ("clause", "VI-EXTIDS-SHAPE", "notice", "passed", False),
        # visitorId[]=<id>: refused on this 8.3 (unknown there), coerced from 8.4.0.
        ("status", ARRAY_CASE, "400", "200", True),
    },
    ("8.4.1", "8.5.5"): {
        ("field-removed", "visitor.token", "string", None, True),
        ("clause", "VI-TOKEN-ABSENT", "notice", "passed", False),
    },
    # Nothing in docs/rocketchat-behaviour.md (but #releases) changed between 8.5 and 8.9.
    ("8.5.5", "8.9.0"): set(),
    # The upgrade users face now (docs/rocketchat-behaviour.md#body-401): the 401 loses `status` and
    # `message`, the 403 gains `errorType`, which the contract declares optional from 9.0.0-rc.3.
    ("8.9.0", "9.0.0"): {
        ("body-key-removed", "HTTP 401 body `status`", "string", None, True),
        ("body-key-removed", "HTTP 401 body `message`", "string", None, True),
        ("body-key-added", "HTTP 403 body `errorType`", None, "string", False),
    },
    # A release candidate on staging: the 403 already changed, the 401 not yet.
    ("8.9.0", "9.0.0-rc.3"): {
        ("body-key-added", "HTTP 403 body `errorType`", None, "string", False),
    },
    ("9.0.0-rc.3", "9.0.0"): {
        ("body-key-removed", "HTTP 401 body `status`", "string", None, True),
        ("body-key-removed", "HTTP 401 body `message`", "string", None, True),
    },
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteResult]:
    # Directories first: the factory is not safe to use from several threads.
    directories = {v: tmp_path_factory.mktemp("run-" + v.replace(".", "_")) for v in VERSIONS}

    def one(version: str) -> SuiteResult:
        return run_suite(directories[version],
                         {"RC_REFERENCE_VERSION": version, "RC_FUZZ_EXAMPLES": "10"})

    with ThreadPoolExecutor(max_workers=len(VERSIONS)) as pool:
        results = dict(zip(VERSIONS, pool.map(one, VERSIONS), strict=True))
    for version, result in results.items():
        assert result.exit_code == 0, f"{version}: {result.stdout[-2000:]}{result.stderr[-1000:]}"
    return results


def _observations(result: SuiteResult) -> dict[str, Any]:
    return json.loads((result.report_dir / OBSERVATIONS_JSON).read_text())


def _changes(result: dict[str, Any]) -> set[tuple[str, str, str | None, str | None, bool]]:
    return {(c["kind"], c["subject"], c["before"], c["after"], c["breaking"])
            for c in result["changes"]}


# -- what a run writes ----------------------------------------------------------

def test_each_run_writes_observations_and_evidence(runs: dict[str, SuiteResult]) -> None:
    for version, result in runs.items():
        data = _observations(result)
        assert data["server_version"] == version
        assert data["clauses"] == result.outcomes
        fields = data["visitor_fields"]
        assert fields["visitor._id"] == "string"
        assert fields["visitor.phone[].phoneNumber"] == "string"
        assert fields["visitor.visitorEmails[].address"] == "string"
        assert ("visitor.token" in fields) == (version in ("8.3.3", "8.4.1"))
        assert (EXTIDS in fields) == (version != "8.3.3")
        if EXTIDS in fields:
            assert fields["visitor.externalIds[].metadata"] == "object"
            # Free-form app data: typed, never descended into.
            assert not any(p.startswith("visitor.externalIds[].metadata.") for p in fields)
        # Every hand-written error case is there, none of the fuzzing.
        cases = data["cases"]
        assert not any("test_fuzz" in nodeid for nodeid in cases)
        statuses = {a["status"] for case in cases.values() for a in case["answers"]}
        assert {400, 401, 403} <= statuses
        assert data["fuzz"]["answers"] > 0

        evidence = json.loads((result.report_dir / "evidence.json").read_text())
        assert evidence["server_version"] == version
        assert evidence["suite_version"] and evidence["spec"]["sha256"]
        assert evidence["spec"]["patches"], "the patches applied to the spec"
        for name in ("summary.json", "observations.json", "traffic.har", "junit.xml", "report.html"):
            assert name in evidence["files"], name


def test_observations_hold_no_values(runs: dict[str, SuiteResult]) -> None:
    for result in runs.values():
        text = (result.report_dir / OBSERVATIONS_JSON).read_text()
        assert "RC Contract" not in text and "example.com" not in text.lower()
        assert "+1555" not in text and "127.0.0.1" not in text
        assert not re.search(r"\b[0-9a-f]{24}\b", text), "an object id"
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", text), "a timestamp"


def test_har_masks_personal_data(runs: dict[str, SuiteResult]) -> None:
    har = (runs["8.4.1"].report_dir / "traffic.har").read_text()
    assert "RC Contract" not in har and "@example.com" not in har.lower()
    visitors = [json.loads(e["response"]["content"]["text"])["visitor"]
                for e in json.loads(har)["log"]["entries"]
                if "visitors.info" in e["request"]["url"] and e["response"]["status"] == 200]
    assert visitors
    for visitor in visitors:
        assert visitor["token"] == MASK and visitor["name"] == MASK
        assert all(p["phoneNumber"] == MASK for p in visitor.get("phone", []))


def test_redactor_masks_client_ip_headers() -> None:
    headers = Redactor().headers({"X-Forwarded-For": "203.0.113.7", "X-Real-IP": "203.0.113.7",
                                  "Content-Type": "application/json"})
    assert headers["X-Forwarded-For"] == MASK and headers["X-Real-IP"] == MASK
    assert headers["Content-Type"] == "application/json"


# -- the versions compared ---------------------------------------------------------

@pytest.mark.parametrize("pair", list(EXPECTED), ids=lambda p: f"{p[0]}->{p[1]}")
def test_upgrade_reports_exactly_the_documented_changes(
        runs: dict[str, SuiteResult], pair: tuple[str, str]) -> None:
    before, after = (_observations(runs[v]) for v in pair)
    result = cmp.compare(before, after)
    assert _changes(result) == EXPECTED[pair]
    for change in result["changes"]:
        assert change["documented"], f"undocumented change: {change}"
    assert result["breaking"] == any(c[4] for c in EXPECTED[pair])


def test_token_removal_carries_the_changelog_line(runs: dict[str, SuiteResult]) -> None:
    result = cmp.compare(_observations(runs["8.4.1"]), _observations(runs["8.5.5"]))
    token = next(c for c in result["changes"] if c["subject"] == "visitor.token")
    assert any("VI-TOKEN-ABSENT changelog: 8.5.0: The `token` field is no longer returned" in line
               for line in token["documented"])
    clause = next(c for c in result["changes"] if c["kind"] == "clause")
    assert any("the suite's notice on 8.4.1" in line for line in clause["documented"])


def test_401_change_names_every_case(runs: dict[str, SuiteResult]) -> None:
    result = cmp.compare(_observations(runs["8.9.0"]), _observations(runs["9.0.0"]))
    for change in result["changes"]:
        if change["subject"].startswith("HTTP 401"):
            assert change["clauses"] == [AUTH_401] and len(change["cases"]) == 5


@pytest.mark.parametrize("version", VERSIONS)
def test_a_run_compared_with_itself_shows_no_change(
        runs: dict[str, SuiteResult], version: str) -> None:
    data = _observations(runs[version])
    result = cmp.compare(data, data)
    assert result["changes"] == [] and not result["breaking"]


def test_two_runs_of_one_version_show_no_change(
        runs: dict[str, SuiteResult], tmp_path: Path) -> None:
    """Ids, timestamps, ports, counts and fuzzing differ between runs: none of it shows."""
    again = run_suite(tmp_path, {"RC_REFERENCE_VERSION": "9.0.0", "RC_FUZZ_EXAMPLES": "15"})
    assert again.exit_code == 0
    result = cmp.compare(_observations(runs["9.0.0"]), _observations(again))
    assert result["changes"] == [] and result["not_compared"] == []


def test_compare_command(runs: dict[str, SuiteResult], tmp_path: Path) -> None:
    before, after = runs["8.4.1"].report_dir, runs["8.5.5"].report_dir
    command = [sys.executable, "-m", "rc_contract", "compare"]
    markdown = subprocess.run([*command, str(before), str(after / "summary.json"),
                               "--output", str(tmp_path)],
                              cwd=project_root(), capture_output=True, text=True, timeout=60)
    assert markdown.returncode == 1, markdown.stderr
    assert markdown.stdout.startswith("# visitors.info: what changed from 8.4.1 to 8.5.5")
    assert "| **breaking** | visitor field removed | `visitor.token`" in markdown.stdout
    assert "The `token` field is no longer returned" in markdown.stdout
    assert (tmp_path / cmp.COMPARE_MD).read_text() == markdown.stdout
    as_json = subprocess.run([*command, str(before), str(after), "--json"],
                             cwd=project_root(), capture_output=True, text=True, timeout=60)
    assert as_json.returncode == 1
    written = json.loads((tmp_path / cmp.COMPARE_JSON).read_text())
    assert json.loads(as_json.stdout)["changes"] == written["changes"] and written["breaking"]
    same = subprocess.run([*command, str(after), str(after)],
                          cwd=project_root(), capture_output=True, text=True, timeout=60)
    assert same.returncode == 0 and "No change." in same.stdout


# -- the classifier on hand-made observations ------------------------------------------

def _base() -> dict[str, Any]:
    answer_401 = {"status": 401, "body": {"error": "string", "success": "boolean"},
                  "error": "You must be logged in to do this."}
    return {
        "schema_version": SCHEMA_VERSION,
        "server_version": "8.5.0", "contract_version": "8.5.0", "version_source": "GET /api/info",
        "suite_version": "0.1.0", "spec_sha256": "abc", "reference": False, "reference_faults": [],
        "visitor_fields": {"success": "boolean", "visitor": "object", "visitor._id": "string",
                           "visitor.name": "string"},
        "cases": {"t.py::test_401": {"clauses": [AUTH_401], "answers": [answer_401]}},
        "fuzz": {"answers": 10, "statuses": {"400": 10}},
        "clauses": {AUTH_401: "passed", "VI-OK-SHAPE": "passed"},
        "notices": {},
    }


def _compare(change: Any) -> dict[str, Any]:
    before = _base()
    after = copy.deepcopy(before)
    change(after)
    return cmp.compare(before, after)


def _set(path: str, value: Any) -> Any:
    def apply(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[last] = value
    return apply


def test_classifier_added_field_is_not_breaking() -> None:
    def add(data: dict[str, Any]) -> None:
        data["visitor_fields"].update({"visitor.tags": "array", "visitor.tags[]": "string"})
    result = _compare(add)
    assert _changes(result) == {("field-added", "visitor.tags", None, "array", False)}
    assert result["changes"][0]["details"] == ["visitor.tags[]: string"]
    assert result["changes"][0]["documented"] == []  # same version: no changelog applies
    assert not result["breaking"]


def test_classifier_removed_and_retyped_fields_are_breaking() -> None:
    def change(data: dict[str, Any]) -> None:
        del data["visitor_fields"]["visitor.name"]
        data["visitor_fields"]["visitor._id"] = "number"
    result = _compare(change)
    assert _changes(result) == {("field-removed", "visitor.name", "string", None, True),
                                ("field-retyped", "visitor._id", "string", "number", True)}
    assert result["breaking"]


def test_classifier_status_and_error_text_changes_are_breaking() -> None:
    status = _compare(_set("cases/t.py::test_401/answers/0/status", 403))
    assert _changes(status) == {("status", "HTTP 401 answer", "401", "403", True)}
    text = _compare(_set("cases/t.py::test_401/answers/0/error", "Not logged in"))
    assert _changes(text) == {("error-text", "HTTP 401 `error`",
                               "You must be logged in to do this.", "Not logged in", True)}


def test_classifier_added_error_key_is_not_breaking() -> None:
    def add(data: dict[str, Any]) -> None:
        answer = data["cases"]["t.py::test_401"]["answers"][0]
        answer["body"]["errorType"] = "string"
        answer["errorType"] = "error-unauthorized"
    result = _compare(add)
    assert _changes(result) == {("body-key-added", "HTTP 401 body `errorType`", None, "string", False)}


def test_classifier_clause_outcomes() -> None:
    failed = _compare(_set(f"clauses/{AUTH_401}", "failed"))
    assert _changes(failed) == {("clause", AUTH_401, "passed", "failed", True)}
    skipped = _compare(_set(f"clauses/{AUTH_401}", "skipped"))
    assert _changes(skipped) == {("clause", AUTH_401, "passed", "skipped", False)}


def test_classifier_ignores_what_is_volatile_or_not_comparable() -> None:
    def volatile(data: dict[str, Any]) -> None:
        data["fuzz"] = {"answers": 99, "statuses": {"200": 40, "400": 59}}
        data["spec_sha256"] = "def"
        data["cases"]["t.py::test_only_here"] = {"clauses": ["VI-OK-SHAPE"], "answers": [
            {"status": 200, "body": {"success": "boolean", "visitor": "object"}}]}
    result = _compare(volatile)
    assert result["changes"] == []
    assert result["not_compared"] == [{"case": "t.py::test_only_here", "observed_only_in": "after"}]
    assert any("different suite versions or spec files" in note for note in result["caveats"])


def test_classifier_matches_changelogs_of_crossed_releases_only() -> None:
    before, after = _base(), _base()
    before["server_version"] = before["contract_version"] = "8.4.1"
    before["visitor_fields"]["visitor.token"] = "string"
    crossing = cmp.compare(before, after)
    assert crossing["changes"][0]["documented"][0].startswith("VI-TOKEN-ABSENT changelog: 8.5.0")
    after["server_version"] = after["contract_version"] = "8.4.1"
    same_release = cmp.compare(before, after)
    assert same_release["changes"][0]["documented"] == []


def test_compare_accepts_directory_or_summary_and_refuses_other_input(tmp_path: Path) -> None:
    (tmp_path / OBSERVATIONS_JSON).write_text(json.dumps(_base()))
    (tmp_path / "summary.json").write_text(json.dumps({"exit_code": 0}))  # a finished run
    assert compare_main([str(tmp_path), str(tmp_path / "summary.json")]) == 0
    empty = tmp_path / "empty"
    empty.mkdir()


def test_field_types_walks_arrays_and_stops_at_free_form_objects() -> None:
    body = {"visitor": {"phone": [{"phoneNumber": "x"}], "livechatData": {"anything": 1},
                        "externalIds": [{"appId": "a", "metadata": {"user": "x"}}]}}
    paths = {path: "|".join(sorted(kinds)) for path, kinds in field_types(body).items()}
    assert paths == {
        "visitor": "object", "visitor.phone": "array", "visitor.phone[]": "object",
        "visitor.phone[].phoneNumber": "string", "visitor.livechatData": "object",
        "visitor.externalIds": "array", "visitor.externalIds[]": "object",
        "visitor.externalIds[].appId": "string", "visitor.externalIds[].metadata": "object",
    }
