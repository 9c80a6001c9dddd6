"""The proof that the suite can fail (issue: fault catalogue, every fault caught).

The whole proof runs once (several suite runs in parallel); then each fault and
each clean version is its own test, and the mutation score is written to
reports/mutation-score.{json,md} and printed at the end of the session.
"""

from collections import Counter

import pytest

from rc_contract.commands import prove as proof
from rc_contract.configuration.paths import project_root
from rc_contract.contract import load_catalogue
from rc_contract.reference.faults import catalogue

CONTRACT_FAULTS = [f for f in catalogue().values() if f.kind == "contract"]


def test_catalogue_is_big_enough_and_covers_every_clause():
    assert len(CONTRACT_FAULTS) >= 30
    clause_ids = set(load_catalogue().ids)
    per_clause = Counter(cid for f in CONTRACT_FAULTS for cid in f.clauses)
    assert set(per_clause) <= clause_ids, "a fault names an unknown clause"
    missing = clause_ids - set(per_clause)
    assert not missing, f"clauses no fault proves: {sorted(missing)}"
    thin = {cid: n for cid, n in per_clause.items() if n < 3}
    assert not thin, f"clauses caught by fewer than 3 faults: {thin}"


@pytest.fixture(scope="module")
def proof_report(request):
    report = proof.prove(proof.plan(), workers=3, progress=False)
    proof.write(report, project_root() / "reports")
    request.config._rc_proof = report  # read by tests/selftest/conftest.py's summary
    return {run["name"]: run for run in report["runs"]}


@pytest.mark.parametrize("version", proof.CLEAN_VERSIONS)
def test_clean_version_passes(proof_report, version):
    run = proof_report[f"clean-{version}"]
    assert run["exit_code"] == 0, run


@pytest.mark.parametrize("fault", CONTRACT_FAULTS, ids=lambda f: f.name)
def test_fault_is_caught_by_its_clause(proof_report, fault):
    run = proof_report[fault.name]
    assert run["exit_code"] == 1, f"{fault.name}: exit {run['exit_code']} {run['detail']}"
    missed = set(fault.clauses) - set(run["failed_clauses"])
    assert not missed, f"{fault.name} ({fault.description}) not caught by {sorted(missed)}"
