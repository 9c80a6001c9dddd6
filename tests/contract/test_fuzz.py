"""VI-FUZZ: Schemathesis-generated requests get documented, well-formed answers."""

import pytest

from rc_contract import fuzz

schema = fuzz.schema()


@pytest.mark.clause("VI-FUZZ")
@schema.parametrize()
def test_generated_requests(case, rc):
    fuzz.call_and_check(case, rc)
