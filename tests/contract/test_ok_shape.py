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
from jsonschema import Draft7Validator, FormatChecker

from rc_contract.contract.checks import Answer, body_notices, check_no_foreign_data
from rc_contract.contract.document import strict_ok_schema

pytestmark = pytest.mark.clause("VI-OK-SHAPE")


@pytest.fixture(scope="module")
def validator(rc):
    return Draft7Validator(strict_ok_schema(rc.document), format_checker=FormatChecker())


# Two visitors, so a server that answers every id with the same visitor shows.
@pytest.mark.parametrize("label", ["a", "b"])
def test_known_visitor(rc, validator, label):
    visitor = rc.visitors[label]
    response = rc.ask(params={"visitorId": visitor.id})
    answer = Answer.of(response)
    # Promise: docs/rocketchat-behaviour.md#upstream-tests (Rocket.Chat's e2e test): 200, success true, the id
    # asked for.
    assert answer.status == 200, f"status {answer.status}, expected 200"
    body = answer.json()
    assert isinstance(body, dict) and body.get("success") is True, "success is not true"
    returned = body.get("visitor")
    assert isinstance(returned, dict), "no visitor object in the answer"
    assert returned.get("_id") == visitor.id, "visitor._id is not the id asked for"
    # Promise: design.md, "another visitor's data" is forbidden in any answer.
    check_no_foreign_data(answer, rc, [visitor.id])

    # Promise: the docs' 200 schema and spec/strict.yaml (each overlay says why).
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "the body breaks the strict schema: " + "; ".join(
        f"/{'/'.join(map(str, e.absolute_path))}: {e.validator} {e.validator_value!r}"
        for e in errors[:5]
    )

    # Promise: docs/rocketchat-behaviour.md#set-up-endpoints, the registration stores what was sent (name,
    # phone as [{phoneNumber}], visitorEmails as [{address}] lower-cased; the run's values are unique to it,
    # so no merge adds another) and visitors.info returns every stored field
    # (docs/rocketchat-behaviour.md#lookup: no allow-list).
    assert returned.get("name") == visitor.name, "the registered name does not come back"
    # As registered, not merely containing it: one item each, the value sent (the
    # address lower-cased); another visitor's stale address or number is a break.
    phones = [p.get("phoneNumber") if isinstance(p, dict) else p for p in _list(returned, "phone")]
    assert phones == [visitor.phone], (
        f"phone has {len(phones)} item(s), expected exactly the registered number"
        + ("" if visitor.phone in phones else "; the registered number is not among them"))
    emails = [e.get("address") if isinstance(e, dict) else e
              for e in _list(returned, "visitorEmails")]
    assert emails == [visitor.email.lower()], (
        f"visitorEmails has {len(emails)} item(s), expected exactly the registered address "
        "(lower-cased)"
        + ("" if visitor.email.lower() in emails else "; the registered address is not among them"))
    rc.notices.add(body_notices(answer, rc.document, "VI-OK-SHAPE"))


def _list(visitor, key):
    value = visitor.get(key)
    assert isinstance(value, list), f"{key} is {type(value).__name__}, not an array"
    return value
