"""A run that cannot start says why in one line, exits 4 and leaves nothing behind;
a server that stops answering mid-run is an error of the run, not a contract failure.

Each case points the suite (a subprocess) at a broken target: a closed port, a
web server that is not Rocket.Chat, a TLS mismatch, an account that lacks what
the suite needs, a malformed setting, or the reference server with a target
fault. Mid-run faults drop or delay one visitors.info answer.
"""

from __future__ import annotations

import http.server
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rc_contract.reference import ReferenceServer
from rc_contract.reference.wire import Request, Response

from ..helpers import assert_cannot_start, assert_nothing_left
from ..servers import (
    ADMIN_PASSWORD,
    AGENT,
    PLAIN,
    add_account,
    left_behind,
    run_to_end,
    self_signed_tls,
    suite_env,
)

RUN_TIMEOUT_S = 120


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in env.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    return run_to_end(env, RUN_TIMEOUT_S)


class _HTMLHandler(http.server.BaseHTTPRequestHandler):
    """Any web server that is not Rocket.Chat: a sign-in page for every request."""

    def _page(self) -> None:
        body = b"<!doctype html><html><body><h1>Sign in</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _page

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def _web_server(context: ssl.SSLContext | None = None) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HTMLHandler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_url(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}"
    result = _run(suite_env(tmp_path, url))
    assert_cannot_start(result, "connection refused", "RC_URL")


def test_a_web_server_that_is_not_rocket_chat(tmp_path):
    with _web_server() as port:
        result = _run(suite_env(tmp_path, f"http://127.0.0.1:{port}"))
    assert_cannot_start(result, "not Rocket.Chat JSON", "RC_URL")


@pytest.mark.parametrize(("fault", "words"), [
    ("info-html", ("GET /api/info", "not Rocket.Chat JSON")),
    ("info-404", ("GET /api/info answered 404", "RC_SERVER_VERSION")),
])
def test_api_info_is_not_rocket_chat(tmp_path, fault, words):
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD, faults=[fault]) as server:
        result = _run(suite_env(tmp_path, server.url))
        left = left_behind(server)
    assert_cannot_start(result, *words)
    assert_nothing_left(left)


def test_tls_to_a_plain_http_server(tmp_path):
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        result = _run(suite_env(tmp_path, server.url.replace("http://", "https://")))
        left = left_behind(server)
    assert_cannot_start(result, "TLS error", "http://")
    assert_nothing_left(left)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_tls_with_an_untrusted_certificate(tmp_path):
    context, _cert = self_signed_tls(tmp_path, ip_san=False)
    with _web_server(context) as port:
        result = _run(suite_env(tmp_path / "reports", f"https://127.0.0.1:{port}"))
    assert_cannot_start(result, "certificate is not trusted", "REQUESTS_CA_BUNDLE")


def test_wrong_credentials(tmp_path):
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        result = _run(suite_env(tmp_path, server.url, password="not-the-password"))
        left = left_behind(server)
    line = assert_cannot_start(result, "refused the credentials", "RC_USER/RC_PASSWORD")
    assert "not-the-password" not in line
    assert_nothing_left(left)


# (account, its roles, words the one line must hold): the permission and the fix.
MISSING_PERMISSION = {
    "without-view-l-room": (PLAIN, ["user"], ("view-l-room", "livechat-agent")),
    "without-create-user-and-no-unprivileged-user": (
        AGENT, ["livechat-agent"], ("create-user", "RC_UNPRIVILEGED_USER")),
}


@pytest.mark.parametrize("case", list(MISSING_PERMISSION))
def test_account_missing_a_permission(tmp_path, case):
    account, roles, words = MISSING_PERMISSION[case]
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        add_account(server, *account, roles)
        result = _run(suite_env(tmp_path, server.url, *account))
        left = left_behind(server)
    assert_cannot_start(result, *words)
    assert_nothing_left(left, [account[0]])


@pytest.mark.parametrize("value", ["v8", "8.x", "latest", "8.5.2.1"])
def test_malformed_server_version(tmp_path, value):
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        result = _run(suite_env(tmp_path, server.url, RC_SERVER_VERSION=value))
        left = left_behind(server)
        stats = server.app.stats()
    assert_cannot_start(result, "RC_SERVER_VERSION", "MAJOR.MINOR.PATCH")
    assert_nothing_left(left)
    assert stats["requests"] == 0


# -- faults during the run -------------------------------------------------------


def _break_one_visitors_info(server: ReferenceServer, occurrence: int, **fault: object) -> None:
    """The ``occurrence``-th visitors.info request gets the fault (dropped or delayed)."""
    handle = server.app.handle
    seen = [0]

    def faulty(request: Request) -> Response:
        if request.path == "/api/v1/livechat/visitors.info":
            seen[0] += 1
            if seen[0] == occurrence:
                return Response(200, {}, **fault)  # type: ignore[arg-type]
        return handle(request)

    server.app.handle = faulty  # type: ignore[method-assign]


@pytest.mark.parametrize(("occurrence", "fault", "reason"), [
    (3, {"drop": True}, "connection failed or was reset"),  # a hand-written case
    (12, {"drop": True}, "connection failed or was reset"),  # Schemathesis fuzzing
    (3, {"delay": 2.5}, "timed out"),
])
def test_transient_fault_mid_run_is_an_error_of_the_run(tmp_path, occurrence, fault, reason):
    with ReferenceServer(version="9.0.0", admin_password=ADMIN_PASSWORD) as server:
        _break_one_visitors_info(server, occurrence, **fault)
        result = _run(suite_env(tmp_path, server.url, RC_TIMEOUT="1"))
        left = left_behind(server)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    summary = _summary(tmp_path)
    assert len(summary["errors"]) == 1, summary["errors"]
    error = summary["errors"][0]
    assert error.startswith("GET /api/v1/livechat/visitors.info") and reason in error
    assert "?" in error  # the request that failed, query included
    # Not a contract failure: the clause is reported as not judged, nothing failed.
    outcomes = {c["id"]: c["outcome"] for c in summary["clauses"]}
    assert "failed" not in outcomes.values()
    assert any("not judged, error of the run" in c["message"] for c in summary["clauses"])
    assert "errors of the run" in result.stdout
    assert_nothing_left(left)


def _summary(report_dir: Path) -> dict:
    import json

    return json.loads((report_dir / "summary.json").read_text())
