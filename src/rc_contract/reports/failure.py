"""A failure a person can act on: the clause, the request, what was expected, what came
back and a ``curl`` line that reproduces it, every secret redacted.

The plugin asks for the detail of a failed case; it is built from the exchanges the
case sent (the recorder tags each with the case's node id), or, for a sweep over the
whole run's traffic, from the exchanges the sweep names (``Offending``). Fuzz failures
also say Schemathesis' check in words and keep its own reproduction, with the
credentials and the base URL turned into ``$RC_USER_ID``/``$RC_AUTH_TOKEN``/``$RC_URL``.
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from rc_contract.configuration.paths import ENDPOINT
from rc_contract.contract.checks import CHECK_ATTRIBUTE, FAILED_CASE_ATTRIBUTE, FailedCase
from rc_contract.reports.views import FailureRun

# Headers that say nothing about the contract; every other one is shown (redacted).
_DULL_HEADERS = {"date", "content-length", "connection", "keep-alive", "transfer-encoding"}
_BODY_SHOWN = 600
_EXCHANGES_SHOWN = 3
_LINE_REASON, _LINE_REQUEST = 280, 180

# Schemathesis' checks in words: the suite's own (fuzz.suite_checks) and the built-ins.
CHECK_WORDS = {
    "token_absent": "the visitor token appeared in the answer (VI-TOKEN-ABSENT check)",
    "no_foreign_data": "the answer was not exactly the visitor asked for, or carried another "
                       "visitor's data or a token (exact-visitor check)",
    "error_envelope": "an error answer is not {success: false, error: <text>} (error envelope check)",
    "json_content_type": "the answer is not labelled or formed as JSON (VI-CONTENT-TYPE check)",
    "Server error": "the server answered 5xx",
    "Undocumented HTTP status code": "a status the bundled document does not list",
    "Undocumented Content-Type": "a content type the bundled document does not list",
    "Response violates schema": "the body does not match the bundled document's schema",
    "API accepted schema-violating request": "the server accepted a query the document forbids",
    "API rejected schema-compliant request": "the server refused a query the document allows",
}


class Offending(AssertionError):
    """A sweep's failure that names the recorded exchanges at fault."""

    def __init__(self, message: str, exchanges: Iterable[Any]) -> None:
        super().__init__(message)
        self.exchanges = list(exchanges)


@dataclass(frozen=True)
class Detail:
    line: str  # one readable line: JUnit's message, the short summary
    text: str  # the block: clause, request, expected, answer, reproduction
    block: str = ""  # the terminal's compact block: clause, promise, request, expected/actual, curl
    message: str = ""  # the line without its clause: the case's message in summary.json


def in_words(code: str, title: str, check: str | None = None) -> str:
    """A Schemathesis failure (its code, title and, for the suite's own checks, the check's
    name) in words, code kept: ``ST901`` ``token_absent`` -> what it means."""
    if check in CHECK_WORDS:
        return f"{CHECK_WORDS[check]} [{code} {check}]"
    for known, words in CHECK_WORDS.items():
        if known in title:
            return f"{words} [{code} {title}]"
    return f"{code} {title}"


def schemathesis_failures(exc: BaseException | None) -> list[Any]:
    """The Schemathesis Failure objects of a case's exception: one, a FailureGroup, or
    the exception groups Hypothesis wraps several distinct failures in."""
    from schemathesis.core.failures import Failure

    if isinstance(exc, Failure):
        return [exc]
    if isinstance(exc, BaseExceptionGroup):
        return [f for inner in exc.exceptions for f in schemathesis_failures(inner)]
    return []


def fuzz_failures(exc: BaseException | None) -> list[str]:
    """The distinct Schemathesis failures of a case, in words, each with the first line
    of the check's own message."""
    found: dict[str, str] = {}
    # By code: Schemathesis collects a case's failures in a set, whose order varies by process.
    for failed in sorted(schemathesis_failures(exc), key=lambda failed: failed.code):
        # The suite's checks name themselves on the exception they raise (fuzz.suite_checks).
        check = getattr(getattr(failed, "exception", None), CHECK_ATTRIBUTE, None)
        words = in_words(failed.code, failed.title, check)
        if words not in found:
            lines = [line.strip() for line in str(failed.message or "").splitlines()]
            found[words] = next((line for line in lines if line), "")
    return [words + (f": {message}" if message else "") for words, message in found.items()]


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def account(run: FailureRun, request_headers: dict[str, str]) -> tuple[str, list[str]]:
    """Which credentials a request carried, in words, and the curl options that send them."""
    sent = _lower(request_headers)
    uid, token = sent.get("x-user-id", ""), sent.get("x-auth-token", "")
    ci = _lower(getattr(run, "auth", {}) or {})
    other = _lower(getattr(run, "unprivileged_auth", {}) or {})
    ci_uid, ci_token = ci.get("x-user-id"), ci.get("x-auth-token")
    as_ci = ['-H "X-User-Id: $RC_USER_ID"', '-H "X-Auth-Token: $RC_AUTH_TOKEN"']
    as_other = ['-H "X-User-Id: $RC_UNPRIVILEGED_USER_ID"',
                '-H "X-Auth-Token: $RC_UNPRIVILEGED_AUTH_TOKEN"']
    if not uid and not token:
        return "no credentials", []
    if uid == ci_uid and token == ci_token:
        return "the CI account", as_ci
    if other and uid == other.get("x-user-id") and token == other.get("x-auth-token"):
        return ("the unprivileged user (log in as it for $RC_UNPRIVILEGED_USER_ID and "
                "$RC_UNPRIVILEGED_AUTH_TOKEN)", as_other)
    if uid and not token:
        return "only X-User-Id (the CI account's), no X-Auth-Token", as_ci[:1]
    if token and not uid:
        return "only X-Auth-Token (the CI account's), no X-User-Id", as_ci[1:]
    if uid == ci_uid:
        return "a wrong token for the CI account's user id", [as_ci[0],
                                                              "-H 'X-Auth-Token: wrong-token'"]
    if token == ci_token:
        return ("a wrong user id (the unprivileged user's) with the CI account's token",
                [as_other[0], as_ci[1]])
    return "other credentials", ["-H 'X-User-Id: ...'", "-H 'X-Auth-Token: ...'"]


def _relative(run: FailureRun, url: str) -> str:
    """The URL after RC_URL (path under the prefix, and the query)."""
    base = (getattr(run, "url", "") or "").rstrip("/")
    if base and url.startswith(base):
        return url[len(base):] or "/"
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def request_line(exchange: Any, run: FailureRun | None = None) -> str:
    """``GET /chat/api/v1/livechat/visitors.info?visitorId=... as the CI account (400)``:
    method, path with RC_URL's prefix, the whole query, the account, the status."""
    parts = urlsplit(exchange.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    who = f" as {account(run, exchange.request_headers)[0]}" if run is not None else ""
    return f"{exchange.method} {target}{who} ({exchange.status})"


def curl(exchange: Any, run: FailureRun) -> str:
    options = account(run, exchange.request_headers)[1]
    method = "" if exchange.method == "GET" else f" -X {exchange.method}"
    return (f"curl -g -sS -i{method} " + " ".join(options) + (" " if options else "")
            + '"$RC_URL"' + shlex.quote(_relative(run, exchange.url)))


def _body(exchange: Any, redactor: Any) -> str:
    try:
        text = json.dumps(redactor.data(json.loads(exchange.body)), ensure_ascii=False)
    except ValueError:
        text = redactor.text(exchange.body)
    return text if len(text) <= _BODY_SHOWN else text[:_BODY_SHOWN] + f"... ({len(text)} chars)"


def _answer(exchange: Any, redactor: Any) -> list[str]:
    reason = getattr(exchange, "reason", "") or ""
    lines = [f"  answer:    {exchange.status} {redactor.text(reason)}".rstrip()]
    shown = {k: v for k, v in exchange.response_headers.items() if k.lower() not in _DULL_HEADERS}
    lines += [f"    {name}: {value}" for name, value in redactor.headers(shown).items()]
    lines.append(f"    body (trimmed, redacted): {_body(exchange, redactor)}")
    return lines


def failed_cases(exc: BaseException | None) -> list[FailedCase]:
    """The generated cases of a VI-FUZZ failure (fuzz sets them on its Failure objects)."""
    found = [getattr(failed, FAILED_CASE_ATTRIBUTE, None) for failed in schemathesis_failures(exc)]
    return [case for case in found if case is not None]


def _case_exchanges(run: FailureRun, nodeid: str, exc: BaseException | None) -> list[Any]:
    mine = [e for e in run.recorder.for_path(ENDPOINT) if e.case == nodeid]
    # Answers recorded for an earlier case asking the same question are this case's too.
    served = [e for case, e in getattr(run.recorder, "served", []) if case == nodeid]
    mine += [e for e in served if e not in mine]
    if not mine:
        return []
    # A fuzz case sends many requests: the one the failing case asked is the one.
    for failed in reversed(failed_cases(exc)):
        method, url, _ = failed.asked
        matching = [e for e in mine if e.method == method and e.url == url]
        if matching:
            return matching[-1:]
    return mine[-1:]


def describe(run: FailureRun, nodeid: str, clauses: tuple[str, ...], exc: BaseException | None,
             failure_text: str) -> Detail:
    """The detail of a failed case (redacted), from the exchanges it sent or names."""
    redact = run.redactor.text
    clause = ", ".join(clauses) or "no clause"
    exchanges = list(getattr(exc, "exchanges", []) or []) or _case_exchanges(run, nodeid, exc)
    fuzz = fuzz_failures(exc)
    reason = "; ".join(fuzz) if fuzz else _first_line(str(exc) if exc is not None else "",
                                                    failure_text)
    reason = redact(reason)
    lines = ["rc-contract: what failed, and how to see it again",
             f"  clause:    {clause} ({nodeid})"]
    expected = (getattr(run, "expected_answers", {}) or {}).get(nodeid, "")
    if expected:
        lines.append(f"  expected:  {redact(expected)}")
    lines.append(f"  failed:    {reason}")
    for exchange in exchanges[:_EXCHANGES_SHOWN]:
        lines.append(f"  request:   {redact(request_line(exchange, run))}")
        lines += _answer(exchange, run.redactor)
        lines.append(f"  reproduce: {redact(curl(exchange, run))}")
    if len(exchanges) > _EXCHANGES_SHOWN:
        lines.append(f"  ... and {len(exchanges) - _EXCHANGES_SHOWN} more request(s) like these")
    if not exchanges:
        lines.append("  request:   none of visitors.info recorded for this case")
    reproduction = _schemathesis_reproduction(run, exc)
    if reproduction:
        lines.append(f"  Schemathesis' reproduction: {redact(reproduction)}")
    # One line that fits JUnit's message attribute (pytest cuts it at 500 characters).
    message = _cap(reason, _LINE_REASON)
    if exchanges:
        message += f" -- {_cap(redact(request_line(exchanges[0], run)), _LINE_REQUEST)}"
    block = _block(run, nodeid, clauses, exchanges, redact(expected) if expected else "", reason)
    return Detail(line=f"{clause}: {message}", text="\n".join(lines), block=block, message=message)


def _block(run: FailureRun, nodeid: str, clauses: tuple[str, ...], exchanges: list[Any], expected: str,
           reason: str) -> str:
    """The terminal's block of a failure: what was promised, asked, expected and answered."""
    redact = run.redactor.text
    lines = [f"  x {', '.join(clauses) or 'no clause'}  {nodeid.split('::')[-1]}"]
    lines += [f"    promise   {title}" for title in _promises(run, clauses)]
    for exchange in exchanges[:_EXCHANGES_IN_BLOCK]:
        lines.append(f"    request   {_cap(redact(request_line(exchange, run)), _REQUEST_IN_BLOCK)}")
        if expected:
            lines.append(f"    expected  {expected}")
        reason_phrase = redact(getattr(exchange, "reason", "") or "")
        lines.append(f"    actual    {exchange.status} {reason_phrase}".rstrip()
                     + f", body {_cap(_body(exchange, run.redactor), _BODY_IN_BLOCK)}")
        if _about_headers(reason):
            shown = {k: v for k, v in exchange.response_headers.items()
                     if k.lower() not in _DULL_HEADERS}
            headers = "; ".join(f"{k}: {v}" for k, v in run.redactor.headers(shown).items())
            lines.append(f"    headers   {_cap(headers, _BODY_IN_BLOCK)}")
        command = redact(curl(exchange, run))
        lines.append(f"    curl      {command}" if len(command) <= _CURL_IN_BLOCK else
                     f"    curl      ({len(command)} characters long: in report.html)")
    if len(exchanges) > _EXCHANGES_IN_BLOCK:
        lines.append(f"    ... and {len(exchanges) - _EXCHANGES_IN_BLOCK} more request(s) like "
                     "these (report.html)")
    if not exchanges:
        lines.append("    request   none of visitors.info (the case judged the run's set-up)")
    lines.append(f"    failed    {_cap(reason, _LINE_REASON)}")
    return "\n".join(lines)


def _promises(run: FailureRun, clauses: tuple[str, ...]) -> list[str]:
    """The clauses' titles, as the catalogue has them (a stand-in run may have none)."""
    catalogue = getattr(run, "catalogue", None)
    if catalogue is None:
        return []
    titles = []
    for clause in clauses:
        with contextlib.suppress(LookupError):  # a clause the catalogue lacks
            titles.append(catalogue[clause].title)
    return titles


_EXCHANGES_IN_BLOCK = 2
_BODY_IN_BLOCK = 200
_REQUEST_IN_BLOCK = 240
_CURL_IN_BLOCK = 600


def _about_headers(reason: str) -> bool:
    lowered = reason.lower()
    return any(word in lowered for word in ("header", "cache-control", "content-type",
                                            "content type", "cookie", "etag", "pragma"))


def _cap(text: str, most: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[:most - 3] + "..."


def _first_line(message: str, failure_text: str) -> str:
    for text in (message, failure_text):
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith(("assert ", "+", "-", "where ")):
                return line
    return "failed"


def _schemathesis_reproduction(run: FailureRun, exc: BaseException | None) -> str:
    """Schemathesis' curl line, with the credentials and the base URL as variables."""
    cases = failed_cases(exc)
    if not cases:
        return ""
    line = cases[-1].curl
    line = re.sub(r"-H 'X-User-Id: [^']*'", '-H "X-User-Id: $RC_USER_ID"', line)
    line = re.sub(r"-H 'X-Auth-Token: [^']*'", '-H "X-Auth-Token: $RC_AUTH_TOKEN"', line)
    base = (getattr(run, "url", "") or "").rstrip("/")
    if base:
        line = line.replace(f"'{base}", "\"$RC_URL\"'")
    return line
