"""report.html: what a person opens first. Its clause table is summary.json's, a
failure's detail is reachable under its clause, and it renders in a real browser
at desktop and phone widths without an error."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ..runner import SuiteResult, run_suite

FAULT = "no-store-private-max-age"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
WIDTHS = {"desktop": "1280,900", "phone": "390,844"}


class _Report(HTMLParser):
    """The clause rows (id -> outcome), the folded failure details and the verdict text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, str] = {}
        self.details: list[str] = []
        self.verdict = ""
        self.external: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and found.get("data-clause"):
            self.rows[str(found["data-clause"])] = str(found.get("data-outcome"))
        if tag in ("script", "link", "img") or (found.get("src") or "").startswith("http"):
            self.external.append(tag)
        self._in.append("verdict" if found.get("id") == "verdict" else
                        "detail" if tag == "details" else tag)

    def handle_endtag(self, tag: str) -> None:
        if self._in:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if "verdict" in self._in:
            self.verdict += data
        if "detail" in self._in:
            self.details.append(data)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteResult]:
    passing = run_suite(tmp_path_factory.mktemp("passing"), {"RC_FUZZ_EXAMPLES": "5"})
    failing = run_suite(tmp_path_factory.mktemp("failing"),
                        {"RC_FUZZ_EXAMPLES": "5", "RC_REFERENCE_FAULTS": FAULT})
    assert passing.exit_code == 0 and failing.exit_code == 1
    return {"passing": passing, "failing": failing}


def _parse(result: SuiteResult) -> _Report:
    report = _Report()
    report.feed((result.report_dir / "report.html").read_text("utf-8"))
    return report


@pytest.mark.parametrize("which", ["passing", "failing"])
def test_the_clause_table_is_summary_json(reports: dict[str, SuiteResult], which: str) -> None:
    result = reports[which]
    report = _parse(result)
    assert report.rows == {c["id"]: c["outcome"] for c in result.summary["clauses"]}
    assert f"exit code {result.summary['exit_code']}" in report.verdict
    assert report.external == [], "the report must be self-contained"
    html = (result.report_dir / "report.html").read_text("utf-8")
    target = result.summary["target"]
    for fact in (target["url"], target["server_version"], result.summary["contract_version"]):
        assert fact in html


def test_a_failure_is_named_in_the_verdict_and_its_detail_is_folded_under_it(
        reports: dict[str, SuiteResult]) -> None:
    report = _parse(reports["failing"])
    assert report.verdict.startswith("Failed") and "VI-NO-STORE" in report.verdict
    detail = "".join(report.details)
    assert "private, max-age=60" in detail and "expected no-store" in detail
    text = (reports["failing"].report_dir / "report.html").read_text("utf-8")
    assert "RC Contract" not in text, "a registered visitor's name reached the report"
    # The failed clause first, at every width (one table: the phone's cards keep its order);
    # its detail is the suite's account, not pytest's traceback, locals or source.
    assert next(iter(report.rows)) == "VI-NO-STORE", list(report.rows)
    for word in ("rc = Run(", "def test_", "Traceback", "_ _ _ _"):
        assert word not in detail, word


def test_the_could_not_start_page_is_styled_and_names_the_target(tmp_path: Path) -> None:
    result = run_suite(tmp_path, {"RC_URL": "http://127.0.0.1:9", "RC_USER": "u",
                                  "RC_PASSWORD": "p"})
    assert result.exit_code == 4
    text = (tmp_path / "report.html").read_text("utf-8")
    assert "<style>" in text and 'id="verdict"' in text and "http://127.0.0.1:9" in text
    assert "connection refused at 127.0.0.1:9" in text


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("which", ["passing", "failing"])
def test_it_renders_in_a_real_browser(reports: dict[str, SuiteResult], which: str, width: str,
                                      tmp_path: Path) -> None:
    page = (reports[which].report_dir / "report.html").resolve().as_uri()
    shot = tmp_path / f"{which}-{width}.png"
    base = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--window-size={WIDTHS[width]}", "--enable-logging=stderr", "--v=0"]
    taken = subprocess.run([*base, f"--screenshot={shot}", page],
                           capture_output=True, text=True, timeout=90)
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.stat().st_size > 10_000, "an empty screenshot"
    console = [line for line in taken.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    dom = subprocess.run([*base, "--dump-dom", page], capture_output=True, text=True, timeout=90)
    assert 'id="clauses"' in dom.stdout and "visitors.info contract" in dom.stdout
