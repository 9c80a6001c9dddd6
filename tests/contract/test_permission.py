"""VI-PERM-403: a logged-in user without view-l-room gets 403 error-unauthorized.

Promise: the docs (permissionError, "Permission required: `view-l-room`") and
Rocket.Chat's own end-to-end test (docs/rocketchat-behaviour.md#upstream-tests: 403,
`success: false`, the exact error-unauthorized text); from 9.0.0 an
`errorType: error-forbidden` may accompany it (docs/rocketchat-behaviour.md#body-403, PR #43214).
"""

import pytest

from rc_contract.contract.checks import judge_answer

pytestmark = pytest.mark.clause("VI-PERM-403")


# "invalid" is what Rocket.Chat's own test sends; a real id shows a server that
# leaks the visitor to a user without the permission.
@pytest.mark.parametrize("visitor", ["invalid-id", "known-visitor"])
def test_refused_with_403(rc, visitor):
    # Promise: docs/rocketchat-behaviour.md#upstream-tests (Rocket.Chat's e2e test, query visitorId=invalid)
    # and docs/rocketchat-behaviour.md#route (permissionsRequired: ['view-l-room']); no visitor data in the
    # refusal.
    visitor_id = "invalid" if visitor == "invalid-id" else rc.visitors["a"].id
    response = rc.info(params={"visitorId": visitor_id}, headers=rc.unprivileged_auth)
    judge_answer(rc, "VI-PERM-403", response)
