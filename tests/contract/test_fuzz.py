"""VI-FUZZ: Schemathesis-generated requests get documented, well-formed answers."""

import pytest

from rc_contract import fuzz

schema = fuzz.schema()


@pytest.mark.clause("VI-FUZZ")
@schema.parametrize()
def test_generated_requests(case, rc):
    fuzz.call_and_check(case, rc)


@pytest.mark.clause("VI-FUZZ")
@pytest.mark.parametrize("boundary", fuzz.boundaries(), ids=lambda b: b["name"])
def test_boundary_inputs(boundary, rc):
    fuzz.check_boundary(schema, boundary, rc)
