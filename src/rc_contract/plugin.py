"""The pytest plugin: configuration, the run's set-up and tear-down, clause gating, reports.

Loaded by the root conftest.py. It stays inert unless the collected tests are
contract cases (tests marked with ``clause``), so the suite's own tests run
without a target.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from rc_contract.configuration.settings import (
    DEFAULT_REPORT_DIR,
    SETTINGS,
    ConfigError,
    Settings,
    check_report_dir,
    resolve,
)
from rc_contract.contract.judge import NotJudged
from rc_contract.live import interrupts
from rc_contract.live.session import TransportError
from rc_contract.reports import failure, summary, terminal
from rc_contract.reports.outcomes import (
    ERROR,
    FAILED,
    NOT_JUDGED_PREFIX,
    NOTICE,
    NOTICE_PREFIX,
    PASSED,
    SKIPPED,
    TestOutcome,
)
from rc_contract.run import Run, StartError

EXIT_FAILED, EXIT_INTERRUPTED, EXIT_BROKE_OFF, EXIT_CANNOT_START = 1, 2, 3, 4


class State:
    """What the plugin keeps for one pytest session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings: Settings | None = None
        self.settings_error: str | None = None
        self.run: Run | None = None
        self.outcomes: dict[str, TestOutcome] = {}
        self.active = False
        self.start_error: str | None = None
        self.contract_run = False
        self.report_dir: Path | None = None
        # The exit code the reports were written with (None: not written by this run).
        self.exit_code: int | None = None
        self.progress: Any = None
        # The tool's own terminal (None: pytest's, with --debug or -v, or not a contract run).
        self.console: terminal.Console | None = None
        self.details: dict[str, failure.Detail] = {}
        self.warnings: list[str] = []
        self.nothing_judged = ""  # why no clause was judged, when none was


STATE = pytest.StashKey[State]()


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    if not pluginmanager.has_plugin(terminal.TAKEOVER):
        # Its configure hook runs after pytest's, to take pytest's reporter off the run.
        pluginmanager.register(terminal.TakeOver(), terminal.TAKEOVER)
    group = parser.getgroup("rc-contract", "Rocket.Chat visitors.info contract suite")
    for setting in SETTINGS.values():
        group.addoption(setting.option, dest=_dest(setting.env), default=None,
                        help=f"{setting.help} [env {setting.env}]")
    group.addoption("--rc-debug", dest="rc_debug", action="store_true", default=False,
                    help="pytest's own terminal: paths, tracebacks, locals (rc-contract run --debug)")


def _dest(env: str) -> str:
    return env.lower()


def current_settings(config: pytest.Config) -> Settings | None:
    return config.stash[STATE].settings


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(*ids): the clause(s) of spec/clauses.yaml a test enforces")
    config.addinivalue_line("markers", "after_all: runs after every other case (sweeps of the whole run)")
    config.addinivalue_line("markers", "shares_answer: asks a question an earlier case or the set-up "
                            "asked, and takes that answer (the time budget plans no call for it)")
    config.addinivalue_line("markers", "agent_read: asks as VI-PERM-403's livechat-agent; when that "
                            "is the run's own account, an earlier answer serves (no call planned)")
    config.addinivalue_line("markers", "budgeted: a hand-written case sent only while it fits "
                            "RC_TIME_BUDGET on a limited server, planned with VI-FUZZ's boundaries")
    state = State(config)
    config.stash[STATE] = state
    options = {env: config.getoption(_dest(env)) for env in SETTINGS}
    state.contract_run = _is_contract_run(config)
    if state.contract_run:
        interrupts.install()  # idempotent: `rc-contract run` installed them already
        state.report_dir = Path(options.get("RC_REPORT_DIR") or os.environ.get("RC_REPORT_DIR")
                                or DEFAULT_REPORT_DIR)
    try:
        state.settings = resolve(options)
        if state.contract_run:
            from rc_contract.configuration.options import check_environment

            state.warnings = check_environment()
            check_report_dir(state.settings.report_dir)
    except ConfigError as exc:
        state.settings_error = str(exc)
        if state.contract_run:
            # pytest prints a UsageError as one "ERROR: ..." line and exits with 4.
            raise pytest.UsageError(f"rc-contract: cannot start: {exc}") from None
        return
    if state.contract_run:
        from rc_contract.contract import fuzz

        fuzz.EXAMPLES = state.settings.fuzz_examples
        report_dir = state.settings.report_dir
        # JUnit goes to the report dir unless asked elsewhere (report.html is the suite's own).
        if not config.option.xmlpath:
            config.option.xmlpath = str(report_dir / "junit.xml")


def _is_contract_run(config: pytest.Config) -> bool:
    from rc_contract.configuration.paths import project_root

    contract = (project_root() / "tests" / "contract").resolve()
    args = config.args or [str(config.rootpath)]
    for arg in args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if path == contract or contract in path.parents:
            return True
    return False


def _clauses(item: pytest.Item) -> tuple[str, ...]:
    ids: list[str] = []
    for marker in item.iter_markers("clause"):
        ids.extend(marker.args)
    return tuple(dict.fromkeys(ids))


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not any(_clauses(item) for item in items):
        return
    # The hand-written clauses first: on a limited server they must all run, and the
    # fuzzing (boundary queries, then generated cases) gets what is left of the time
    # budget. Sweeps over the whole run's traffic go last, after every request was sent.
    # Budgeted hand-written cases come after the others, before the fuzzing.
    items.sort(key=lambda item: (item.get_closest_marker("after_all") is not None,
                                 _is_fuzz(item) or _is_budgeted(item), _is_fuzz(item),
                                 _is_generated(item)))


def _is_budgeted(item: pytest.Item) -> bool:
    return item.get_closest_marker("budgeted") is not None


def _is_fuzz(item: pytest.Item) -> bool:
    return _FUZZ in _clauses(item)


def _is_generated(item: pytest.Item) -> bool:
    from schemathesis.pytest.plugin import SchemathesisFunction

    return isinstance(item, SchemathesisFunction)


def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash[STATE]
    if not any(_clauses(item) for item in session.items) or session.config.option.collectonly:
        return
    state.active = True
    if state.settings_error:
        _cannot_start(session, state, state.settings_error)
    assert state.settings is not None
    interrupts.checkpoint()  # a signal during start-up: nothing was created yet
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    capture = session.config.pluginmanager.get_plugin("capturemanager")

    def notify(message: str) -> None:
        text = state.run.redactor.text(message) if state.run else message
        if state.console is not None:
            state.console.note(text)
            return
        if reporter is None:
            return
        # Waits happen inside cases, whose output pytest captures: the user must see them.
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write_line(f"rc-contract: {text}")

    if state.console is not None:
        state.console.total = len(session.items)
    state.run = Run(state.settings, notify=notify)
    planned = planned_info_calls(session.items, state.settings.fuzz_examples)
    state.run.planned_info_calls = planned.total
    state.run.planned_hand_written = planned.hand_written
    state.run.planned_boundaries = planned.boundaries
    state.run.planned_generated_tests = planned.generated_tests
    state.run.planned_agent_reads = planned.agent_reads
    try:
        state.run.start()
    except StartError as exc:
        _cannot_start(session, state, str(exc))
    run = state.run
    if run.budget is not None:
        # What the plan expects the generated test to send; sized for good when it starts.
        run.planned_info_calls = planned.fixed + _generated_calls(run.budget.estimated_examples)
    if run.rate_limit is not None and not run.rate_limit.bypass and run.session is not None:
        _show_progress(state, reporter, capture)
    if state.console is not None:
        _header(state, run)
        return
    notify(
        f"target {run.url} ({'bundled reference server' if run.reference else 'RC_URL'}), "
        f"Rocket.Chat {run.server_version} from {run.detected.source if run.detected else '?'}, "
        f"judged by the {_contract_name(run)} contract"
    )


def _header(state: State, run: Run) -> None:
    from rc_contract import __version__

    console, settings = state.console, run.settings
    assert console is not None
    sources = {env: _source_of(state.config, env) for env in SETTINGS}
    contract = _contract_name(run) if run.contract_version is not None else ""
    lines = terminal.header(__version__, run, settings, state.warnings, sources,
                            _account(state, run), contract)
    for line in lines:
        console.wrapped(run.redactor.text(line))
    console.flush_pending()
    console.line()


def _source_of(config: pytest.Config, env: str) -> str:
    """Where a setting's value came from: its option, its variable, or the default."""
    if config.getoption(_dest(env)) not in (None, ""):
        return SETTINGS[env].option
    return env if os.environ.get(env) else "default"


def _account(state: State, run: Run) -> str:
    """The account the run logs in with, in words; no secret."""
    settings = run.settings
    credentials = settings.credentials
    if run.reference is not None:
        main = ("a livechat agent of the bundled server (rate-limited)"
                if run.reference.ci_password else "admin of the bundled server")
        main += " (password generated)"
    elif credentials.user:
        main = f"{credentials.user} (RC_USER, password from RC_PASSWORD)"
    else:
        main = f"user id {credentials.user_id} (RC_USER_ID, token from RC_AUTH_TOKEN)"
    if settings.unprivileged is not None:
        other = f"{settings.unprivileged.user} (RC_UNPRIVILEGED_USER)"
    elif run.unprivileged_given is not None:
        other = f"{run.unprivileged_given.user} of the bundled server"
    else:
        other = "created by the run, deleted after it"
    return f"{main}; without view-l-room: {other}"


def _contract_name(run: Run) -> str:
    version = run.contract_version
    if version.exact:
        return str(version)
    return f"{version} (any known {version} release: {', '.join(map(str, run.releases.candidates(version)))})"


def _cannot_start(session: pytest.Session, state: State, message: str) -> None:
    state.start_error = message
    if state.console is not None:
        # One line on stderr; pytest.exit ends the session with exit code 4 and says
        # nothing itself once its terminal is off. pytest_sessionfinish still cleans up.
        state.console.line(f"rc-contract: cannot start: {message}", err=True)
        pytest.exit(message, returncode=EXIT_CANNOT_START)
    # A UsageError ends the session with exit code 4 (EXIT_CANNOT_START) and one
    # "ERROR: ..." line; pytest_sessionfinish still runs and cleans up.
    raise pytest.UsageError(f"rc-contract: cannot start: {message}")


# Refused before the limiter counts them (auth, then permission, then rate limit)...
_BEFORE_THE_LIMITER = {"VI-AUTH-401", "VI-PERM-403"}
# ...but a later router may run the limiter before the permission check (PR #41970):
# the time budget counts the 403 probes, so that either order fits it.
_MAYBE_COUNTED = {"VI-PERM-403"}
_FUZZ = "VI-FUZZ"


@dataclass(frozen=True)
class PlannedCalls:
    """visitors.info calls the limiter will count, at most (one answer may serve several cases)."""

    hand_written: int  # the hand-written clauses' cases, after the preflight
    boundaries: int  # VI-FUZZ's boundary queries
    generated_tests: int
    examples: int
    agent_reads: int = 0  # among the boundaries: none sent when the account is the agent

    @property
    def fixed(self) -> int:
        return 1 + self.hand_written + self.boundaries  # the preflight is one

    @property
    def total(self) -> int:
        return self.fixed + self.generated_tests * _generated_calls(self.examples)


def _generated_calls(examples: int) -> int:
    from rc_contract.live.budget import COVERAGE_CASES

    return examples + COVERAGE_CASES if examples else 0


def planned_info_calls(items: list[pytest.Item], fuzz_examples: int) -> PlannedCalls:
    """About one counted call per case; a Schemathesis test sends one per generated case."""
    hand_written = boundaries = generated = agent_reads = 0
    for item in items:
        clauses = set(_clauses(item))
        # Sweeps over the run's traffic send nothing; a shared answer is not sent again.
        if not clauses or clauses <= _BEFORE_THE_LIMITER - _MAYBE_COUNTED or (
                item.get_closest_marker("after_all") is not None
                or item.get_closest_marker("shares_answer") is not None):
            continue
        agent_reads += item.get_closest_marker("agent_read") is not None
        if _FUZZ not in clauses and not _is_budgeted(item):
            hand_written += 1
        elif _is_generated(item):
            generated += 1
        else:
            boundaries += 1
    return PlannedCalls(hand_written, boundaries, generated, fuzz_examples, agent_reads)


def _show_progress(state: State, reporter: Any, capture: Any) -> None:
    """The progress line while the run waits for the limiter (rewritten in a terminal)."""
    from rc_contract.live.progress import Progress

    run = state.run
    assert run is not None and run.session is not None
    console = state.console
    if console is not None:
        def plain(text: str) -> None:
            console.line(f"rc-contract: {run.redactor.text(text)}")

        def redraw(line: str, last: bool) -> None:
            # The figures that matter first, so that a narrow terminal keeps them.
            wait = re.search(r"\(this wait: (\d+) s\)", line)
            if last or wait is None:
                console.wait("")
                return
            f = state.progress.figures()
            left = f["eta_s"]
            console.wait(f"waiting {wait.group(1)} s for the limiter, "
                         f"{f['requests_done']}/{f['requests_planned']} counted requests, "
                         f"about {int(left) // 60}:{int(left) % 60:02d} left")

        state.progress = Progress(run, plain, redraw if console.tty else None)
        run.session.pacer.on_wait = state.progress.on_wait
        return
    if reporter is None:
        return

    def uncaptured(write: Any) -> Any:
        def call(text: str, *args: Any) -> None:
            with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
                write(f"rc-contract: {run.redactor.text(text)}", *args)
        return call

    def rewrite(line: str, last: bool) -> None:
        reporter.rewrite(line, erase=True)
        if last:
            reporter.write("\n")

    tty = getattr(reporter, "isatty", False)
    state.progress = Progress(run, uncaptured(reporter.write_line),
                              uncaptured(rewrite) if tty else None)
    run.session.pacer.on_wait = state.progress.on_wait


def _size_generated(item: pytest.Item, run: Run) -> None:
    """Give the generated test the examples that fit what is left of the time budget.

    Schemathesis fixes max_examples in the test's Hypothesis settings at collection;
    Hypothesis reads them when the test is called, so they can still be changed here.
    """
    import time

    from hypothesis import settings

    window = run.info_window()
    if run.budget is None or window is None:
        return
    examples = run.budget.size_examples(window, time.time())
    done = run.counted_info_calls()
    run.planned_info_calls = done + _generated_calls(examples)
    if examples == 0:
        pytest.skip(f"not sent: no generated case fits the {run.budget.seconds:.0f} s budget "
                    "on a limited server; raise RC_TIME_BUDGET or use an account with the bypass")
    test = getattr(item, "obj", None)
    current = getattr(test, "_hypothesis_internal_use_settings", None)
    if current is not None and current.max_examples > examples:
        test._hypothesis_internal_use_settings = settings(current, max_examples=examples)


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Any:
    """A call the budget's deadline stops (the limiter's windows were slower than planned):
    the case is not sent, a skip that leaves its clause not judged, never an error."""
    from rc_contract.errors import NotSent

    try:
        return (yield)
    except NotSent as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def rc(request: pytest.FixtureRequest) -> Run:
    """The run: target, session, version, contract and the objects registered for it."""
    run = request.config.stash[STATE].run
    if run is None:
        pytest.skip("no contract run is active")
    return run


def pytest_runtest_setup(item: pytest.Item) -> None:
    state = item.config.stash[STATE]
    run = state.run
    if run is not None:
        # Exchanges sent from here to the end of the case's teardown are the case's.
        run.recorder.current_case = item.nodeid
    clause_ids = _clauses(item)
    if run is None or not clause_ids:
        return
    interrupts.checkpoint()
    if run.breakdown is not None:
        # The server is gone: the remaining cases end at once, not judged.
        pytest.skip(f"{NOT_JUDGED_PREFIX}the run broke off before this case (the server stopped answering)")
    clauses = [run.catalogue[cid] for cid in clause_ids]
    version = run.contract_version
    if not any(c.applies_to(version) or c.observes(version) for c in clauses):
        pytest.skip(NOTICE_PREFIX + " ".join(c.notice_for(run.contract_version) for c in clauses))
    if _is_generated(item):
        _size_generated(item, run)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    try:
        return (yield)
    finally:
        # Traffic after the case's teardown (the run's own tear-down) is no case's.
        run = item.config.stash[STATE].run
        if run is not None:
            run.recorder.current_case = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    state = item.config.stash[STATE]
    if state.run is None:
        return report
    if report.failed and call.excinfo is not None and _is_contract_failure(call.excinfo.value):
        # Built before redaction, from raw exchanges; redacted as it is built.
        report._rc_detail = failure.describe(state.run, item.nodeid, _clauses(item),
                                             call.excinfo.value, str(report.longrepr))
        state.details[item.nodeid] = report._rc_detail
    _redact_report(state.run, report)
    _record(state, item, report, call)
    outcome = state.outcomes.get(item.nodeid)
    if outcome is not None and outcome.outcome == ERROR and report.failed:
        # The server's silence judged nothing: a skip with one line in JUnit, HTML and the
        # terminal, never a failure (nor pages of connection tracebacks).
        _path, line, _ = item.location
        report.outcome = "skipped"
        report.longrepr = (str(item.path), (line or 0) + 1, f"{NOT_JUDGED_PREFIX}{outcome.message}")
    if state.console is not None and outcome is not None and _is_recorded(report):
        state.console.case_done(outcome.clauses, outcome.outcome)
    return report


def _is_recorded(report: pytest.TestReport) -> bool:
    """The phase whose report decides a case's outcome (see ``_record``)."""
    return report.when == "call" or (report.when == "setup" and not report.passed)


def _is_contract_failure(exc: BaseException) -> bool:
    return not isinstance(exc, NotJudged) and _transport_error(exc) is None


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node: Any, call: Any, report: Any) -> None:
    # Schemathesis rewrites a failed case's longrepr here, after makereport: the
    # terminal's FAILURES section and the HTML report print that text.
    state = node.config.stash[STATE]
    if state.run is not None and isinstance(report, pytest.TestReport):
        _redact_report(state.run, report)
        recorded = state.outcomes.get(report.nodeid)
        explained = getattr(report, "_rc_detail", None)
        if recorded is not None and recorded.detail and explained is None:
            recorded.detail = str(report.longrepr)


class RedactedFailure:
    """A failure's text once redacted. It keeps the one-line crash message that pytest's
    short summary and JUnit's ``message`` attribute read from ``longrepr.reprcrash``."""

    def __init__(self, text: str, message: str, detail: str = "") -> None:
        self.text = text
        self.reprcrash = SimpleNamespace(message=message)
        self.detail = detail

    def toterminal(self, out: Any) -> None:
        # The traceback, then what a person acts on (failure.describe), last on screen.
        for line in (self.text + ("\n\n" + self.detail if self.detail else "")).splitlines():
            out.line(line)

    def __str__(self) -> str:
        # JUnit's failure text and the HTML report lead with the detail.
        return self.detail + "\n\n" + self.text if self.detail else self.text


def _redact_report(run: Run, report: pytest.TestReport) -> None:
    """Secrets and personal data never reach the terminal, JUnit or HTML."""
    redact = run.redactor.text
    if report.longrepr is not None:
        if isinstance(report.longrepr, tuple):
            path, line, reason = report.longrepr
            report.longrepr = (path, line, redact(reason))
        else:
            longrepr = report.longrepr
            text = redact(longrepr.text if isinstance(longrepr, RedactedFailure) else str(longrepr))
            crash = getattr(longrepr, "reprcrash", None)
            message = redact(crash.message) if crash is not None else _summary_line(text)
            detail = getattr(report, "_rc_detail", None)
            if detail is not None:
                message = detail.line  # one readable line for JUnit and the short summary
            report.longrepr = RedactedFailure(text, message, detail.text if detail else "")
    report.sections = [(title, redact(text)) for title, text in report.sections]


def _record(state: State, item: pytest.Item, report: pytest.TestReport, call: Any) -> None:
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if report.passed:
            outcome, message = PASSED, ""
        elif report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
            reason = reason.removeprefix("Skipped: ")
            if reason.startswith(NOTICE_PREFIX):
                outcome, message = NOTICE, reason.removeprefix(NOTICE_PREFIX)
            elif reason.startswith(NOT_JUDGED_PREFIX):
                outcome, message = ERROR, reason.removeprefix(NOT_JUDGED_PREFIX)
            else:
                outcome, message = SKIPPED, reason
        elif call.excinfo is not None and (transport := _transport_error(call.excinfo.value)):
            outcome, message = ERROR, state.run.redactor.text(str(transport))
        elif call.excinfo is not None and isinstance(call.excinfo.value, NotJudged):
            # The check examined nothing: an error of the run, never a pass.
            outcome, message = ERROR, state.run.redactor.text(f"examined nothing: "
                                                              f"{call.excinfo.value}")
        else:
            explained = getattr(report, "_rc_detail", None)  # failure.py's detail of the case
            outcome, message = FAILED, (explained.line.split(": ", 1)[-1] if explained
                                        else _failure_line(report))
        run = state.run
        if outcome == PASSED and run.budget is not None and _is_generated(item):
            # Judged, but on fewer cases than asked: the reports say how many and why.
            message = run.budget.note(run.fuzz_cases_run, run.fuzz_cases_cut)
        explained = getattr(report, "_rc_detail", None)
        # The reports' detail is the suite's account of the failure, not pytest's traceback.
        detail = ((explained.text if explained else str(report.longrepr))
                  if outcome in (FAILED, ERROR) else "")
        state.outcomes[item.nodeid] = TestOutcome(
            item.nodeid, _clauses(item), outcome, message, report.duration, detail
        )


_SCHEMATHESIS_FAILURE = re.compile(r"^\W*- (ST\d{3} .+)$")


def _transport_error(exc: BaseException) -> TransportError | None:
    """The server's silence behind a case's exception, if that is all there was.

    Hypothesis wraps an error that does not recur on replay (a dropped connection)
    in an exception group; a group with any other exception in it is a failure.
    """
    if isinstance(exc, TransportError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        found = [_transport_error(inner) for inner in exc.exceptions]
        if found and all(found):
            return found[0]
    return None


def _failure_line(report: pytest.TestReport) -> str:
    return _summary_line(str(report.longrepr))


def _summary_line(text: str) -> str:
    # A Schemathesis failure group: name each distinct failure (ST101 Server error, ...).
    found = [m.group(1).strip() for m in map(_SCHEMATHESIS_FAILURE.match, text.splitlines()) if m]
    if found:
        return "; ".join(dict.fromkeys(found))
    for line in text.splitlines():
        if line.startswith("E "):
            return line[1:].strip()
    return text.strip().splitlines()[-1] if text.strip() else "failed"


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash[STATE]
    run = state.run
    if state.console is not None:
        state.console.finish_progress()
    if (state.contract_run and not state.active and state.settings_error is None
            and session.exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED):
        # -k or -m selected no case: nothing judged, never a green run.
        state.nothing_judged = "no case was selected (-k, -m, --ignore or --deselect)"
        session.exitstatus = EXIT_CANNOT_START
        return
    if not state.active or run is None:
        return
    run.close()  # one signal does not cut it short; a second does (interrupts.py)
    code = _exit_code(state, run, int(session.exitstatus))
    session.exitstatus = code
    if state.start_error is not None:
        for problem in run.cleanup_problems:
            sys.stderr.write(f"rc-contract: clean-up: {run.redactor.text(problem)}\n")
        return
    _mark_exit_code(session.config, code)
    summary.write_all(run, list(state.outcomes.values()), code)
    state.exit_code = code


def _exit_code(state: State, run: Run, pytest_status: int) -> int:
    if state.start_error is not None:
        return EXIT_CANNOT_START
    if interrupts.interrupted():
        run.stopped = interrupts.reason()
        return EXIT_INTERRUPTED
    if run.breakdown is not None:
        run.stopped = "the run broke off: the server stopped answering"
        return EXIT_BROKE_OFF
    if pytest_status not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return pytest_status  # an internal error (3), no tests collected (5)
    failed = any(o.outcome == FAILED for o in state.outcomes.values())
    errors = any(o.outcome == ERROR for o in state.outcomes.values())
    if failed or errors or run.cleanup_problems:
        return EXIT_FAILED
    if not any(o.outcome == PASSED for o in state.outcomes.values()):
        # Every selected case was skipped or a notice: a run that judged nothing is not green.
        state.nothing_judged = ("every selected case was skipped or a notice; select cases that "
                                "judge a clause, or run them all")
        return EXIT_CANNOT_START
    return 0


def _mark_exit_code(config: pytest.Config, code: int) -> None:
    """JUnit carries the run's exit code as a property (report.html is the suite's own)."""
    from _pytest.junitxml import xml_key

    xml = config.stash.get(xml_key, None)
    if xml is not None:
        xml.add_global_property(summary.EXIT_CODE_PROPERTY, code)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash[STATE]
    run = state.run
    if state.active and run is not None and state.start_error is None and run.detected:
        for line in summary.terminal_table(state.run, list(state.outcomes.values())):
            terminalreporter.write_line(line)
        if run.budget is not None:
            terminalreporter.write_line(
                f"rc-contract: {run.budget.note(run.fuzz_cases_run, run.fuzz_cases_cut)}")
            terminalreporter.write_line(f"rc-contract: {run.budget.usage()}")
        if state.progress is not None:
            terminalreporter.write_line(f"rc-contract: {state.progress.line(final=True)}")


def _closing_paragraph(state: State, run: Run) -> str:
    """One paragraph for a run that stopped early: what happened, what is left, what to do."""
    if state.exit_code not in (EXIT_INTERRUPTED, EXIT_BROKE_OFF):
        return ""
    parts = []
    if state.exit_code == EXIT_BROKE_OFF and run.breakdown is not None:
        parts.append(f"the run broke off: the server stopped answering: {run.breakdown.sentence()}")
    else:
        parts.append(run.stopped or "interrupted")
    unjudged = [c.id for c in summary.clause_outcomes(run, list(state.outcomes.values()))
                if c.message.startswith(("not judged", "no test ran"))]
    if unjudged:
        parts.append(f"not judged: {', '.join(unjudged)}")
    left = run.left_behind
    if left:
        parts.append(f"left on the server: {', '.join(left)}; remove them with "
                     f"`{summary.sweep_command(run)}` and the run's account (RC_USER, "
                     "RC_PASSWORD)")
    else:
        parts.append("nothing the run created is left on the server")
    parts.append(f"reports in {run.settings.report_dir}/ (exit code {state.exit_code})")
    return run.redactor.text("; ".join(parts))


def pytest_unconfigure(config: pytest.Config) -> None:
    # Last of all: JUnit XML and the HTML report are written in sessionfinish, and the
    # evidence manifest hashes them with the rest of the run's reports.
    state = config.stash.get(STATE, None)
    if state is None or not state.contract_run or config.option.collectonly:
        return
    run = state.run
    if state.exit_code is not None and run is not None:
        interrupts.seal(state.exit_code)  # a signal from here on is too late to change it
        if interrupts.interrupted() and state.exit_code != EXIT_INTERRUPTED:
            # The signal came while the reports were written: they must say so.
            written, state.exit_code = state.exit_code, EXIT_INTERRUPTED
            run.stopped = interrupts.reason()
            summary.correct_exit_code(run.settings.report_dir, run,
                                        list(state.outcomes.values()), written, state.exit_code)
            interrupts.seal(state.exit_code)
        if state.console is not None:
            _print_results(state, run)
        paragraph = _closing_paragraph(state, run)
        if paragraph:
            interrupts.say(paragraph)
        from rc_contract.reports import evidence

        evidence.write(run.settings.report_dir)
        _print_last_line(state, state.exit_code, run.settings.report_dir)
        return
    # The run never got to write its reports: replace the previous run's with the reason.
    reason = None
    if state.settings_error or state.start_error:
        reason, code = f"cannot start: {state.start_error or state.settings_error}", EXIT_CANNOT_START
    elif interrupts.interrupted():
        reason, code = f"{interrupts.reason()} before the run started", EXIT_INTERRUPTED
    elif state.nothing_judged:
        reason, code = f"nothing judged: {state.nothing_judged}", EXIT_CANNOT_START
        if state.console is None:
            sys.stderr.write(f"rc-contract: {reason}\n")
    if reason is not None and state.report_dir is not None:
        target = (state.settings.url or "the bundled reference server") if state.settings else None
        summary.replace_with_not_run(state.report_dir, code, reason, target)
        _print_last_line(state, code, state.report_dir)


def _print_results(state: State, run: Run) -> None:
    """The clause table, each failure's block, the run's notes (the tool's terminal)."""
    console = state.console
    assert console is not None
    tests = list(state.outcomes.values())
    redact = run.redactor.text
    if not run.detected:
        return
    if not console.tty:  # in a terminal, the progress line's place is the blank line
        console.line()
    console.line(f"clauses (server {run.server_version}, contract {run.contract_version}):")
    for line in terminal.clause_table(summary.clause_outcomes(run, tests), redact,
                                      console.width() if console.tty else 120):
        console.line(line)
    order = {clause.id: index for index, clause in enumerate(run.catalogue.clauses)}
    failed = sorted((t for t in tests if t.outcome == FAILED),
                    key=lambda t: min((order.get(c, len(order)) for c in t.clauses), default=0))
    if failed:
        console.line()
        console.line(f"failures ({len(failed)} case{'s' if len(failed) > 1 else ''}; "
                     "each one in report.html too):")
        for test in failed:
            detail = state.details.get(test.nodeid)
            block = detail.block if detail is not None else (
                f"  x {', '.join(test.clauses)}  {terminal.case_name(test.nodeid)}\n"
                f"    failed    {test.message}")
            for line in block.splitlines():
                console.line(redact(line))
    extras = summary.terminal_extras(run, tests)
    if extras:
        console.line()
    for line in extras:
        console.line(line)
    if run.budget is not None:
        console.line(f"rc-contract: {run.budget.note(run.fuzz_cases_run, run.fuzz_cases_cut)}")
        console.line(f"rc-contract: {run.budget.usage()}")
    if state.progress is not None:
        console.line(f"rc-contract: {state.progress.line(final=True)}")


def _print_last_line(state: State, code: int | None, report_dir: Path) -> None:
    if state.console is None or code is None:
        return
    state.console.line(terminal.last_line(code, f"report: {report_dir / summary.REPORT_HTML}",
                                          state.nothing_judged))


__all__ = ["FAILED", "SKIPPED", "current_settings"]
