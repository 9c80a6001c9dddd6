"""Faults of the visitor lookup (VI-NOT-FOUND)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .. import bodies
from ..hooks import Hook, HookPoint
from ..wire import Exchange
from .builders import _answer, _body, _id_value, _on, _other_visitor, _status, _when_id
from .registry import fault

NULL_VISITOR: dict[str, Any] = {"visitor": None, "success": True}


def _id_lookup(matches: Callable[[str, str], bool]) -> Hook:
    """A lookup that is not `_id` equal: the first enabled visitor whose id `matches`."""

    def hook(ex: Exchange, visitor: dict[str, Any] | None) -> dict[str, Any] | None:
        value = _id_value(ex)
        if value is None:
            return visitor
        found = (v for v in ex.state.enabled_visitors() if matches(v["_id"], value))
        return next(found, visitor)

    return hook


def _pattern_match(doc_id: str, value: str) -> bool:
    """``{_id: {$regex: visitorId}}``: the id taken as an unanchored pattern."""
    try:
        return re.search(value, doc_id) is not None
    except re.error:
        return False


# -- VI-NOT-FOUND ------------------------------------------------------------------------

fault("not-found-404", HookPoint.RESPONSE, _on("not-found", _status(404)),
      clauses=["VI-NOT-FOUND", "VI-FUZZ"],
      description="visitor-not-found answers status 404 (undocumented) instead of 400.")

fault("not-found-200-null", HookPoint.RESPONSE, _on("not-found", _answer(200, NULL_VISITOR)),
      clauses=["VI-NOT-FOUND", "VI-FUZZ"],
      description="An unknown id answers 200 {visitor: null, success: true}.")

fault("not-found-text-changed", HookPoint.RESPONSE, _on("not-found", _body(error="Visitor not found")),
      clauses=["VI-NOT-FOUND"],
      description='The not-found error reads "Visitor not found".')


@fault("empty-id-returns-visitor", HookPoint.LOOKUP, clauses=["VI-NOT-FOUND"],
       description="`visitorId=` (empty) answers 200 with the first visitor.")
def _first_when_empty(ex: Exchange, visitor: dict[str, Any] | None) -> dict[str, Any] | None:
    return _other_visitor(ex) if ex.visitor_id == "" else visitor


fault("empty-id-404", HookPoint.RESPONSE, _when_id(lambda v: v == "", _answer(404, bodies.NOT_FOUND_ROUTE)),
      clauses=["VI-NOT-FOUND"],
      description="`visitorId=` (empty) answers 404 Not found.")


@fault("removed-visitor-returned", HookPoint.LOOKUP, clauses=["VI-NOT-FOUND"],
       description="A removed (disabled) visitor is still returned, 200.")
def _disabled_too(ex: Exchange, visitor: dict[str, Any] | None) -> dict[str, Any] | None:
    value = _id_value(ex)
    return ex.state.any_visitor(value) if visitor is None and value else visitor


fault("lookup-unanchored-pattern", HookPoint.LOOKUP, _id_lookup(_pattern_match),
      clauses=["VI-NOT-FOUND", "VI-FUZZ"],
      description="`visitorId` is an unanchored pattern ({_id: {$regex: visitorId}}): a part of an id, "
                  "or `.*x.*`, answers 200 with a visitor.")

fault("lookup-case-insensitive", HookPoint.LOOKUP,
      _id_lookup(lambda doc, value: doc.lower() == value.lower()),
      clauses=["VI-NOT-FOUND", "VI-FUZZ"],
      description="The id lookup ignores case (a collation with strength 2): the id upper-cased answers "
                  "200.")

fault("lookup-prefix-match", HookPoint.LOOKUP,
      _id_lookup(lambda doc, value: bool(value) and doc.startswith(value)),
      clauses=["VI-NOT-FOUND", "VI-FUZZ"],
      description="An id that names no visitor matches the first visitor whose id starts with it "
                  "({$regex: '^' + id}).")


@fault("lookup-trims-id", HookPoint.PARSE, clauses=["VI-NOT-FOUND", "VI-FUZZ"],
       description="`visitorId` is trimmed before the lookup: the id with a trailing space answers 200 "
                   "with the visitor.")
def _trimmed(ex: Exchange, params: dict[str, Any]) -> dict[str, Any]:
    value = params.get("visitorId")
    return {**params, "visitorId": value.strip()} if isinstance(value, str) else params
