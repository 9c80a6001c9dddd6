"""How a body is judged, everywhere: hand-written clauses, fuzz checks and compare.

design.md ("How a body is judged") and rocketchat-behaviour.md section 3: the
documented keys must be there with the documented values and types, promised
texts are exact; a key the contract does not name is a *notice* (its value
redacted: only its JSON type is kept), never a failure, unless the contract
forbids it: the visitor ``token`` key (from 8.5.0), any value carrying a
visitor's token, another visitor's data. Which keys the contract names comes
from the bundled document's response schema of that status plus the clause's
expectation (exact and optional keys).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rc_contract.contract import Expectation, LoadedDocument

# The visitor key the contract forbids (VI-TOKEN-ABSENT, docs, from 8.5.0).
FORBIDDEN_VISITOR_KEYS = frozenset({"token"})


class NotJudged(Exception):
    """A check examined nothing: the run reports its clause as not judged, never passed."""


@dataclass(frozen=True)
class BodyNotice:
    """A key the contract does not name, seen in an answer (value redacted)."""

    clause: str
    where: str  # "400 body", "visitor"
    key: str
    type: str

    @property
    def message(self) -> str:
        return (f"the {self.where} carries `{self.key}` ({self.type}, value redacted), "
                "which the contract does not name: reported, not a failure")


@dataclass
class Notices:
    """The body notices of a run, counted; thread-safe."""

    counts: dict[BodyNotice, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, notices: Iterable[BodyNotice]) -> None:
        with self._lock:
            for notice in notices:
                self.counts[notice] = self.counts.get(notice, 0) + 1

    def as_list(self) -> list[dict[str, Any]]:
        with self._lock:
            items = sorted(self.counts.items(), key=lambda kv: (kv[0].clause, kv[0].where,
                                                                 kv[0].key))
        return [
            {"clause": n.clause, "kind": "unnamed-key", "where": n.where, "key": n.key,
             "type": n.type, "value": "[REDACTED]", "seen": count, "message": n.message}
            for n, count in items
        ]


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def documented_keys(document: LoadedDocument | None, status: int,
                    expectation: Expectation | None = None) -> set[str]:
    """Top-level keys the contract names for an answer of ``status``."""
    keys: set[str] = set()
    if document is not None:
        with contextlib.suppress(KeyError):  # an undocumented status names no key
            keys |= set(document.response_schema(status).get("properties", {}))
    if expectation is not None:
        keys |= set(expectation.body) | set(expectation.optional)
    return keys


def documented_visitor_keys(document: LoadedDocument) -> set[str]:
    schema = document.response_schema(200)
    return set(schema.get("properties", {}).get("visitor", {}).get("properties", {}))


def unnamed(body: dict[str, Any], named: set[str], clause: str, where: str,
            ignore: Iterable[str] = ()) -> list[BodyNotice]:
    skip = set(named) | set(ignore)
    return [BodyNotice(clause, where, key, json_type(value))
            for key, value in body.items() if key not in skip]


def judge_expected(status: int, body: Any, expectation: Expectation, clause: str,
                   document: LoadedDocument | None = None) -> list[BodyNotice]:
    """Status exact, documented keys present with their exact values, optional keys
    exact when present; returns the notices for keys the contract does not name."""
    assert status == expectation.status, f"status {status}, expected {expectation.status}"
    assert isinstance(body, dict), f"the {status} body is not a JSON object"
    if not expectation.body:
        raise NotJudged(f"{clause}: the expectation for {status} names no key to check")
    for key, value in expectation.body.items():
        assert key in body, f"the {status} body lacks {key!r}"
        assert body[key] == value, (
            f"the {status} body has {key}={short(body[key])}, expected {short(value)}"
        )
    for key, value in expectation.optional.items():
        if key in body:
            assert body[key] == value, (
                f"the {status} body has {key}={short(body[key])}, expected {short(value)}"
            )
    return unnamed(body, documented_keys(document, status, expectation), clause,
                   f"{status} body")


@dataclass(frozen=True)
class Foreign:
    """What an answer must not carry: a visitor's token, another visitor's data.

    ``visitors`` holds (id, token, contact values) of every visitor the run
    registered. A 200 answer for a visitor may carry that visitor's own data
    (its token only before 8.5.0: VI-TOKEN-ABSENT judges that); an error may
    echo the id it was asked for, never a token, contact data or another id.
    """

    visitors: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def problems(self, status: int, text: str, asked: Iterable[str]) -> list[str]:
        found = []
        asked = set(asked)
        for visitor_id, token, personal in self.visitors:
            if status == 200 and visitor_id in asked:
                continue
            if token and token in text:
                found.append(f"the {status} answer contains a visitor's token value")
            if (visitor_id and visitor_id not in asked and visitor_id in text) or any(
                    value and value in text for value in personal):
                found.append(f"the {status} answer carries the data of a visitor it was not "
                             "asked for")
        return sorted(set(found))


def short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."
