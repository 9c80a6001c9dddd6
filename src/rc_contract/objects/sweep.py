"""``rc-contract sweep``: remove what an earlier crashed or killed run left on the server.

It reads the ledger of the report directory, logs in with the configured
account, and removes the visitors and users that a run planned or created on
this ``RC_URL`` and never removed. It touches nothing else: every object it
removes is named by the ledger, and a visitor is removed by its token, which
only the account that registered it can derive (``ledger.visitor_token``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

from rc_contract.configuration.paths import ENDPOINT
from rc_contract.configuration.settings import Settings
from rc_contract.exit_codes import ExitCode
from rc_contract.live.probe import login, logout
from rc_contract.live.redact import Redactor
from rc_contract.live.reference_process import TargetError
from rc_contract.live.session import Pacer, RCSession, Recorder, TransportError, json_object
from rc_contract.objects.ledger import REMOVED, Ledger, LedgerEntry, account_check, visitor_token
from rc_contract.objects.visitors_and_users import VISITOR_PATH


class SweepProblem(Exception):
    """An outstanding object the sweep could not remove."""


class Sweep:
    def __init__(self, settings: Settings, out: Callable[[str], None]) -> None:
        self.settings = settings
        self.redactor = Redactor()
        self.redactor.add(*settings.secrets())
        self.out = lambda text: out(self.redactor.text(text))
        self.ledger = Ledger(settings.report_dir)
        self.session: RCSession | None = None
        self.auth: dict[str, str] = {}

    def run(self) -> int:
        settings = self.settings
        if settings.uses_reference:
            self.out(
                "rc-contract sweep: RC_URL is not set; objects of the bundled reference server "
                "end with its process, so there is nothing to sweep"
            )
            return ExitCode.OK
        url = settings.url or ""
        outstanding = self.ledger.outstanding(target=url)
        if not outstanding:
            self.out(f"rc-contract sweep: nothing outstanding for {url} in {self.ledger.path}")
            return ExitCode.OK
        self.session = RCSession(url, Recorder(), Pacer(self.out), timeout=settings.timeout_s)
        self.session.auth = settings.url_auth  # RC_URL's userinfo, as the run sent it
        try:
            self.auth = login(self.session, settings.credentials, "RC_USER/RC_PASSWORD")
        except (TargetError, TransportError) as exc:
            sys.stderr.write(f"rc-contract sweep: cannot start: {self.redactor.text(str(exc))}\n")
            return ExitCode.CANNOT_START
        self.redactor.add(self.auth["X-Auth-Token"])
        problems = []
        try:
            for entry in outstanding:
                try:
                    self._remove(entry)
                except (SweepProblem, TransportError) as exc:
                    problems.append(f"{entry.kind} {entry.label} of run {entry.run_id}: {exc}")
        finally:
            if not settings.credentials.auth_token:  # a personal access token outlives the sweep
                with contextlib.suppress(TransportError):
                    logout(self.session, self.auth)
        for problem in problems:
            sys.stderr.write(f"rc-contract sweep: not removed: {self.redactor.text(problem)}\n")
        removed = len(outstanding) - len(problems)
        self.out(f"rc-contract sweep: {removed} of {len(outstanding)} outstanding objects removed")
        return ExitCode.LEFT_BEHIND if problems else ExitCode.OK

    def _removed(self, entry: LedgerEntry, what: str) -> None:
        self.ledger.write(
            LedgerEntry(entry.run_id, entry.target, entry.kind, entry.label, REMOVED,
                        object_id=entry.object_id, username=entry.username)
        )
        self.out(f"rc-contract sweep: {what}")

    def _remove(self, entry: LedgerEntry) -> None:
        if entry.kind == "visitor":
            self._remove_visitor(entry)
        elif entry.kind == "user":
            self._remove_user(entry)
        else:
            raise SweepProblem(f"unknown kind {entry.kind!r} in the ledger")

    def _remove_visitor(self, entry: LedgerEntry) -> None:
        assert self.session is not None
        token = visitor_token(self.settings.credentials.secret, entry.run_id, entry.label)
        self.redactor.add(token)
        name = f"visitor {entry.label} of run {entry.run_id}" + (
            f" ({entry.object_id})" if entry.object_id else ""
        )
        response = self.session.delete(f"{VISITOR_PATH}/{token}")
        if response.status_code == 200:
            self._removed(entry, f"removed {name}")
            return
        if response.status_code != 400:
            raise SweepProblem(f"DELETE {VISITOR_PATH}/{{token}} answered {response.status_code}")
        # invalid-token: no visitor has the token. Gone already, never created, or
        # registered by another account (then the token derived here is not its).
        secret = self.settings.credentials.secret
        if entry.account_check and entry.account_check != account_check(secret, entry.run_id):
            raise SweepProblem(
                "its token derives from the secret of the account the run used, not this one's; "
                "sweep with the account (and password) the run used"
            )
        if entry.object_id and self._visitor_enabled(entry.object_id):
            raise SweepProblem(
                f"visitor {entry.object_id} is still there, but its token does not derive from "
                "this account's secret; sweep with the account (and password) the run used"
            )
        self._removed(entry, f"{name} was already gone (or never created)")

    def _visitor_enabled(self, visitor_id: str) -> bool:
        assert self.session is not None
        response = self.session.get(ENDPOINT, params={"visitorId": visitor_id}, headers=self.auth)
        return response.status_code == 200

    def _remove_user(self, entry: LedgerEntry) -> None:
        assert self.session is not None
        user_id = entry.object_id
        username = entry.username or ""
        if not user_id:
            response = self.session.get(
                "/api/v1/users.info", params={"username": username}, headers=self.auth
            )
            found: Any = json_object(response).get("user")
            if response.status_code != 200 or not isinstance(found, dict):
                self._removed(entry, f"user {username} was already gone (or never created)")
                return
            user_id = str(found.get("_id", ""))
        response = self.session.post(
            "/api/v1/users.delete", headers=self.auth,
            json={"userId": user_id, "confirmRelinquish": True},
        )
        if response.status_code == 200:
            self._removed(entry, f"removed user {username} ({user_id})")
            return
        body = json_object(response)
        if response.status_code == 400 and "invalid-user" in str(body.get("error", "")):
            self._removed(entry, f"user {username} was already gone")
            return
        if response.status_code == 403:
            raise SweepProblem("the account lacks delete-user; sweep with the account the run used")
        raise SweepProblem(f"POST /api/v1/users.delete answered {response.status_code}")
