"""Named legitimate variants the reference server can be started with (--variant NAME,
RC_REFERENCE_VARIANTS=a,b): the mirror image of the faults. Each is a difference a
real deployment shows while keeping the documented contract; the suite must pass
against every one of them (tests/selftest/test_variants.py), reporting what it saw
as notices where a key the contract does not name appears.

Each is registered once: its name, what differs, `promise` (why the difference is
legitimate), its hook (faults' hook points, and HookPoint.REGISTERED) and server
options. Server options (read by ReferenceServer): ``path_prefix``, ``visitor_ids``
("meteor"), ``rate_limit_calls`` (limiter on, nobody bypasses it); read by App:
``document`` ("legacy": how GET /api/docs/json documents visitors.info).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .hooks import Hook, HookPoint, Registry
from .ids import iso_now
from .state import SEEDED_EXTERNAL_IDS_VISITOR_ID
from .wire import VISITORS_INFO, Exchange, Response


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    promise: str
    hooks: Mapping[HookPoint, Hook] = field(default_factory=dict, compare=False, repr=False)
    # Variants that change the server rather than an answer.
    options: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


VARIANTS: Registry[Variant] = Registry("variant")


def variant(name: str, at: HookPoint | None = None, hook: Hook | None = None, *, description: str,
            promise: str, options: Mapping[str, Any] | None = None) -> None:
    """Register variant ``name``: its hook at ``at`` (none when it only sets server options)."""
    hooks = {at: hook} if at is not None and hook is not None else {}
    VARIANTS.add(Variant(name, description, promise, hooks, dict(options or {})))


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


# -- bodies: keys the contract does not name ---------------------------------------------
variant("not-found-error-type", HookPoint.RESPONSE, _json_answers(_not_found_error_type, VISITORS_INFO),
        description="visitor-not-found answers carry `errorType` beside the exact error text.",
        promise="docs/rocketchat-behaviour.md#extra-keys (bodies may hold keys the docs don't list; an "
                "extra key is something to report, not a break); API.v1.failure adds `errorType` "
                "whenever the error is a Meteor.Error.")

variant("test-mode-stack", HookPoint.RESPONSE, _json_answers(_errors_with_stack),
        description="Every error body carries a `stack` string (a server run with TEST_MODE).",
        promise='docs/rocketchat-behaviour.md#extra-keys ("A `stack` key may appear in error bodies only '
                'on servers run with TEST_MODE").')

variant("test-mode-8x-401-body", HookPoint.RESPONSE, _json_answers(_eight_x_401),
        description="On 9.0 the 401 body keeps the 8.x `status` and `message` (TEST_MODE).",
        promise='docs/rocketchat-behaviour.md#body-401 ("a server run with TEST_MODE may also keep the '
                '8.x body on 9.0"); the docs\' 401 schema names `status` and `message`.')

variant("future-body-key", HookPoint.RESPONSE, _json_answers(_future_key, VISITORS_INFO),
        description="Every JSON answer of visitors.info carries a new top-level key a later release adds.",
        promise='docs/rocketchat-behaviour.md#extra-keys ("new visitor fields in any release ... an '
                'extra key is something to report, not a break").')

variant("visitor-client-info", HookPoint.REGISTERED, _stored(_client_info),
        description="Visitors carry `userAgent`, `ip` and `host` stored at registration.",
        promise='docs/rocketchat-behaviour.md#registered-visitor (a registered visitor "possibly" holds '
                "`userAgent`, `ip`, `host`).")

variant("visitor-livechat-data", HookPoint.REGISTERED, _stored(_livechat_data),
        description="Visitors carry `livechatData` (custom fields) and a `contactManager`.",
        promise="docs/rocketchat-behaviour.md#registered-visitor (`livechatData`) and "
                'docs/rocketchat-behaviour.md#lookup ("every other stored field is returned as stored '
                '(there is no allow-list)").')

variant("default-department", HookPoint.REGISTERED, _stored(_department),
        description="Every new visitor is assigned the server's default department.",
        promise="docs/rocketchat-behaviour.md#registered-visitor (`department` is stored; the docs' 200 "
                "schema names it).")

variant("touched-visitor", HookPoint.VIEW, _touch,
        description="After registration the server touches each visitor: `status` away, a newer "
                    "`_updatedAt`, a `lastChat`, a new `username`.",
        promise='docs/rocketchat-behaviour.md#registered-visitor ("The server may change a visitor after '
                "registering it (presence, contact linking, `lastChat`): `status`, `_updatedAt` and "
                'fields the suite did not send can differ between two reads").')

variant("meteor-ids",
        options={"visitor_ids": "meteor"},
        description="Visitors get 17-character Meteor ids instead of 24-hex ObjectIds.",
        promise='docs/rocketchat-behaviour.md#registered-visitor ("older data may hold 17-character '
                'Meteor ids").')

variant("key-order", HookPoint.RESPONSE, _json_answers(_reordered),
        description="Body and visitor keys come in another order (`success` first, visitor keys "
                    "reversed).",
        promise="JSON objects are unordered (RFC 8259 section 4); the docs promise keys, not their order.")

variant("no-forbidden-error-type", HookPoint.RESPONSE, _json_answers(_no_forbidden_error_type),
        description="On 9.0 the 403 body has no `errorType`, which the 9.0 contract only allows.",
        promise="spec/clauses.yaml declares `errorType` optional on 9.0 403s "
                "(docs/rocketchat-behaviour.md#body-403, PR #43214).")

variant("document-drift",
        options={"document": "legacy"},
        description="GET /api/docs/json documents visitors.info as Rocket.Chat's code writes a route "
                    "registered with addRoute: listed only with withUndocumented=true, the whole query "
                    "as one object parameter `query`, only a 200 of `{success, error}`; so it differs "
                    "from the bundled contract.",
        promise="The contract is the published documentation and the server's behaviour; a server's own "
                "document (docs/rocketchat-behaviour.md#server-version) differing from it is reported as "
                "notices, never a failure (ApiClass.ts registerTypedRoutesLegacy).")


# -- the wire ----------------------------------------------------------------------------
variant("charset-utf8", HookPoint.RESPONSE, _every_answer(_content_type("application/json; charset=utf-8")),
        description="Every JSON answer is labelled `application/json; charset=utf-8`.",
        promise='docs/rocketchat-behaviour.md#bodies ("`content-type` starts with `application/json`").')

variant("gzip", HookPoint.RESPONSE, _every_answer(_set("compress")),
        description="Answers are gzip-compressed when the client accepts it (a compressing proxy).",
        promise="docs/rocketchat-behaviour.md#deployments (staging servers often compress answers); RFC "
                "9110 content coding.")

variant("chunked", HookPoint.RESPONSE, _every_answer(_set("chunked")),
        description="Answers are sent with `Transfer-Encoding: chunked` and no Content-Length (a "
                    "streaming proxy).",
        promise="RFC 9112 section 7.1; nothing in the docs promises a Content-Length.")

variant("connection-close", HookPoint.RESPONSE, _every_answer(_set("close")),
        description="Every answer says `Connection: close` and the server closes the connection.",
        promise="RFC 9112 section 9.6; nothing in the docs promises keep-alive.")

variant("slow-answers", HookPoint.RESPONSE, _every_answer(_slow),
        description="Every answer is delayed by 20 to 60 ms (a busy server), well inside RC_TIMEOUT.",
        promise="the docs promise no answer time; the suite's timeout is RC_TIMEOUT (default 10 s).")

variant("proxy-headers", HookPoint.RESPONSE, _every_answer(_proxy_headers),
        description="Answers carry headers a deployment adds: X-Powered-By, X-Instance-ID, Vary, "
                    "Access-Control-Allow-Origin, Strict-Transport-Security, X-Request-Id.",
        promise="the docs name no response header the suite judges but Content-Type; "
                "docs/rocketchat-behaviour.md#deployments (proxies in front of Rocket.Chat).")

variant("sticky-session-cookie", HookPoint.RESPONSE, _every_answer(_sticky_cookie),
        description="Answers set a load balancer's sticky-session cookie (`Set-Cookie: SERVERID=...`).",
        promise="docs/rocketchat-behaviour.md#deployments (reverse proxies); a cookie is no part of the "
                "contract.")

variant("path-prefix",
        options={"path_prefix": "/chat"},
        description="The server is reachable only under a path prefix, `/chat` (a reverse proxy at "
                    "https://host/chat).",
        promise='docs/rocketchat-behaviour.md#deployments ("Staging servers often sit behind a reverse '
                'proxy under a path prefix").')

variant("rate-limit-headers",
        options={"rate_limit_calls": 600},
        description="The limiter is on and no role bypasses it: every answer carries "
                    "X-RateLimit-Limit/Remaining/Reset (a generous 600 calls a minute, so nobody waits).",
        promise="docs/rocketchat-behaviour.md#rate-limiter (headers on every limited route; "
                "`api-bypass-rate-limit` absent from the account).")
