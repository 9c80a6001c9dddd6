"""In-process reference servers for self-tests: accounts, what is left behind, trip wires.

The server runs in the test's process and the suite in a subprocess pointed at
it by RC_URL, so the server outlives the run and can be inspected after it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from rc_contract.configuration.paths import project_root
from rc_contract.reference import ReferenceServer
from rc_contract.reference.wire import Request, Response

ADMIN_PASSWORD = "selftest-admin-pw-47"
AGENT = ("ci-agent", "selftest-agent-pw-59")  # livechat-agent: view-l-room, no bypass, no create-user
PLAIN = ("ci-plain", "selftest-plain-pw-61")  # user: no view-l-room


def add_account(server: ReferenceServer, username: str, password: str, roles: list[str]) -> None:
    server.state.create_user(username, username, f"{username}@example.invalid", password, roles)


def add_ci_accounts(server: ReferenceServer) -> None:
    """The accounts of a CI job on a limited server: AGENT (livechat-agent) and PLAIN (user)."""
    add_account(server, *AGENT, ["livechat-agent"])
    add_account(server, *PLAIN, ["user"])


def left_behind(server: ReferenceServer) -> dict[str, Any]:
    """Users and visitors created through the API and not removed (seeded ones excluded)."""
    return requests.get(f"{server.url}/_reference/objects", timeout=5).json()


def suite_env(report_dir: Path, url: str, user: str = "admin", password: str = ADMIN_PASSWORD,
              **extra: str) -> dict[str, str]:
    """The caller's environment without RC_*, plus what a run against ``url`` needs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RC_")}
    env.update({"RC_URL": url, "RC_USER": user, "RC_PASSWORD": password,
                "RC_REPORT_DIR": str(report_dir), "RC_FUZZ_EXAMPLES": "5"})
    env.update(extra)
    return env


def agent_env(report_dir: Path, url: str, **extra: str) -> dict[str, str]:
    """suite_env for a run as AGENT, with PLAIN as the unprivileged user (add_ci_accounts)."""
    return suite_env(report_dir, url, *AGENT, RC_UNPRIVILEGED_USER=PLAIN[0],
                     RC_UNPRIVILEGED_PASSWORD=PLAIN[1], **extra)


def start_suite(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rc_contract", "run", "-q", "-p", "no:randomly", *args],
        cwd=project_root(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def run_to_end(env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the suite as a subprocess to its end; a hung run is killed, never waited on forever."""
    process = start_suite(env)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def sweep(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rc_contract", "sweep"], cwd=project_root(), env=env,
        capture_output=True, text=True, timeout=60,
    )


@dataclass
class Tripwire:
    """Signals the suite's process when the server receives the n-th request of a route.

    The signal is sent before the server answers, so it lands while the suite is
    waiting for that answer: the request took effect, its answer is lost.
    """

    server: ReferenceServer
    shots: list[tuple[str, int, int]]  # (route key or "*", occurrence, signal)
    pid: int = 0
    fired: list[str] = field(default_factory=list)
    _seen: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> None:
        handle: Callable[[Request], Response] = self.server.app.handle

        def tripped(request: Request) -> Response:
            if not request.path.startswith("/_reference/"):
                self._count(f"{request.method} {request.path}")
            return handle(request)

        self.server.app.handle = tripped  # type: ignore[method-assign]

    def _count(self, key: str) -> None:
        route = "DELETE /api/v1/livechat/visitor/{token}" if key.startswith(
            "DELETE /api/v1/livechat/visitor/") else key
        with self._lock:
            for name in (route, "*"):
                self._seen[name] = self._seen.get(name, 0) + 1
            for wanted, occurrence, sig in self.shots:
                if wanted in (route, "*") and self._seen[wanted] == occurrence and self.pid:
                    os.kill(self.pid, sig)
                    self.fired.append(f"{signal.Signals(sig).name} at {wanted} #{occurrence}")


class SecretNotes:
    """Every secret value that crosses the server, noted on the way."""

    def __init__(self, server: ReferenceServer) -> None:
        self.values: set[str] = {ADMIN_PASSWORD}
        # The random ones (auth and visitor tokens): not even their first characters may show.
        self.tokens: set[str] = set()
        handle = server.app.handle

        def noting(request: Request) -> Response:
            response = handle(request)
            self._note(request, response)
            return response

        server.app.handle = noting  # type: ignore[method-assign]

    def _note(self, request: Request, response: Response) -> None:
        key = f"{request.method} {request.path}"
        body = json.loads(request.body) if request.body else {}
        if key == "POST /api/v1/login" and isinstance(response.body, dict):
            self.values.add(str(body.get("password")))
            token = (response.body.get("data") or {}).get("authToken")
            if token:
                self.values.add(token)
                self.tokens.add(token)
        elif key == "POST /api/v1/users.create":
            self.values.add(body["password"])
        elif key == "POST /api/v1/livechat/visitor":
            visitor = body["visitor"]
            self.values.update(str(visitor[k]) for k in ("token", "name", "email") if k in visitor)
            self.tokens.add(str(visitor["token"]))
            if "phone" in visitor:
                # The digits alone also catch an encoded "+" (%2B) in front of them.
                self.values.update({visitor["phone"], visitor["phone"].lstrip("+")})

    def needles(self) -> set[str]:
        found = {v for v in self.values if v and v != "None"}
        return found | {v.lower() for v in found}


def _outputs(report_dir: Path, result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """stdout, stderr and every file of the report directory, by name."""
    outputs = {"stdout": result.stdout, "stderr": result.stderr}
    for path in sorted(report_dir.rglob("*")):
        if path.is_file():
            outputs[path.name] = path.read_text("utf-8", errors="replace")
    return outputs


def leaks(report_dir: Path, result: subprocess.CompletedProcess[str],
          needles: set[str]) -> list[str]:
    """Which output (stdout, stderr, a file of the report directory) holds which secret."""
    return [f"{name} holds a secret ({needle[:3]}...)"
            for name, text in _outputs(report_dir, result).items()
            for needle in sorted(needles) if needle in text]


# A repr that pytest or Schemathesis shortened: "'rcct79...'", or "...9f3a'" (a middle cut).
_ELLIPSIS = re.compile(r"\.\.\.|\u2026")
SHORTENED_FROM = 6


def shortened_leaks(report_dir: Path, result: subprocess.CompletedProcess[str],
                    tokens: set[str]) -> list[str]:
    """Which output shows SHORTENED_FROM or more of a token's first characters just before
    an ellipsis, or of its last ones just after."""
    found = []
    for name, text in _outputs(report_dir, result).items():
        for cut in _ELLIPSIS.finditer(text):
            before, after = text[:cut.start()], text[cut.end():]
            for token in sorted(tokens):
                if any(before.endswith(token[:k]) or after.startswith(token[-k:])
                       for k in range(SHORTENED_FROM, len(token))):
                    found.append(f"{name} holds a shortened token ({token[:3]}...) at "
                                 f"{cut.start()}")
    return found


def self_signed_tls(directory: Path, ip_san: bool = True) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 (needs openssl);
    the certificate's path is what a client trusts (REQUESTS_CA_BUNDLE)."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    san = ["-addext", "subjectAltName=IP:127.0.0.1"] if ip_san else []
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", *san, "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert
