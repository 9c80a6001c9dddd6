"""The suite's own checks: plain functions that raise ``AssertionError``.

The hand-written cases call them, and the fuzz case registers them with
Schemathesis, so every generated answer is held to the same rules.
Messages never quote a body whole: a body can hold personal data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from rc_contract import leaks
from rc_contract.contract import Expectation, LoadedDocument
from rc_contract.contract.catalogue import DEFAULT_CASE
from rc_contract.contract.judge import (
    FORBIDDEN_VISITOR_KEYS,
    BodyNotice,
    Foreign,
    NotJudged,
    documented_keys,
    documented_visitor_keys,
    judge_expected,
    secret_problems,
    short,
    unnamed,
)
from rc_contract.questions import Question

if TYPE_CHECKING:
    from rc_contract.contract.views import JudgingRun

# The attribute the suite's Schemathesis checks set on the AssertionError they raise: the
# check's name, which the reports read from the Failure object (reports/failure.py).
CHECK_ATTRIBUTE = "rc_check"

# The attribute VI-FUZZ sets on each Failure of a case: the case's FailedCase, so that the
# reports find the failing request and Schemathesis' reproduction without parsing its text.
FAILED_CASE_ATTRIBUTE = "rc_failed_case"


@dataclass(frozen=True)
class FailedCase:
    """A generated case that failed: the question it asked and Schemathesis' curl for it."""

    asked: Question
    curl: str


@dataclass(frozen=True)
class Answer:
    """What the checks need of a response, from requests or Schemathesis alike."""

    status: int
    content_type: str
    text: str
    # Every response header (repeated ones joined) and the status line's reason phrase.
    headers: tuple[tuple[str, str], ...] = ()
    reason: str = ""

    @classmethod
    def of(cls, response: Any) -> Answer:
        headers = tuple(
            # Schemathesis keeps every header as a list of values.
            (str(k), ", ".join(map(str, v)) if isinstance(v, list) else str(v))
            for k, v in response.headers.items()
        )
        value = next((v for k, v in headers if k.lower() == "content-type"), "")
        text = response.text if hasattr(response, "text") else response.content.decode("utf-8", "replace")
        # requests says `reason`, Schemathesis `message`.
        reason = getattr(response, "reason", None) or getattr(response, "message", None) or ""
        return cls(status=response.status_code, content_type=value, text=text, headers=headers,
                   reason=str(reason))

    @classmethod
    def of_exchange(cls, exchange: Any) -> Answer:
        """A recorded exchange (session.Exchange) as the checks see an answer."""
        return cls(exchange.status, exchange.header("Content-Type"), exchange.body,
                   tuple(exchange.response_headers.items()), exchange.reason)

    @property
    def header_map(self) -> dict[str, str]:
        return dict(self.headers)

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            raise AssertionError(f"the {self.status} answer is not valid JSON") from None


def check_json_content_type(answer: Answer) -> None:
    media_type = answer.content_type.split(";")[0].strip().lower()
    assert media_type == "application/json", (
        f"the {answer.status} answer has Content-Type {answer.content_type or '(none)'!r}, "
        "expected application/json"
    )
    answer.json()


def check_exact_body(answer: Answer, expectation: Expectation, clause: str = "",
                     document: LoadedDocument | None = None) -> list[BodyNotice]:
    """Status and documented keys exactly as expected (judge.judge_expected); returns the
    notices for keys the contract does not name, which are never a failure."""
    return judge_expected(answer.status, answer.json(), expectation, clause, document)


def judge_answer(run: JudgingRun, clause: str, response: Any, case: str = DEFAULT_CASE) -> Answer:
    """A hand-written case's answer against its clause's expectation, by the one rule:
    exact where promised, unnamed keys collected as notices on the run, no foreign data.

    Where the server may run versions that answer differently (it said only ``9.0``:
    a 9.0.0 release candidate or 9.0.0), any of their answers passes and the run
    records which one it gave.
    """
    answer = Answer.of(response)
    expectations = run.expectations(clause, case)
    # What a failure of this case says was expected (failure.describe).
    run.expected_answers[run.recorder.current_case] = " or ".join(dict.fromkeys(
        f"{e.status} {json.dumps(e.body)}" for e in expectations if e.status))
    check_no_foreign_data(answer, run, asked_in(response))
    met, notices = check_one_of(answer, expectations, clause, run.document)
    run.notices.add(notices)
    if len(expectations) > 1:
        run.observe(
            clause, case,
            "the versions it may run answer differently ("
            + " / ".join(str(e.versions) for e in expectations) + ")",
            f"the {met.versions} answer",
        )
    return answer


def check_one_of(answer: Answer, expectations: list[Expectation], clause: str = "",
                 document: LoadedDocument | None = None) -> tuple[Expectation, list[BodyNotice]]:
    """The expectation the answer meets best (fewest keys it does not name), with its
    notices; else every reason why it meets none."""
    failures, met = [], []
    for expectation in expectations:
        try:
            met.append((expectation, check_exact_body(answer, expectation, clause, document)))
        except AssertionError as exc:
            failures.append((expectation, str(exc)))
    if met:
        return min(met, key=lambda found: len(found[1]))
    if len(failures) == 1:
        raise AssertionError(failures[0][1])
    raise AssertionError(
        "the answer matches none of the versions the server may run: "
        + "; ".join(f"as {e.versions}: {message}" for e, message in failures)
    )


def asked_in(response: Any) -> list[str]:
    """The visitorId values a request named (its query), to tell own data from another's."""
    request = getattr(response, "request", None)
    url = getattr(request, "url", "") or ""
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    # Byte for byte: a server that trims or folds the id is not exact.
    return [v for key, found in query.items() if key.startswith("visitorId") for v in found]


def check_no_foreign_data(answer: Answer, run: JudgingRun | None, asked: list[str]) -> None:
    """A 200 carries exactly the visitor asked for; no visitor token outside that
    visitor's own 200, no other visitor's data, in any place of the answer."""
    problems = foreign_of(run).problems(answer.status, answer.text, asked,
                                        answer.header_map, answer.reason)
    assert not problems, "; ".join(problems)


def foreign_of(run: JudgingRun | None) -> Foreign:
    visitors = run.objects.visitors if run is not None and run.objects else []
    return Foreign(
        tuple((v.id, v.token, (v.name, v.name.lower(), v.email, v.email.lower(), v.phone))
              for v in visitors),
        frozenset(v.id for v in visitors if v.removed),
        tuple(getattr(run, "secrets", ())),
    )


def check_error_envelope(answer: Answer) -> None:
    """A non-2xx answer is ``{"success": false, "error": "<text>", ...}``."""
    if answer.status < 400:
        return
    body = answer.json()
    assert isinstance(body, dict), f"the {answer.status} body is not a JSON object"
    assert body.get("success") is False, (
        f"the {answer.status} body has success={short(body.get('success'))}, expected false"
    )
    assert isinstance(body.get("error"), str), (
        f"the {answer.status} body has no string 'error' (got {type(body.get('error')).__name__})"
    )


def body_notices(answer: Answer, document: LoadedDocument, clause: str) -> list[BodyNotice]:
    """Keys of an answer the contract does not name (top level, and the visitor's)."""
    try:
        body = json.loads(answer.text)
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    found = unnamed(body, documented_keys(document, answer.status), clause,
                    f"{answer.status} body")
    visitor = body.get("visitor")
    if answer.status == 200 and isinstance(visitor, dict):
        found += unnamed(visitor, documented_visitor_keys(document), clause, "visitor",
                         ignore=FORBIDDEN_VISITOR_KEYS)
    return found


def token_places(answer: Answer, tokens: list[str]) -> list[str]:
    """Where any known visitor token shows in the answer: status reason, any header, the body
    at any depth, in any form (leaks.find)."""
    return [str(place) for place in leaks.find(tokens, reason=answer.reason,
                                               headers=answer.header_map, body=answer.text)]


def check_no_token(answer: Answer, tokens: list[str],
                   secrets: Iterable[leaks.Secret] = ()) -> None:
    """No ``token`` key in a returned visitor, and no known token value anywhere in the
    answer (VI-TOKEN-ABSENT: the sweep, the known-visitor cases and the fuzz check); nor
    any other secret of the run (``secrets``: named by kind, never by value)."""
    if not tokens:
        raise NotJudged("no visitor token is known to the run: nothing to look for")
    places = token_places(answer, tokens)
    problems = [f"the {answer.status} answer contains a visitor's token value: "
                + ", ".join(places[:5])] if places else []
    problems += secret_problems(answer.status, secrets, answer.text, answer.header_map,
                                answer.reason)
    assert not problems, "; ".join(problems)
    if answer.status == 200:
        body = answer.json()
        visitor = body.get("visitor") if isinstance(body, dict) else None
        if isinstance(visitor, dict):
            for key in FORBIDDEN_VISITOR_KEYS:
                assert key not in visitor, f"the visitor object has a {key!r} key"


def swept(run: JudgingRun, nodeid: str, clause: str, exchanges: list[Any]) -> list[Any]:
    """Record how many answers a sweep over the run's traffic examined; none is not judged."""
    run.sweeps[nodeid] = (clause, len(exchanges))
    if not exchanges:
        raise NotJudged(
            f"{clause}: the recorded traffic holds no visitors.info answer to examine "
            f"(of {len(run.recorder.exchanges)} exchanges recorded)"
        )
    return exchanges
