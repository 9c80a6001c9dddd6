"""VI-AUTH-401: missing or wrong credentials get 401 with the version's body."""

import secrets

import pytest

from rc_contract.checks import Answer, check_clause_body

pytestmark = pytest.mark.clause("VI-AUTH-401")

# Each case sends the id of a real visitor: a server that lets the request
# through answers 200 instead of 401, and the case shows it.
HEADERS = {
    "no-auth-headers": lambda rc: {},
    "only-user-id": lambda rc: {"X-User-Id": rc.auth["X-User-Id"]},
    "only-auth-token": lambda rc: {"X-Auth-Token": rc.auth["X-Auth-Token"]},
    # The account's valid token presented for another (existing) user.
    "wrong-user-id": lambda rc: {
        "X-User-Id": rc.unprivileged_auth["X-User-Id"],
        "X-Auth-Token": rc.auth["X-Auth-Token"],
    },
    "wrong-token": lambda rc: {
        "X-User-Id": rc.auth["X-User-Id"],
        "X-Auth-Token": secrets.token_urlsafe(32),
    },
}


@pytest.mark.parametrize("credentials", list(HEADERS))
def test_refused_with_401(rc, credentials):
    response = rc.info(params={"visitorId": rc.visitors["a"].id}, headers=HEADERS[credentials](rc))
    check_clause_body(rc, "VI-AUTH-401", Answer.of(response))
