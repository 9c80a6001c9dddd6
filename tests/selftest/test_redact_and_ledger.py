"""Redaction of secrets and personal data; the ledger that survives a crashed run."""

import json

from rc_contract.live.redact import MASK, Redactor
from rc_contract.objects.ledger import CREATED, PLANNED, REMOVED, Ledger, LedgerEntry, visitor_token


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


def test_visitor_tokens_are_derived_not_stored():
    a = visitor_token("account-secret", "run1", "a")
    assert a == visitor_token("account-secret", "run1", "a")
    assert a != visitor_token("account-secret", "run1", "b")
    assert a != visitor_token("other-secret", "run1", "a")


def test_ledger_tracks_outstanding_objects(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.write(LedgerEntry("run1", "http://t", "visitor", "a", PLANNED))
    ledger.write(LedgerEntry("run1", "http://t", "visitor", "a", CREATED, object_id="v1"))
    ledger.write(LedgerEntry("run1", "http://t", "visitor", "b", PLANNED))
    ledger.write(LedgerEntry("run1", "http://t", "visitor", "b", REMOVED))
    ledger.write(LedgerEntry("run1", "http://t", "user", "u", PLANNED, username="rcct-u"))
    outstanding = {(e.kind, e.label): e for e in ledger.outstanding("http://t")}
    assert set(outstanding) == {("visitor", "a"), ("user", "u")}
    assert outstanding[("visitor", "a")].object_id == "v1"
    assert outstanding[("user", "u")].username == "rcct-u"
    assert ledger.outstanding("http://other") == []
