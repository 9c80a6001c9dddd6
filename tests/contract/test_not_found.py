"""VI-NOT-FOUND: unknown, empty, removed and near-miss ids answer visitor-not-found.

Promise: the docs' 400 "Example 2" (`{"success": false, "error": "visitor-not-found"}`),
Rocket.Chat's own end-to-end test (docs/rocketchat-behaviour.md#upstream-tests, `visitorId=invalid`)
and the handler (docs/rocketchat-behaviour.md#lookup: the lookup skips `disabled` visitors;
docs/rocketchat-behaviour.md#query-strings: `visitorId=` is valid and then not found). `error` is
exact; a key the contract does not name (an `errorType` beside it, a TEST_MODE `stack`) is a notice.
"""

import secrets

import pytest

from rc_contract.contract.checks import judge_answer
from rc_contract.contract.near_misses import NEAR_MISSES, expand, placeholders

pytestmark = pytest.mark.clause("VI-NOT-FOUND")


def test_unknown_id(rc):
    # Promise: docs/rocketchat-behaviour.md#upstream-tests. Same shape as a real id (24 hex characters), so
    # only the lookup can tell.
    judge_answer(rc, "VI-NOT-FOUND", rc.ask(params={"visitorId": secrets.token_hex(12)}))


def test_empty_id(rc):
    # Promise: docs/rocketchat-behaviour.md#query-strings (`visitorId=` is valid; then 400 visitor-not-found).
    judge_answer(rc, "VI-NOT-FOUND", rc.ask("visitorId="))


def test_removed_visitor(rc):
    # Promise: docs/rocketchat-behaviour.md#set-up-endpoints (DELETE disables the visitor, "so visitors.info
    # then says visitor-not-found") and docs/rocketchat-behaviour.md#lookup (lookup: `disabled` is not true).
    visitor = rc.removed_visitor()
    assert visitor.removed, "the visitor could not be removed (DELETE /api/v1/livechat/visitor)"
    judge_answer(rc, "VI-NOT-FOUND", rc.ask(params={"visitorId": visitor.id}))


@pytest.mark.parametrize("near", list(NEAR_MISSES))
def test_near_miss_of_a_known_id(rc, near):
    """The id with its case changed, a prefix, a suffix, a substring, the id wrapped in
    pattern characters: not that visitor (rc_contract/contract/near_misses.py)."""
    # Promise: docs/rocketchat-behaviour.md#lookup (the lookup is `_id` equal: no case folding, no prefix, no
    # pattern) and the docs' 400 "Example 2" for an id that names no visitor.
    # One visitor: a rate-limited account pays for every call (VI-FUZZ sends them too).
    known = rc.visitors["a"].id
    visitor_id = expand(NEAR_MISSES[near], placeholders(known))
    if visitor_id == known:  # an id without letters has no case to change: nothing to send
        pytest.skip(f"{near}: the id has no such near miss (no letters to change)")
    judge_answer(rc, "VI-NOT-FOUND", rc.ask(params={"visitorId": visitor_id}))
