"""A failed generated case's detail names the request that case asked, read from the
Failure objects (contract/fuzz.py sets a FailedCase on each), never from rendered text."""

from __future__ import annotations

from types import SimpleNamespace

from schemathesis.core.failures import Failure, FailureGroup

from rc_contract.configuration.paths import ENDPOINT
from rc_contract.contract.checks import FAILED_CASE_ATTRIBUTE, FailedCase
from rc_contract.live.redact import Redactor
from rc_contract.live.session import Exchange
from rc_contract.questions import question
from rc_contract.reports import failure

BASE = "https://chat.example/chat"
CI = {"X-User-Id": "ci-user", "X-Auth-Token": "ci-auth-token-value"}
NODE = "tests/contract/test_fuzz.py::test_generated_requests[GET /api/v1/livechat/visitors.info]"


def _exchange(visitor_id: str, status: int) -> Exchange:
    exchange = Exchange(0.0, "GET", f"{BASE}{ENDPOINT}?visitorId={visitor_id}", dict(CI), None,
                        status, {"Content-Type": "application/json"}, '{"success": false}', 0.0,
                        reason="Bad Request")
    exchange.case = NODE
    return exchange


def _failed(visitor_id: str, code_title: str) -> Failure:
    failed = Failure(operation=f"GET {ENDPOINT}", title=code_title, message="it failed")
    asked = question("GET", f"{BASE}{ENDPOINT}", {"visitorId": visitor_id}, CI)
    curl = (f"curl -X GET -H 'X-User-Id: ci-user' -H 'X-Auth-Token: ci-auth-token-value' "
            f"'{BASE}{ENDPOINT}?visitorId={visitor_id}'")
    setattr(failed, FAILED_CASE_ATTRIBUTE, FailedCase(asked, curl))
    return failed


def test_the_request_and_reproduction_of_a_generated_case_come_from_its_failure_objects():
    redactor = Redactor()
    redactor.add("ci-auth-token-value")
    # The case sent three requests; the one its failure asked is the middle one.
    sent = [_exchange("first", 400), _exchange("failing", 500), _exchange("last", 400)]
    run = SimpleNamespace(url=BASE, redactor=redactor, auth=dict(CI), unprivileged_auth={},
                          expected_answers={}, recorder=SimpleNamespace(
                              for_path=lambda path: list(sent), served=[]))
    exc = FailureGroup([_failed("failing", "Server error")], "one failure")
    detail = failure.describe(run, NODE, ("VI-FUZZ",), exc, "rendered text: 'https://x/ignored'")
    assert f"request:   GET /chat{ENDPOINT}?visitorId=failing as the CI account (500)" in detail.text
    assert "visitorId=first" not in detail.text and "visitorId=last" not in detail.text
    assert ("Schemathesis' reproduction: curl -X GET -H \"X-User-Id: $RC_USER_ID\" "
            f"-H \"X-Auth-Token: $RC_AUTH_TOKEN\" \"$RC_URL\"'{ENDPOINT}?visitorId=failing'"
            ) in detail.text
    assert "ci-auth-token-value" not in detail.text


def test_without_a_failed_case_the_last_request_of_the_case_is_shown_and_no_reproduction():
    redactor = Redactor()
    sent = [_exchange("first", 400), _exchange("last", 400)]
    run = SimpleNamespace(url=BASE, redactor=redactor, auth=dict(CI), unprivileged_auth={},
                          expected_answers={}, recorder=SimpleNamespace(
                              for_path=lambda path: list(sent), served=[]))
    exc = AssertionError("a hand-written case's message")
    detail = failure.describe(run, NODE, ("VI-FUZZ",), exc, "curl -X GET 'https://x/ignored'")
    assert "visitorId=last as the CI account" in detail.text
    assert "Schemathesis' reproduction" not in detail.text
