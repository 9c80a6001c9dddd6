"""The ledger that survives a crashed run, and the visitor tokens it derives."""

from rc_contract.objects.ledger import CREATED, PLANNED, REMOVED, Ledger, LedgerEntry, visitor_token


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
