"""The evidence the reports cite is the project's own document, and every reference opens.

spec/clauses.yaml's evidence lines (summary.json, summary.md, report.html), the
variants' promises and the `Promise:` notes of the contract cases cite
docs/rocketchat-behaviour.md by anchor. A reference to an anchor the document does
not have, to a numbered section, or to a file outside the project is a defect.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from rc_contract.configuration.paths import project_root
from rc_contract.contract.catalogue import load_catalogue
from rc_contract.reference.variants import catalogue as variant_catalogue

ROOT = project_root()
DOC = "docs/rocketchat-behaviour.md"
# A reference: the path, then one or more anchors ("#bodies", "#bodies, #upstream-tests").
REFERENCE = re.compile(
    r"(?P<path>[\w./-]*rocketchat-behaviour\.md)(?P<anchors>(?:(?:#|, #| and #)[a-z0-9-]+)*)"
)
ANCHOR = re.compile(r'^<a id="([a-z0-9-]+)"></a>$', re.MULTILINE)
# Numbered sections were the old citation; a standard's (RFC 9112 section 7.1) are fine.
NUMBERED = re.compile(r"(?<!RFC \d{4} )\bsections? \d+\b")
SCANNED = ("spec", "src", "tests", "docs")
SUFFIXES = {".py", ".yaml", ".json", ".md", ".j2"}


def anchors() -> set[str]:
    text = (ROOT / DOC).read_text()
    found = ANCHOR.findall(text)
    assert len(found) == len(set(found)), "an anchor is defined twice"
    return set(found)


def references(text: str) -> list[tuple[str, list[str]]]:
    return [(m["path"], re.findall(r"#([a-z0-9-]+)", m["anchors"])) for m in REFERENCE.finditer(text)]


def scanned_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts:
                files.append(path)
    return files


def test_every_anchor_heads_a_section() -> None:
    text = (ROOT / DOC).read_text()
    for anchor in anchors():
        after = text.split(f'<a id="{anchor}"></a>\n', 1)[1]
        assert after.startswith("#"), f"#{anchor} is not followed by a heading"


@pytest.mark.parametrize("path", scanned_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_reference_in_the_project_resolves(path: Path) -> None:
    if path.name == Path(__file__).name:
        return
    known = anchors()
    text = path.read_text(errors="replace")
    if path.relative_to(ROOT).as_posix() == DOC:
        return
    for cited, names in references(text):
        # A Markdown link is relative to its page; a citation names the path from the project root.
        bases = {ROOT, path.parent} if path.suffix == ".md" else {ROOT}
        assert (ROOT / DOC).resolve() in {(base / cited).resolve() for base in bases}, (
            f"{path.name} cites {cited!r}: cite {DOC} (the project's own copy)"
        )
        missing = [n for n in names if n not in known]
        assert not missing, f"{path.name} cites {DOC}#{', #'.join(missing)}: no such anchor"


@pytest.mark.parametrize("path", [p for p in scanned_files() if p.suffix == ".yaml"]
                         + sorted((ROOT / "tests" / "contract").glob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_numbered_section_is_cited(path: Path) -> None:
    """Numbered sections of a document a user does not have; anchors replace them."""
    found = NUMBERED.findall(path.read_text())
    assert not found, f"{path.name} cites {found}: cite {DOC}#<anchor> instead"


def test_every_evidence_line_of_the_reports_opens_a_section() -> None:
    """What summary.json, summary.md and report.html print as a clause's evidence."""
    known = anchors()
    cited = []
    for clause in load_catalogue().clauses:
        evidence = [e.evidence for e in clause.expectations]
        if clause.evidence is not None:
            evidence.append(clause.evidence)
        for entry in evidence:
            refs = references(str(entry))
            assert refs, f"{clause.id}: evidence cites no section of {DOC}: {entry}"
            for path, names in refs:
                assert path == DOC and names, f"{clause.id}: {path} without an anchor"
                assert set(names) <= known, f"{clause.id}: {sorted(set(names) - known)} not in {DOC}"
                cited.extend(names)
    assert cited, "the catalogue cites nothing: this test examined nothing"


def test_every_promise_of_a_variant_resolves() -> None:
    known = anchors()
    for variant in variant_catalogue().values():
        for path, names in references(variant.promise):
            assert path == DOC and names, f"{variant.name}: cite {DOC}#<anchor>"
            assert set(names) <= known, f"{variant.name}: {sorted(set(names) - known)} not in {DOC}"


def test_the_wheel_carries_the_document() -> None:
    """A wheel user finds it under rc_contract/_project/docs/, as spec/ is carried."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"]["rc_contract._project.docs"] == "docs"
    assert "rc_contract._project.docs" in setuptools["packages"]
    assert setuptools["package-data"]["rc_contract._project.docs"] == ["*"]
    assert "graft docs" in (ROOT / "MANIFEST.in").read_text().splitlines()
