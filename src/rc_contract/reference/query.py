"""Query-string parsing the way the `qs` npm package (Rocket.Chat's parser) does it.

Repeated keys become lists, `a[b]=c` an object, `a[]=x` and `a[0]=x` lists. Only
the options Rocket.Chat relies on are emulated (depth 5, no dots, no comma
splitting). qs's defaults are arrayLimit 20 and parameterLimit 1000 (extra
parameters dropped); from about 8.1 Rocket.Chat parses with arrayLimit 500,
parameterLimit 1000 and throwOnLimitExceeded, and answers a query over either
limit with "Invalid query parameters" (docs/rocketchat-behaviour.md#qs-limits).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

DEPTH = 5
ARRAY_LIMIT = 20
PARAMETER_LIMIT = 1000
LIMITED_ARRAY_LIMIT = 500  # with throwOnLimitExceeded: more values for one key are refused
INVALID_QUERY = "Invalid query parameters"

# Keys qs drops because they shadow Object.prototype members.
_PROTOTYPE_KEYS = frozenset(
    {
        "__proto__",
        "constructor",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toLocaleString",
        "toString",
        "valueOf",
        "__defineGetter__",
        "__defineSetter__",
        "__lookupGetter__",
        "__lookupSetter__",
    }
)

_BRACKET = re.compile(r"\[[^\[\]]*\]")
_BAD_PERCENT = re.compile(r"%(?![0-9a-fA-F]{2})")


class QueryError(ValueError):
    """The query string is refused before validation (a qs limit was exceeded)."""


class _Hole:
    """A gap in a sparse JS array (`a[3]=x`); removed by _compact at the end."""


_HOLE = _Hole()


def _decode(text: str) -> str:
    # decodeURIComponent throws on malformed input; qs then keeps the text as is.
    text = text.replace("+", " ")
    if _BAD_PERCENT.search(text):
        return text
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        return text


def _root_key(raw_key: str) -> str:
    bracket = _BRACKET.search(raw_key)
    return raw_key[: bracket.start()] if bracket and bracket.start() > 0 else raw_key


def _split(query: str, limits: bool) -> list[tuple[str, str]]:
    parts = query.split("&")
    if limits and len(parts) > PARAMETER_LIMIT:
        raise QueryError(INVALID_QUERY)
    pairs: list[tuple[str, str]] = []
    for part in parts[:PARAMETER_LIMIT]:
        bracket_equals = part.find("]=")
        pos = part.find("=") if bracket_equals == -1 else bracket_equals + 1
        if pos == -1:
            pairs.append((_decode(part), ""))
        else:
            pairs.append((_decode(part[:pos]), _decode(part[pos + 1 :])))
    return pairs


def _combine(a: Any, b: Any) -> list[Any]:
    return (a if isinstance(a, list) else [a]) + (b if isinstance(b, list) else [b])


def _key_chain(key: str) -> list[str] | None:
    first = _BRACKET.search(key)
    parent = key[: first.start()] if first else key
    chain: list[str] = []
    if parent:
        if parent in _PROTOTYPE_KEYS:
            return None
        chain.append(parent)
    rest_at = None
    for count, seg in enumerate(_BRACKET.finditer(key)):
        if count >= DEPTH:
            rest_at = seg.start()
            break
        if seg.group()[1:-1] in _PROTOTYPE_KEYS:
            return None
        chain.append(seg.group())
    if rest_at is not None:
        chain.append("[" + key[rest_at:] + "]")
    return chain


def _build(chain: list[str], value: Any, array_limit: int) -> Any:
    leaf = value
    for root in reversed(chain):
        if root == "[]":
            leaf = list(leaf) if isinstance(leaf, list) else [leaf]
            continue
        bracketed = root.startswith("[") and root.endswith("]")
        clean = root[1:-1] if bracketed else root
        if bracketed and clean.isdigit() and str(int(clean)) == clean and int(clean) <= array_limit:
            arr: list[Any] = [_HOLE] * int(clean)
            arr.append(leaf)
            leaf = arr
        else:
            leaf = {clean: leaf}
    return leaf


def _merge(target: Any, source: Any) -> Any:
    if not isinstance(source, dict | list):
        if isinstance(target, list):
            target.append(source)
            return target
        if isinstance(target, dict):
            target[source] = True
            return target
        return [target, source]
    if not isinstance(target, dict | list):
        return [target, *source] if isinstance(source, list) else [target, source]
    if isinstance(target, list) and isinstance(source, list):
        for i, item in enumerate(source):
            if item is _HOLE:
                continue
            if i < len(target) and target[i] is not _HOLE:
                if isinstance(target[i], dict | list) and isinstance(item, dict | list):
                    target[i] = _merge(target[i], item)
                else:
                    target.append(item)
            else:
                target.extend([_HOLE] * (i + 1 - len(target)))
                target[i] = item
        return target
    if isinstance(target, list):
        target = {str(i): v for i, v in enumerate(target) if v is not _HOLE}
    items = source.items() if isinstance(source, dict) else enumerate(source)
    for key, value in items:
        if value is _HOLE:
            continue
        key = str(key)
        target[key] = _merge(target[key], value) if key in target else value
    return target


def _compact(value: Any) -> Any:
    if isinstance(value, list):
        return [_compact(v) for v in value if v is not _HOLE]
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    return value


def router_query(query: str) -> str:
    """The part of the query Rocket.Chat's router hands to qs: up to a second `?`.

    packages/http-router's Router.ts parses ``request.raw.url.split('?')[1] || ''``, so
    in ``visitorId=a?b=c`` only ``visitorId=a`` counts (a client that encodes `?` as %3F,
    as every HTTP library does for a value, never meets this). Read in the router that
    brought the qs limits; the releases before it are not known.
    """
    return query.split("?", 1)[0]


def parse(query: str, limits: bool = False) -> dict[str, Any]:
    """Parse a raw query string (without `?`) into qs's nested structure.

    With ``limits`` (Rocket.Chat from about 8.1), more than 1000 parameters or more
    than 500 values for one key raise QueryError instead of being cut.
    """
    if not query:
        return {}
    pairs = _split(query, limits)
    array_limit = LIMITED_ARRAY_LIMIT if limits else ARRAY_LIMIT
    if limits:
        counts: dict[str, int] = {}
        for key, _ in pairs:
            root = _root_key(key)
            counts[root] = counts.get(root, 0) + 1
            if counts[root] > LIMITED_ARRAY_LIMIT:
                raise QueryError(INVALID_QUERY)
    flat: dict[str, Any] = {}
    for key, value in pairs:
        flat[key] = _combine(flat[key], value) if key in flat else value
    result: dict[str, Any] = {}
    for key, value in flat.items():
        chain = _key_chain(key) if key else None
        if not chain:
            continue
        result = _merge(result, _build(chain, value, array_limit))
    compacted: dict[str, Any] = _compact(result)
    return compacted
