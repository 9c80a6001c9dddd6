"""VI-NOT-FOUND: unknown, empty and removed ids answer visitor-not-found."""

import secrets

import pytest

from rc_contract.checks import Answer, check_exact_body

pytestmark = pytest.mark.clause("VI-NOT-FOUND")


def _check(rc, response):
    check_exact_body(
        Answer.of(response), rc.catalogue["VI-NOT-FOUND"].expectation(rc.contract_version)
    )


def test_unknown_id(rc):
    # Same shape as a real id (24 hex characters), so only the lookup can tell.
    _check(rc, rc.ask(params={"visitorId": secrets.token_hex(12)}))


def test_empty_id(rc):
    _check(rc, rc.ask("visitorId="))


def test_removed_visitor(rc):
    visitor = rc.visitors["removed"]
    rc.objects.remove_visitor(visitor)
    assert visitor.removed, "the visitor could not be removed (DELETE /api/v1/livechat/visitor)"
    _check(rc, rc.ask(params={"visitorId": visitor.id}))
