"""VI-EXTIDS-SHAPE: externalIds, when present, is a list of {appId, entityId, metadata?}."""

import json

import pytest

from rc_contract.paths import ENDPOINT

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
def test_every_external_ids_of_the_run(rc):
    problems = []
    for exchange in rc.recorder.for_path(ENDPOINT):
        if exchange.status != 200:
            continue
        try:
            visitor = json.loads(exchange.body).get("visitor")
        except (ValueError, AttributeError):
            continue
        if isinstance(visitor, dict) and "externalIds" in visitor:
            problems += shape_problems(visitor["externalIds"])
    assert not problems, "; ".join(sorted(set(problems))[:5])
