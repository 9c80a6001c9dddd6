"""VI-NO-STORE: an answer that carries a visitor is marked not cacheable.

Promise: Rocket.Chat's route answers carry ``Cache-Control: no-store`` (and
``Pragma: no-cache``) on every 8.x and 9.0 (docs/rocketchat-behaviour.md#cache-headers),
so no proxy between the server and its clients keeps a person's contact data.
"""

import json

import pytest

from rc_contract.configuration.paths import ENDPOINT
from rc_contract.contract.checks import swept
from rc_contract.reports.failure import Offending

pytestmark = pytest.mark.clause("VI-NO-STORE")


def _directives(value):
    return {part.strip().split("=", 1)[0].lower() for part in value.split(",") if part.strip()}


def _carries_a_visitor(body):
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("visitor"), dict)


def _problem(status, cache_control):
    if "no-store" in _directives(cache_control):
        return None
    shown = f"Cache-Control {cache_control!r}" if cache_control else "no Cache-Control header"
    return f"a {status} answer carrying a visitor has {shown}, expected no-store"


@pytest.mark.shares_answer  # VI-OK-SHAPE's case for visitor a asks the same
def test_a_known_visitor_is_not_cacheable(rc):
    # Promise: docs/rocketchat-behaviour.md#cache-headers, route answers carry cache-control: no-store (every
    # 8.x and 9.0).
    response = rc.ask(params={"visitorId": rc.visitors["a"].id})
    assert _carries_a_visitor(response.text), f"status {response.status_code}: no visitor to judge"
    problem = _problem(response.status_code, response.headers.get("Cache-Control", ""))
    assert problem is None, problem


@pytest.mark.after_all
def test_no_answer_of_the_run_carrying_a_visitor_is_cacheable(rc, request):
    """Every visitors.info answer of the run that carries a visitor, fuzzing included."""
    # Promise: docs/rocketchat-behaviour.md#cache-headers, as above; zero answers carrying a visitor is not
    # judged.
    carrying = swept(rc, request.node.nodeid, "VI-NO-STORE",
                     [e for e in rc.recorder.for_path(ENDPOINT) if _carries_a_visitor(e.body)])
    # One request per kind of problem: the failure names it (and a curl line for it).
    found = {}
    for e in carrying:
        problem = _problem(e.status, e.header("Cache-Control"))
        if problem:
            found.setdefault(problem, e)
    problems = sorted(found)
    if problems:
        raise Offending(f"{len(problems)} kind(s) of answer, of {len(carrying)} examined: "
                        + "; ".join(problems[:3]), [found[p] for p in problems])
