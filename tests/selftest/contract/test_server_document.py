"""The server's own OpenAPI document (GET /api/docs/json) beside the bundled one: drift
is reported as notices in the terminal, summary.json, summary.md and report.html, never
as a failure, and `rc-contract compare` lists how the document changed between runs."""

import json

from rc_contract.commands.compare import main as compare_main
from rc_contract.contract import load_bundled
from rc_contract.contract.server_document import (
    differences,
    examine,
    flatten_operation,
    operation_of,
    served_document,
)
from rc_contract.reference import ReferenceServer
from rc_contract.reference.docs import LEGACY_OPERATION
from rc_contract.reference.wire import DOCS

from ..runner import run_suite

PASSWORD = "selftest-admin-pw-89"
ENDPOINT = "/api/v1/livechat/visitors.info"
DRIFT = [
    "the server documents `query parameters additionalProperties` (false); the bundled contract does not",
    "the server documents `response 200 body.error` (string); the bundled contract does not",
    "the server documents `response 200 body.success required` (true); the bundled contract does not",
    "the server does not document `response 200 body.visitor`; the bundled contract says object",
    "the server does not document `response 400`; the bundled contract says application/json",
    "the server does not document `response 401`; the bundled contract says application/json",
    "the server does not document `response 403`; the bundled contract says application/json",
]


def _legacy_document() -> dict:
    document = served_document(load_bundled().document, "9.0.0", "http://127.0.0.1")
    document["paths"] = {ENDPOINT: {"get": LEGACY_OPERATION}}
    return document


def test_the_bundled_operation_served_back_is_no_drift():
    bundled = load_bundled().document
    served = served_document(bundled, "9.0.0", "http://127.0.0.1:3000")
    found = examine(200, served, bundled)
    assert found.served and found.differences == [] and found.version == "9.0.0"
    # The bundled auth header parameters and Rocket.Chat's security schemes are one fact.
    flat = operation_of(served)
    assert flat is not None and flat["header parameter X-Auth-Token required"] == "true"


def test_rocketchat_legacy_entry_differs_structurally():
    bundled = load_bundled().document
    found = examine(200, _legacy_document(), bundled)
    assert found.differences == DRIFT
    # Rocket.Chat's one `query` object parameter reads as the parameters it holds.
    assert found.operation is not None
    assert found.operation["query parameter visitorId"] == "string"
    assert found.operation["query parameter visitorId required"] == "true"


def test_differences_name_each_side_once_per_missing_subtree():
    mine = {"response 200": "application/json", "response 200 body": "object",
            "response 200 body.a": "string", "response 404": "application/json",
            "response 404 body": "object"}
    theirs = {"response 200": "application/json", "response 200 body": "object",
              "response 200 body.a": "integer", "response 200 body.b": "string"}
    assert differences(mine, theirs) == [
        "the server documents `response 200 body.a` as string; the bundled contract says integer",
        "the server does not document `response 200 body.b`; the bundled contract says string",
        "the server documents `response 404` (application/json); the bundled contract does not",
    ]


def test_no_document_or_no_operation_is_said_never_judged():
    bundled = load_bundled().document
    assert not examine(404, None, bundled).served
    assert "HTTP 404" in examine(404, None, bundled).line()
    assert not examine(200, ["not", "a", "document"], bundled).served
    empty = examine(200, {"openapi": "3.0.3", "paths": {}}, bundled)
    assert empty.served and empty.operation is None
    assert empty.differences == [f"the server documents no GET {ENDPOINT}; the bundled contract does"]
    assert flatten_operation(bundled, {}) == {}


def test_a_drifting_document_is_notices_exit_0_and_compare_names_it(tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    with ReferenceServer(version="9.0.0", admin_password=PASSWORD) as server:
        plain = run_suite(before, {"RC_URL": server.url, "RC_USER": "admin", "RC_PASSWORD": PASSWORD})
    with ReferenceServer(version="9.0.0", admin_password=PASSWORD, variants=["document-drift"]) as server:
        drift = run_suite(after, {"RC_URL": server.url, "RC_USER": "admin", "RC_PASSWORD": PASSWORD})
    assert plain.exit_code == 0, plain.stdout[-3000:]
    assert drift.exit_code == 0, drift.stdout[-3000:] + drift.stderr[-2000:]
    assert plain.summary["server_document"]["differences"] == []
    assert not [n for n in plain.summary["notices"] if n["kind"] == "document"]
    summary = drift.summary
    assert summary["server_document"]["served"] is True
    assert summary["server_document"]["differences"] == DRIFT
    assert [n["message"] for n in summary["notices"] if n["kind"] == "document"] == DRIFT
    assert all(c["outcome"] != "failed" for c in summary["clauses"])
    for line in DRIFT:
        assert f"rc-contract: notice: document: {line}" in drift.stdout
        assert line in (after / "summary.md").read_text()
    html = (after / "report.html").read_text()
    assert "the server&#39;s document" in html or "the server's document" in html
    assert "response 400" in html
    # compare: the document changes are listed, none breaking; the drift of each run too.
    out = tmp_path / "compare"
    assert compare_main([str(before), str(after), "--output", str(out)]) == 0
    result = json.loads((out / "compare.json").read_text())
    documents = {c["subject"]: c for c in result["changes"] if c["kind"] == "document"}
    assert "`response 400`" in documents and documents["`response 400`"]["after"] is None
    assert not any(c["breaking"] for c in documents.values())
    assert result["document_drift"] == {"before": [], "after": DRIFT}
    assert "the server's own document changed" in (out / "compare.md").read_text()


def test_a_server_without_the_document_says_so_and_passes(tmp_path):
    with ReferenceServer(version="9.0.0", admin_password=PASSWORD) as server:
        server.app._routes.pop(DOCS)
        result = run_suite(tmp_path, {"RC_URL": server.url, "RC_USER": "admin",
                                      "RC_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.stdout[-3000:]
    document = result.summary["server_document"]
    assert document["served"] is False and "HTTP 404" in document["reason"]
    assert "the server's own OpenAPI document: not compared" in result.stdout


def test_a_large_document_is_kept_in_the_har_for_visitors_info_only(tmp_path, monkeypatch):
    """A real server documents hundreds of routes: the HAR keeps visitors.info and says so."""
    from rc_contract.reference import docs

    bulky = {f"/api/v1/route{i}": {"get": {"description": "x" * 200}} for i in range(800)}
    original = docs.document

    def larger(*args, **kwargs):
        served = original(*args, **kwargs)
        served["paths"] = {**bulky, **served["paths"]}
        return served

    monkeypatch.setattr(docs, "document", larger)
    with ReferenceServer(version="9.0.0", admin_password=PASSWORD) as server:
        result = run_suite(tmp_path, {"RC_URL": server.url, "RC_USER": "admin", "RC_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.stdout[-3000:]
    assert result.summary["server_document"]["differences"] == []
    entries = json.loads((tmp_path / "traffic.har").read_text())["log"]["entries"]
    kept = [e for e in entries if "/api/docs/json" in e["request"]["url"]]
    assert len(kept) == 1
    text = json.loads(kept[0]["response"]["content"]["text"])
    assert list(text["paths"]) == [ENDPOINT] and "kept only" in text["rc-contract"]
