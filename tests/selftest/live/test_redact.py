"""Redaction of secrets and personal data."""

import json

from rc_contract.live.redact import MASK, Redactor


def test_known_values_are_masked_everywhere():
    r = Redactor()
    r.add("s3cret-password", "Visitor.Name@Example.com", None, "ab")  # short values ignored
    text = "login with s3cret-password; email visitor.name@example.com; ab stays"
    assert r.text(text) == f"login with {MASK}; email {MASK}; ab stays"


def test_sensitive_headers_and_keys_are_masked_whatever_their_value():
    r = Redactor()
    assert r.headers({"X-Auth-Token": "anything", "X-User-Id": "u1"}) == {
        "X-Auth-Token": MASK, "X-User-Id": "u1"}
    data = {"visitor": {"token": "t", "name": "Jane", "phone": [{"phoneNumber": "+1"}],
                        "visitorEmails": [{"address": "j@x"}], "_id": "id1"}}
    masked = r.data(data)
    assert masked["visitor"]["_id"] == "id1"
    assert json.dumps(masked).count(MASK) == 4

