"""VI-OK-SHAPE: a known visitor comes back whole, well-typed and as registered.

Promise: the docs' 200 schema (spec/visitors-info.openapi.json, repaired) with the stricter types of
spec/strict.yaml (each overlay names its source: ILivechatVisitor of @rocket.chat/core-typings,
docs/rocketchat-behaviour.md#registered-visitor), Rocket.Chat's own end-to-end test
(docs/rocketchat-behaviour.md#upstream-tests: 200, `success: true`, `visitor._id` the id asked for),
and the registration endpoint (docs/rocketchat-behaviour.md#set-up-endpoints: what was sent comes
back, addresses lower-cased). Not promised, so not checked: that `status`, `_updatedAt`, `ts` or
`username` stay as the registration answer had them
(docs/rocketchat-behaviour.md#registered-visitor: the server may touch a visitor after registering
it). Visitor keys the document does not name are notices.
"""

import pytest

from rc_contract.contract import known_visitor
from rc_contract.contract.checks import body_notices

pytestmark = pytest.mark.clause("VI-OK-SHAPE")


@pytest.fixture(scope="module")
def validator(rc):
    return known_visitor.validator(rc.document)


# Two visitors, so a server that answers every id with the same visitor shows: "a"
# registered in plain ASCII, "b" with accents, other scripts, an emoji and `<&"\`.
@pytest.mark.parametrize("label", ["a", "b"])
def test_known_visitor(rc, validator, label):
    visitor = rc.visitors[label]
    response = rc.ask(params={"visitorId": visitor.id})
    answer, _body, returned = known_visitor.check_answer(rc, validator, response, visitor.id)
    # Promise: docs/rocketchat-behaviour.md#set-up-endpoints (what was sent comes back) and
    # docs/rocketchat-behaviour.md#lookup (no allow-list).
    known_visitor.check_registered(returned, visitor)
    rc.notices.add(body_notices(answer, rc.document, "VI-OK-SHAPE"))
    if label == "a":
        # The answers the start-up checks read (RC_EXTERNAL_IDS_VISITOR's) are a known
        # visitor's too: judged again here, never asked again.
        for setting, visitor_id, startup in rc.startup_visitors:
            try:
                known_visitor.check_answer(rc, validator, startup, visitor_id)
            except AssertionError as exc:
                raise AssertionError(f"the visitor of {setting}, read at start-up: {exc}") from None
