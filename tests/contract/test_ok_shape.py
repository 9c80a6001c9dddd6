"""VI-OK-SHAPE: a known visitor comes back whole, well-typed and as registered."""

import pytest
from jsonschema import Draft7Validator, FormatChecker

from rc_contract.checks import Answer
from rc_contract.contract.document import strict_ok_schema

pytestmark = pytest.mark.clause("VI-OK-SHAPE")


@pytest.fixture(scope="module")
def validator(rc):
    return Draft7Validator(strict_ok_schema(rc.document), format_checker=FormatChecker())


# Two visitors, so a server that answers every id with the same visitor shows.
@pytest.mark.parametrize("label", ["a", "b"])
def test_known_visitor(rc, validator, label):
    visitor = rc.visitors[label]
    answer = Answer.of(rc.ask(params={"visitorId": visitor.id}))
    assert answer.status == 200, f"status {answer.status}, expected 200"
    body = answer.json()
    assert isinstance(body, dict) and body.get("success") is True, "success is not true"
    returned = body.get("visitor")
    assert isinstance(returned, dict), "no visitor object in the answer"
    assert returned.get("_id") == visitor.id, "visitor._id is not the id asked for"

    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "the body breaks the strict schema: " + "; ".join(
        f"/{'/'.join(map(str, e.absolute_path))}: {e.validator} {e.validator_value!r}"
        for e in errors[:5]
    )

    # The values registered come back (addresses are stored lower-cased).
    assert returned.get("name") == visitor.name, "the registered name does not come back"
    assert returned.get("username") == visitor.username, (
        "the username differs from the registration answer's"
    )
    phones = [p.get("phoneNumber") for p in returned.get("phone") or []]
    assert visitor.phone in phones, "the registered phone number does not come back"
    emails = [e.get("address") for e in returned.get("visitorEmails") or []]
    assert visitor.email.lower() in emails, "the registered email does not come back (lower-cased)"
    for key in ("ts", "_updatedAt"):
        if key in visitor.registered:
            assert returned.get(key) == visitor.registered[key], (
                f"{key} differs from the registration answer's"
            )
