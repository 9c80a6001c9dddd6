"""One run of the suite against one target: set-up before the first case, tear-down after.

Set-up order follows design.md: target, session, login, version probe,
preflight, fixtures. Anything that fails here stops the run with exit code 4;
tear-down removes every object the run created, whatever happened.
"""

from __future__ import annotations

import json
import math
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
from rc_contract.contract.judge import Notices, NotJudged
from rc_contract.contract.server_document import DOCS_PATH, DOCS_QUERY, ServerDocument, examine
from rc_contract.errors import NotSent
from rc_contract.leaks import Secret
from rc_contract.live import interrupts
from rc_contract.live.answers import AnswerMemo
from rc_contract.live.breaker import CLEANUP_TIMEOUT_S, INTERRUPTED_TIMEOUT_S, Breakdown
from rc_contract.live.budget import (
    COVERAGE_CASES,
    Budget,
    BudgetTooSmall,
    Window,
    plan_budget,
    process_started_at,
)
from rc_contract.live.probe import DetectedVersion, detect_version, login, logout
from rc_contract.live.ratelimit import RateLimitPlan, plan_rate_limit
from rc_contract.live.redact import Redactor
from rc_contract.live.reference_process import ReferenceProcess, TargetError
from rc_contract.live.session import Pacer, RCSession, Recorder, TransportError, json_object
from rc_contract.objects.ledger import Ledger
from rc_contract.objects.visitors_and_users import VISITOR_PATH, RunObjects, SetupError, User, Visitor
from rc_contract.questions import Question, question
from rc_contract.releases import Releases, UnsupportedVersion, load_releases
from rc_contract.versions import RCVersion

# VI-PERM-403's question for a user without view-l-room (Rocket.Chat's own e2e test sends it).
PERMISSION_PROBE_ID = "invalid"

# Roles beyond view-l-room: VI-PERM-403 also reads a visitor as an account without them.
PRIVILEGED_ROLES = frozenset({"admin", "livechat-manager"})

# The visitors the cases need: two that stay (so a fault that answers every
# request with one visitor shows), and one the not-found case removes.
VISITOR_LABELS = ("a", "b", "removed")

# A server's own OpenAPI document larger than this is kept in the HAR for visitors.info only.
DOCUMENT_KEPT_CHARACTERS = 100_000

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
    # visitors.info calls the collected cases will send (set by the plugin before start):
    # all of them, those of the hand-written clauses, those of VI-FUZZ's boundary queries.
    planned_info_calls: int = 0
    planned_hand_written: int = 0
    planned_boundaries: int = 0
    planned_generated_tests: int = 1
    planned_agent_reads: int = 0
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
    @property
    def info_route(self) -> str:
        """The session's (and the limiter's) key for visitors.info, under RC_URL's path prefix."""
        return self.session.route("GET", ENDPOINT) if self.session else f"GET {ENDPOINT}"

    def counted_info_calls(self) -> int:
        return self.session.pacer.counted.get(self.info_route, 0) if self.session else 0

    def info_window(self) -> Window | None:
        """The limiter's window for visitors.info as the session last saw it; None: not limited."""
        plan = self.rate_limit
        if self.session is None or plan is None or plan.bypass or not plan.limit:
            return None
        state = self.session.pacer.window(self.info_route)
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
        from rc_contract.live.progress import Progress

        return Progress(self, lambda line: None).figures(final=True)

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

    def _know_secrets(self, credentials: Credentials) -> None:
        """The account's secrets, by kind: a hit in an answer names the kind, never the value."""
        if credentials.auth_token:
            self.secrets.append(Secret("the account's personal access token (RC_AUTH_TOKEN)",
                                       credentials.auth_token))
        else:
            self.secrets.append(Secret("the account's auth token", self.auth["X-Auth-Token"]))
        if credentials.password:
            self.secrets.append(Secret("the account's password", credentials.password))
        if self.settings.url_auth:
            self.secrets.append(Secret("the password in RC_URL", self.settings.url_auth[1]))
        if self.reference is not None and self.reference.admin_password != credentials.password:
            self.secrets.append(Secret("the reference server's admin password",
                                       self.reference.admin_password))

    def _know_user(self, user: User, auth: dict[str, str], who: str) -> None:
        self.secrets += [Secret(f"{who}'s password", user.password),
                         Secret(f"{who}'s auth token", auth["X-Auth-Token"])]
        self.redactor.add(auth["X-Auth-Token"])

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

    def _examine_server_document(self) -> None:
        """One GET /api/docs/json: its visitors.info against the bundled document.

        Differences are notices, never failures; a server without the document (or one
        that fails to answer it) only says so. The route is on API.default, which
        Rocket.Chat does not rate-limit (only versioned routes are), so it costs no
        visitors.info call; the session paces it by its own route should a proxy limit it.
        """
        assert self.session is not None
        try:
            response = self.session.get(DOCS_PATH, params=DOCS_QUERY, headers=self.auth)
            body = response.json() if response.status_code == 200 else None
            found = examine(response.status_code, body, self.document.document)
        except (TransportError, ValueError) as exc:
            found = ServerDocument(False, f"GET {DOCS_PATH} failed: {self.redactor.text(str(exc))}")
        else:
            self._trim_recorded_document(body)
        self.server_document = found
        self.notify(found.line())

    def _trim_recorded_document(self, body: Any) -> None:
        """A real server documents hundreds of routes (megabytes): the HAR keeps the envelope
        and visitors.info only, and says so."""
        exchanges = self.recorder.exchanges
        last = exchanges[-1] if exchanges else None
        if (last is None or not last.path.endswith(DOCS_PATH) or not isinstance(body, dict)
                or len(last.body) <= DOCUMENT_KEPT_CHARACTERS):
            return
        paths = body.get("paths") if isinstance(body.get("paths"), dict) else {}
        last.body = json.dumps({
            "rc-contract": f"kept only {ENDPOINT} of this {len(last.body)}-character document",
            **{k: v for k, v in body.items() if k != "paths"},
            "paths": {k: v for k, v in paths.items() if k == ENDPOINT},
        })

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
            response = self._tell_403_apart(response)
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

    def _tell_403_apart(self, refused: requests.Response) -> requests.Response:
        """A 403 to the preflight: an account without view-l-room, or a server that refuses
        a missing visitorId with 403 (a VI-PARAM-MISSING break)? One more question tells:
        VI-NOT-FOUND's ``visitorId=`` (its case then takes the answer), which a correct
        server answers 403 only for an account without the permission. Exit 4 only when
        both answers are the documented 403."""
        second = self.ask("visitorId=")
        if self._documented(refused, "VI-PERM-403") and self._documented(second, "VI-PERM-403"):
            raise TargetError(
                "the account lacks the view-l-room permission; use an account with a role that "
                "holds it (admin, livechat-manager, livechat-monitor or livechat-agent)"
            )
        saw = ("403 as well, not both with the documented body" if second.status_code == 403
               else str(second.status_code))
        self._setting_notice(
            f"a request without visitorId was answered 403, and visitorId= {saw}: the server "
            "breaks VI-PARAM-MISSING (or VI-PERM-403); the "
            "account of RC_USER/RC_PASSWORD (or RC_USER_ID/RC_AUTH_TOKEN) might also lack "
            "view-l-room"
        )
        # Its headers show the limiter, when the 403 (written before the limiter) did not.
        return second if second.status_code != 403 else refused

    def _documented(self, response: requests.Response, clause: str) -> bool:
        """Whether the answer is the one the clause's expectation documents, exactly."""
        from rc_contract.contract.checks import Answer, check_one_of

        try:
            check_one_of(Answer.of(response), self.expectations(clause), clause, self.document)
        except (AssertionError, NotJudged):
            return False
        return True

    def _setting_notice(self, line: str) -> None:
        self.setting_notices.append(line)
        self.notify(f"notice: {line}")

    def _plan_budget(self) -> None:
        """On a limited server: do the hand-written clauses fit RC_TIME_BUDGET, and how much fuzzing?

        Every counted call is planned: the visitors.info calls of the set-up checks and
        of the cases (by the collected tests), and those of the other limited routes."""
        window = self.info_window()
        if window is None:
            return  # no limiter: the budget changes nothing
        # The set-up's visitors.info questions are the cases' own (the unprivileged user's
        # check is VI-PERM-403's first case, RC_EXTERNAL_IDS_VISITOR's its clause's case):
        # planned with the cases. The livechat-agent's read costs nothing when the account
        # is that agent: VI-OK-SHAPE's answer serves.
        before_fuzz = self.planned_hand_written
        boundaries = self.planned_boundaries - (0 if self._needs_agent() else self.planned_agent_reads)
        try:
            self.budget = plan_budget(
                self.settings.time_budget_s, self.budget_clock, window, time.time(),
                before_fuzz, boundaries, self.settings.fuzz_examples,
                other_calls=self._other_calls(),
            )
        except BudgetTooSmall as exc:
            raise TargetError(str(exc)) from None
        budget = self.budget
        # The preflight, then what is to come, as far as it fits before the deadline: the
        # generated cases as the plan expects them.
        generated = self.planned_generated_tests * (
            budget.estimated_examples + COVERAGE_CASES if budget.estimated_examples else 0)
        to_come = before_fuzz + boundaries + generated
        budget.planned_calls[self.info_route] = 1 + min(to_come, window.fit(time.time(),
                                                                            budget.deadline))
        assert self.session is not None
        self.session.pacer.deadline, self.session.pacer.budget_s = budget.deadline, budget.seconds

    def _unprivileged_is_given(self) -> bool:
        return bool(self.unprivileged_given or self.settings.unprivileged)

    def _other_calls(self) -> dict[str, int]:
        """The run's calls of the other limited routes, by the limiter's key: log-ins, users,
        visitors registered and removed, log-outs."""
        assert self.session is not None
        route = self.session.route
        token = bool(self.settings.credentials.auth_token) and self.reference is None
        given = self._unprivileged_is_given()
        # VI-PERM-403's other half: a given livechat-agent is logged in, asked its roles and
        # logged out; a created one is created, logged in and deleted (its tokens die with it).
        agent_given = self._needs_agent() and bool(self.settings.agent)
        agent_created = self._needs_agent() and not self.settings.agent
        calls = {
            route("GET", "/api/v1/me"): 1 + agent_given,
            route("POST", "/api/v1/login"): (0 if token else 1) + 1 + agent_given + agent_created,
            route("POST", "/api/v1/users.create"): (0 if given else 1) + agent_created,
            route("POST", VISITOR_PATH): len(VISITOR_LABELS),
            route("DELETE", f"{VISITOR_PATH}/{{token}}"): len(VISITOR_LABELS),
            route("POST", "/api/v1/users.delete"): (0 if given else 1) + agent_created,
            route("POST", "/api/v1/logout"): (0 if token else 1) + (1 if given else 0) + agent_given,
        }
        return {key: n for key, n in calls.items() if n}

    def _recheck_budget(self) -> None:
        """After the set-up, on the limiter's headers: do the hand-written clauses still fit?"""
        window = self.info_window()
        if self.budget is None or window is None:
            return
        # The externalIds check already asked its case's question.
        asked = 1 if self.settings.external_ids_visitor else 0
        last = window.send_times(time.time(), max(self.planned_hand_written - asked, 0))
        if not self.budget.allows(last):
            late = last - self.budget.deadline
            raise TargetError(
                f"RC_TIME_BUDGET={self.settings.time_budget_s:g} can no longer hold the "
                f"hand-written clauses after the set-up: the limiter's windows (shared with any "
                f"other client on this IP) put their last call {late:.0f} s past the deadline; "
                f"set RC_TIME_BUDGET={math.ceil(self.settings.time_budget_s + late)} or more, "
                "or use an account holding api-bypass-rate-limit"
            )

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
        self._know_user(user, self.unprivileged_auth,
                        "RC_UNPRIVILEGED_USER" if given else "the user the run created")
        if given:
            self._check_unprivileged(user.username)

    def _agent(self) -> None:
        """VI-PERM-403's other half: an account holding view-l-room with neither an admin nor
        a manager role. The run's own account when it is one (its answers serve, no call
        more); else RC_AGENT_USER; else a livechat-agent created for the run when the
        account may create users; else that half is not judged, and says why."""
        assert self.session is not None and self.objects is not None
        own = self.own_roles
        if not self._needs_agent() and own is not None:
            self.agent_auth = self.auth
            self.agent_source = f"the run's own account (roles: {', '.join(sorted(own)) or 'none'})"
            return
        given = self.settings.agent
        if given:
            user = User(label="agent", username=given.user or "", password=given.password or "",
                        created_by_run=False)
            auth = login(self.session, Credentials(user=user.username, password=user.password),
                         "RC_AGENT_USER/RC_AGENT_PASSWORD")
            self._know_user(user, auth, "RC_AGENT_USER")
            self.agent_auth, self.agent_source = auth, f"RC_AGENT_USER {user.username!r}"
            roles = self._roles(auth) or set()
            if roles & PRIVILEGED_ROLES:
                raise TargetError(
                    f"RC_AGENT_USER {user.username!r} has the role(s) "
                    f"{', '.join(sorted(roles & PRIVILEGED_ROLES))}; give a user whose roles hold "
                    "view-l-room without admin or livechat-manager (livechat-agent), or unset "
                    "RC_AGENT_USER and RC_AGENT_PASSWORD to have one created"
                )
            return
        try:
            user = self.objects.create_user("agent", roles=("livechat-agent",))
        except SetupError as exc:
            self.agent_missing = (f"{exc}; set RC_AGENT_USER and RC_AGENT_PASSWORD to a "
                                  "livechat-agent")
            return
        auth = login(self.session, Credentials(user=user.username, password=user.password),
                     "the livechat-agent created for the run")
        self._know_user(user, auth, "the livechat-agent the run created")
        self.agent_auth, self.agent_source = auth, "a livechat-agent created for the run"

    def _needs_agent(self) -> bool:
        """Whether VI-PERM-403's other half needs an account besides the run's own."""
        return self.own_roles is None or bool(self.own_roles & PRIVILEGED_ROLES)

    def _roles(self, auth: dict[str, str]) -> set[str] | None:
        """The roles ``GET /api/v1/me`` gives the account; None when it does not say."""
        assert self.session is not None
        response = self.session.get("/api/v1/me", headers=auth)
        roles = json_object(response).get("roles")
        if response.status_code != 200 or not isinstance(roles, list):
            return None
        return {str(role) for role in roles}

    def _check_unprivileged(self, username: str) -> None:
        """A given RC_UNPRIVILEGED_USER must lack view-l-room, or VI-PERM-403 judges nothing
        but the configuration. A user the run created has the plain `user` role: if the
        server serves it, that is the server's fault, for VI-PERM-403 to report."""
        # VI-PERM-403's own question (its case then takes the answer).
        response = self.ask(params={"visitorId": PERMISSION_PROBE_ID},
                            headers=self.unprivileged_auth)
        if response.status_code == 403:
            return  # documented or not, VI-PERM-403 judges it
        if self._documented(response, "VI-NOT-FOUND"):
            raise TargetError(
                f"RC_UNPRIVILEGED_USER {username!r} holds view-l-room (visitors.info answered "
                f"{response.status_code}, not 403); give a user whose roles lack it (only 'user'), "
                "or unset RC_UNPRIVILEGED_USER and RC_UNPRIVILEGED_PASSWORD to have one created"
            )
        self._setting_notice(
            f"RC_UNPRIVILEGED_USER {username!r} got visitors.info answer {response.status_code}, "
            "neither the 403 of a user without view-l-room nor the answer of one holding it: the "
            "server breaks VI-PERM-403; RC_UNPRIVILEGED_USER might also hold view-l-room"
        )

    def _check_external_ids_visitor(self) -> None:
        """A given RC_EXTERNAL_IDS_VISITOR must name a visitor that carries externalIds.

        Exit 4 only for what a correct server answers to a wrong setting (the exact
        visitor-not-found; the visitor, whole, without externalIds). Any other answer
        breaks the contract whatever the setting: VI-OK-SHAPE judges it, the run goes on,
        and a notice names the setting as a possible cause. The reference server's seeded
        visitor is checked the same way (it is known to be there: never exit 4).
        """
        given, setting = self.settings.external_ids_visitor, "RC_EXTERNAL_IDS_VISITOR"
        if not given and self.reference is not None and self.external_ids_visitor and (
                self.catalogue["VI-EXTIDS-SHAPE"].applies_to(self.contract_version)):
            given, setting = self.external_ids_visitor, "the reference server's seeded visitor"
        if not given:
            return
        # The same question as VI-EXTIDS-SHAPE's case, which then takes this answer.
        response = self.ask(params={"visitorId": given})
        self.startup_visitors.append((setting, given, response))
        body = json_object(response)
        visitor = body.get("visitor")
        whole = (response.status_code == 200 and body.get("success") is True
                 and isinstance(visitor, dict) and visitor.get("_id") == given)
        if whole and visitor.get("externalIds"):
            return
        wrong_setting = None
        if whole:
            wrong_setting = (f"{setting}={given!r} names a visitor without externalIds; set it to "
                             "the id of a visitor an omnichannel app linked (8.4.0 and later), or "
                             "unset it")
        elif self._documented(response, "VI-NOT-FOUND"):
            wrong_setting = (f"{setting}={given!r} names no visitor on the server (visitors.info "
                             f"answered {response.status_code} visitor-not-found); set it to the id "
                             "of a visitor an omnichannel app linked, or unset it")
        if wrong_setting and self.reference is None:
            raise TargetError(wrong_setting)
        if self.reference is not None:
            # The reference server's own visitor: no setting can be at fault.
            self.notify(f"notice: {setting} {given!r}: visitors.info answered "
                        f"{response.status_code}, not the visitor whole: VI-OK-SHAPE judges it")
            return
        self._setting_notice(
            f"{setting}={given!r}: visitors.info answered {response.status_code}, neither "
            "visitor-not-found nor 200 {\"visitor\": {\"_id\": <that id>, ...}, \"success\": "
            "true}, the answers a correct server gives: VI-OK-SHAPE judges it; "
            f"{setting} might also name no visitor an omnichannel app linked"
        )

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
