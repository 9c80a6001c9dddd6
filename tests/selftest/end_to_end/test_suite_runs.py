"""The suite end to end: every clean emulated version passes, nothing is left behind,
and a run that cannot start says why in one line with exit code 4."""

import dataclasses

import pytest

from rc_contract.reference import ReferenceServer
from rc_contract.reference.state import SEEDED_EXTERNAL_IDS_VISITOR_ID

from ..helpers import assert_cannot_start, assert_nothing_left
from ..runner import run_suite
from ..servers import AGENT, PLAIN, add_account, left_behind

PASSWORD = "selftest-admin-pw-31"

# Every emulated version: the newest patch of each line in support, the historical
# 8.3 and 8.4 lines (8.4.4: where the token is unknown), and 9.0's release candidate.
EXPECTED_NOTICES = {
    "8.3.3": {"VI-TOKEN-ABSENT", "VI-EXTIDS-SHAPE"},
    "8.4.1": {"VI-TOKEN-ABSENT"},
    "8.4.4": set(),
    "8.5.5": set(),
    "8.6.4": set(),
    "8.7.1": set(),
    "8.8.2": set(),
    "8.9.0": set(),
    "9.0.0-rc.3": set(),
    "9.0.0": set(),
}
# Where the catalogue's evidence is unknown the suite asserts nothing and says what it saw.
EXPECTED_OBSERVED = {
    "8.3.3": {("VI-PARAM-TYPE", "refused")},
    "8.4.4": {("VI-TOKEN-ABSENT", "did not return the token")},
}
# Not asserted there: the clause is skipped with what was seen.
EXPECTED_SKIPPED = {"8.4.4": {"VI-TOKEN-ABSENT"}}


@pytest.mark.parametrize("version", list(EXPECTED_NOTICES))
def test_clean_version_passes_via_rc_url_and_leaves_nothing(tmp_path, version):
    """Pointed at a server by RC_URL, RC_USER and RC_PASSWORD alone."""
    with ReferenceServer(version=version, admin_password=PASSWORD) as server:
        result = run_suite(tmp_path, {"RC_URL": server.url, "RC_USER": "admin",
                                      "RC_PASSWORD": PASSWORD})
        left = left_behind(server)
    assert result.exit_code == 0, result.stdout[-3000:] + result.stderr[-2000:]
    outcomes = result.outcomes
    notices = {cid for cid, outcome in outcomes.items() if outcome == "notice"}
    assert notices == EXPECTED_NOTICES[version]
    observed = {(o["clause"], o["saw"]) for o in result.summary["observed"]}
    assert observed == EXPECTED_OBSERVED.get(version, set())
    for clause, saw in observed:
        assert f"seen, not asserted: {clause}" in result.stdout and saw in result.stdout
    # Without RC_EXTERNAL_IDS_VISITOR no answer of the run carries externalIds (only the
    # seeded visitor does, which the run does not know): the clause examined no array,
    # so it is skipped as not judged with its reason, never passed.
    unjudged = set()
    if version != "8.3.3":
        assert "RC_EXTERNAL_IDS_VISITOR is not set" in (tmp_path / "junit.xml").read_text()
        extids = next(c for c in result.summary["clauses"] if c["id"] == "VI-EXTIDS-SHAPE")
        assert extids["outcome"] == "skipped"
        assert "not judged" in extids["message"] or "RC_EXTERNAL_IDS_VISITOR" in extids["message"]
        unjudged = {"VI-EXTIDS-SHAPE"}
    skipped = {cid for cid, outcome in outcomes.items() if outcome == "skipped"} - unjudged
    assert skipped == EXPECTED_SKIPPED.get(version, set())
    assert {o for cid, o in outcomes.items() if cid not in notices | skipped | unjudged} == {"passed"}
    assert_nothing_left(left)
    summary = result.summary
    assert summary["target"]["server_version"] == version
    assert summary["target"]["reference"] is False
    assert summary["exit_code"] == 0 and summary["requests"] > 30
    assert PASSWORD not in result.stdout + result.stderr


# -- every version string a server can give ------------------------------------------

@pytest.mark.parametrize(
    ("server", "given", "judged_by", "notice"),
    [
        ("9.0.0-rc.3", "9.0.0-rc.3", "9.0.0-rc.3", None),
        # /api/info without view-statistics says "9.0" on a release candidate too.
        ("9.0.0-rc.3", "9.0", "9.0", None),
        ("9.0.0", "9.0", "9.0", None),
        ("9.0.0", "9.1.0-rc.4", "9.0.0", "newer than the newest version the suite knows"),
        ("8.9.0", "8.10.0-develop", "8.10.0-develop", "not a release the suite knows"),
        ("8.3.3", "8.1.5", "8.3.0", "older than the oldest version the suite knows"),
        ("8.5.5", "8.5", "8.5", None),
    ],
)
def test_every_version_form_runs(tmp_path, server, given, judged_by, notice):
    with ReferenceServer(version=server, admin_password=PASSWORD) as reference:
        result = run_suite(tmp_path, {"RC_URL": reference.url, "RC_USER": "admin",
                                      "RC_PASSWORD": PASSWORD, "RC_SERVER_VERSION": given})
        left = left_behind(reference)
    assert result.exit_code == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert_nothing_left(left)
    summary = result.summary
    assert summary["target"]["server_version"] == given
    assert summary["contract_version"] == judged_by
    version_notices = [n["message"] for n in summary["notices"] if n["clause"] is None]
    if notice is None:
        assert version_notices == []
    else:
        assert len(version_notices) == 1 and notice in version_notices[0]
        assert f"rc-contract: notice: {version_notices[0]}" in result.stdout
        assert notice in (tmp_path / "summary.md").read_text()


def test_a_release_candidate_seen_as_its_line_by_a_ci_account(tmp_path):
    """The usual CI account lacks view-statistics: /api/info says only "9.0" on 9.0.0-rc.3,
    which still sends the 8.x 401 body. Both bodies are 9.0's; the run says which it saw."""
    with ReferenceServer(version="9.0.0-rc.3", admin_password=PASSWORD) as reference:
        add_account(reference, *AGENT, ["livechat-agent"])
        add_account(reference, *PLAIN, ["user"])
        result = run_suite(tmp_path, {
            "RC_URL": reference.url, "RC_USER": AGENT[0], "RC_PASSWORD": AGENT[1],
            "RC_UNPRIVILEGED_USER": PLAIN[0], "RC_UNPRIVILEGED_PASSWORD": PLAIN[1]})
    assert result.exit_code == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert result.summary["target"]["server_version"] == "9.0"
    assert "major.minor only" in result.summary["target"]["version_source"]
    seen = {(o["clause"], o["saw"]) for o in result.summary["observed"]}
    assert ("VI-AUTH-401", "the <9.0.0 answer") in seen
    assert ("VI-PERM-403", "the >=9.0.0-rc.3 answer") in seen


@pytest.mark.parametrize(
    ("given", "message"),
    [("7.0.0", "older than 8.0.0"), ("7.99.99-rc.1", "older than 8.0.0"),
     ("nope", "is not a version"), ("8.x", "is not a version")],
)
def test_a_version_the_suite_cannot_judge_is_exit_4(tmp_path, given, message):
    result = run_suite(tmp_path, {"RC_SERVER_VERSION": given})
    assert_cannot_start(result, message)


def test_a_server_reporting_an_old_version_is_exit_4(tmp_path):
    """The detected version (GET /api/info) is held to the same floor as a configured one."""
    from ..servers import ADMIN_PASSWORD

    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as reference:
        reference.profile = dataclasses.replace(reference.profile, version="7.10.2")
        reference.app.profile = reference.profile
        result = run_suite(tmp_path, {"RC_URL": reference.url, "RC_USER": "admin",
                                      "RC_PASSWORD": ADMIN_PASSWORD})
        left = left_behind(reference)
    assert_cannot_start(result, "Rocket.Chat 7.10.2 is older than 8.0.0")
    assert_nothing_left(left)


def test_bundled_reference_server_by_default(tmp_path):
    result = run_suite(tmp_path, {"RC_REFERENCE_VERSION": "8.4.1"})
    assert result.exit_code == 0, result.stdout[-3000:]
    assert result.summary["target"]["reference"] is True
    assert result.outcomes["VI-EXTIDS-SHAPE"] == "passed"
    for name in ("junit.xml", "report.html", "summary.json", "summary.md", "traffic.har"):
        assert (tmp_path / name).is_file(), name
    assert "VI-TOKEN-ABSENT" in result.stdout and "NOTICE" in result.stdout


def test_contract_version_judges_by_the_next_contract(tmp_path):
    """Would my 8.4.1 server pass the 8.5.0 contract? No: the token is still returned."""
    result = run_suite(tmp_path, {"RC_REFERENCE_VERSION": "8.4.1", "RC_CONTRACT_VERSION": "8.5.0"})
    assert result.exit_code == 1
    assert result.outcomes["VI-TOKEN-ABSENT"] == "failed"
    assert result.summary["contract_version"] == "8.5.0"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RC_FUZZ_EXAMPLES": "lots"}, "RC_FUZZ_EXAMPLES"),
        ({"RC_SERVER_VERSION": "v8"}, "RC_SERVER_VERSION"),
        ({"RC_URL": "http://127.0.0.1:9", "RC_USER": "a", "RC_PASSWORD": "b"},
         "connection refused"),
    ],
)
def test_cannot_start_is_one_line_and_exit_4(tmp_path, env, message):
    result = run_suite(tmp_path, env)
    assert_cannot_start(result, message)


def test_wrong_credentials_exit_4(tmp_path):
    with ReferenceServer(version="9.0.0", admin_password=PASSWORD) as server:
        result = run_suite(tmp_path, {"RC_URL": server.url, "RC_USER": "admin",
                                      "RC_PASSWORD": "not-the-password"})
    assert_cannot_start(result, "refused the credentials")
    assert "not-the-password" not in result.stdout + result.stderr


def test_a_later_release_candidate_served_on_its_own_passes_with_the_newer_line_notice(tmp_path):
    """`rc-contract serve --version 9.1.0-rc.5` (Dec 1 2026), then `rc-contract run` against
    it: judged by the 9.0.0 contract, with the notice for a newer line. 9.1.0-rc.N is past
    9.0's semver gate, so it sends the 9.0 401 body, which that contract expects."""
    import subprocess
    import sys

    serve = subprocess.Popen(
        [sys.executable, "-m", "rc_contract", "serve", "--version", "9.1.0-rc.5",
         "--port", "0", "--admin-password", PASSWORD],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = serve.stdout.readline() if serve.stdout else ""
        assert first.startswith("Reference Rocket.Chat 9.1.0-rc.5 listening on "), first
        url = first.rsplit(" ", 1)[1].strip()
        result = run_suite(tmp_path, {"RC_URL": url, "RC_USER": "admin", "RC_PASSWORD": PASSWORD,
                                      "RC_EXTERNAL_IDS_VISITOR": SEEDED_EXTERNAL_IDS_VISITOR_ID})
    finally:
        serve.terminate()
        serve.wait(timeout=10)
    assert result.exit_code == 0, result.stdout[-3000:] + result.stderr[-2000:]
    summary = result.summary
    assert summary["target"]["server_version"] == "9.1.0-rc.5"
    assert summary["contract_version"] == "9.0.0"
    notices = [n["message"] for n in summary["notices"] if n["clause"] is None]
    assert any("9.1.0-rc.5 is newer than the newest version the suite knows" in n for n in notices)
    assert "newer than the newest version the suite knows" in result.stdout
    assert {c["id"]: c["outcome"] for c in summary["clauses"]} == dict.fromkeys(
        (c["id"] for c in summary["clauses"]), "passed")


def test_rc_fuzz_examples_sizes_the_generated_cases(tmp_path):
    """RC_FUZZ_EXAMPLES reaches Hypothesis (through the profile the plugin loads)."""
    sent = {}
    for examples in (3, 30):
        result = run_suite(tmp_path / str(examples), {"RC_FUZZ_EXAMPLES": str(examples)},
                           "-k", "test_generated_requests")
        assert result.exit_code == 0, result.stdout[-2000:] + result.stderr[-2000:]
        sent[examples] = result.summary["fuzz_cases_run"]
    assert sent[3] < 3 + 10 and sent[30] >= 30, sent
