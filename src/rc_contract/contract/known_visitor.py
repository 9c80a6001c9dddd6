"""What an answer about a known visitor must be (VI-OK-SHAPE), for every case that reads one.

VI-OK-SHAPE's own cases, the answers the start-up checks read (RC_EXTERNAL_IDS_VISITOR)
and VI-PERM-403's livechat-agent all hold the answer to the same rule: 200, `success:
true`, `visitor._id` the id asked for, the body valid against the strict schema, no
other visitor's data; for a visitor the run registered, the values sent come back
byte for byte (the address lower-cased).
"""

from __future__ import annotations

import html
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

from rc_contract.contract.checks import Answer, check_no_foreign_data
from rc_contract.contract.document import strict_ok_schema


def validator(document: Any) -> Draft7Validator:
    return Draft7Validator(strict_ok_schema(document), format_checker=FormatChecker())


def check_answer(rc: Any, schema: Draft7Validator, response: Any, visitor_id: str
                 ) -> tuple[Answer, dict[str, Any], dict[str, Any]]:
    """The answer, its body and its visitor, once each promise about a known visitor held."""
    answer = Answer.of(response)
    # Promise: docs/rocketchat-behaviour.md#upstream-tests (Rocket.Chat's e2e test): 200, success
    # true, the id asked for.
    assert answer.status == 200, f"status {answer.status}, expected 200"
    body = answer.json()
    assert isinstance(body, dict) and body.get("success") is True, "success is not true"
    returned = body.get("visitor")
    assert isinstance(returned, dict), "no visitor object in the answer"
    assert returned.get("_id") == visitor_id, "visitor._id is not the id asked for"
    # Promise: design.md, "another visitor's data" is forbidden in any answer.
    check_no_foreign_data(answer, rc, [visitor_id])
    # Promise: the docs' 200 schema and spec/strict.yaml (each overlay says why).
    errors = sorted(schema.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "the body breaks the strict schema: " + "; ".join(
        f"/{'/'.join(map(str, e.absolute_path))}: {e.validator} {e.validator_value!r}"
        for e in errors[:5]
    )
    return answer, body, returned


def check_registered(returned: dict[str, Any], visitor: Any) -> None:
    """docs/rocketchat-behaviour.md#set-up-endpoints: the registration stores what was
    sent (name, phone as [{phoneNumber}], visitorEmails as [{address}] lower-cased; the
    run's values are unique to it, so no merge adds another) and visitors.info returns
    every stored field (docs/rocketchat-behaviour.md#lookup: no allow-list). Byte for
    byte: accents, other scripts, emoji, `<`, `&`, `"` and `\\`
    included (a server that escapes HTML or encodes UTF-8 twice shows here)."""
    name = returned.get("name")
    assert name == visitor.name, "the registered name does not come back" + (
        _how_mangled(name, visitor.name))
    # As registered, not merely containing it: one item each, the value sent (the
    # address lower-cased); another visitor's stale address or number is a break.
    phones = [p.get("phoneNumber") if isinstance(p, dict) else p for p in _list(returned, "phone")]
    assert phones == [visitor.phone], (
        f"phone has {len(phones)} item(s), expected exactly the registered number"
        + ("" if visitor.phone in phones else "; the registered number is not among them"))
    emails = [e.get("address") if isinstance(e, dict) else e
              for e in _list(returned, "visitorEmails")]
    expected = visitor.email.lower()
    assert emails == [expected], (
        f"visitorEmails has {len(emails)} item(s), expected exactly the registered address "
        "(lower-cased)"
        + ("" if expected in emails else "; the registered address is not among them"
           + "".join(_how_mangled(e, expected) for e in emails[:1])))


def _how_mangled(got: Any, sent: str) -> str:
    """What became of the text, without quoting it (it is personal data)."""
    if not isinstance(got, str) or got == sent:
        return ""
    if got == sent.encode("utf-8").decode("latin-1"):
        return " (its UTF-8 bytes were decoded again as Latin-1: encoded twice)"
    if got == html.escape(sent, quote=False) or got == html.escape(sent):
        return " (HTML-escaped: `<`, `&` or `\"` became entities)"
    return f" ({len(got)} characters instead of {len(sent)})"


def _list(visitor: dict[str, Any], key: str) -> list[Any]:
    value = visitor.get(key)
    assert isinstance(value, list), f"{key} is {type(value).__name__}, not an array"
    return value
