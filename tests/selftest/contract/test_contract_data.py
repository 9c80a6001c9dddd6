"""The bundled document, its repairs, the upstream forms and the clause catalogue."""

import ast
import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from rc_contract.configuration.paths import ENDPOINT, project_root, spec_dir
from rc_contract.contract import load_bundled, load_catalogue, load_document
from rc_contract.contract.catalogue import parse_catalogue
from rc_contract.contract.document import DOCS_JSON, fuzz_document, strict_ok_schema
from rc_contract.contract.patches import load_registry
from rc_contract.releases import UnsupportedVersion, load_releases
from rc_contract.versions import RCVersion

ROOT = project_root()
SHARED = ROOT.parent / "shared"
UPSTREAM = sorted((SHARED / "upstream").glob("*.yaml")) if (SHARED / "upstream").is_dir() else []


def test_bundled_document_is_byte_for_byte_as_provenance_says():
    data = (spec_dir() / "visitors-info.openapi.json").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest in (spec_dir() / "PROVENANCE.md").read_text()
    assert load_bundled().sha256 == digest


@pytest.mark.skipif(not (SHARED / "seed").is_dir(), reason="shared/seed not beside the checkout")
def test_bundled_document_equals_the_seed():
    seed = (SHARED / "seed" / "visitors-info.openapi.json").read_bytes()
    assert (spec_dir() / "visitors-info.openapi.json").read_bytes() == seed


@pytest.mark.parametrize(
    "patch",
    [p for p in load_registry(spec_dir() / "patches.yaml") if DOCS_JSON in p.forms],
    ids=lambda p: p.name,
)
def test_each_docs_patch_is_still_needed(patch):
    """Fails once the published docs no longer have the defect: retire the patch then."""
    raw = json.loads((spec_dir() / "visitors-info.openapi.json").read_text())
    assert patch.find(raw), f"{patch.name}: the bundled document no longer has this defect"
    assert patch.apply(raw)
    assert not patch.find(raw), f"{patch.name}: the repair leaves the defect in place"


def test_every_patch_has_a_reason_and_a_known_form():
    for patch in load_registry(spec_dir() / "patches.yaml"):
        assert len(patch.reason) > 40, patch.name
        assert set(patch.forms) <= {"docs-json", "upstream-yaml"}, patch.name


def _no_string_booleans(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("required", "additionalProperties", "success"):
                assert value not in ("true", "false"), key
            _no_string_booleans(value)
    elif isinstance(node, list):
        for value in node:
            _no_string_booleans(value)


def test_repaired_document_has_no_string_booleans():
    loaded = load_bundled()
    _no_string_booleans(loaded.document)
    assert [p.name for p in loaded.applied] == [
        "string-boolean-parameter-required",
        "string-boolean-additional-properties",
        "string-boolean-example-success",
    ]


def test_response_schemas_are_valid_json_schema():
    loaded = load_bundled()
    for status in loaded.documented_statuses:
        Draft7Validator.check_schema(loaded.response_schema(status))
    Draft7Validator.check_schema(strict_ok_schema(loaded))


def test_examples_are_valid_against_their_schemas_once_repaired():
    loaded = load_bundled()
    for status in (200, 400):
        content = loaded.operation["responses"][str(status)]["content"]["application/json"]
        for example in content["examples"].values():
            Draft7Validator(loaded.response_schema(status)).validate(example["value"])


def test_strict_schema_is_stricter():
    strict = Draft7Validator(strict_ok_schema(load_bundled()))
    good = {"success": True, "visitor": {"_id": "x", "ts": "2026-06-05T11:22:30.664Z"}}
    assert strict.is_valid(good)
    assert not strict.is_valid({**good, "success": "true"})
    assert not strict.is_valid({"success": True, "visitor": {"_id": "x", "ts": 1780000000}})
    assert not strict.is_valid({"success": True, "visitor": {"_id": "x", "ts": "June 5"}})
    assert not strict.is_valid({"success": True, "visitor": {"_id": "x", "phone": [{"n": "1"}]}})


def test_fuzz_document_pins_auth_headers():
    parameters = fuzz_document(load_bundled())["paths"][ENDPOINT]["get"]["parameters"]
    assert [p.get("name") for p in parameters] == ["visitorId"]
    assert parameters[0]["required"] is True


@pytest.mark.skipif(not UPSTREAM, reason="shared/upstream not beside the checkout")
@pytest.mark.parametrize("path", UPSTREAM, ids=lambda p: p.name)
def test_upstream_yaml_form_loads(path):
    loaded = load_document(path)
    assert loaded.form == "upstream-yaml"
    assert list(loaded.document["paths"]) == [ENDPOINT]
    refs = [p.get("$ref") for p in loaded.operation["parameters"]]
    assert "#/components/parameters/UserId" in refs and "#/components/parameters/AuthToken" in refs
    for status in loaded.documented_statuses:
        Draft7Validator.check_schema(loaded.response_schema(status))
    assert "upstream-components" in [p.name for p in loaded.applied]


def test_invalid_document_is_a_clear_error(tmp_path):
    from rc_contract.contract.document import DocumentError

    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DocumentError, match="invalid JSON"):
        load_document(bad)
    other = tmp_path / "other.yaml"
    other.write_text("/api/v1/other: {}\n")
    with pytest.raises(DocumentError, match="no path"):
        load_document(other)


def _marker_ids(path: Path) -> set[str]:
    ids = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "clause"
        ):
            ids |= {arg.value for arg in node.args if isinstance(arg, ast.Constant)}
    return ids


def test_catalogue_and_clause_markers_do_not_drift():
    """Every clause has a test, and every marker names a clause of the catalogue."""
    catalogue = set(load_catalogue().ids)
    marked: set[str] = set()
    for path in sorted((ROOT / "tests" / "contract").glob("test_*.py")):
        ids = _marker_ids(path)
        assert ids, f"{path.name} has no clause marker"
        marked |= ids
    assert marked - catalogue == set(), "markers name clauses missing from spec/clauses.yaml"
    assert catalogue - marked == set(), "clauses without a test in tests/contract"


def test_catalogue_holds_design_clauses_with_ranges():
    catalogue = load_catalogue()
    design_ids = {
        "VI-AUTH-401", "VI-PERM-403", "VI-PARAM-MISSING", "VI-PARAM-TYPE", "VI-PARAM-EXTRA",
        "VI-NOT-FOUND", "VI-OK-SHAPE", "VI-TOKEN-ABSENT", "VI-EXTIDS-SHAPE", "VI-CONTENT-TYPE",
        "VI-FUZZ",
    }
    assert design_ids <= set(catalogue.ids)
    assert str(catalogue["VI-TOKEN-ABSENT"].versions) == ">=8.5.0"
    assert str(catalogue["VI-EXTIDS-SHAPE"].versions) == ">=8.4.0"
    for clause in catalogue.clauses:
        assert re.fullmatch(r"VI-[A-Z0-9-]+", clause.id)
        if str(clause.versions) != "all":
            assert clause.notice, f"{clause.id} is version-gated but says nothing about upgrades"


# -- evidence per expectation (spec/clauses.yaml) and the versions the suite knows --

def _raw_catalogue():
    return yaml.safe_load((ROOT / "spec" / "clauses.yaml").read_text("utf-8"))


def test_every_expectation_records_its_evidence():
    """Each `expect` entry says how it is known; a version-gated clause says it for its gate."""
    for clause in _raw_catalogue()["clauses"]:
        for index, entry in enumerate(clause.get("expect", [])):
            where = f"{clause['id']} expect[{index}] ({entry.get('versions')})"
            evidence = entry.get("evidence")
            assert isinstance(evidence, dict), f"{where} has no evidence field"
            assert evidence.get("level") in ("verified", "inferred", "unknown"), where
            assert evidence.get("source"), f"{where}: evidence without a source"
            if evidence["level"] == "verified":
                assert evidence.get("at"), f"{where}: verified, but at which versions?"
        if clause["versions"] != "all" and not clause.get("expect"):
            assert "evidence" in clause, f"{clause['id']} is version-gated without evidence"


def test_the_catalogue_refuses_an_expectation_without_evidence():
    raw = _raw_catalogue()
    entry = next(c for c in raw["clauses"] if c["id"] == "VI-AUTH-401")["expect"][0]
    del entry["evidence"]
    with pytest.raises(ValueError, match="evidence"):
        parse_catalogue(raw)


def test_each_version_dependent_case_covers_every_known_version():
    """A known version with no expectation would stop a case: every case covers them all."""
    catalogue, releases = load_catalogue(), load_releases()
    for clause in catalogue.clauses:
        for case in {e.case for e in clause.expectations}:
            for version in releases.known():
                if clause.applies_to(version) or clause.observes(version):
                    clause.expectation(version, case)  # raises LookupError when uncovered


def test_unknown_spans_of_the_behaviour_document_are_unknown_in_the_catalogue():
    """The token on 8.3.4+ and 8.4.2+, visitorId[]=a on 8.1 to 8.3
    (docs/rocketchat-behaviour.md#token-by-version, #array-form)."""
    catalogue = load_catalogue()
    token, param = catalogue["VI-TOKEN-ABSENT"], catalogue["VI-PARAM-TYPE"]
    for text in ("8.3.4", "8.3.8", "8.4.2", "8.4.4"):
        assert token.expectation(RCVersion.parse(text)).evidence.level == "unknown", text
    for text in ("8.3.3", "8.4.1", "8.5.0", "9.0.0"):
        assert token.expectation(RCVersion.parse(text)).evidence.level != "unknown", text
    for text in ("8.1.0", "8.2.4", "8.3.8"):
        entry = param.expectation(RCVersion.parse(text), "array-brackets")
        assert entry.evidence.level == "unknown", text
    assert param.expectation(RCVersion.parse("8.4.0"), "array-brackets").evidence.level == "inferred"


def test_a_release_candidate_is_judged_before_its_release():
    """9.0.0-rc.3 keeps the 8.x 401 body and has 9.0's 403 errorType
    (docs/rocketchat-behaviour.md#body-401, #body-403)."""
    catalogue = load_catalogue()
    rc = RCVersion.parse("9.0.0-rc.3")
    assert "status" in catalogue["VI-AUTH-401"].expectation(rc).body
    assert "errorType" in catalogue["VI-PERM-403"].expectation(rc).optional
    assert "status" not in catalogue["VI-AUTH-401"].expectation(RCVersion.parse("9.1.0-rc.4")).body


@pytest.mark.parametrize(
    ("text", "judged_by", "notice"),
    [("9.0.0", "9.0.0", None), ("9.0.0-rc.3", "9.0.0-rc.3", None), ("8.5.5", "8.5.5", None),
     ("9.1.0-rc.4", "9.0.0", "newer than the newest"), ("8.1.5", "8.3.0", "older than the oldest"),
     ("8.0.0", "8.3.0", "older than the oldest"), ("8.10.0-develop", "8.10.0-develop", "not a release"),
     ("9.0", "9.0", None)],
)
def test_how_each_version_is_judged(text, judged_by, notice):
    version, said = load_releases().judge(RCVersion.parse(text))
    assert str(version) == judged_by
    assert (said is None) if notice is None else (notice in said)


@pytest.mark.parametrize("text", ["7.0.0", "7.99.99", "8.0.0-rc.1"])
def test_before_8_0_cannot_be_judged(text):
    with pytest.raises(UnsupportedVersion, match=r"older than 8\.0\.0"):
        load_releases().judge(RCVersion.parse(text))


def test_a_major_minor_version_stands_for_every_known_release_of_its_line():
    releases = load_releases()
    line = [str(v) for v in releases.candidates(RCVersion.parse("9.0"))]
    assert line == [f"9.0.0-rc.{n}" for n in range(1, 9)] + ["9.0.0"]
    assert [str(v) for v in releases.candidates(RCVersion.parse("8.6"))] == [
        "8.6.0", "8.6.1", "8.6.2", "8.6.3", "8.6.4"]
    both = load_catalogue()["VI-AUTH-401"].expectations_for(releases.candidates(RCVersion.parse("9.0")))
    assert [str(e.versions) for e in both] == ["<9.0.0", ">=9.0.0"]
