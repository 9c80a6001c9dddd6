"""The server under test: ``RC_URL``, or the bundled reference server started for the run."""

from __future__ import annotations

import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass

from rc_contract.versions import RCVersion

START_TIMEOUT_S = 20.0


class TargetError(Exception):
    """The target cannot be used: the run cannot start (exit code 4)."""


@dataclass
class ReferenceProcess:
    """``python -m rc_contract.reference`` on 127.0.0.1, a free port, for one run."""

    version: RCVersion
    faults: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    # off, on or before-permission: with a limiter, the seeded ci-agent and ci-plain
    # accounts (password ci_password) are what a limited CI job logs in with.
    limiter: str = "off"
    url: str = ""
    admin_password: str = ""
    ci_password: str = ""
    _process: subprocess.Popen[str] | None = None

    def start(self) -> str:
        self.admin_password = secrets.token_urlsafe(18)
        command = [
            sys.executable, "-m", "rc_contract.reference",
            "--version", str(self.version), "--port", "0",
            # "=" form: a generated password may start with "-".
            f"--admin-password={self.admin_password}",
        ]
        for fault in self.faults:
            command += ["--fault", fault]
        for variant in self.variants:
            command += ["--variant", variant]
        if self.limiter != "off":
            self.ci_password = secrets.token_urlsafe(18)
            command += ["--rate-limit", f"--ci-accounts-password={self.ci_password}"]
            if self.limiter == "before-permission":
                command.append("--limiter-first")
        env = {k: v for k, v in os.environ.items()
               if k not in ("RC_REFERENCE_FAULTS", "RC_REFERENCE_VARIANTS", "RC_REFERENCE_LIMITER")}
        self._process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            start_new_session=True,  # a Ctrl-C to the run is handled by the run, not the server
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(lines,), daemon=True).start()
        try:
            first = lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            self.stop()
            raise TargetError(
                f"the bundled reference server did not start within {START_TIMEOUT_S:.0f} s"
            ) from None
        if " listening on " not in first:
            error = (self._process.stderr.read() if self._process.stderr else "").strip()
            self.stop()
            last = error.splitlines()[-1] if error else first.strip()
            raise TargetError(f"the bundled reference server did not start: {last}")
        self.url = first.rsplit(" ", 1)[-1].strip()
        return self.url

    def _pump(self, lines: queue.Queue[str]) -> None:
        assert self._process and self._process.stdout
        for line in self._process.stdout:
            lines.put(line)
        lines.put("")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
