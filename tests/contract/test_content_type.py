"""VI-CONTENT-TYPE: every answer of visitors.info is JSON.

Promise: Rocket.Chat's own end-to-end tests assert `Content-Type: application/json` on every case
(docs/rocketchat-behaviour.md#upstream-tests), and docs/rocketchat-behaviour.md#bodies ("All bodies
are JSON; `content-type` starts with `application/json`": parameters such as `charset` are fine).
"""

import pytest

from rc_contract.configuration.paths import ENDPOINT
from rc_contract.contract.checks import Answer, check_json_content_type, swept
from rc_contract.reports.failure import Offending, request_line

pytestmark = [pytest.mark.clause("VI-CONTENT-TYPE"), pytest.mark.after_all]


def test_every_answer_of_the_run_is_json(rc, request):
    """Every visitors.info exchange of the run: success, each error path, fuzzing."""
    # Promise: docs/rocketchat-behaviour.md#upstream-tests and docs/rocketchat-behaviour.md#bodies. Zero
    # answers examined is not judged.
    exchanges = swept(rc, request.node.nodeid, "VI-CONTENT-TYPE", rc.recorder.for_path(ENDPOINT))
    problems = {}
    for exchange in exchanges:
        try:
            check_json_content_type(Answer.of_exchange(exchange))
        except AssertionError as exc:
            # One request per kind of problem and status, named with its query.
            problems.setdefault((exchange.status, str(exc)), exchange)
    if problems:
        raise Offending(
            f"{len(problems)} kind(s) of answer, of {len(exchanges)} examined: " + "; ".join(
                f"{why} ({request_line(e)})" for (_, why), e in sorted(problems.items(),
                                                                       key=lambda kv: kv[0])),
            list(problems.values()))
