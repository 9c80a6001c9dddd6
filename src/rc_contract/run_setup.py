"""The run's start-up checks: the secrets it knows, the version that judges, the server's
document, the preflight, and the users (unprivileged, agent) and visitor the cases need.

A mixin of rc_contract.run.Run (its dataclass holds the state these methods read and set);
moved out of run.py to keep each module short.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import requests

from rc_contract.configuration.paths import ENDPOINT
from rc_contract.configuration.settings import Credentials
from rc_contract.contract.judge import NotJudged
from rc_contract.contract.server_document import DOCS_PATH, DOCS_QUERY, ServerDocument, examine
from rc_contract.leaks import Secret
from rc_contract.live.probe import login
from rc_contract.live.ratelimit import plan_rate_limit
from rc_contract.live.reference_process import TargetError
from rc_contract.live.session import TransportError, json_object
from rc_contract.objects.visitors_and_users import SetupError, User
from rc_contract.releases import UnsupportedVersion

if TYPE_CHECKING:
    from collections.abc import Callable

    from rc_contract.configuration.settings import Settings
    from rc_contract.contract import Catalogue, LoadedDocument
    from rc_contract.contract.catalogue import Expectation
    from rc_contract.live.budget import Budget, Window
    from rc_contract.live.probe import DetectedVersion
    from rc_contract.live.ratelimit import RateLimitPlan
    from rc_contract.live.redact import Redactor
    from rc_contract.live.reference_process import ReferenceProcess
    from rc_contract.live.session import RCSession, Recorder
    from rc_contract.objects.visitors_and_users import RunObjects
    from rc_contract.releases import Releases
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



class RunSetup:
    """Run's start-up checks (see rc_contract.run.Run._start, which calls them in order)."""

    # What these checks read or set of Run: annotations only, the values are Run's fields
    # (a base class that is not a dataclass adds no field).
    settings: Settings
    notify: Callable[[str], None]
    redactor: Redactor
    recorder: Recorder
    catalogue: Catalogue
    releases: Releases
    document: LoadedDocument
    reference: ReferenceProcess | None
    session: RCSession | None
    auth: dict[str, str]
    unprivileged_auth: dict[str, str]
    detected: DetectedVersion | None
    judged_by: RCVersion | None
    version_notices: list[str]
    server_document: ServerDocument | None
    objects: RunObjects | None
    external_ids_visitor: str | None
    unprivileged_given: Credentials | None
    agent_auth: dict[str, str]
    agent_source: str
    agent_missing: str
    own_roles: set[str] | None
    secrets: list[Secret]
    setting_notices: list[str]
    startup_visitors: list[tuple[str, str, requests.Response]]
    rate_limit_bypass: bool | None
    rate_limit: RateLimitPlan | None
    planned_info_calls: int
    budget: Budget | None

    if TYPE_CHECKING:
        # Run's own members (and RunBudget's) these checks call.
        @property
        def contract_version(self) -> RCVersion: ...

        def expectations(self, clause_id: str, case: str = ...) -> list[Expectation]: ...

        def ask(self, query: str | None = None, *, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None) -> requests.Response: ...

        def info_window(self) -> Window | None: ...

        def _plan_budget(self) -> None: ...

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
        paths = body["paths"] if isinstance(body.get("paths"), dict) else {}
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
        if whole and isinstance(visitor, dict) and visitor.get("externalIds"):
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
