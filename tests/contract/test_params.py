"""VI-PARAM-MISSING, VI-PARAM-TYPE, VI-PARAM-EXTRA: the query validator's answers.

Promise: the docs' 400 "Example 1" (missing `visitorId`, exact invalid-params body) and
the route's query validator `isLivechatVisitorsInfoProps`, the same JSON Schema in every
8.x and 9.0 (docs/rocketchat-behaviour.md#query-validator, #query-strings: `{visitorId: string}`, required,
`additionalProperties: false`, Ajv's first error as `<message> [invalid-params]`).
Queries are sent exactly as written, as a client would put them on the wire; where a
real visitor id appears, a server that skips validation answers 200.
"""

import pytest

from rc_contract.contract.checks import Answer, judge_answer
from rc_contract.contract.fuzz import GENERIC_PARAMETERS
from rc_contract.outcomes import NotAssertedSkip, NotSentSkip


def _check(rc, clause_id, response):
    answer = Answer.of(response)
    if answer.status == 200:
        body = answer.json()
        assert not (isinstance(body, dict) and body.get("visitor")), (
            f"{clause_id}: the server answered 200 with a visitor instead of refusing the query"
        )
    judge_answer(rc, clause_id, response)


@pytest.mark.clause("VI-PARAM-MISSING")
# "none" is the preflight's own question: it takes the preflight's answer.
@pytest.mark.parametrize("query", [pytest.param("none", marks=pytest.mark.shares_answer),
                                   "wrong-case-name"])
def test_missing_visitor_id(rc, query):
    # Promise: docs 400 Example 1; docs/rocketchat-behaviour.md#query-strings ("(none)", "visitorid=abc (wrong
    # case)").
    text = None if query == "none" else f"visitorid={rc.visitors['a'].id}"
    _check(rc, "VI-PARAM-MISSING", rc.ask(text))


@pytest.mark.clause("VI-PARAM-TYPE")
@pytest.mark.parametrize("query", ["given-twice", "object-ne-operator"])
def test_visitor_id_must_be_a_string(rc, query):
    # Promise: docs/rocketchat-behaviour.md#query-strings (`visitorId=a&visitorId=b` and `visitorId[$ne]=x`:
    # 400 must be string).
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
    # Promise: docs/rocketchat-behaviour.md#query-strings (any unknown extra parameter, a cache buster `_=`
    # included: 400 must NOT have additional properties).
    parameter = {"unknown-name": "rcContract=1", "cache-buster": "_=1764000000000"}[extra]
    _check(rc, "VI-PARAM-EXTRA", rc.ask(f"visitorId={rc.visitors['a'].id}&{parameter}"))


@pytest.mark.clause("VI-PARAM-EXTRA")
@pytest.mark.budgeted  # on a limited server: sent while RC_TIME_BUDGET holds it
@pytest.mark.parametrize("name", list(GENERIC_PARAMETERS))
def test_generic_parameter(rc, name):
    """Rocket.Chat's older REST layer honoured fields, sort, query, count and offset on many
    routes (``fields``, a projection, was a way to read hidden fields such as ``token``):
    here each is an extra parameter like any other, refused, and changes nothing."""
    # Promise: docs/rocketchat-behaviour.md#query-validator and
    # docs/rocketchat-behaviour.md#query-strings (the validator's `additionalProperties:
    # false`; any extra parameter: 400 must NOT have additional properties). Each alone, with a real id, as
    # VI-FUZZ's boundary query of the same name sends it: one answer serves both.
    parameter, value = GENERIC_PARAMETERS[name]
    response = rc.ask_if_fits(params={"visitorId": rc.visitors["a"].id, parameter: value})
    if response is None:
        raise NotSentSkip(f"{parameter}= would go out after the {rc.budget.seconds:.0f} s "
                          "budget's deadline on a limited server; raise RC_TIME_BUDGET")
    _check(rc, "VI-PARAM-EXTRA", response)


@pytest.mark.clause("VI-PARAM-TYPE")
def test_array_form_of_one_value(rc):
    """``visitorId[]=<id>``: coerced to the id and looked up (8.4 on), refused as not a
    string (8.0), unknown in between: the catalogue's evidence decides what is asserted."""
    # Promise: docs/rocketchat-behaviour.md#array-form (ajvQuery coerceTypes 'array', verified 8.6.1 and
    # 8.8.1; spec/clauses.yaml VI-PARAM-TYPE array-brackets, with the evidence of each version span).
    visitor = rc.visitors["a"]
    response = rc.ask(f"visitorId[]={visitor.id}")
    answer = Answer.of(response)
    expectations = rc.expectations("VI-PARAM-TYPE", "array-brackets")
    forms = {e.behaviour[1] for e in expectations if e.behaviour}
    saw = _array_form(answer, visitor.id)
    if forms == {"coerced"}:
        assert saw == "coerced", f"visitorId[]=<id> was {saw}; expected it coerced to the id (200)"
    elif forms == {"refused"}:
        judge_answer(rc, "VI-PARAM-TYPE", response)
    else:
        unknown = "; ".join(e.evidence.source for e in expectations if not e.known)
        known = ", ".join(sorted(forms - {"unknown"}))
        line = rc.observe("VI-PARAM-TYPE", "array-brackets",
                          f"not known: {unknown}" + (f" (or {known})" if known else ""), saw)
        raise NotAssertedSkip(f"not asserted: {line}")


def _array_form(answer, visitor_id):
    """What the server made of the array form: coerced (the visitor), refused, or else."""
    body = answer.json()
    visitor = body.get("visitor") if isinstance(body, dict) else None
    if answer.status == 200 and isinstance(visitor, dict) and visitor.get("_id") == visitor_id:
        return "coerced"
    if answer.status == 400 and isinstance(body, dict) and body.get("error") == (
        "must be string [invalid-params]"
    ):
        return "refused"
    return f"answered {answer.status}"
