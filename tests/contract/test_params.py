"""VI-PARAM-MISSING, VI-PARAM-TYPE, VI-PARAM-EXTRA: the query validator's answers.

Queries are sent exactly as written, as a client would put them on the wire;
where a real visitor id appears, a server that skips validation answers 200.
"""

import pytest

from rc_contract.checks import Answer, check_exact_body


def _check(rc, clause_id, response):
    expectation = rc.catalogue[clause_id].expectation(rc.contract_version)
    answer = Answer.of(response)
    if answer.status == 200:
        body = answer.json()
        assert not (isinstance(body, dict) and body.get("visitor")), (
            f"{clause_id}: the server answered 200 with a visitor instead of refusing the query"
        )
    check_exact_body(answer, expectation)


@pytest.mark.clause("VI-PARAM-MISSING")
@pytest.mark.parametrize("query", ["none", "wrong-case-name"])
def test_missing_visitor_id(rc, query):
    text = None if query == "none" else f"visitorid={rc.visitors['a'].id}"
    _check(rc, "VI-PARAM-MISSING", rc.ask(text))


@pytest.mark.clause("VI-PARAM-TYPE")
@pytest.mark.parametrize("query", ["given-twice", "object-ne-operator"])
def test_visitor_id_must_be_a_string(rc, query):
    visitor_id = rc.visitors["a"].id
    text = {
        "given-twice": f"visitorId={visitor_id}&visitorId={rc.visitors['b'].id}",
        # A NoSQL operator: a server that passes it to the database returns a visitor.
        "object-ne-operator": "visitorId[$ne]=rc-contract-none",
    }[query]
    _check(rc, "VI-PARAM-TYPE", rc.ask(text))


@pytest.mark.clause("VI-PARAM-EXTRA")
@pytest.mark.parametrize("extra", ["unknown-name", "cache-buster"])
def test_unknown_extra_parameter(rc, extra):
    # "_" is what jQuery-style clients add to defeat caches: refused all the same.
    parameter = {"unknown-name": "rcContract=1", "cache-buster": "_=1764000000000"}[extra]
    _check(rc, "VI-PARAM-EXTRA", rc.ask(f"visitorId={rc.visitors['a'].id}&{parameter}"))
