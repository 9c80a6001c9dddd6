"""What each named variant does: hooks (the fault hook points, plus ``registered``)
and server options. Each keeps the documented contract; faults.yaml's mirror image.

Hook points as in fault_behaviours.py, and:

- registered(ex, visitor) -> visitor    (a visitor just registered, before it is sent)

Server options (read by ReferenceServer): ``path_prefix``, ``visitor_ids``
("meteor"), ``rate_limit_calls`` (limiter on, nobody bypasses it); read by App:
``document`` ("legacy": how GET /api/docs/json documents visitors.info).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from typing import Any

from .ids import iso_now
from .state import SEEDED_EXTERNAL_IDS_VISITOR_ID
from .wire import VISITORS_INFO, Exchange, Response

Hook = Callable[[Exchange, Any], Any]

TEST_MODE_STACK = (
    "Error: visitor-not-found\n    at Object.action (app/livechat/server/api/v1/visitor.ts:155:10)"
)
LOGGED_OUT = "You must be logged in to do this."
DEFAULT_DEPARTMENT = "6650d1c0ffee0ddba11c0d01"
PROXY_HEADERS = (
    ("X-Powered-By", "Express"),
    ("X-Instance-ID", "QmD5hFrcJSBuqhNRt"),
    ("Vary", "Origin"),
    ("Access-Control-Allow-Origin", "*"),
    ("Strict-Transport-Security", "max-age=31536000"),
)


def _json_answers(change: Callable[[Exchange, Response], None], route: str | None = None) -> Hook:
    """A response hook for every JSON-object answer (of ``route`` when given)."""

    def hook(ex: Exchange, resp: Response) -> Response:
        if isinstance(resp.body, dict) and (route is None or ex.route == route):
            resp.body = dict(resp.body)
            change(ex, resp)
        return resp

    return hook


def _every_answer(change: Callable[[Response], None]) -> Hook:
    def hook(ex: Exchange, resp: Response) -> Response:
        change(resp)
        return resp

    return hook


def _errors_with_stack(ex: Exchange, resp: Response) -> None:
    if resp.status >= 400:
        resp.body["stack"] = TEST_MODE_STACK


def _not_found_error_type(ex: Exchange, resp: Response) -> None:
    if resp.case == "not-found":
        resp.body["errorType"] = "visitor-not-found"


def _eight_x_401(ex: Exchange, resp: Response) -> None:
    if resp.status == 401:
        resp.body.setdefault("status", "error")
        resp.body.setdefault("message", LOGGED_OUT)


def _no_forbidden_error_type(ex: Exchange, resp: Response) -> None:
    if resp.status == 403:
        resp.body.pop("errorType", None)


def _future_key(ex: Exchange, resp: Response) -> None:
    resp.body["apiVersion"] = "1"


def _reordered(ex: Exchange, resp: Response) -> None:
    body = resp.body
    if isinstance(body.get("visitor"), dict):
        body["visitor"] = dict(reversed(list(body["visitor"].items())))
    resp.body = dict(reversed(list(body.items())))


def _stored(fields: Callable[[Exchange, dict[str, Any]], dict[str, Any]]) -> Hook:
    """A ``registered`` hook that stores more fields on the visitor, as the server would."""

    def hook(ex: Exchange, visitor: dict[str, Any]) -> dict[str, Any]:
        return ex.state.update_visitor(visitor["_id"], fields(ex, visitor)) or visitor

    return hook


def _client_info(ex: Exchange, visitor: dict[str, Any]) -> dict[str, Any]:
    headers = ex.request.headers
    return {
        "userAgent": headers.get("User-Agent", ""),
        "ip": ex.request.client_ip,
        "host": headers.get("Host", ""),
    }


def _livechat_data(ex: Exchange, visitor: dict[str, Any]) -> dict[str, Any]:
    return {"livechatData": {"plan": "gold"}, "contactManager": {"username": "manager-1"}}


def _department(ex: Exchange, visitor: dict[str, Any]) -> dict[str, Any]:
    return {} if visitor.get("department") else {"department": DEFAULT_DEPARTMENT}


def _touch(ex: Exchange, out: dict[str, Any]) -> dict[str, Any]:
    """Presence and contact linking after registration: each read sees a touched visitor."""
    if out.get("_id") == SEEDED_EXTERNAL_IDS_VISITOR_ID:
        return out
    out = dict(out)
    out["status"] = "away"
    out["_updatedAt"] = iso_now()
    out["username"] = f"guest-linked-{str(out.get('_id', ''))[-4:]}"
    out["lastChat"] = {"_id": secrets.token_hex(12), "ts": iso_now()}
    return out


def _slow(resp: Response) -> None:
    resp.delay = max(resp.delay, random.uniform(0.02, 0.06))


def _proxy_headers(resp: Response) -> None:
    resp.headers.extend(PROXY_HEADERS)
    resp.headers.append(("X-Request-Id", secrets.token_hex(8)))


def _sticky_cookie(resp: Response) -> None:
    resp.headers.append(("Set-Cookie", "SERVERID=rc-node-2; Path=/; HttpOnly"))


def _content_type(value: str) -> Callable[[Response], None]:
    def change(resp: Response) -> None:
        if resp.content_type == "application/json":
            resp.content_type = value

    return change


def _set(attribute: str) -> Callable[[Response], None]:
    def change(resp: Response) -> None:
        setattr(resp, attribute, True)

    return change


BEHAVIOURS: dict[str, dict[str, Hook]] = {
    "not-found-error-type": {"response": _json_answers(_not_found_error_type, VISITORS_INFO)},
    "test-mode-stack": {"response": _json_answers(_errors_with_stack)},
    "test-mode-8x-401-body": {"response": _json_answers(_eight_x_401)},
    "future-body-key": {"response": _json_answers(_future_key, VISITORS_INFO)},
    "visitor-client-info": {"registered": _stored(_client_info)},
    "visitor-livechat-data": {"registered": _stored(_livechat_data)},
    "default-department": {"registered": _stored(_department)},
    "touched-visitor": {"view": _touch},
    "meteor-ids": {},
    "document-drift": {},
    "key-order": {"response": _json_answers(_reordered)},
    "no-forbidden-error-type": {"response": _json_answers(_no_forbidden_error_type)},
    "charset-utf8": {"response": _every_answer(_content_type("application/json; charset=utf-8"))},
    "gzip": {"response": _every_answer(_set("compress"))},
    "chunked": {"response": _every_answer(_set("chunked"))},
    "connection-close": {"response": _every_answer(_set("close"))},
    "slow-answers": {"response": _every_answer(_slow)},
    "proxy-headers": {"response": _every_answer(_proxy_headers)},
    "sticky-session-cookie": {"response": _every_answer(_sticky_cookie)},
    "path-prefix": {},
    "rate-limit-headers": {},
}

# Variants that change the server rather than an answer.
SERVER_OPTIONS: dict[str, dict[str, Any]] = {
    "document-drift": {"document": "legacy"},
    "meteor-ids": {"visitor_ids": "meteor"},
    "path-prefix": {"path_prefix": "/chat"},
    "rate-limit-headers": {"rate_limit_calls": 600},
}
