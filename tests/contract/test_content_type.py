"""VI-CONTENT-TYPE: every answer of visitors.info is JSON."""

import pytest

from rc_contract.checks import Answer, check_json_content_type
from rc_contract.paths import ENDPOINT

pytestmark = [pytest.mark.clause("VI-CONTENT-TYPE"), pytest.mark.after_all]


def test_every_answer_of_the_run_is_json(rc):
    """Every visitors.info exchange of the run: success, each error path, fuzzing."""
    exchanges = rc.recorder.for_path(ENDPOINT)
    assert exchanges, "the run sent no visitors.info request"
    problems = {}
    for exchange in exchanges:
        answer = Answer(exchange.status, exchange.header("Content-Type"),
                        exchange.body)
        try:
            check_json_content_type(answer)
        except AssertionError as exc:
            problems.setdefault(exchange.status, str(exc))
    assert not problems, "; ".join(problems[status] for status in sorted(problems))
