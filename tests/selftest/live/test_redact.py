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



def test_a_shortened_secret_is_masked_against_its_cut():
    """pytest and Schemathesis shorten a long repr ('rcct79...', or "...9f3a'" where the
    middle was cut): the secret's first or last characters against the cut are masked."""
    token, other = "rcct79e1c2b0a4f3d5e6b7a8c9d0e1f2", "rcct33a1b2c3d4e5f6a7b8c9d0e1f2a3"
    r = Redactor()
    r.add(token, other, "RC Contract 20261206-a", "RC Contract 20261206-b")
    assert r.text(f"""text='{{"token":"{token[:6]}...', reason='OK'""") == \
        f"""text='{{"token":"{MASK}...', reason='OK'"""
    assert r.text(f"'{token[:10]}\u2026'") == f"'{MASK}\u2026'"
    assert r.text(f"body: ...{token[-8:]}', 'application/json'") == \
        f"body: ...{MASK}', 'application/json'"
    # Cut at the end of the text, right after the quote that opened it.
    assert r.text(f"answer = '{other[:12]}") == f"answer = '{MASK}"


def test_a_shortened_secret_needs_a_cut_and_enough_characters():
    token = "rcct79e1c2b0a4f3d5e6b7a8c9d0e1f2"
    r = Redactor()
    r.add(token, "rcct33a1b2c3d4e5f6a7b8c9d0e1f2a3", "RC Contract 20261206-a",
          "RC Contract 20261206-b")
    kept = [
        f"{token[:5]}...",  # too short: 'rcct' is the suite's constant head
        f"{token[:12]} and more",  # no cut
        f"answer = {token[:12]}",  # at the end, but not in quotes
        "RC Contract 20261206...",  # what the two names share tells neither
        "rc-contract... and Contract...",  # ordinary words
    ]
    for text in kept:
        assert r.text(text) == text
