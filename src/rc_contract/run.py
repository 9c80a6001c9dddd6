"""One run of the suite against one target: set-up before the first case, tear-down after.

Set-up order follows design.md: target, session, login, version probe,
preflight, fixtures. Anything that fails here stops the run with exit code 4;
tear-down removes every object the run created, whatever happened.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import requests

from rc_contract.configuration.paths import ENDPOINT
from rc_contract.configuration.settings import Credentials, Settings
from rc_contract.contract import Catalogue, LoadedDocument, load_bundled, load_catalogue
from rc_contract.contract.catalogue import DEFAULT_CASE, Expectation
from rc_contract.contract.judge import Notices
from rc_contract.contract.server_document import ServerDocument
from rc_contract.errors import NotSent
from rc_contract.leaks import Secret
from rc_contract.live import interrupts
from rc_contract.live.answers import Answer as KeptAnswer
from rc_contract.live.answers import AnswerMemo
from rc_contract.live.breaker import CLEANUP_TIMEOUT_S, INTERRUPTED_TIMEOUT_S, Breakdown
from rc_contract.live.budget import Budget, process_started_at
from rc_contract.live.planning import PlannedCalls
from rc_contract.live.probe import DetectedVersion, detect_version, login, logout
from rc_contract.live.ratelimit import RateLimitPlan
from rc_contract.live.redact import Redactor
from rc_contract.live.reference_process import ReferenceProcess, TargetError
from rc_contract.live.session import Pacer, RCSession, Recorder, TransportError
from rc_contract.objects.ledger import Ledger
from rc_contract.objects.visitors_and_users import RunObjects, SetupError, Visitor
from rc_contract.questions import Question, question
from rc_contract.releases import Releases, load_releases
from rc_contract.run_budget import RunBudget

# Re-exported: the contract's tests import PERMISSION_PROBE_ID from here.
from rc_contract.run_setup import PERMISSION_PROBE_ID as PERMISSION_PROBE_ID
from rc_contract.run_setup import VISITOR_LABELS, RunSetup
from rc_contract.versions import RCVersion


class OpenRuns:
    """Runs started and not yet closed: the command line hands one to pytest (a plugin
    object) and closes what is left in it if pytest was interrupted before its own
    tear-down hook could."""

    def __init__(self) -> None:
        self.runs: list[Run] = []

    def close_all(self) -> list[str]:
        """Close every run still open; return what their clean-up could not remove."""
        problems: list[str] = []
        while self.runs:
            run = self.runs.pop()
            run.close()
            problems += [run.redactor.text(p) for p in run.cleanup_problems]
        return problems


class StartError(Exception):
    """The run could not start: one line saying what is wrong and how to fix it."""


def new_run_id() -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


@dataclass(repr=False)
class Run(RunSetup, RunBudget):
    settings: Settings
    notify: Callable[[str], None] = print
    run_id: str = field(default_factory=new_run_id)
    redactor: Redactor = field(default_factory=Redactor)
    recorder: Recorder = field(default_factory=Recorder)
    catalogue: Catalogue = field(default_factory=load_catalogue)
    releases: Releases = field(default_factory=load_releases)
    document: LoadedDocument = field(default_factory=load_bundled)
    reference: ReferenceProcess | None = None
    url: str = ""
    session: RCSession | None = None
    auth: dict[str, str] = field(default_factory=dict)
    unprivileged_auth: dict[str, str] = field(default_factory=dict)
    detected: DetectedVersion | None = None
    # The contract the server is judged by (the server's own version unless it is
    # unknown to the suite or RC_CONTRACT_VERSION says otherwise).
    judged_by: RCVersion | None = None
    # Notices about the run as a whole (a version the suite does not know).
    version_notices: list[str] = field(default_factory=list)
    # The server's own OpenAPI document (GET /api/docs/json), compared with the bundled one.
    server_document: ServerDocument | None = None
    # What the server did where the catalogue is unsure (unknown evidence, or a
    # MAJOR.MINOR version whose releases differ): recorded, never asserted.
    observed: list[dict[str, str]] = field(default_factory=list)
    objects: RunObjects | None = None
    external_ids_visitor: str | None = None
    # The existing user without view-l-room, when the target provides one.
    unprivileged_given: Credentials | None = None
    # VI-PERM-403's other half: an account holding view-l-room without an admin or
    # manager role (the run's own account when it is one), or why there is none.
    agent_auth: dict[str, str] = field(default_factory=dict)
    agent_source: str = ""
    agent_missing: str = ""
    # The account's roles from GET /api/v1/me, read once before the budget is planned
    # (whether the run needs another livechat-agent account decides its set-up calls).
    own_roles: set[str] | None = None
    # Every secret the run knows, by kind: no answer may carry one (leaks.find_secrets).
    secrets: list[Secret] = field(default_factory=list)
    # Start-up answers that break the contract while a setting may also be wrong: one
    # line each naming the setting, said at the start and in the reports.
    setting_notices: list[str] = field(default_factory=list)
    # Answers the start-up checks read about a known visitor: (setting, id, response),
    # judged by VI-OK-SHAPE like any other.
    startup_visitors: list[tuple[str, str, requests.Response]] = field(default_factory=list)
    rate_limit_bypass: bool | None = None
    rate_limit: RateLimitPlan | None = None
    # visitors.info calls the collected cases will send, by kind (given by the plugin),
    # and all of them as the plan now expects (re-sized once the budget is planned).
    planned: PlannedCalls = field(default_factory=lambda: PlannedCalls(0, 0, 1, 0))
    planned_info_calls: int = 0
    budget: Budget | None = None
    # VI-FUZZ's generated cases judged, and those not sent for the budget.
    fuzz_cases_run: int = 0
    fuzz_cases_cut: int = 0
    answers: AnswerMemo = field(default_factory=AnswerMemo)
    started_at: float = field(default_factory=time.time)
    # The time budget counts from the process's start (interpreter and imports included).
    budget_clock: float = field(default_factory=process_started_at)
    cleanup_problems: list[str] = field(default_factory=list)
    # Keys the contract does not name, seen in answers (judge.py): reported, never failures.
    notices: Notices = field(default_factory=Notices)
    # The answers a case judged against the catalogue: node id -> "400 {...}" (failure.py).
    expected_answers: dict[str | None, str] = field(default_factory=dict)
    # Sweeps over the recorded traffic: test node id -> (clause, answers examined).
    sweeps: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Why the run stopped before its end ("interrupted by SIGTERM", ...); empty when it did not.
    stopped: str = ""
    # Where the command line looks for runs to close after pytest (None: pytest alone).
    open_runs: OpenRuns | None = None
    _closed: bool = False

    # -- what the cases read ------------------------------------------------
    def __repr__(self) -> str:
        # Short on purpose: pytest prints fixture values in failure reports, and the
        # full state (every recorded exchange) has no place there.
        return f"Run(id={self.run_id!r}, url={self.url!r})"

    @property
    def server_version(self) -> RCVersion:
        assert self.detected is not None
        return self.detected.version

    @property
    def contract_version(self) -> RCVersion:
        assert self.judged_by is not None
        return self.judged_by

    def expectations(self, clause_id: str, case: str = DEFAULT_CASE) -> list[Expectation]:
        """What the catalogue expects of this server: one expectation, or several when the
        server may run any of a line's versions and they differ."""
        candidates = self.releases.candidates(self.contract_version)
        return self.catalogue[clause_id].expectations_for(candidates, case)

    @cached_property
    def token_must_be_absent(self) -> bool:
        """VI-TOKEN-ABSENT is asserted only where every version the server may run drops it.

        Asked for every fuzz answer; the contract version is fixed once the run started."""
        return all(e.behaviour == ("token", "absent") for e in self.expectations("VI-TOKEN-ABSENT"))

    def observe(self, clause_id: str, case: str, expected: str, saw: str) -> str:
        """Record what the server did where the suite asserts nothing; return the line said."""
        line = f"{clause_id} ({case}) on {self.contract_version}: {expected}; this server: {saw}"
        record = {"clause": clause_id, "case": case, "version": str(self.contract_version),
                  "expected": expected, "saw": saw}
        if record not in self.observed:
            self.observed.append(record)  # the terminal's closing lines and the reports say it
        return line

    @property
    def visitors(self) -> dict[str, Visitor]:
        assert self.objects is not None
        return {v.label: v for v in self.objects.visitors}

    def removed_visitor(self) -> Visitor:
        """The visitor the run removes so its id can be asked for (VI-NOT-FOUND, VI-FUZZ);
        removed on first use, whoever asks first."""
        visitor = self.visitors["removed"]
        assert self.objects is not None
        self.objects.remove_visitor(visitor)
        return visitor

    @property
    def registered_tokens(self) -> list[str]:
        return [v.token for v in self.objects.visitors] if self.objects else []

    def info(
        self,
        query: str | None = None,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """``GET visitors.info``: ``query`` is sent exactly as written; auth defaults to the account."""
        assert self.session is not None
        url = ENDPOINT + (f"?{query}" if query is not None else "")
        return self.session.get(url, params=params, headers=self.auth if headers is None else headers)

    def ask(
        self,
        query: str | None = None,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """``info``, but a question this run already asked gets its recorded answer, unsent."""
        assert self.session is not None
        url = self.session.base_url + ENDPOINT + (f"?{query}" if query is not None else "")
        asked = question("GET", url, params, self.auth if headers is None else headers)
        known = self.recall(asked)
        if known is not None:
            return known.as_response()
        response = self.info(query, params=params, headers=headers)
        self.keep(asked, response)
        return response

    def ask_if_fits(
        self,
        query: str | None = None,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response | None:
        """``ask`` for a budgeted case: None when the question would have to be sent past
        RC_TIME_BUDGET's deadline on a limited server (an answer already received serves)."""
        assert self.session is not None
        url = self.session.base_url + ENDPOINT + (f"?{query}" if query is not None else "")
        asked = question("GET", url, params, self.auth if headers is None else headers)
        if self.answers.peek(asked, self._removed_ids()) or self.fuzz_call_fits():
            return self.ask(query, params=params, headers=headers)
        return None

    def recall(self, asked: Question) -> KeptAnswer | None:
        """The recorded answer to ``asked``, noted as served to the current case; else None."""
        known = self.answers.recall(asked, self._removed_ids())
        if known is not None:
            self.recorder.serve(known.exchange)
        return known

    def keep(self, asked: Question, response: requests.Response | None = None) -> None:
        """Remember the answer just recorded for ``asked`` (``response`` when the caller has it)."""
        exchanges = self.recorder.exchanges
        if exchanges and exchanges[-1].method == asked[0] and exchanges[-1].url == asked[1]:
            self.answers.keep(asked, exchanges[-1], response, self._removed_ids())

    def _removed_ids(self) -> set[str]:
        return {v.id for v in self.objects.visitors if v.removed} if self.objects else set()

    # -- set-up ---------------------------------------------------------------
    def start(self) -> None:
        if self.open_runs is not None:
            self.open_runs.runs.append(self)
        try:
            self._start()
        except (TargetError, SetupError) as exc:
            self.close()
            raise StartError(self.redactor.text(str(exc))) from None
        except TransportError as exc:
            self.close()
            raise StartError(self.redactor.text(self._no_answer(exc))) from None
        except NotSent as exc:
            # The set-up would wait for the limiter past the deadline (another client on
            # this IP took the windows): the budget cannot be kept.
            self.close()
            raise StartError(self.redactor.text(
                f"RC_TIME_BUDGET={self.settings.time_budget_s:g} cannot be kept: the set-up's "
                f"{str(exc).removeprefix('not sent: ')}")) from None

    def _no_answer(self, exc: TransportError) -> str:
        """The cause once: the first request's failure, not the probes that confirmed it."""
        breakdown = self.session.breaker.breakdown if self.session is not None else None
        if breakdown is None:
            return f"{exc}; check RC_URL"
        cause = breakdown.reason.removeprefix("failed: ")
        where = "the bundled reference server" if self.reference is not None else "RC_URL"
        return f"{breakdown.request} to {where} got no answer: {cause}"

    def _start(self) -> None:
        settings = self.settings
        self.redactor.add(*settings.secrets())
        credentials = settings.credentials
        if settings.uses_reference:
            self.reference = ReferenceProcess(settings.reference_version, settings.reference_faults,
                                              settings.reference_variants,
                                              settings.reference_limiter)
            self.url = self.reference.start()
            self.redactor.add(self.reference.admin_password)
            credentials = Credentials(user="admin", password=self.reference.admin_password)
            if self.reference.ci_password:
                # A limited server: log in as a CI account without the bypass would.
                from rc_contract.reference import CI_AGENT, CI_PLAIN

                self.redactor.add(self.reference.ci_password)
                credentials = Credentials(user=CI_AGENT, password=self.reference.ci_password)
                self.unprivileged_given = Credentials(user=CI_PLAIN,
                                                      password=self.reference.ci_password)
            from rc_contract.reference import SEEDED_EXTERNAL_IDS_VISITOR_ID

            self.external_ids_visitor = SEEDED_EXTERNAL_IDS_VISITOR_ID
        else:
            self.url = settings.url or ""
            self.external_ids_visitor = settings.external_ids_visitor
        self.session = RCSession(
            self.url, self.recorder, Pacer(self.notify), timeout=settings.timeout_s
        )
        # Credentials in RC_URL's userinfo: HTTP basic auth, as any HTTP client sends them.
        self.session.auth = settings.url_auth
        self.auth = login(self.session, credentials, "RC_USER/RC_PASSWORD")
        self.redactor.add(self.auth["X-Auth-Token"])
        self._know_secrets(credentials)
        self.own_roles = self._roles(self.auth)

        if settings.server_version:
            self.detected = DetectedVersion(settings.server_version, "RC_SERVER_VERSION")
        else:
            self.detected = detect_version(self.session, self.auth)
        self._judge_version()
        self._examine_server_document()
        self._preflight()
        self._check_external_ids_visitor()

        ledger = Ledger(settings.report_dir)
        self.objects = RunObjects(
            self.session, self.auth, ledger, self.redactor, self.run_id,
            account_secret=credentials.secret or self.auth["X-Auth-Token"],
        )
        # The user first: an account without create-user stops the run before
        # anything else was created.
        self._unprivileged_user()
        self._agent()
        for label in VISITOR_LABELS:
            self.objects.register_visitor(label)
        self._recheck_budget()

    # -- tear-down ------------------------------------------------------------
    def close(self) -> None:
        """Remove what the run created, log out, stop the reference server. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self.open_runs is not None and self in self.open_runs.runs:
            self.open_runs.runs.remove(self)
        # Whoever closes the run (tear-down, a start that failed, the command line's
        # last resort), one signal does not cut the clean-up short; a second does.
        with interrupts.cleaning_up():
            try:
                if self.session is not None:
                    # The clean-up runs whatever the budget says: nothing is left behind.
                    self.session.pacer.deadline = None
                    breaker = self.session.breaker
                    if breaker.breakdown is not None:
                        # The server is gone: one short attempt, the ledger keeps the rest.
                        breaker.for_cleanup()
                        self.session.timeout = min(self.session.timeout, CLEANUP_TIMEOUT_S)
                    elif interrupts.interrupted():
                        # Someone is waiting for the process to end: no long waits.
                        self.session.timeout = min(self.session.timeout, INTERRUPTED_TIMEOUT_S)
                    if self.objects is not None:
                        self.cleanup_problems = self.objects.cleanup()
                    if breaker.broken is None and not interrupts.stop_at_once():
                        self._logout()
                    if self.budget is not None:
                        self.budget.finish(self.session.pacer.counted, time.time())
            finally:
                if self.reference is not None:
                    self.reference.stop()

    @property
    def breakdown(self) -> Breakdown | None:
        """Why the run broke off (the server stopped answering), if it did."""
        return self.session.breaker.breakdown if self.session is not None else None

    @property
    def left_behind(self) -> list[str]:
        """Objects the clean-up could not remove (``rc-contract sweep`` removes them)."""
        # The reference server's objects end with its process.
        if self.objects is None or self.reference is not None:
            return []
        return self.objects.left_behind()

    def _logout(self) -> None:
        assert self.session is not None
        created = {u.label for u in self.objects.users if u.created_by_run} if self.objects else set()
        sessions = []
        # A deleted user's tokens die with it; a given user's login is closed.
        if self.unprivileged_auth and "unprivileged" not in created:
            sessions.append(self.unprivileged_auth)
        if self.agent_auth and self.agent_auth is not self.auth and "agent" not in created:
            sessions.append(self.agent_auth)
        # A personal access token must survive the run: never log it out.
        if self.auth and not self.settings.credentials.auth_token:
            sessions.append(self.auth)
        for headers in sessions:
            try:
                logout(self.session, headers)
            except interrupts.CleanupStopped:
                return
            except TransportError as exc:
                self.cleanup_problems.append(f"logout: {exc}")

    @property
    def duration_s(self) -> float:
        return time.time() - self.started_at
