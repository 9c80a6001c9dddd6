"""Trustworthy judgement (issue 12): no false alarm on a server's legitimate differences,
no green that checked nothing, any base URL, misconfiguration named as such.

The three problems the issue found, each shown fixed end to end: an extra `errorType`
beside visitor-not-found, a visitor touched after registration, and a prefixed RC_URL
whose sweeps examine more than zero answers.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from rc_contract.configuration.paths import project_root
from rc_contract.configuration.settings import ConfigError, resolve
from rc_contract.contract import load_bundled, load_catalogue
from rc_contract.contract.checks import Answer, check_exact_body, swept
from rc_contract.contract.judge import Foreign, Notices, NotJudged
from rc_contract.live.session import Exchange, Recorder
from rc_contract.reference import SEEDED_EXTERNAL_IDS_VISITOR_ID, ReferenceServer
from rc_contract.versions import RCVersion

from ..helpers import assert_cannot_start, assert_nothing_left
from ..servers import (
    ADMIN_PASSWORD,
    AGENT,
    PLAIN,
    add_account,
    left_behind,
    run_to_end,
    self_signed_tls,
    suite_env,
)

NOT_FOUND = load_catalogue()["VI-NOT-FOUND"].expectation(RCVersion.parse("9.0.0"))


def _summary(report_dir: Path) -> dict:
    return json.loads((report_dir / "summary.json").read_text())


def _outcomes(report_dir: Path) -> dict[str, str]:
    return {c["id"]: c["outcome"] for c in _summary(report_dir)["clauses"]}


# -- one rule for judging a body --------------------------------------------------------

def test_a_key_the_contract_names_nowhere_is_a_notice_with_its_value_redacted():
    body = {"success": False, "error": "visitor-not-found", "errorType": "visitor-not-found",
            "traceId": "secret-looking-value-123"}
    answer = Answer(400, "application/json", json.dumps(body))
    notices = check_exact_body(answer, NOT_FOUND, "VI-NOT-FOUND", load_bundled())
    # errorType is named by the docs' 400 schema: judged by type, not reported.
    assert [(n.key, n.type) for n in notices] == [("traceId", "string")]
    collected = Notices()
    collected.add(notices)
    listed = collected.as_list()
    assert listed[0]["value"] == "[REDACTED]"
    assert "secret-looking-value-123" not in json.dumps(listed)


def test_promised_text_stays_exact():
    answer = Answer(400, "application/json",
                    json.dumps({"success": False, "error": "Visitor not found"}))
    with pytest.raises(AssertionError, match="error="):
        check_exact_body(answer, NOT_FOUND, "VI-NOT-FOUND", load_bundled())


def test_forbidden_data_fails_even_under_a_new_key():
    foreign = Foreign((("id-a", "token-a-123456", ("Ada Lovelace",)),
                       ("id-b", "token-b-123456", ("Bob Builder",))))
    # Visitor a's own 200 may carry a's data; never b's, and an error never a token.
    assert not foreign.problems(200, '{"visitor": {"_id": "id-a", "name": "Ada Lovelace"}}',
                                ["id-a"])
    assert foreign.problems(200, '{"visitor": {"_id": "id-a"}, "x": "Bob Builder"}', ["id-a"])
    assert foreign.problems(400, '{"error": "x", "details": "token-a-123456"}', ["id-a"])
    # An error may echo the id it was asked for.
    assert not foreign.problems(400, '{"error": "no visitor id-a"}', ["id-a"])


# -- no vacuous pass -------------------------------------------------------------------

class _Run:
    def __init__(self) -> None:
        self.sweeps: dict = {}
        self.recorder = Recorder()


def test_a_sweep_over_nothing_is_not_judged_and_counts_what_it_examined():
    run = _Run()
    with pytest.raises(NotJudged, match=r"no visitors\.info answer"):
        swept(run, "t::sweep", "VI-CONTENT-TYPE", [])
    assert run.sweeps["t::sweep"] == ("VI-CONTENT-TYPE", 0)
    swept(run, "t::sweep", "VI-CONTENT-TYPE", ["answer"])
    assert run.sweeps["t::sweep"] == ("VI-CONTENT-TYPE", 1)


def test_recorder_matches_paths_under_the_prefix():
    recorder = Recorder(base_path="/chat")
    for url in ("http://h/chat/api/v1/livechat/visitors.info?visitorId=x",
                "http://h/api/v1/livechat/visitors.info?visitorId=x"):
        recorder.add(Exchange(0.0, "GET", url, {}, None, 400, {}, "{}", 0.0))
    assert [e.url for e in recorder.for_path("/api/v1/livechat/visitors.info")] == [
        "http://h/chat/api/v1/livechat/visitors.info?visitorId=x"]


# -- the three problems of the issue, end to end -----------------------------------------

@pytest.mark.parametrize(("variant", "clause"), [("not-found-error-type", "VI-NOT-FOUND"),
                                                 ("touched-visitor", "VI-OK-SHAPE")])
def test_problem_fixed(tmp_path, variant, clause):
    with ReferenceServer(admin_password=ADMIN_PASSWORD, variants=[variant]) as server:
        result = run_to_end(suite_env(tmp_path, server.url))
    assert result.returncode == 0, result.stdout[-3000:]
    assert _outcomes(tmp_path)[clause] == "passed"


@pytest.mark.parametrize("trailing", ["", "/"])
def test_prefixed_rc_url_sweeps_examine_answers(tmp_path, trailing):
    with ReferenceServer(admin_password=ADMIN_PASSWORD, variants=["path-prefix"]) as server:
        assert server.url.endswith("/chat")
        result = run_to_end(suite_env(tmp_path, server.url + trailing))
        left = left_behind(server)
    assert result.returncode == 0, result.stdout[-3000:]
    summary = _summary(tmp_path)
    examined = {s["clause"]: s["examined"] for s in summary["sweeps"]}
    assert examined["VI-CONTENT-TYPE"] > 0 and examined["VI-TOKEN-ABSENT"] > 0
    assert _outcomes(tmp_path)["VI-CONTENT-TYPE"] == "passed"
    assert_nothing_left(left)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_with_port_and_prefix(tmp_path):
    context, cert = self_signed_tls(tmp_path)
    reports = tmp_path / "reports"
    with ReferenceServer(admin_password=ADMIN_PASSWORD, variants=["path-prefix"],
                         tls=context) as server:
        assert re.match(r"^https://127\.0\.0\.1:\d+/chat$", server.url)
        result = run_to_end(suite_env(reports, server.url + "/", REQUESTS_CA_BUNDLE=str(cert)))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert all(s["examined"] > 0 for s in _summary(reports)["sweeps"])


# -- misconfiguration: exit 4, one line ------------------------------------------------

def test_unprivileged_user_holding_view_l_room(tmp_path):
    with ReferenceServer(admin_password=ADMIN_PASSWORD) as server:
        add_account(server, *AGENT, ["livechat-agent"])
        result = run_to_end(suite_env(tmp_path, server.url, RC_UNPRIVILEGED_USER=AGENT[0],
                                      RC_UNPRIVILEGED_PASSWORD=AGENT[1]))
        left = left_behind(server)
    assert_cannot_start(result, "RC_UNPRIVILEGED_USER", "holds view-l-room")
    assert_nothing_left(left, [AGENT[0]])


def test_unprivileged_user_without_it_is_accepted(tmp_path):
    with ReferenceServer(admin_password=ADMIN_PASSWORD) as server:
        add_account(server, *PLAIN, ["user"])
        result = run_to_end(suite_env(tmp_path, server.url, RC_UNPRIVILEGED_USER=PLAIN[0],
                                      RC_UNPRIVILEGED_PASSWORD=PLAIN[1]))
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize(("visitor", "version", "words"), [
    ("no-such-visitor-id", "9.0.0", ("names no visitor",)),
    (SEEDED_EXTERNAL_IDS_VISITOR_ID, "8.3.3", ("without externalIds",)),
])
def test_external_ids_visitor_that_does_not_fit(tmp_path, visitor, version, words):
    with ReferenceServer(version=version, admin_password=ADMIN_PASSWORD) as server:
        result = run_to_end(suite_env(tmp_path, server.url, RC_EXTERNAL_IDS_VISITOR=visitor))
        left = left_behind(server)
    assert_cannot_start(result, "RC_EXTERNAL_IDS_VISITOR", *words)
    assert_nothing_left(left)


def test_external_ids_visitor_that_fits(tmp_path):
    with ReferenceServer(admin_password=ADMIN_PASSWORD) as server:
        result = run_to_end(suite_env(tmp_path, server.url,
                                      RC_EXTERNAL_IDS_VISITOR=SEEDED_EXTERNAL_IDS_VISITOR_ID))
    assert result.returncode == 0, result.stdout[-3000:]
    assert _outcomes(tmp_path)["VI-EXTIDS-SHAPE"] == "passed"


@pytest.mark.parametrize("url", [None, ""])
def test_credentials_without_rc_url(tmp_path, url):
    env = suite_env(tmp_path, "unused")
    env.pop("RC_URL")
    if url is not None:
        env["RC_URL"] = url
    result = run_to_end(env)
    assert_cannot_start(result, "RC_USER", "RC_URL is " + ("empty" if url == "" else "not set"))


def test_credentials_without_rc_url_in_config():
    with pytest.raises(ConfigError, match="RC_URL is empty"):
        resolve({}, {"RC_URL": "", "RC_USER": "ci", "RC_PASSWORD": "pw"})
    with pytest.raises(ConfigError, match="RC_AUTH_TOKEN"):
        resolve({}, {"RC_USER_ID": "u", "RC_AUTH_TOKEN": "t"})
    assert resolve({}, {}).uses_reference


def test_every_contract_check_names_its_promise():
    """Each test of tests/contract says which promise it enforces (issue 12, item 2)."""
    for path in sorted((project_root() / "tests" / "contract").glob("test_*.py")):
        text = path.read_text()
        for match in re.finditer(r"\ndef (test_\w+)\(.*?\):\n(.*?)(?=\n\S|\Z)", text, re.S):
            name, body = match.groups()
            assert "Promise:" in body, f"{path.name}::{name} names no promise"


# -- compare judges by the same rule ------------------------------------------------------

@pytest.mark.parametrize(("version", "breaking"), [("8.5.0", True), ("8.4.1", False)])
def test_compare_calls_an_added_token_breaking_where_the_contract_forbids_it(version, breaking):
    from rc_contract.reports import compare as cmp
    from rc_contract.reports.observations import SCHEMA_VERSION

    def observed(fields: dict[str, str]) -> dict:
        return {"schema_version": SCHEMA_VERSION, "server_version": version,
                "contract_version": version, "visitor_fields": fields, "cases": {},
                "clauses": {}, "notices": {}}

    base = {"visitor": "object", "visitor._id": "string"}
    result = cmp.compare(observed(base), observed({**base, "visitor.token": "string",
                                                   "visitor.lastChat": "object"}))
    kinds = {c["subject"]: c["breaking"] for c in result["changes"]}
    assert kinds == {"visitor.token": breaking, "visitor.lastChat": False}
