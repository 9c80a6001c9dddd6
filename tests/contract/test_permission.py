"""VI-PERM-403: the permission is exactly view-l-room, both ways.

Promise: the docs (permissionError, "Permission required: `view-l-room`") and
Rocket.Chat's own end-to-end test (docs/rocketchat-behaviour.md#upstream-tests: 403,
`success: false`, the exact error-unauthorized text); from 9.0.0 an
`errorType: error-forbidden` may accompany it (docs/rocketchat-behaviour.md#body-403,
PR #43214). The other way, docs/rocketchat-behaviour.md#route:
`permissionsRequired: ['view-l-room']`, held by the default `livechat-agent`
role, so an account holding it without an admin or manager role gets the visitor.
"""

import pytest

from rc_contract.contract import known_visitor
from rc_contract.contract.checks import judge_answer
from rc_contract.run import PERMISSION_PROBE_ID

pytestmark = pytest.mark.clause("VI-PERM-403")


# "invalid" is what Rocket.Chat's own test sends; a real id shows a server that
# leaks the visitor to a user without the permission.
@pytest.mark.parametrize("visitor", ["invalid-id", "known-visitor"])
def test_refused_with_403(rc, visitor):
    # Promise: docs/rocketchat-behaviour.md#upstream-tests (Rocket.Chat's e2e test, query visitorId=invalid)
    # and docs/rocketchat-behaviour.md#route
    # (permissionsRequired: ['view-l-room']); no visitor data in the refusal. The first is
    # the question the start-up check of RC_UNPRIVILEGED_USER asks: one answer serves both.
    visitor_id = PERMISSION_PROBE_ID if visitor == "invalid-id" else rc.visitors["a"].id
    response = rc.ask(params={"visitorId": visitor_id}, headers=rc.unprivileged_auth)
    judge_answer(rc, "VI-PERM-403", response)


@pytest.mark.budgeted  # one call more on a limited server unless the account is the agent
@pytest.mark.agent_read
def test_view_l_room_alone_is_enough(rc):
    """A livechat-agent (view-l-room, no admin or manager role) gets the visitor, whole."""
    # Promise: docs/rocketchat-behaviour.md#route (permissionsRequired: ['view-l-room']; default
    # roles holding it
    # include livechat-agent) and VI-OK-SHAPE's rule for a known visitor's answer.
    if not rc.agent_auth:
        pytest.skip("the other half is not judged (not passed): no account holding "
                    f"view-l-room without an admin or manager role: {rc.agent_missing}")
    visitor = rc.visitors["a"]
    # The run's own account when it is such an account: VI-OK-SHAPE's answer serves.
    response = rc.ask_if_fits(params={"visitorId": visitor.id}, headers=rc.agent_auth)
    if response is None:
        pytest.skip(f"not sent: the question would go out after the {rc.budget.seconds:.0f} s "
                    "budget's deadline on a limited server; raise RC_TIME_BUDGET")
    assert response.status_code == 200, (
        f"{rc.agent_source} holds view-l-room but got status {response.status_code}, "
        "expected 200 with the visitor")
    _answer, _body, returned = known_visitor.check_answer(
        rc, known_visitor.validator(rc.document), response, visitor.id)
    known_visitor.check_registered(returned, visitor)
