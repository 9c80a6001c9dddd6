"""VI-PERM-403: a logged-in user without view-l-room gets 403 error-unauthorized."""

import pytest

from rc_contract.checks import Answer, check_clause_body

pytestmark = pytest.mark.clause("VI-PERM-403")


# "invalid" is what Rocket.Chat's own test sends; a real id shows a server that
# leaks the visitor to a user without the permission.
@pytest.mark.parametrize("visitor", ["invalid-id", "known-visitor"])
def test_refused_with_403(rc, visitor):
    visitor_id = "invalid" if visitor == "invalid-id" else rc.visitors["a"].id
    response = rc.info(params={"visitorId": visitor_id}, headers=rc.unprivileged_auth)
    check_clause_body(rc, "VI-PERM-403", Answer.of(response))
