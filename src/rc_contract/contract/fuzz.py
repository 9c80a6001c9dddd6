"""VI-FUZZ: Schemathesis against the live endpoint, with the bundled (repaired) document.

Auth headers are pinned (the suite's session sends the real ones), generation
is deterministic, and every generated answer goes through Schemathesis' own
checks plus the suite's: token absent, the JSON error envelope, JSON content
type. Checks raise only ``AssertionError`` (a Schemathesis 4 requirement).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import hypothesis
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.core.failures import FailureGroup

from rc_contract.contract import load_bundled, near_misses
from rc_contract.contract.checks import (
    CHECK_ATTRIBUTE,
    FAILED_CASE_ATTRIBUTE,
    Answer,
    FailedCase,
    body_notices,
    check_error_envelope,
    check_json_content_type,
    check_no_foreign_data,
    check_no_token,
)
from rc_contract.contract.document import fuzz_document
from rc_contract.errors import NotSent
from rc_contract.outcomes import NotSentSkip
from rc_contract.questions import question

if TYPE_CHECKING:
    from rc_contract.contract.views import FuzzingRun

# Generated visitorIds that name a visitor of the run, or a near miss of one, are drawn
# as templates (the placeholders of spec/fuzz-boundaries.yaml) and filled from the run's
# visitors when the case is sent: generation needs no run, the run needs no global.
KNOWN_TEMPLATES = ("{known}", "{known_other}")
NEAR_TEMPLATES = tuple(near_misses.NEAR_MISSES.values())
NO_VISITOR = "rc-contract-no-visitor"
LONG_ID_LENGTH = 2048  # {long}: an id far longer than any real one

# Hypothesis' settings profile that sizes VI-FUZZ: Schemathesis reads max_examples from
# it when it builds the test at collection, after the plugin loaded it (size_generation).
PROFILE = "rc-contract"

# Schemathesis' built-in checks that fit a Rocket.Chat endpoint. Left out:
# ignored_auth and missing_required_header (the auth headers are pinned, not
# part of the fuzzed document), unsupported_method (undocumented here),
# stateful and resource checks (one read-only operation), max_response_time.
BUILTIN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
)


def size_generation(examples: int) -> None:
    """RC_FUZZ_EXAMPLES generated cases: Hypothesis' own profile, loaded before collection."""
    hypothesis.settings.register_profile(PROFILE, max_examples=examples)
    hypothesis.settings.load_profile(PROFILE)


def config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(config_data())


def config_data(examples: int | None = None) -> dict[str, Any]:
    """The Schemathesis configuration as data: also written out for ``st run`` by bench/run.py,
    with ``examples``; the suite sizes generation by the profile (size_generation)."""
    sizing = {} if examples is None else {"max-examples": examples}
    return {
        "generation": {
            "deterministic": True,
            **sizing,
            "mode": "all",
        },
        "phases": {"examples": {"enabled": True}, "coverage": {
                       "enabled": True,
                       # Repeated visitorId is a boundary case Rocket.Chat must refuse.
                       "generate-duplicate-query-parameters": True,
                       # Only GET: other methods are no endpoint of
                       # docs/rocketchat-behaviour.md#set-up-endpoints, and a shared server must not receive
                       # them.
                       "unexpected-methods": [],
                   },
                   "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
        "checks": {
            "enabled": False,
            **{name: {"enabled": True} for name in BUILTIN_CHECKS},
            # A valid visitorId that names no visitor is documented as 400
            # visitor-not-found, so 400 is an accepted answer to positive data.
            "positive_data_acceptance": {"enabled": True, "expected-statuses": ["2xx", "400"]},
        },
    }


def schema() -> Any:
    loaded = schemathesis.openapi.from_dict(fuzz_document(load_bundled()), config=config())

    @loaded.hook
    def before_generate_query(context: Any, strategy: Any) -> Any:
        # Half the generated queries name a visitor the run registered, so 200
        # answers are generated and checked too, not only visitor-not-found.
        # Near misses of those ids (case, prefix, pattern...) must answer not found.
        known = st.sampled_from(KNOWN_TEMPLATES)
        near = st.sampled_from(NEAR_TEMPLATES)
        return st.one_of(strategy, known.map(lambda vid: {"visitorId": vid}),
                         near.map(lambda vid: {"visitorId": vid}))

    return loaded


def _registered_ids(run: FuzzingRun | None) -> list[str]:
    ids = [v.id for v in run.objects.visitors if not v.removed] if run and run.objects else []
    return ids or [NO_VISITOR]


def placeholders(run: FuzzingRun | None, removed: str = "") -> dict[str, str]:
    """The templates' placeholders, filled from the run's visitors (see KNOWN_TEMPLATES)."""
    ids = _registered_ids(run)
    return {**near_misses.placeholders(ids[0], removed), "{known_other}": ids[min(1, len(ids) - 1)]}


def _filled(case: Any, run: FuzzingRun) -> None:
    """A generated case's templates, filled in place before it is sent or recalled (a
    boundary query is filled when it is made: boundary_query)."""
    if not case.query:
        return
    fill = placeholders(run)

    def expand(value: Any) -> Any:
        if isinstance(value, str) and "{" in value:
            return near_misses.expand(value, fill)
        return [expand(v) for v in value] if isinstance(value, list) else value

    case.query = {key: expand(value) for key, value in case.query.items()}


def suite_checks(run: FuzzingRun) -> list[Any]:
    """The suite's checks on every answer VI-FUZZ gets, bound to the run they judge for."""
    def token_absent(ctx: Any, response: Any, case: Any) -> bool | None:
        if run.token_must_be_absent:
            check_no_token(Answer.of(response), run.registered_tokens)
        return None

    def error_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
        answer = Answer.of(response)
        check_error_envelope(answer)
        # Keys the contract does not name: notices of the run, never a failure.
        run.notices.add(body_notices(answer, run.document, "VI-FUZZ"))
        return None

    def no_foreign_data(ctx: Any, response: Any, case: Any) -> bool | None:
        check_no_foreign_data(Answer.of(response), run, _asked(case))
        return None

    def json_content_type(ctx: Any, response: Any, case: Any) -> bool | None:
        check_json_content_type(Answer.of(response))
        return None

    return [_named(check) for check in (token_absent, error_envelope, json_content_type,
                                        no_foreign_data)]


def _named(check: Any) -> Any:
    """The check, naming itself on the AssertionError it raises, so that the reports take
    the check from the Failure object Schemathesis makes of it (failure.fuzz_failures)."""
    def named(ctx: Any, response: Any, case: Any) -> bool | None:
        try:
            return check(ctx, response, case)
        except AssertionError as exc:
            setattr(exc, CHECK_ATTRIBUTE, check.__name__)
            raise

    named.__name__ = check.__name__
    return named


def _asked(case: Any) -> list[str]:
    # visitorId, and its array forms (visitorId[]=a is coerced to "a" from 8.4 on).
    values: list[str] = []
    for key, value in (case.query or {}).items():
        if _qs_root(str(key)).startswith("visitorId"):
            values += [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return values  # byte for byte: a server that trims the id is not exact


def _qs_root(key: str) -> str:
    # qs names `[visitorId]=x` visitorId (an empty parent takes the first bracket's name):
    # Rocket.Chat's answer to it is that visitor (the differential self-test found it).
    if key.startswith("[") and "]" in key:
        return key[1 : key.index("]")]
    return key


class BudgetSpent(Exception):
    """The call would be sent after RC_TIME_BUDGET's deadline: it is not sent."""


def call_and_check(case: Any, run: FuzzingRun) -> None:
    """One generated case; on a limited server, only while it fits the time budget."""
    _filled(case, run)
    try:
        _call_and_check(case, run)
    except BudgetSpent:
        run.fuzz_cases_cut += 1
        if not run.fuzz_cases_run:
            # Nothing was judged: say so rather than pass (Hypothesis lets a skip through).
            raise NotSentSkip(f"no generated case fits the {run.budget.seconds:.0f} s "
                              "budget on a limited server; raise RC_TIME_BUDGET or use an account "
                              "with the bypass") from None
        return
    run.fuzz_cases_run += 1


def _call_and_check(case: Any, run: FuzzingRun) -> None:
    """Send the case (or take the run's answer to the same question) and check the answer."""
    sent = case.as_transport_kwargs(base_url=run.url, headers=dict(run.auth))
    asked = question(sent["method"], sent["url"], sent.get("params"), sent.get("headers"))
    known = run.recall(asked)
    if known is not None:
        response = _schemathesis_response(known.exchange)
    elif not run.fuzz_call_fits():
        raise BudgetSpent
    else:
        try:
            response = case.call(base_url=run.url, session=run.session, headers=dict(run.auth))
        except NotSent:
            raise BudgetSpent from None  # another client took the window: past the deadline
        run.keep(asked)
    try:
        case.validate_response(response, additional_checks=suite_checks(run))
    except FailureGroup as group:
        # The reports read the request and its reproduction from the Failure objects.
        command = case.as_curl_command(headers=dict(response.request.headers),
                                       verify=response.verify, base_url=run.url)
        failed_case = FailedCase(asked, command.splitlines()[0])
        for failed in group.exceptions:
            setattr(failed, FAILED_CASE_ATTRIBUTE, failed_case)
        raise


def _schemathesis_response(exchange: Any) -> Any:
    """A recorded answer as Schemathesis' checks take it."""
    from schemathesis.core.transport import Response

    request = requests.Request(exchange.method, exchange.url,
                               headers=exchange.request_headers).prepare()
    return Response(
        status_code=exchange.status,
        headers={name: [value] for name, value in exchange.response_headers.items()},
        content=exchange.body.encode("utf-8"),
        request=request,
        elapsed=exchange.elapsed,
        verify=True,
        encoding="utf-8",
    )


def _generic_parameters() -> dict[str, tuple[str, str]]:
    """spec/fuzz-boundaries.yaml's generic parameters: boundary name -> (parameter, value)."""
    found = {}
    for boundary in boundaries():
        query = boundary["query"]
        if boundary.get("generic") and len(query) == 2 and query.get("visitorId") == "{known}":
            found[boundary["name"]] = next((k, str(v)) for k, v in query.items() if k != "visitorId")
    return found


def boundaries() -> list[dict[str, Any]]:
    """spec/fuzz-boundaries.yaml: the negative and boundary queries, as data."""
    import yaml

    from rc_contract.configuration.paths import spec_dir

    return yaml.safe_load((spec_dir() / "fuzz-boundaries.yaml").read_text("utf-8"))["boundaries"]


def boundary_query(template: dict[str, Any], run: FuzzingRun | None, repeat: int = 1) -> dict[str, Any]:
    text = json.dumps(template)
    # The removed visitor is removed on first use (also by VI-NOT-FOUND's own case).
    removed = run.removed_visitor().id if run and "{removed}" in text else ""
    fill = {**placeholders(run, removed), "{long}": "v" * LONG_ID_LENGTH}

    def expand(value: str) -> str:
        return near_misses.expand(value, fill)

    return {
        key: [expand(v) for v in value] if isinstance(value, list)
        else [expand(str(value))] * repeat if repeat > 1 else expand(str(value))
        for key, value in template.items()
    }


def check_boundary(schema: Any, boundary: dict[str, Any], run: FuzzingRun) -> None:
    """Send one boundary query as a Schemathesis case, so every check applies to it."""
    operation = schema["/api/v1/livechat/visitors.info"]["GET"]
    case = operation.Case(query=boundary_query(boundary["query"], run, boundary.get("repeat", 1)))
    try:
        _call_and_check(case, run)
    except BudgetSpent:
        run.budget.boundaries_cut.append(str(boundary["name"]))
        raise NotSentSkip(f"the query would go out after the {run.budget.seconds:.0f} s "
                          "budget's deadline on a limited server; raise RC_TIME_BUDGET") from None


# Rocket.Chat's generic query parameters (VI-PARAM-EXTRA's cases and VI-FUZZ's boundaries).
GENERIC_PARAMETERS = _generic_parameters()
