"""Small builders of fault hooks shared by the clause modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..hooks import Hook
from ..wire import VISITORS_INFO, Exchange, Response


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


def _answer(status: int, body: Any) -> Callable[[Exchange, Response], Response]:
    """Replace the whole answer, keeping its headers."""

    def change(ex: Exchange, resp: Response) -> Response:
        return Response(status, body, headers=resp.headers, case=resp.case)

    return change


def _set(key: str, make: Callable[[Any], Any]) -> Hook:
    def change(out: dict[str, Any]) -> None:
        if key in out:
            out[key] = make(out[key])

    return _view(change)


