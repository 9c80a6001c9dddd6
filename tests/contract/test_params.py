"""VI-PARAM-MISSING, VI-PARAM-TYPE, VI-PARAM-EXTRA: the query validator's answers.

Promise: the docs' 400 "Example 1" (missing `visitorId`, exact invalid-params body) and
the route's query validator `isLivechatVisitorsInfoProps`, the same JSON Schema in every
8.x and 9.0 (rocketchat-behaviour.md sections 1 and 4: `{visitorId: string}`, required,
`additionalProperties: false`, Ajv's first error as `<message> [invalid-params]`).
Queries are sent exactly as written, as a client would put them on the wire; where a
real visitor id appears, a server that skips validation answers 200.
"""

import pytest

from rc_contract.checks import Answer, judge_answer


def _check(rc, clause_id, response):
    answer = Answer.of(response)
    if answer.status == 200:
        body = answer.json()
        assert not (isinstance(body, dict) and body.get("visitor")), (
            f"{clause_id}: the server answered 200 with a visitor instead of refusing the query"
        )
    judge_answer(rc, clause_id, response)


@pytest.mark.clause("VI-PARAM-MISSING")
@pytest.mark.parametrize("query", ["none", "wrong-case-name"])
def test_missing_visitor_id(rc, query):
    # Promise: docs 400 Example 1; section 4 ("(none)", "visitorid=abc (wrong case)").
    text = None if query == "none" else f"visitorid={rc.visitors['a'].id}"
    _check(rc, "VI-PARAM-MISSING", rc.info(text))


@pytest.mark.clause("VI-PARAM-TYPE")
@pytest.mark.parametrize("query", ["given-twice", "object-ne-operator"])
def test_visitor_id_must_be_a_string(rc, query):
    # Promise: section 4 (`visitorId=a&visitorId=b` and `visitorId[$ne]=x`: 400 must be string).
    visitor_id = rc.visitors["a"].id
    text = {
        "given-twice": f"visitorId={visitor_id}&visitorId={rc.visitors['b'].id}",
        # A NoSQL operator: a server that passes it to the database returns a visitor.
        "object-ne-operator": "visitorId[$ne]=rc-contract-none",
    }[query]
    _check(rc, "VI-PARAM-TYPE", rc.info(text))


@pytest.mark.clause("VI-PARAM-EXTRA")
@pytest.mark.parametrize("extra", ["unknown-name", "cache-buster"])
def test_unknown_extra_parameter(rc, extra):
    # Promise: section 4 (any unknown extra parameter, a cache buster `_=` included:
    # 400 must NOT have additional properties).
    parameter = {"unknown-name": "rcContract=1", "cache-buster": "_=1764000000000"}[extra]
    _check(rc, "VI-PARAM-EXTRA", rc.info(f"visitorId={rc.visitors['a'].id}&{parameter}"))
