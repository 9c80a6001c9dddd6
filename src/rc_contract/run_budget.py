"""The run's time budget on a rate-limited server: the limiter's window for visitors.info,
the plan of every counted call against RC_TIME_BUDGET, and its re-check after the set-up.

A mixin of rc_contract.run.Run (its dataclass holds the state these methods read and set);
moved out of run.py to keep each module short.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from rc_contract.configuration.paths import ENDPOINT
from rc_contract.live.budget import BudgetTooSmall, Window, plan_budget
from rc_contract.live.planning import PlannedCalls, generated_calls
from rc_contract.live.reference_process import TargetError
from rc_contract.objects.visitors_and_users import VISITOR_PATH
from rc_contract.run_setup import VISITOR_LABELS

if TYPE_CHECKING:
    from rc_contract.configuration.settings import Credentials, Settings
    from rc_contract.live.budget import Budget
    from rc_contract.live.ratelimit import RateLimitPlan
    from rc_contract.live.reference_process import ReferenceProcess
    from rc_contract.live.session import RCSession, Recorder


class RunBudget:
    """Run's budget planning (the preflight plans it, the set-up re-checks it)."""

    # What this planning reads or sets of Run: annotations only, the values are Run's
    # fields (a base class that is not a dataclass adds no field).
    settings: Settings
    reference: ReferenceProcess | None
    session: RCSession | None
    unprivileged_given: Credentials | None
    rate_limit: RateLimitPlan | None
    budget: Budget | None
    budget_clock: float
    planned: PlannedCalls
    # Read by the progress line that progress_figures hands this run to.
    planned_info_calls: int
    recorder: Recorder

    if TYPE_CHECKING:
        # RunSetup's, which this planning calls.
        def _needs_agent(self) -> bool: ...

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
        planned = self.planned
        before_fuzz = planned.hand_written
        boundaries = planned.boundaries - (0 if self._needs_agent() else planned.agent_reads)
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
        generated = planned.generated_tests * generated_calls(budget.estimated_examples)
        to_come = before_fuzz + boundaries + generated
        budget.planned_calls[self.info_route] = 1 + min(to_come, window.fit(time.time(),
                                                                            budget.deadline))
        assert self.session is not None
        self.session.pacer.deadline, self.session.pacer.budget_s = budget.deadline, budget.seconds
        # What the plan expects the generated test to send; sized for good when it starts.
        self.planned_info_calls = planned.fixed + generated_calls(budget.estimated_examples)

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
        last = window.send_times(time.time(), max(self.planned.hand_written - asked, 0))
        if not self.budget.allows(last):
            late = last - self.budget.deadline
            raise TargetError(
                f"RC_TIME_BUDGET={self.settings.time_budget_s:g} can no longer hold the "
                f"hand-written clauses after the set-up: the limiter's windows (shared with any "
                f"other client on this IP) put their last call {late:.0f} s past the deadline; "
                f"set RC_TIME_BUDGET={math.ceil(self.settings.time_budget_s + late)} or more, "
                "or use an account holding api-bypass-rate-limit"
            )
