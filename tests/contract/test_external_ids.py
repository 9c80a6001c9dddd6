"""VI-EXTIDS-SHAPE: externalIds, when present, is a list of {appId, entityId, metadata?}.

Promise: the docs' 200 schema (`externalIds` items: `appId`, `entityId` strings,
`metadata` object; changelog 8.4.0) and `@rocket.chat/core-typings` 8.4+
(docs/rocketchat-behaviour.md#external-ids: `{appId: string, entityId: string, metadata?: object}[]`).
Only apps set it (no REST endpoint can), so without RC_EXTERNAL_IDS_VISITOR a run may
see none: the clause is then reported as not judged (skipped), never passed.
"""

import json

import pytest

from rc_contract.configuration.paths import ENDPOINT
from rc_contract.contract.checks import swept
from rc_contract.reports.failure import Offending

pytestmark = pytest.mark.clause("VI-EXTIDS-SHAPE")


def shape_problems(external_ids):
    if not isinstance(external_ids, list):
        return [f"externalIds is a {type(external_ids).__name__}, not an array"]
    problems = []
    for index, item in enumerate(external_ids):
        where = f"externalIds[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where} is not an object")
            continue
        for key in ("appId", "entityId"):
            if not isinstance(item.get(key), str):
                problems.append(f"{where}.{key} is {type(item.get(key)).__name__}, not a string")
        if "metadata" in item and not isinstance(item["metadata"], dict):
            problems.append(f"{where}.metadata is not an object")
    return problems


def test_visitor_known_to_carry_external_ids(rc):
    # Promise: the docs' externalIds item schema, on a visitor known to carry it (a
    # given RC_EXTERNAL_IDS_VISITOR was checked to carry it when the run started).
    if not rc.external_ids_visitor:
        pytest.skip(
            "RC_EXTERNAL_IDS_VISITOR is not set: no visitor known to carry externalIds "
            "(only omnichannel apps can set them, no REST endpoint can)"
        )
    response = rc.ask(params={"visitorId": rc.external_ids_visitor})
    assert response.status_code == 200, f"status {response.status_code}, expected 200"
    visitor = response.json().get("visitor") or {}
    assert "externalIds" in visitor, "the visitor known to carry externalIds has none"
    problems = shape_problems(visitor["externalIds"])
    assert not problems, "; ".join(problems)


@pytest.mark.after_all
def test_every_external_ids_of_the_run(rc, request):
    # Promise: the same schema, on every visitor any answer of the run carried.
    answers = [e for e in rc.recorder.for_path(ENDPOINT) if e.status == 200]
    swept(rc, request.node.nodeid, "VI-EXTIDS-SHAPE", answers)
    problems, arrays, offending = [], 0, {}
    for exchange in answers:
        try:
            visitor = json.loads(exchange.body).get("visitor")
        except (ValueError, AttributeError):
            continue
        if isinstance(visitor, dict) and "externalIds" in visitor:
            arrays += 1
            found = shape_problems(visitor["externalIds"])
            problems += found
            for problem in found:
                offending.setdefault(problem, exchange)
    if problems:
        # The failure names one request per kind of problem (and a curl line for it).
        kinds = sorted(set(problems))
        raise Offending("; ".join(kinds[:5]), [offending[p] for p in kinds])
    if not arrays:
        # Skipped, not an error of the run: without apps no visitor carries externalIds.
        pytest.skip(f"nothing to judge (not passed): none of the {len(answers)} visitor answers "
                    "of the run carried externalIds; set RC_EXTERNAL_IDS_VISITOR to a visitor an "
                    "app linked")
