"""Where a known value (a visitor token, a visitor's contact data) shows in an answer.

One search for every place an answer has: the status line's reason, every header
(name and value: Set-Cookie, Location, ETag, Link and custom ones alike) and the
body at any depth (keys and string values, JSON text inside a string included).
A value counts in the forms a server might put it in: as is, URL-encoded,
JSON-string-escaped, and base64 (standard and URL-safe alphabets, with or without
padding, alone or inside a longer encoded text). The token sweep, the fuzz checks
and judge.Foreign all ask this module, so they agree on what a leak is.

The same search covers every secret the run knows (``Secret``: the account's auth
token and password, those of the accounts it created, a personal access token); a
hit names the secret's kind and where it showed, never its value.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

AS_IS = "as is"
# Shorter encoded fragments could occur by chance in an unrelated text.
_MIN_FRAGMENT = 8
_MAX_JSON_TEXT_DEPTH = 3


@dataclass(frozen=True)
class Found:
    """One place a value showed: ``where`` ("header ETag", "body visitor.livechatData.t")
    and in which ``form`` ("base64", "URL-encoded", ...)."""

    where: str
    form: str = AS_IS

    def __str__(self) -> str:
        return self.where if self.form == AS_IS else f"{self.where} ({self.form})"


@cache
def forms(value: str) -> tuple[tuple[str, str], ...]:
    """The texts ``value`` takes in each form, longest-lived first; base64 forms are the
    part of the encoding that does not depend on what surrounds the value (3 alignments)."""
    found: dict[str, str] = {AS_IS: value}
    for name, text in (("URL-encoded", quote(value, safe="")),
                       ("URL-encoded", quote_plus(value, safe="")),
                       ("JSON-escaped", json.dumps(value)[1:-1].replace("/", "\\/")),
                       ("JSON-escaped", "".join(f"\\u{ord(c):04x}" for c in value))):
        if text != value and text not in found.values():
            found.setdefault(f"{name}#{len(found)}", text)
    raw = value.encode("utf-8")
    for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
        for shift in range(3):
            encoded = encode(b"\0" * shift + raw).decode("ascii")
            first = 1 if shift else 0
            last = (shift + len(raw)) // 3  # groups wholly made of the value's bytes
            core = encoded[4 * first:4 * last]
            if len(core) >= _MIN_FRAGMENT and core not in found.values():
                found[f"{name}#{len(found)}"] = core
    return tuple((name.split("#")[0], text) for name, text in found.items())


def _views(text: str) -> list[tuple[str, str]]:
    """The text as sent, and URL-decoded (a value may be encoded twice: base64 in a URL)."""
    views = [("", text)]
    for decoded in (unquote(text), unquote_plus(text)):
        if decoded != text and all(decoded != v for _, v in views):
            views.append(("URL-encoded", decoded))
    return views


def in_text(text: str, value: str) -> str | None:
    """The form in which ``value`` appears in ``text``, or None."""
    if not value or not text:
        return None
    for layer, view in _views(text):
        for form, encoded in forms(value):
            if encoded in view:
                label = form if not layer else (layer if form == AS_IS else f"{form}, {layer}")
                return label
    return None


def _walk(node: Any, path: str, depth: int = 0) -> Iterator[tuple[str, str, bool]]:
    """(path, text, is_key) of every key and string of a JSON value."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            yield (path or "(top level)", str(key), True)
            yield from _walk(value, here, depth)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]", depth)
    elif isinstance(node, str):
        yield (path, node, False)
        stripped = node.strip()
        if depth < _MAX_JSON_TEXT_DEPTH and stripped[:1] in ("{", "["):
            try:
                inner = json.loads(stripped)
            except ValueError:
                return
            yield from _walk(inner, f"{path} (JSON text)", depth + 1)
    elif node is not None and not isinstance(node, bool):
        yield (path, json.dumps(node), False)


def find(values: Iterable[str], *, reason: str = "", headers: Mapping[str, str] | None = None,
         body: str = "", allowed: Iterable[str] = ()) -> list[Found]:
    """Every place where any of ``values`` shows. ``allowed`` names body paths where a value
    as is is legitimate (``visitor.token`` of the visitor's own 200 before 8.5.0)."""
    wanted = [v for v in values if v]
    allowed = set(allowed)
    found: list[Found] = []

    def look(where: str, text: str, raw: str | None = None) -> bool:
        for value in wanted:
            form = in_text(text, value)
            if form is not None:
                if form == AS_IS and raw is not None and value not in raw:
                    form = "JSON-escaped"  # only JSON parsing showed it: "\u0072cct..."
                found.append(Found(where, form))
                return True
        return False

    look("status reason", reason)
    for name, value in (headers or {}).items():
        look("header name", name)
        look(f"header {name}", str(value))
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if data is None:
        look("body", body)
        return found
    before = len(found)
    for path, text, is_key in _walk(data, ""):
        if not is_key and path in allowed and text in wanted:
            continue
        look(f"key in body {path}" if is_key else f"body {path}", text, body)
    if len(found) == before and not allowed:
        # Escapes JSON parsing resolved differently (or duplicate keys it dropped).
        look("body", body)
    return found


# A password shorter than this could show in an answer by chance (a word, an id).
MIN_SECRET = 8


@dataclass(frozen=True)
class Secret:
    """A secret of the run: ``kind`` is what a hit names ("the account's auth token")."""

    kind: str
    value: str = field(repr=False)


def find_secrets(secrets: Iterable[Secret], *, reason: str = "",
                 headers: Mapping[str, str] | None = None, body: str = "") -> list[tuple[str, Found]]:
    """(kind, place) of every secret that shows in the answer, one search per kind."""
    kinds: dict[str, list[str]] = {}
    for secret in secrets:
        if secret.value and len(secret.value) >= MIN_SECRET:
            kinds.setdefault(secret.kind, []).append(secret.value)
    return [(kind, place) for kind, values in kinds.items()
            for place in find(values, reason=reason, headers=headers, body=body)]
