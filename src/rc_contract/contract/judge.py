"""How a body is judged, everywhere: hand-written clauses, fuzz checks and compare.

design.md ("How a body is judged") and docs/rocketchat-behaviour.md#extra-keys: the
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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rc_contract import leaks
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
    """What an answer must not carry: a visitor's token, another visitor's data, a
    visitor other than the one asked for.

    ``visitors`` holds (id, token, contact values) of every visitor the run
    registered; ``removed`` the ids of those it removed. A 200 answer is about the
    visitor whose ``_id`` equals, byte for byte, the id sent, and it may carry that
    visitor's own data (its token only as ``visitor.token``, and only before 8.5.0:
    VI-TOKEN-ABSENT judges that key). Everywhere else (status reason, any header, any
    other key, any encoding: leaks.find) a token or another visitor's data is a
    failure; an error may echo the id it was asked for, never a token or contact data.
    """

    visitors: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    removed: frozenset[str] = frozenset()
    # The secrets of the run's accounts (leaks.Secret): in no answer, of any status.
    secrets: tuple[leaks.Secret, ...] = ()

    def problems(self, status: int, text: str, asked: Iterable[str],
                 headers: Mapping[str, str] | None = None, reason: str = "") -> list[str]:
        asked = [a for a in asked if isinstance(a, str)]
        found = self.wrong_visitor(status, text, asked)
        about = _visitor_id(text) if status == 200 and not found else None
        for visitor_id, token, personal in self.visitors:
            own = about is not None and about == visitor_id
            places = leaks.find([token], reason=reason, headers=headers, body=text,
                                allowed=("visitor.token",) if own else ())
            if places:
                found.append(f"the {status} answer contains a visitor's token value "
                             f"({_places(places)})")
            if own:
                continue
            echoed = any(visitor_id and visitor_id in value for value in asked)
            values = [*personal, *([] if echoed else [visitor_id])]
            places = leaks.find(values, reason=reason, headers=headers, body=text)
            if places:
                found.append(f"the {status} answer carries the data of a visitor it was not "
                             f"asked for ({_places(places)})")
        found += secret_problems(status, self.secrets, text, headers, reason)
        return list(dict.fromkeys(found))

    def wrong_visitor(self, status: int, text: str, asked: list[str]) -> list[str]:
        """A 200 carries exactly the visitor asked for: `_id` equal to the id sent."""
        if status != 200:
            return []
        try:
            body = json.loads(text)
        except ValueError:
            return []  # not JSON: VI-CONTENT-TYPE and the clause's own checks say so
        visitor = body.get("visitor") if isinstance(body, dict) else None
        sent = ", ".join(repr(a) for a in asked) or "no visitorId"
        if not isinstance(visitor, dict):
            return [f"the 200 answer carries no visitor object (asked for {sent})"]
        returned = visitor.get("_id")
        if returned not in asked:
            return [f"the 200 answer carries visitor _id {short(returned)}, not the id sent "
                    f"byte for byte ({sent})"]
        if returned in self.removed:
            return [f"the 200 answer carries visitor {returned!r}, which the run removed"]
        return []


def secret_problems(status: int, secrets: Iterable[leaks.Secret], text: str,
                    headers: Mapping[str, str] | None = None, reason: str = "") -> list[str]:
    """One line per kind of secret that shows in the answer: its kind and where, no value."""
    by_kind: dict[str, list[leaks.Found]] = {}
    for kind, place in leaks.find_secrets(secrets, reason=reason, headers=headers, body=text):
        by_kind.setdefault(kind, []).append(place)
    return [f"the {status} answer contains {kind} ({_places(places)})"
            for kind, places in by_kind.items()]


def _visitor_id(text: str) -> str | None:
    try:
        body = json.loads(text)
    except ValueError:
        return None
    visitor = body.get("visitor") if isinstance(body, dict) else None
    returned = visitor.get("_id") if isinstance(visitor, dict) else None
    return returned if isinstance(returned, str) else None


def _places(places: list[leaks.Found], most: int = 3) -> str:
    shown = ", ".join(map(str, places[:most]))
    return shown + (f" and {len(places) - most} more" if len(places) > most else "")


def short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."
