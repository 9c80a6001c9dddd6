"""VI-TOKEN-ABSENT: the visitor token is never returned (from 8.5.0)."""

import pytest

from rc_contract.checks import Answer, check_no_token
from rc_contract.paths import ENDPOINT

pytestmark = pytest.mark.clause("VI-TOKEN-ABSENT")


@pytest.mark.parametrize("label", ["a", "b"])
def test_no_token_for_a_known_visitor(rc, label):
    response = rc.ask(params={"visitorId": rc.visitors[label].id})
    answer = Answer.of(response)
    assert answer.status == 200, f"status {answer.status}, expected 200"
    check_no_token(answer, rc.registered_tokens)


@pytest.mark.after_all
def test_token_value_in_no_answer_of_the_run(rc):
    """Every visitors.info answer of the run, error paths and fuzzing included."""
    leaks = []
    for exchange in rc.recorder.for_path(ENDPOINT):
        if any(token in exchange.body for token in rc.registered_tokens):
            leaks.append(f"{exchange.method} ({exchange.status})")
    assert not leaks, f"{len(leaks)} answer(s) carry a visitor token: {', '.join(leaks[:5])}"
