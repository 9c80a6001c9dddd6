"""VI-FUZZ: Schemathesis-generated requests get documented, well-formed answers.

Promise: the docs' document (statuses 200, 400, 401, 403 and their schemas), the error envelope
every Rocket.Chat failure has (docs/rocketchat-behaviour.md#bodies: `success: false`, a string
`error`), JSON answers (docs/rocketchat-behaviour.md#upstream-tests), no token (docs, from 8.5.0)
and no other visitor's data (design.md). Keys the document does not name are notices (judge.py),
never failures.
"""

import pytest

from rc_contract.contract import fuzz

schema = fuzz.schema()


@pytest.mark.clause("VI-FUZZ")
@schema.parametrize()
def test_generated_requests(case, rc):
    # Promise: the docs' statuses and schemas (Schemathesis' checks) and the module
    # docstring's checks on every answer (fuzz.suite_checks).
    fuzz.call_and_check(case, rc)


@pytest.mark.clause("VI-FUZZ")
@pytest.mark.parametrize("boundary", fuzz.boundaries(), ids=lambda b: b["name"])
def test_boundary_inputs(boundary, rc):
    # Promise: docs/rocketchat-behaviour.md#query-strings, each boundary query of spec/fuzz-boundaries.yaml.
    fuzz.check_boundary(schema, boundary, rc)
