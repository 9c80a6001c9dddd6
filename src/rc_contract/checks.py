"""The suite's own checks: plain functions that raise ``AssertionError``.

The hand-written cases call them, and the fuzz case registers them with
Schemathesis, so every generated answer is held to the same rules.
Messages never quote a body whole: a body can hold personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rc_contract.contract import Expectation, LoadedDocument
from rc_contract.contract.catalogue import DEFAULT_CASE
from rc_contract.judge import (
    FORBIDDEN_VISITOR_KEYS,
    BodyNotice,
    Foreign,
    NotJudged,
    documented_keys,
    documented_visitor_keys,
    judge_expected,
    short,
    unnamed,
)


@dataclass(frozen=True)
class Answer:
    """What the checks need of a response, from requests or Schemathesis alike."""

    status: int
    content_type: str
    text: str

    @classmethod
    def of(cls, response: Any) -> Answer:
        headers = response.headers
        value = headers.get("content-type") or headers.get("Content-Type") or ""
        if isinstance(value, list):  # Schemathesis keeps every header as a list
            value = value[0] if value else ""
        text = response.text if hasattr(response, "text") else response.content.decode("utf-8", "replace")
        return cls(status=response.status_code, content_type=str(value), text=text)

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


def judge_answer(run: Any, clause: str, response: Any, case: str = DEFAULT_CASE) -> Answer:
    """A hand-written case's answer against its clause's expectation, by the one rule:
    exact where promised, unnamed keys collected as notices on the run, no foreign data.

    Where the server may run versions that answer differently (it said only ``9.0``:
    a 9.0.0 release candidate or 9.0.0), any of their answers passes and the run
    records which one it gave.
    """
    answer = Answer.of(response)
    check_no_foreign_data(answer, run, asked_in(response))
    expectations = run.expectations(clause, case)
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
    values = [v for key, found in query.items() if key.startswith("visitorId") for v in found]
    return values + [v.strip() for v in values]


def check_no_foreign_data(answer: Answer, run: Any, asked: list[str]) -> None:
    """No visitor token in an answer not about that visitor, no other visitor's data."""
    problems = foreign_of(run).problems(answer.status, answer.text, asked)
    assert not problems, "; ".join(problems)


def foreign_of(run: Any) -> Foreign:
    visitors = run.objects.visitors if run is not None and run.objects else []
    return Foreign(tuple(
        (v.id, v.token, (v.name, v.email, v.email.lower(), v.phone)) for v in visitors
    ))


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


def check_no_token(answer: Answer, tokens: list[str]) -> None:
    """No ``token`` key in a returned visitor, and no known token value anywhere in the body."""
    if not tokens:
        raise NotJudged("no visitor token is known to the run: nothing to look for")
    for token in tokens:
        assert token not in answer.text, (
            f"the {answer.status} answer contains a visitor's token value"
        )
    if answer.status == 200:
        body = answer.json()
        visitor = body.get("visitor") if isinstance(body, dict) else None
        if isinstance(visitor, dict):
            for key in FORBIDDEN_VISITOR_KEYS:
                assert key not in visitor, f"the visitor object has a {key!r} key"


def swept(run: Any, nodeid: str, clause: str, exchanges: list[Any]) -> list[Any]:
    """Record how many answers a sweep over the run's traffic examined; none is not judged."""
    run.sweeps[nodeid] = (clause, len(exchanges))
    if not exchanges:
        raise NotJudged(
            f"{clause}: the recorded traffic holds no visitors.info answer to examine "
            f"(of {len(run.recorder.exchanges)} exchanges recorded)"
        )
    return exchanges
