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
from rc_contract.contract.releases import Releases, UnsupportedVersion, load_releases
from rc_contract.contract.versions import RCVersion
from rc_contract.objects import interrupts
from rc_contract.objects.ledger import Ledger
from rc_contract.objects.visitors_and_users import RunObjects, SetupError, User, Visitor
from rc_contract.target.answers import AnswerMemo, Question, question
from rc_contract.target.breaker import CLEANUP_TIMEOUT_S, INTERRUPTED_TIMEOUT_S, Breakdown
from rc_contract.target.budget import Budget, BudgetTooSmall, Window, plan_budget, process_started_at
from rc_contract.target.probe import DetectedVersion, detect_version, login, logout
from rc_contract.target.ratelimit import RateLimitPlan, plan_rate_limit
from rc_contract.target.redact import Redactor
from rc_contract.target.reference_process import ReferenceProcess, TargetError
from rc_contract.target.session import Pacer, RCSession, Recorder, TransportError, json_object

# The visitors the cases need: two that stay (so a fault that answers every
# request with one visitor shows), and one the not-found case removes.
VISITOR_LABELS = ("a", "b", "removed")

_INFO_ROUTE = f"GET {ENDPOINT}"  # the session's (and the limiter's) key for visitors.info

# Runs started and not yet closed: the command line closes them if pytest was
# interrupted before its own tear-down hook could.
OPEN_RUNS: list[Run] = []


def close_open_runs() -> list[str]:
    """Close every run still open; return what their clean-up could not remove."""
    problems: list[str] = []
    while OPEN_RUNS:
        run = OPEN_RUNS.pop()
        run.close()
        problems += [run.redactor.text(p) for p in run.cleanup_problems]
    return problems


class StartError(Exception):
    """The run could not start: one line saying what is wrong and how to fix it."""


def new_run_id() -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


@dataclass(repr=False)
class Run:
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
    # What the server did where the catalogue is unsure (unknown evidence, or a
    # MAJOR.MINOR version whose releases differ): recorded, never asserted.
    observed: list[dict[str, str]] = field(default_factory=list)
    objects: RunObjects | None = None
    external_ids_visitor: str | None = None
    # The existing user without view-l-room, when the target provides one.
    unprivileged_given: Credentials | None = None
    rate_limit_bypass: bool | None = None
    rate_limit: RateLimitPlan | None = None
    # visitors.info calls the collected cases will send (set by the plugin before start):
    # all of them, those of the hand-written clauses, those of VI-FUZZ's boundary queries.
    planned_info_calls: int = 0
    planned_hand_written: int = 0
    planned_boundaries: int = 0
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

    def recall(self, asked: Question) -> Any:
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

    # -- the time budget on a limited server ----------------------------------
    def info_window(self) -> Window | None:
        """The limiter's window for visitors.info as the session last saw it; None: not limited."""
        plan = self.rate_limit
        if self.session is None or plan is None or plan.bypass or not plan.limit:
            return None
        state = self.session.pacer.window(_INFO_ROUTE)
        if state is None:
            return None
        return Window(plan.limit, plan.window_s or 60.0, state[0], state[1])

    def fuzz_call_fits(self) -> bool:
        """Whether one more VI-FUZZ call can be sent before the budget's deadline."""
        window = self.info_window()
        if self.budget is None or window is None:
            return True
        now = time.time()
        return self.budget.allows(window.send_times(now, 1))

    def progress_figures(self) -> dict[str, Any] | None:
        """The progress line's figures (None when the run was not paced by a limiter)."""
        if self.info_window() is None:
            return None
        from rc_contract.target.progress import Progress

        return Progress(self, lambda line: None).figures(final=True)

    # -- set-up ---------------------------------------------------------------
    def start(self) -> None:
        OPEN_RUNS.append(self)
        try:
            self._start()
        except (TargetError, SetupError) as exc:
            self.close()
            raise StartError(self.redactor.text(str(exc))) from None
        except TransportError as exc:
            self.close()
            raise StartError(self.redactor.text(self._no_answer(exc))) from None

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
                from rc_contract.reference.cli import CI_AGENT, CI_PLAIN

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

        if settings.server_version:
            self.detected = DetectedVersion(settings.server_version, "RC_SERVER_VERSION")
        else:
            self.detected = detect_version(self.session, self.auth)
        self._judge_version()
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
        for label in VISITOR_LABELS:
            self.objects.register_visitor(label)

    def _judge_version(self) -> None:
        """Which contract judges the server; a version the suite cannot judge stops the run."""
        assert self.detected is not None
        wanted = self.settings.contract_version or self.detected.version
        setting = "RC_CONTRACT_VERSION" if self.settings.contract_version else self.detected.source
        try:
            self.judged_by, notice = self.releases.judge(wanted)
        except UnsupportedVersion as exc:
            raise TargetError(f"{exc} (version from {setting})") from None
        if notice:
            self.version_notices.append(notice)
            self.notify(f"notice: {notice}")

    def _preflight(self) -> None:
        """One visitors.info call: does the account hold view-l-room, is it rate limited?

        It asks VI-PARAM-MISSING's question (no visitorId), whose answer that clause
        then judges: on a limited server every counted call is worth a case.
        """
        response = self.ask()
        if response.status_code == 401:
            raise TargetError(
                "visitors.info refused the account's credentials (401) right after login"
            )
        if response.status_code == 403:
            raise TargetError(
                "the account lacks the view-l-room permission; use an account with a role that "
                "holds it (admin, livechat-manager, livechat-monitor or livechat-agent)"
            )
        # Any other answer (even a wrong one) is for the cases to judge.
        planned = max(self.planned_info_calls, 1)
        self.rate_limit = plan_rate_limit(response.headers, planned)
        self.rate_limit_bypass = self.rate_limit.bypass
        self._plan_budget()
        if self.budget is not None and (window := self.info_window()) is not None:
            # No more is sent than fits the budget: the wait to expect is that of those calls.
            fits = 1 + window.fit(time.time(), self.budget.deadline)
            self.rate_limit = plan_rate_limit(response.headers, min(planned, fits))
        self.notify(self.rate_limit.line())
        if self.budget is not None:
            self.notify(self.budget.line(self.settings.fuzz_examples))

    def _plan_budget(self) -> None:
        """On a limited server: do the hand-written clauses fit RC_TIME_BUDGET, and how much fuzzing?"""
        window = self.info_window()
        if window is None:
            return  # no limiter: the budget changes nothing
        try:
            self.budget = plan_budget(
                self.settings.time_budget_s, self.budget_clock, window, time.time(),
                self.planned_hand_written, self.planned_boundaries, self.settings.fuzz_examples,
            )
        except BudgetTooSmall as exc:
            raise TargetError(str(exc)) from None

    def _unprivileged_user(self) -> None:
        assert self.session is not None and self.objects is not None
        given = self.unprivileged_given or self.settings.unprivileged
        if given:
            user = User(label="unprivileged", username=given.user or "",
                        password=given.password or "", created_by_run=False)
            setting = "RC_UNPRIVILEGED_USER/RC_UNPRIVILEGED_PASSWORD"
        else:
            user = self.objects.create_user("unprivileged")
            setting = "the user created for the run"
        self.unprivileged_auth = login(
            self.session, Credentials(user=user.username, password=user.password), setting
        )
        self.redactor.add(self.unprivileged_auth["X-Auth-Token"])
        if given:
            self._check_unprivileged(user.username)

    def _check_unprivileged(self, username: str) -> None:
        """A given RC_UNPRIVILEGED_USER must lack view-l-room, or VI-PERM-403 judges nothing
        but the configuration. A user the run created has the plain `user` role: if the
        server serves it, that is the server's fault, for VI-PERM-403 to report."""
        response = self.info(params={"visitorId": "rc-contract-preflight"},
                             headers=self.unprivileged_auth)
        if response.status_code != 403:
            raise TargetError(
                f"RC_UNPRIVILEGED_USER {username!r} holds view-l-room (visitors.info answered "
                f"{response.status_code}, not 403); give a user whose roles lack it (only 'user'), "
                "or unset RC_UNPRIVILEGED_USER and RC_UNPRIVILEGED_PASSWORD to have one created"
            )

    def _check_external_ids_visitor(self) -> None:
        """A given RC_EXTERNAL_IDS_VISITOR must name a visitor that carries externalIds."""
        given = self.settings.external_ids_visitor
        if not given:
            return
        # The same question as VI-EXTIDS-SHAPE's case, which then takes this answer.
        response = self.ask(params={"visitorId": given})
        body = json_object(response)
        visitor = body.get("visitor")
        if response.status_code != 200 or not isinstance(visitor, dict):
            raise TargetError(
                f"RC_EXTERNAL_IDS_VISITOR={given!r} names no visitor on the server (visitors.info "
                f"answered {response.status_code}); set it to the id of a visitor an omnichannel "
                "app linked, or unset it"
            )
        if not visitor.get("externalIds"):
            raise TargetError(
                f"RC_EXTERNAL_IDS_VISITOR={given!r} names a visitor without externalIds; set it to "
                "the id of a visitor an omnichannel app linked (8.4.0 and later), or unset it"
            )

    # -- tear-down ------------------------------------------------------------
    def close(self) -> None:
        """Remove what the run created, log out, stop the reference server. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self in OPEN_RUNS:
            OPEN_RUNS.remove(self)
        # Whoever closes the run (tear-down, a start that failed, the command line's
        # last resort), one signal does not cut the clean-up short; a second does.
        with interrupts.cleaning_up():
            try:
                if self.session is not None:
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
        created = bool(self.objects and any(u.created_by_run for u in self.objects.users))
        sessions = []
        # A deleted user's tokens die with it; a given user's login is closed.
        if self.unprivileged_auth and not created:
            sessions.append(self.unprivileged_auth)
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
