"""The pytest plugin: configuration, the run's set-up and tear-down, clause gating, reports.

Loaded by the root conftest.py. It stays inert unless the collected tests are
contract cases (tests marked with ``clause``), so the suite's own tests run
without a target.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from rc_contract.configuration.settings import (
    DEFAULT_REPORT_DIR,
    SETTINGS,
    ConfigError,
    Settings,
    check_report_dir,
    resolve,
)
from rc_contract.exit_codes import ExitCode
from rc_contract.live import interrupts
from rc_contract.live.planning import clauses as clauses_of
from rc_contract.live.planning import (
    is_budgeted,
    is_fuzz,
    is_generated,
    planned_info_calls,
    size_generated,
)
from rc_contract.outcomes import NoticeSkip, NotJudgedSkip, NotSentSkip
from rc_contract.reports import failure, recording, results, summary, terminal
from rc_contract.reports.outcomes import ERROR, FAILED, SKIPPED, TestOutcome
from rc_contract.run import OpenRuns, Run, StartError

if TYPE_CHECKING:
    from rc_contract.live.progress import Progress

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
        self.progress: Progress | None = None  # the limiter's waits, on a limited server
        # The tool's own terminal (None: pytest's, with --debug or -v, or not a contract run).
        self.console: terminal.Console | None = None
        self.details: dict[str, failure.Detail] = {}
        self.warnings: list[str] = []
        self.nothing_judged = ""  # why no clause was judged, when none was


STATE = pytest.StashKey[State]()


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    if not pluginmanager.has_plugin(terminal.TAKEOVER):
        # Its configure hook runs after pytest's, to take pytest's reporter off the run.
        take_over = terminal.TakeOver(lambda config: config.stash.get(STATE, None))
        pluginmanager.register(take_over, terminal.TAKEOVER)
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

        fuzz.size_generation(state.settings.fuzz_examples)
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


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not any(clauses_of(item) for item in items):
        return
    # The hand-written clauses first: on a limited server they must all run, and the
    # fuzzing (boundary queries, then generated cases) gets what is left of the time
    # budget. Sweeps over the whole run's traffic go last, after every request was sent.
    # Budgeted hand-written cases come after the others, before the fuzzing.
    items.sort(key=lambda item: (item.get_closest_marker("after_all") is not None,
                                 is_fuzz(item) or is_budgeted(item), is_fuzz(item),
                                 is_generated(item)))


def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash[STATE]
    if not any(clauses_of(item) for item in session.items) or session.config.option.collectonly:
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
    planned = planned_info_calls(session.items, state.settings.fuzz_examples)
    state.run = Run(state.settings, notify=notify, open_runs=_open_runs(session.config),
                    planned=planned, planned_info_calls=planned.total)
    try:
        state.run.start()
    except StartError as exc:
        _cannot_start(session, state, str(exc))
    run = state.run
    if run.rate_limit is not None and not run.rate_limit.bypass and run.session is not None:
        _show_progress(state, reporter, capture)
    if state.console is not None:
        _header(state, run)
        return
    notify(
        f"target {run.url} ({'bundled reference server' if run.reference else 'RC_URL'}), "
        f"Rocket.Chat {run.server_version} from {run.detected.source if run.detected else '?'}, "
        f"judged by the {results.contract_name(run)} contract"
    )


def _header(state: State, run: Run) -> None:
    from rc_contract import __version__

    console, settings = state.console, run.settings
    assert console is not None
    sources = {env: _source_of(state.config, env) for env in SETTINGS}
    contract = results.contract_name(run) if run.contract_version is not None else ""
    lines = terminal.header(__version__, run, settings, state.warnings, sources,
                            results.account(run), contract)
    for line in lines:
        console.wrapped(run.redactor.text(line))
    console.flush_pending()
    console.line()


def _source_of(config: pytest.Config, env: str) -> str:
    """Where a setting's value came from: its option, its variable, or the default."""
    if config.getoption(_dest(env)) not in (None, ""):
        return SETTINGS[env].option
    return env if os.environ.get(env) else "default"


def _open_runs(config: pytest.Config) -> OpenRuns | None:
    """The command line's list of open runs, when `rc-contract run` started pytest."""
    return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, OpenRuns)), None)


def _cannot_start(session: pytest.Session, state: State, message: str) -> None:
    state.start_error = message
    if state.console is not None:
        # One line on stderr; pytest.exit ends the session with exit code 4 and says
        # nothing itself once its terminal is off. pytest_sessionfinish still cleans up.
        state.console.line(f"rc-contract: cannot start: {message}", err=True)
        pytest.exit(message, returncode=ExitCode.CANNOT_START)
    # A UsageError ends the session with exit code 4 (ExitCode.CANNOT_START) and one
    # "ERROR: ..." line; pytest_sessionfinish still runs and cleans up.
    raise pytest.UsageError(f"rc-contract: cannot start: {message}")


def _show_progress(state: State, reporter: Any, capture: Any) -> None:
    """The progress line while the run waits for the limiter (rewritten in a terminal)."""
    from rc_contract.live.progress import Progress

    run = state.run
    assert run is not None and run.session is not None
    console = state.console
    if console is not None:
        def plain(text: str) -> None:
            console.line(f"rc-contract: {run.redactor.text(text)}")

        def redraw(line: str, wait_left: float) -> None:
            # The figures that matter first, so that a narrow terminal keeps them.
            if wait_left <= 0:
                console.wait("")
                return
            f = progress.figures()
            left = f["eta_s"]
            console.wait(f"waiting {wait_left:.0f} s for the limiter, "
                         f"{f['requests_done']}/{f['requests_planned']} counted requests, "
                         f"about {int(left) // 60}:{int(left) % 60:02d} left")

        progress = state.progress = Progress(run, plain, redraw if console.tty else None)
        run.session.pacer.on_wait = progress.on_wait
        return
    if reporter is None:
        return

    def uncaptured(write: Any) -> Any:
        def call(text: str, *args: Any) -> None:
            with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
                write(f"rc-contract: {run.redactor.text(text)}", *args)
        return call

    def rewrite(line: str, wait_left: float) -> None:
        reporter.rewrite(line, erase=True)
        if wait_left <= 0:
            reporter.write("\n")

    tty = getattr(reporter, "isatty", False)
    state.progress = Progress(run, uncaptured(reporter.write_line),
                              uncaptured(rewrite) if tty else None)
    run.session.pacer.on_wait = state.progress.on_wait


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Any:
    """A call the budget's deadline stops (the limiter's windows were slower than planned):
    the case is not sent, a skip that leaves its clause not judged, never an error."""
    from rc_contract.errors import NotSent

    try:
        return (yield)
    except NotSent as exc:
        raise NotSentSkip(str(exc).removeprefix(NotSentSkip.label)) from None


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
    clause_ids = clauses_of(item)
    if run is None or not clause_ids:
        return
    interrupts.checkpoint()
    if run.breakdown is not None:
        # The server is gone: the remaining cases end at once, not judged.
        raise NotJudgedSkip("the run broke off before this case (the server stopped answering)")
    clauses = [run.catalogue[cid] for cid in clause_ids]
    version = run.contract_version
    if not any(c.applies_to(version) or c.observes(version) for c in clauses):
        raise NoticeSkip(" ".join(c.notice_for(run.contract_version) for c in clauses))
    if is_generated(item):
        size_generated(item, run)


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
    run = state.run
    exc = call.excinfo.value if call.excinfo is not None else None
    if report.failed and exc is not None and recording.is_contract_failure(exc):
        # Built before redaction, from raw exchanges; redacted as it is built.
        detail = failure.describe(run, item.nodeid, clauses_of(item), exc, str(report.longrepr))
        setattr(report, recording.DETAIL_ATTRIBUTE, detail)
        state.details[item.nodeid] = detail
    recording.skip_text(report, exc)
    recording.redact_report(run, report)
    outcome = recording.record(run, item, clauses_of(item), is_generated(item), report, call)
    if outcome is not None:
        state.outcomes[item.nodeid] = outcome
    outcome = state.outcomes.get(item.nodeid)
    if outcome is not None and outcome.outcome == ERROR and report.failed:
        recording.not_judged_skip(item, report, outcome.message)
    if state.console is not None and outcome is not None and recording.is_recorded(report):
        state.console.case_done(outcome.clauses, outcome.outcome)
    return report


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node: Any, call: Any, report: Any) -> None:
    # Schemathesis rewrites a failed case's longrepr here, after makereport: the
    # terminal's FAILURES section and the HTML report print that text.
    state = node.config.stash[STATE]
    if state.run is not None and isinstance(report, pytest.TestReport):
        recording.redact_report(state.run, report)
        recorded = state.outcomes.get(report.nodeid)
        explained = recording.detail_of(report)
        if recorded is not None and recorded.detail and explained is None:
            recorded.detail = str(report.longrepr)


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
        session.exitstatus = ExitCode.CANNOT_START
        return
    if not state.active or run is None:
        return
    run.close()  # one signal does not cut it short; a second does (interrupts.py)
    if state.start_error is not None:
        code: int = ExitCode.CANNOT_START
    else:
        code, state.nothing_judged = results.exit_code(run, list(state.outcomes.values()),
                                                       int(session.exitstatus))
    session.exitstatus = code
    if state.start_error is not None:
        for problem in run.cleanup_problems:
            sys.stderr.write(f"rc-contract: clean-up: {run.redactor.text(problem)}\n")
        return
    _mark_exit_code(session.config, code)
    summary.write_all(run, list(state.outcomes.values()), code)
    state.exit_code = code


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
        for line in summary.terminal_table(run, list(state.outcomes.values())):
            terminalreporter.write_line(line)
        if run.budget is not None:
            terminalreporter.write_line(
                f"rc-contract: {run.budget.note(run.fuzz_cases_run, run.fuzz_cases_cut)}")
            terminalreporter.write_line(f"rc-contract: {run.budget.usage()}")
        if state.progress is not None:
            terminalreporter.write_line(f"rc-contract: {state.progress.line(final=True)}")


def pytest_unconfigure(config: pytest.Config) -> None:
    # Last of all: JUnit XML and the HTML report are written in sessionfinish, and the
    # evidence manifest hashes them with the rest of the run's reports.
    state = config.stash.get(STATE, None)
    if state is None or not state.contract_run or config.option.collectonly:
        return
    run = state.run
    if state.exit_code is not None and run is not None:
        interrupts.seal(state.exit_code)  # a signal from here on is too late to change it
        if interrupts.interrupted() and state.exit_code != ExitCode.INTERRUPTED:
            # The signal came while the reports were written: they must say so.
            written, state.exit_code = state.exit_code, ExitCode.INTERRUPTED
            run.stopped = interrupts.reason()
            summary.correct_exit_code(run.settings.report_dir, run,
                                        list(state.outcomes.values()), written, state.exit_code)
            interrupts.seal(state.exit_code)
        if state.console is not None:
            results.print_results(state.console, run, list(state.outcomes.values()), state.details,
                                  state.progress)
        paragraph = results.closing_paragraph(run, list(state.outcomes.values()), state.exit_code)
        if paragraph:
            interrupts.say(paragraph)
        from rc_contract.reports import evidence

        evidence.write(run.settings.report_dir)
        _print_last_line(state, state.exit_code, run.settings.report_dir)
        return
    # The run never got to write its reports: replace the previous run's with the reason.
    reason = None
    if state.settings_error or state.start_error:
        reason, code = f"cannot start: {state.start_error or state.settings_error}", ExitCode.CANNOT_START
    elif interrupts.interrupted():
        reason, code = f"{interrupts.reason()} before the run started", ExitCode.INTERRUPTED
    elif state.nothing_judged:
        reason, code = f"nothing judged: {state.nothing_judged}", ExitCode.CANNOT_START
        if state.console is None:
            sys.stderr.write(f"rc-contract: {reason}\n")
    if reason is not None and state.report_dir is not None:
        target = (state.settings.url or "the bundled reference server") if state.settings else None
        summary.replace_with_not_run(state.report_dir, code, reason, target)
        _print_last_line(state, code, state.report_dir)


def _print_last_line(state: State, code: int | None, report_dir: Path) -> None:
    if state.console is None or code is None:
        return
    state.console.line(terminal.last_line(code, f"report: {report_dir / summary.REPORT_HTML}",
                                          state.nothing_judged))


__all__ = ["FAILED", "SKIPPED", "current_settings"]
