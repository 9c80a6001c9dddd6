"""VI-AUTH-401: missing or wrong credentials get 401 with the version's body.

Promise: the docs' 401 response (authorizationError: `status`, `message`) and
Rocket.Chat's API layer (docs/rocketchat-behaviour.md#body-401: the 8.x body is a
superset, 9.0 sends `success` and `error` only, `shouldBreakInVersion('9.0.0')`).
The exact texts are spec/clauses.yaml's; keys neither names are notices.
"""

import secrets

import pytest

from rc_contract.contract.checks import judge_answer

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
    # Promise: docs/rocketchat-behaviour.md#bodies "no auth headers, only one of them, wrong user id or wrong
    # token: 401"; the visitor's data never reaches a caller who is not logged in (judge.Foreign).
    response = rc.info(params={"visitorId": rc.visitors["a"].id}, headers=HEADERS[credentials](rc))
    judge_answer(rc, "VI-AUTH-401", response)
