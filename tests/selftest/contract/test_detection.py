"""Sharper detection (issue 13): the token nowhere in any form, exactly the visitor asked
for, near-miss ids, and failures a person can act on. Unit level; the fault proof
shows each new fault caught end to end."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from rc_contract import leaks
from rc_contract.contract.checks import Answer, check_no_token
from rc_contract.contract.judge import Foreign
from rc_contract.contract.near_misses import NEAR_MISSES, expand, placeholders
from rc_contract.live.redact import Redactor
from rc_contract.live.session import Exchange
from rc_contract.reports import failure

TOKEN = "rcct" + "0123456789abcdef0123456789ab"
OTHER = "rcct" + "fedcba9876543210fedcba987654"
HEX_ID = "6650d1c0ffee0ddba11c0de5"
METEOR_ID = "QmD5hFrcJSBuqhNRt"


def _b64(text: str, urlsafe: bool = False, pad: bool = True) -> str:
    encoded = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(text.encode()).decode()
    return encoded if pad else encoded.rstrip("=")


@pytest.mark.parametrize(("where", "answer"), [
    ("header X-Visitor", dict(headers={"X-Visitor": TOKEN})),
    ("header Set-Cookie", dict(headers={"Set-Cookie": f"v={TOKEN}; Path=/"})),
    ("header ETag (base64)", dict(headers={"ETag": f'W/"{_b64("id:" + TOKEN)}"'})),
    ("header Location (base64)", dict(headers={"Location": "/x?t=" + _b64("ab" + TOKEN, True, False)})),
    ("header Link (URL-encoded)",
     dict(headers={"Link": "</v?t=" + "".join(f"%{ord(c):02X}" for c in TOKEN) + ">"})),
    ("status reason", dict(reason=f"OK {TOKEN}")),
    ("body visitor.livechatData.t (base64)",
     dict(body=json.dumps({"visitor": {"livechatData": {"t": _b64(TOKEN)}}}))),
    ("body details (JSON-escaped)", dict(body='{"details": "\\u0072cct' + TOKEN[4:] + '"}')),
    ("body details (JSON text).token", dict(body=json.dumps({"details": json.dumps({"token": TOKEN})}))),
    ("key in body visitor", dict(body=json.dumps({"visitor": {TOKEN: 1}}))),
])
def test_the_token_is_found_in_any_place_and_form(where, answer):
    found = [str(f) for f in leaks.find([TOKEN], **answer)]
    assert where in found, found


def test_nothing_is_found_in_a_clean_answer_and_the_own_key_may_be_allowed():
    clean = {"visitor": {"_id": HEX_ID, "name": "x"}, "success": True}
    assert leaks.find([TOKEN], reason="OK", headers={"ETag": 'W/"abc"'}, body=json.dumps(clean)) == []
    own = json.dumps({"visitor": {"_id": HEX_ID, "token": TOKEN}})
    assert leaks.find([TOKEN], body=own, allowed=("visitor.token",)) == []
    assert [str(f) for f in leaks.find([TOKEN], body=own)] == ["body visitor.token"]


def test_vi_token_absent_checks_headers_and_reason_with_the_same_function():
    answer = Answer(200, "application/json", json.dumps({"visitor": {"_id": HEX_ID}}),
                    headers=(("X-Visitor-Token", TOKEN),))
    with pytest.raises(AssertionError, match="header X-Visitor-Token"):
        check_no_token(answer, [TOKEN])
    exchange = Exchange(0.0, "GET", "http://h/api/v1/livechat/visitors.info?visitorId=x", {},
                        None, 200, {"ETag": _b64(TOKEN)}, "{}", 0.0, reason="OK")
    with pytest.raises(AssertionError, match=r"header ETag \(base64\)"):
        check_no_token(Answer.of_exchange(exchange), [TOKEN])


FOREIGN = Foreign(((HEX_ID, TOKEN, ("Ada Lovelace", "ada@example.com")),
                   ("6650d1c0ffee0ddba11c0de6", OTHER, ("Bob Builder", "bob@example.com"))),
                  removed=frozenset({"6650d1c0ffee0ddba11c0de6"}))


def _ok(visitor_id: str, **extra) -> str:
    return json.dumps({"visitor": {"_id": visitor_id, **extra}, "success": True})


def test_a_200_is_exactly_the_visitor_asked_for():
    assert FOREIGN.problems(200, _ok(HEX_ID, name="Ada Lovelace", token=TOKEN), [HEX_ID]) == []
    # The id sent with its case changed, padded, or a pattern: not that visitor.
    for sent in (HEX_ID.upper(), HEX_ID + " ", f"^{HEX_ID}$", HEX_ID[:-1]):
        assert any("byte for byte" in p for p in FOREIGN.problems(200, _ok(HEX_ID), [sent])), sent
    assert FOREIGN.problems(200, json.dumps({"visitor": None, "success": True}), [HEX_ID])
    removed = "6650d1c0ffee0ddba11c0de6"
    assert any("removed" in p for p in FOREIGN.problems(200, _ok(removed), [removed]))


def test_another_visitors_data_or_a_token_outside_the_own_key_fails():
    stale = _ok(HEX_ID, visitorEmails=[{"address": "ada@example.com"}, {"address": "bob@example.com"}])
    assert any("not asked for" in p for p in FOREIGN.problems(200, stale, [HEX_ID]))
    header = FOREIGN.problems(200, _ok(HEX_ID), [HEX_ID],
                              headers={"X-Cache-Visitor": "6650d1c0ffee0ddba11c0de6"})
    assert any("header X-Cache-Visitor" in p for p in header)
    assert any("token" in p for p in FOREIGN.problems(200, _ok(HEX_ID), [HEX_ID], reason=f"OK {TOKEN}"))


@pytest.mark.parametrize("known", [HEX_ID, METEOR_ID])
def test_near_misses_differ_from_the_id_for_objectids_and_meteor_ids(known):
    fill = placeholders(known, removed="r" * 24)
    sent = {name: expand(template, fill) for name, template in NEAR_MISSES.items()}
    assert known not in sent.values()
    assert sent["case-changed"].lower() == known.lower() and sent["case-changed"] != known
    assert known.startswith(sent["prefix"]) and known.endswith(sent["suffix"])
    assert sent["substring"] in known and len(sent["substring"]) >= len(known) // 2
    assert sent["pattern-anchored"] == f"^{known}$"
    assert expand("{removed}", fill) == "r" * 24


def test_redaction_masks_encoded_secrets_too():
    redactor = Redactor()
    redactor.add(TOKEN)
    text = redactor.text(f'ETag: W/"{_b64("id:" + TOKEN)}" Link: {quote(_b64(TOKEN), safe="")}')
    assert _b64("id:" + TOKEN) not in text and TOKEN not in text


def test_a_failure_detail_names_request_account_answer_and_curl():
    redactor = Redactor()
    redactor.add(TOKEN, "ci-auth-token-value")
    run = SimpleNamespace(
        url="https://chat.example/chat", redactor=redactor,
        auth={"X-User-Id": "ci-user", "X-Auth-Token": "ci-auth-token-value"},
        unprivileged_auth={"X-User-Id": "plain-user", "X-Auth-Token": "plain-token-value"},
        expected_answers={"t::x": '400 {"success": false, "error": "visitor-not-found"}'},
    )
    exchange = Exchange(0.0, "GET", f"https://chat.example/chat/api/v1/livechat/visitors.info?visitorId={HEX_ID}",
                        {"X-User-Id": "ci-user", "X-Auth-Token": "ci-auth-token-value"}, None, 200,
                        {"X-Visitor-Token": TOKEN, "Date": "today"}, _ok(HEX_ID, name="Ada"), 0.0,
                        reason="OK")
    exc = failure.Offending("the 200 answer contains a visitor's token value", [exchange])
    detail = failure.describe(run, "t::x", ("VI-TOKEN-ABSENT",), exc, "")
    assert "\n" not in detail.line and detail.line.startswith("VI-TOKEN-ABSENT: ")
    text = detail.text
    assert f"GET /chat/api/v1/livechat/visitors.info?visitorId={HEX_ID} as the CI account (200)" in text
    assert 'expected:  400 {"success": false, "error": "visitor-not-found"}' in text
    assert "X-Visitor-Token: [REDACTED]" in text and "Date" not in text
    assert ('curl -g -sS -i -H "X-User-Id: $RC_USER_ID" -H "X-Auth-Token: $RC_AUTH_TOKEN" '
            f"\"$RC_URL\"'/api/v1/livechat/visitors.info?visitorId={HEX_ID}'") in text
    assert TOKEN not in text and "ci-auth-token-value" not in text and '"Ada"' not in text


@pytest.mark.parametrize(("headers", "words"), [
    ({}, "no credentials"),
    ({"X-User-Id": "ci-user"}, "only X-User-Id"),
    ({"X-User-Id": "ci-user", "X-Auth-Token": "random"}, "a wrong token"),
    ({"X-User-Id": "plain-user", "X-Auth-Token": "ci-token"}, "a wrong user id"),
    ({"X-User-Id": "plain-user", "X-Auth-Token": "plain-token"}, "the unprivileged user"),
])
def test_the_account_of_a_request_is_named(headers, words):
    run = SimpleNamespace(auth={"X-User-Id": "ci-user", "X-Auth-Token": "ci-token"},
                          unprivileged_auth={"X-User-Id": "plain-user", "X-Auth-Token": "plain-token"})
    assert failure.account(run, headers)[0].startswith(words)


def test_schemathesis_checks_are_said_in_words():
    from schemathesis.core.failures import CustomFailure, FailureGroup

    raised = AssertionError("the 200 answer ...\nmore")
    raised.rc_check = "token_absent"
    found = CustomFailure(operation="GET", title="Custom check failed: `token_absent`",
                          message=str(raised), exception=raised)
    assert failure.fuzz_failures(FailureGroup([found])) == [
        "the visitor token appeared in the answer (VI-TOKEN-ABSENT check) [ST901 token_absent]: "
        "the 200 answer ..."]
