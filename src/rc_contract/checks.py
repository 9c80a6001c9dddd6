"""The suite's own checks: plain functions that raise ``AssertionError``.

The hand-written cases call them, and the fuzz case registers them with
Schemathesis, so every generated answer is held to the same rules.
Messages never quote a body whole: a body can hold personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rc_contract.contract import Expectation
from rc_contract.contract.catalogue import DEFAULT_CASE

# Rocket.Chat adds `stack` to error bodies only when run with TEST_MODE.
TOLERATED_KEYS = {"stack"}


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


def check_exact_body(answer: Answer, expectation: Expectation) -> None:
    """Status and body exactly as expected; ``optional`` keys may appear with their value."""
    assert answer.status == expectation.status, (
        f"status {answer.status}, expected {expectation.status}"
    )
    body = answer.json()
    assert isinstance(body, dict), f"the {answer.status} body is not a JSON object"
    for key, value in expectation.body.items():
        assert key in body, f"the {answer.status} body lacks {key!r}"
        assert body[key] == value, (
            f"the {answer.status} body has {key}={_short(body[key])}, expected {_short(value)}"
        )
    for key, value in expectation.optional.items():
        if key in body:
            assert body[key] == value, (
                f"the {answer.status} body has {key}={_short(body[key])}, expected {_short(value)}"
            )
    extra = set(body) - set(expectation.body) - set(expectation.optional) - TOLERATED_KEYS
    assert not extra, f"the {answer.status} body has unexpected keys {sorted(extra)}"


def check_one_of(answer: Answer, expectations: list[Expectation]) -> Expectation:
    """The answer of one of the versions a server may run (``9.0`` may be a 9.0 release
    candidate): return the expectation it met."""
    failures = []
    for expectation in expectations:
        try:
            check_exact_body(answer, expectation)
        except AssertionError as exc:
            failures.append((expectation, str(exc)))
        else:
            return expectation
    if len(failures) == 1:
        raise AssertionError(failures[0][1])
    raise AssertionError(
        "the answer matches none of the versions the server may run: "
        + "; ".join(f"as {e.versions}: {message}" for e, message in failures)
    )


def check_clause_body(run: Any, clause_id: str, answer: Answer, case: str = DEFAULT_CASE) -> None:
    """The clause's exact answer for the server's version; where the server may run
    versions that answer differently, any of them, and which one it gave is recorded."""
    expectations = run.expectations(clause_id, case)
    met = check_one_of(answer, expectations)
    if len(expectations) > 1:
        run.observe(
            clause_id, case,
            "the versions it may run answer differently ("
            + " / ".join(str(e.versions) for e in expectations) + ")",
            f"the {met.versions} answer",
        )


def check_error_envelope(answer: Answer) -> None:
    """A non-2xx answer is ``{"success": false, "error": "<text>", ...}``."""
    if answer.status < 400:
        return
    body = answer.json()
    assert isinstance(body, dict), f"the {answer.status} body is not a JSON object"
    assert body.get("success") is False, (
        f"the {answer.status} body has success={_short(body.get('success'))}, expected false"
    )
    assert isinstance(body.get("error"), str), (
        f"the {answer.status} body has no string 'error' (got {type(body.get('error')).__name__})"
    )


def check_no_token(answer: Answer, tokens: list[str]) -> None:
    """No ``token`` key in a returned visitor, and no known token value anywhere in the body."""
    for token in tokens:
        assert token not in answer.text, (
            f"the {answer.status} answer contains a visitor's token value"
        )
    if answer.status == 200:
        body = answer.json()
        visitor = body.get("visitor") if isinstance(body, dict) else None
        if isinstance(visitor, dict):
            assert "token" not in visitor, "the visitor object has a 'token' key"


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."
