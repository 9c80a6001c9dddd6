"""VI-TOKEN-ABSENT: the visitor token is never returned (from 8.5.0).

Promise: the docs ("The response does not include the visitor `token`", changelog
8.5.0) and Rocket.Chat 8.5's own end-to-end test (rocketchat-behaviour.md section 8:
"the visitor has no `token`"); section 1: from 8.5.0 the lookup excludes `token`.
"""

import pytest

from rc_contract.checks import Answer, check_no_token, swept
from rc_contract.judge import NotJudged
from rc_contract.paths import ENDPOINT

pytestmark = pytest.mark.clause("VI-TOKEN-ABSENT")


@pytest.mark.parametrize("label", ["a", "b"])
def test_no_token_for_a_known_visitor(rc, label):
    # Promise: section 8 (8.5 e2e: no `token` key) and the docs' description.
    response = rc.info(params={"visitorId": rc.visitors[label].id})
    answer = Answer.of(response)
    assert answer.status == 200, f"status {answer.status}, expected 200"
    check_no_token(answer, rc.registered_tokens)


@pytest.mark.after_all
def test_token_value_in_no_answer_of_the_run(rc, request):
    """Every visitors.info answer of the run, error paths and fuzzing included."""
    # Promise: the docs (the token is obtained from registration only): no answer of the
    # endpoint carries it, under any key. Zero answers examined is not judged.
    if not rc.registered_tokens:
        raise NotJudged("the run registered no visitor: no token to look for")
    exchanges = swept(rc, request.node.nodeid, "VI-TOKEN-ABSENT", rc.recorder.for_path(ENDPOINT))
    leaks = []
    for exchange in exchanges:
        if any(token in exchange.body for token in rc.registered_tokens):
            leaks.append(f"{exchange.method} ({exchange.status})")
    assert not leaks, f"{len(leaks)} answer(s) carry a visitor token: {', '.join(leaks[:5])}"
