"""The pytest plugin: configuration, the run's set-up and tear-down, clause gating, reports.

Loaded by the root conftest.py. It stays inert unless the collected tests are
contract cases (tests marked with ``clause``), so the suite's own tests run
without a target.
"""

from __future__ import annotations

import contextlib
import re
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from rc_contract import failure, interrupts, reporting
from rc_contract.config import SETTINGS, ConfigError, Settings, resolve
from rc_contract.judge import NotJudged
from rc_contract.outcomes import ERROR, FAILED, NOTICE, NOTICE_PREFIX, PASSED, SKIPPED, TestOutcome
from rc_contract.run import Run, StartError
from rc_contract.session import TransportError

EXIT_CANNOT_START = 4


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


STATE = pytest.StashKey[State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rc-contract", "Rocket.Chat visitors.info contract suite")
    for setting in SETTINGS.values():
        group.addoption(setting.option, dest=_dest(setting.env), default=None,
                        help=f"{setting.help} [env {setting.env}]")


def _dest(env: str) -> str:
    return env.lower()


def current_settings(config: pytest.Config) -> Settings | None:
    return config.stash[STATE].settings


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(*ids): the clause(s) of spec/clauses.yaml a test enforces")
    config.addinivalue_line("markers", "after_all: runs after every other case (sweeps of the whole run)")
    state = State(config)
    config.stash[STATE] = state
    options = {env: config.getoption(_dest(env)) for env in SETTINGS}
    try:
        state.settings = resolve(options)
    except ConfigError as exc:
        state.settings_error = str(exc)
        if _is_contract_run(config):
            # pytest prints a UsageError as one "ERROR: ..." line and exits with 4.
            raise pytest.UsageError(f"rc-contract: {exc}") from None
        return
    if _is_contract_run(config):
        from rc_contract import fuzz

        fuzz.EXAMPLES = state.settings.fuzz_examples
        report_dir = state.settings.report_dir
        # JUnit goes to the report dir unless asked elsewhere (report.html is the suite's own).
        if not config.option.xmlpath:
            config.option.xmlpath = str(report_dir / "junit.xml")


def _is_contract_run(config: pytest.Config) -> bool:
    from rc_contract.paths import project_root

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
    # Sweeps over the whole run's traffic go last, after every request was sent.
    items.sort(key=lambda item: item.get_closest_marker("after_all") is not None)


def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash[STATE]
    if not any(_clauses(item) for item in session.items) or session.config.option.collectonly:
        return
    state.active = True
    if state.settings_error:
        _cannot_start(session, state, state.settings_error)
    assert state.settings is not None
    interrupts.terminate_like_interrupt()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    capture = session.config.pluginmanager.get_plugin("capturemanager")

    def notify(message: str) -> None:
        text = state.run.redactor.text(message) if state.run else message
        if reporter is None:
            return
        # Waits happen inside cases, whose output pytest captures: the user must see them.
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write_line(f"rc-contract: {text}")

    state.run = Run(state.settings, notify=notify)
    state.run.planned_info_calls = planned_info_calls(session.items, state.settings.fuzz_examples)
    try:
        state.run.start()
    except StartError as exc:
        _cannot_start(session, state, str(exc))
    run = state.run
    notify(
        f"target {run.url} ({'bundled reference server' if run.reference else 'RC_URL'}), "
        f"Rocket.Chat {run.server_version} from {run.detected.source if run.detected else '?'}, "
        f"judged by the {_contract_name(run)} contract"
    )


def _contract_name(run: Run) -> str:
    version = run.contract_version
    if version.exact:
        return str(version)
    return f"{version} (any known {version} release: {', '.join(map(str, run.releases.candidates(version)))})"


def _cannot_start(session: pytest.Session, state: State, message: str) -> None:
    # A UsageError ends the session with exit code 4 (EXIT_CANNOT_START) and one
    # "ERROR: ..." line; pytest_sessionfinish still runs and cleans up.
    state.start_error = message
    raise pytest.UsageError(f"rc-contract: cannot start: {message}")


# Refused before the limiter counts them (auth, then permission, then rate limit).
_BEFORE_THE_LIMITER = {"VI-AUTH-401", "VI-PERM-403"}


def planned_info_calls(items: list[pytest.Item], fuzz_examples: int) -> int:
    """visitors.info calls the limiter will count: the preflight, about one per case, the fuzzing."""
    from schemathesis.pytest.plugin import SchemathesisFunction

    counted = [item for item in items if not set(_clauses(item)) <= _BEFORE_THE_LIMITER]
    # A Schemathesis test sends one call per generated example.
    generated = [item for item in counted if isinstance(item, SchemathesisFunction)]
    return 1 + len(counted) - len(generated) + len(generated) * fuzz_examples


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
    clauses = [run.catalogue[cid] for cid in clause_ids]
    version = run.contract_version
    if not any(c.applies_to(version) or c.observes(version) for c in clauses):
        pytest.skip(NOTICE_PREFIX + " ".join(c.notice_for(run.contract_version) for c in clauses))


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
    _redact_report(state.run, report)
    _record(state, item, report, call)
    return report


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
        if recorded is not None and recorded.detail:
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
            else:
                outcome, message = SKIPPED, reason
        elif call.excinfo is not None and (transport := _transport_error(call.excinfo.value)):
            outcome, message = ERROR, state.run.redactor.text(str(transport))
        elif call.excinfo is not None and isinstance(call.excinfo.value, NotJudged):
            # The check examined nothing: an error of the run, never a pass.
            outcome, message = ERROR, state.run.redactor.text(f"examined nothing: "
                                                              f"{call.excinfo.value}")
        else:
            detail = getattr(report, "_rc_detail", None)
            outcome, message = FAILED, (detail.line.split(": ", 1)[-1] if detail
                                        else _failure_line(report))
        detail = str(report.longrepr) if outcome in (FAILED, ERROR) else ""
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
    if not state.active or run is None:
        return
    # A second Ctrl-C (or a SIGTERM) must not cut the clean-up short.
    with interrupts.uninterruptible():
        run.close()
    if run.cleanup_problems:
        for problem in run.cleanup_problems:
            sys.stderr.write(f"rc-contract: clean-up: {run.redactor.text(problem)}\n")
        if session.exitstatus == 0:
            session.exitstatus = 1
    if any(o.outcome == ERROR for o in state.outcomes.values()) and session.exitstatus == 0:
        session.exitstatus = 1
    if state.start_error is None:
        reporting.write_all(run, list(state.outcomes.values()), int(session.exitstatus))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash[STATE]
    run = state.run
    if state.active and run is not None and state.start_error is None and run.detected:
        for line in reporting.terminal_table(state.run, list(state.outcomes.values())):
            terminalreporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    # Last of all: JUnit XML and the HTML report are written in sessionfinish, and the
    # evidence manifest hashes them with the rest of the run's reports.
    state = config.stash.get(STATE, None)
    if state is not None and state.active and state.run is not None and state.start_error is None:
        from rc_contract import evidence

        evidence.write(state.run.settings.report_dir)


__all__ = ["FAILED", "SKIPPED", "current_settings"]
