"""What each named fault does: a table of fault name -> {hook point: function}.

The visitors.info pipeline calls its hook points in order, each with the exchange
and the value that stage produced; a fault's function returns the value to use
instead. Hook points:

- authenticate(ex, user | None) -> user | None
- permitted(ex, bool) -> bool            (holds `view-l-room`)
- parse(ex, params) -> params             (after qs parsing)
- validate(ex, message | None) -> message | None
- lookup(ex, visitor | None) -> visitor | None
- view(ex, visitor_out) -> visitor_out    (the visitor as it is about to be sent)
- response(ex, Response) -> Response      (every route; filter on ex.route)

Each fault breaks one behaviour and leaves the rest as Rocket.Chat does it. Which
clause must catch each is data, in faults.yaml.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import bodies
from .state import User
from .wire import INFO, VISITORS_INFO, Exchange, Response

Hook = Callable[[Exchange, Any], Any]

REQUIRED_VISITOR_ID = "must have required property 'visitorId'"
ADDITIONAL = "must NOT have additional properties"
NOT_STRING = "must be string"
LONG_ID = 24  # ids longer than a real ObjectId trip the "long id" faults
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]*$")
_HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in</title></head>"
    b"<body><h1>Please sign in</h1></body></html>"
)


# -- small builders ---------------------------------------------------------


def _on(case: str, change: Callable[[Exchange, Response], Response]) -> Hook:
    """A response hook for one visitors.info outcome (`case`)."""

    def hook(ex: Exchange, resp: Response) -> Response:
        return change(ex, resp) if ex.route == VISITORS_INFO and resp.case == case else resp

    return hook


def _on_route(route: str, change: Callable[[Exchange, Response], Response]) -> Hook:
    def hook(ex: Exchange, resp: Response) -> Response:
        return change(ex, resp) if ex.route == route else resp

    return hook


def _body(**changes: Any) -> Callable[[Exchange, Response], Response]:
    """Set (or, with None, drop) keys of the answer body, keeping key order."""

    def change(ex: Exchange, resp: Response) -> Response:
        body = dict(resp.body)
        for key, value in changes.items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        resp.body = body
        return resp

    return change


def _status(code: int) -> Callable[[Exchange, Response], Response]:
    def change(ex: Exchange, resp: Response) -> Response:
        resp.status = code
        return resp

    return change


def _content_type(value: str | None) -> Callable[[Exchange, Response], Response]:
    def change(ex: Exchange, resp: Response) -> Response:
        resp.content_type = value
        return resp

    return change


def _replace_message(old: str, new: str) -> Hook:
    return lambda ex, message: new if message == old else message


def _other_visitor(ex: Exchange, exclude: Any = None) -> dict[str, Any] | None:
    """The first enabled visitor that is not `exclude` (the seeded one, usually)."""
    return next((v for v in ex.state.enabled_visitors() if v["_id"] != exclude), None)


def _view(change: Callable[[dict[str, Any]], None]) -> Hook:
    """A view hook that edits a copy of the outgoing visitor in place."""

    def hook(ex: Exchange, out: dict[str, Any]) -> dict[str, Any]:
        out = dict(out)
        change(out)
        return out

    return hook


def _with_token(out: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token is None:
        return out
    items = list(out.items())
    items.insert(1, ("token", token))
    return dict(items)


def _visitor_token(ex: Exchange) -> str | None:
    return ex.visitor.get("token") if ex.visitor else None


def _id_value(ex: Exchange) -> str | None:
    value = ex.visitor_id
    return value if isinstance(value, str) else None


def _when_id(test: Callable[[str], bool], change: Callable[[Exchange, Response], Response]) -> Hook:
    """A response hook for visitors.info answers past validation whose id passes `test`."""

    def hook(ex: Exchange, resp: Response) -> Response:
        value = _id_value(ex)
        if ex.route != VISITORS_INFO or resp.case not in ("ok", "not-found") or value is None:
            return resp
        return change(ex, resp) if test(value) else resp

    return hook


def _replace(status: int, body: Any, content_type: str | None = bodies_json()) if False else None  # noqa: E501
