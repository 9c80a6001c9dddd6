"""VI-TOKEN-ABSENT: the visitor token is never returned (from 8.5.0).

Promise: the docs ("The response does not include the visitor `token`", changelog 8.5.0) and
Rocket.Chat 8.5's own end-to-end test (docs/rocketchat-behaviour.md#upstream-tests: "the visitor has
no `token`"); docs/rocketchat-behaviour.md#token-by-version: from 8.5.0 the lookup excludes `token`.

Before 8.5.0 the cases observe instead of asserting (spec/clauses.yaml says what is
known per version): the upgrade notice appears only for a server that did return
the token, and where it is unknown the suite says what it saw.
"""

import pytest

from rc_contract.configuration.paths import ENDPOINT
from rc_contract.contract.checks import Answer, check_no_token, swept
from rc_contract.contract.judge import NotJudged
from rc_contract.outcomes import NotAssertedSkip, NoticeSkip
from rc_contract.reports.failure import Offending, request_line

pytestmark = pytest.mark.clause("VI-TOKEN-ABSENT")


@pytest.mark.shares_answer  # VI-OK-SHAPE's known-visitor cases ask the same
@pytest.mark.parametrize("label", ["a", "b"])
def test_no_token_for_a_known_visitor(rc, label):
    # Promise: docs/rocketchat-behaviour.md#upstream-tests (8.5 e2e: no `token` key) and the docs'
    # description.
    response = rc.ask(params={"visitorId": rc.visitors[label].id})
    answer = Answer.of(response)
    assert answer.status == 200, f"status {answer.status}, expected 200"
    if rc.token_must_be_absent:
        check_no_token(answer, rc.registered_tokens)
        return
    try:
        check_no_token(answer, rc.registered_tokens)
        returned = False
    except AssertionError:
        returned = True
    _report_observed(rc, returned)


def _report_observed(rc, returned):
    clause = rc.catalogue["VI-TOKEN-ABSENT"]
    expected = rc.expectations("VI-TOKEN-ABSENT")
    said = {e.behaviour[1] for e in expected if e.behaviour}
    saw = "returned the token" if returned else "did not return the token"
    if any(not e.known for e in expected):
        evidence = "; ".join(e.evidence.source for e in expected if not e.known)
        rc.observe(clause.id, "known visitor", f"not known: {evidence}", saw)
    if returned:
        # The upgrade notice, only for a server that did return the token.
        raise NoticeSkip(clause.notice_for(rc.contract_version))
    if "returned" in said and all(e.known for e in expected):
        raise NotAssertedSkip(
            f"not asserted before 8.5.0: {rc.contract_version} was expected to return the token "
            "(" + "; ".join(str(e.evidence) for e in expected) + f"), this server {saw}"
        )
    raise NotAssertedSkip(f"not asserted on {rc.contract_version} (unknown); this server {saw}")


@pytest.mark.after_all
def test_token_value_in_no_answer_of_the_run(rc, request):
    """Every visitors.info answer of the run, error paths and fuzzing included: no visitor
    token, nor any secret of the run's accounts (auth tokens, passwords)."""
    if not rc.token_must_be_absent:
        pytest.skip(f"the token may be returned on {rc.contract_version}: see the known-visitor case")
    # Promise: the docs (the token is obtained from registration only): no answer of the
    # endpoint carries it, under any key. Zero answers examined is not judged.
    if not rc.registered_tokens:
        raise NotJudged("the run registered no visitor: no token to look for")
    exchanges = swept(rc, request.node.nodeid, "VI-TOKEN-ABSENT", rc.recorder.for_path(ENDPOINT))
    leaks = []
    for exchange in exchanges:
        # The same check as the known-visitor cases and the fuzz check: status reason,
        # every header, the body at any depth, in any encoding (rc_contract/leaks.py),
        # for the visitors' tokens and every other secret of the run (named by kind).
        try:
            check_no_token(Answer.of_exchange(exchange), rc.registered_tokens, rc.secrets)
        except AssertionError as exc:
            leaks.append((exchange, str(exc)))
    if leaks:
        # Each distinct request once (a case may send the same query twice).
        distinct = {f"{request_line(e)}: {why}": e for e, why in leaks}
        raise Offending(
            f"{len(leaks)} of {len(exchanges)} answer(s) carry a visitor token or another "
            "secret of the run: "
            + "; ".join(list(distinct)[:5]), list(distinct.values()))
