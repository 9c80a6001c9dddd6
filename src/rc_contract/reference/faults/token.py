"""Faults that let the visitor's token out (VI-TOKEN-ABSENT)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ..hooks import Hook, HookPoint
from ..wire import VISITORS_INFO, Exchange, Response
from .builders import _on
from .registry import fault


def _with_token(out: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token is None:
        return out
    items = list(out.items())
    items.insert(1, ("token", token))
    return dict(items)


def _visitor_token(ex: Exchange) -> str | None:
    return ex.visitor.get("token") if ex.visitor else None


def _token_back(ex: Exchange, out: dict[str, Any]) -> dict[str, Any]:
    return out if "token" in out else _with_token(out, _visitor_token(ex))


def _token_beside(ex: Exchange, resp: Response) -> Response:
    token = _visitor_token(ex)
    if token is not None:
        resp.body = {"visitor": resp.body["visitor"], "token": token, "success": True}
    return resp


def _on_ok_with_token(change: Callable[[Response, str, str], None]) -> Hook:
    """A response hook for a 200 about a visitor that has a token: change(resp, id, token)."""

    def hook(ex: Exchange, resp: Response) -> Response:
        token = _visitor_token(ex)
        if ex.route == VISITORS_INFO and resp.case == "ok" and token and ex.visitor:
            change(resp, ex.visitor["_id"], token)
        return resp

    return hook


def _token_header(name: str, make: Callable[[str, str], str]) -> Hook:
    return _on_ok_with_token(lambda resp, vid, token: resp.headers.append((name, make(vid, token))))


def _etag(visitor_id: str, token: str) -> str:
    # A cache key built from the whole stored document, encoded, as an ETag.
    return 'W/"' + base64.b64encode(f"{visitor_id}:{token}".encode()).decode() + '"'


def _link(visitor_id: str, token: str) -> str:
    encoded = quote(base64.b64encode(token.encode()).decode(), safe="")
    return f'</api/v1/livechat/visitor?ref={encoded}>; rel="related"'


def _reason(resp: Response, visitor_id: str, token: str) -> None:
    resp.reason = f"OK visitor {token}"


# -- VI-TOKEN-ABSENT (meaningful from 8.5.0) ---------------------------------------------

fault("token-returned", HookPoint.VIEW, _token_back, clauses=["VI-TOKEN-ABSENT"],
      description="The visitor carries `token` again (the 8.5.0 fix reverted).")


@fault("token-for-phone-visitors", HookPoint.VIEW, clauses=["VI-TOKEN-ABSENT"],
       description="`token` is returned only for visitors registered with a phone.")
def _token_for_phone_visitors(ex: Exchange, out: dict[str, Any]) -> dict[str, Any]:
    return _token_back(ex, out) if out.get("phone") else out


@fault("token-in-livechat-data", HookPoint.VIEW, clauses=["VI-TOKEN-ABSENT"],
       description="The token value is returned under `visitor.livechatData.token`.")
def _token_in_livechat_data(ex: Exchange, out: dict[str, Any]) -> dict[str, Any]:
    token = _visitor_token(ex)
    if token is None:
        return out
    return {**out, "livechatData": {**out.get("livechatData", {}), "token": token}}


fault("token-beside-visitor", HookPoint.RESPONSE, _on("ok", _token_beside), clauses=["VI-TOKEN-ABSENT"],
      description="The token value is returned as a top-level `token` next to `visitor`.")


@fault("token-in-error-details", HookPoint.RESPONSE, clauses=["VI-TOKEN-ABSENT"],
       description="An invalid-params answer for a query naming a known visitor id echoes that visitor, "
                   "token included, under `details`.")
def _token_in_error(ex: Exchange, resp: Response) -> Response:
    """Echo the visitor (token included) named anywhere in a refused query."""
    if ex.route != VISITORS_INFO or resp.case != "invalid-params":
        return resp
    values = json.dumps(ex.params)
    for visitor in ex.state.enabled_visitors():
        if visitor["_id"] in values and visitor.get("token"):
            leaked = {"_id": visitor["_id"], "token": visitor["token"]}
            resp.body = {**resp.body, "details": {"visitor": leaked}}
            break
    return resp


fault("token-in-header", HookPoint.RESPONSE, _token_header("X-Visitor-Token", lambda vid, token: token),
      clauses=["VI-TOKEN-ABSENT"],
      description="A 200 carries the visitor's token in an `X-Visitor-Token` header; the body is clean.")

fault("token-base64-etag", HookPoint.RESPONSE, _token_header("ETag", _etag), clauses=["VI-TOKEN-ABSENT"],
      description='A 200\'s weak ETag is base64 of "<id>:<token>" (a cache key built from the stored '
                  "document).")

fault("token-encoded-in-link", HookPoint.RESPONSE, _token_header("Link", _link),
      clauses=["VI-TOKEN-ABSENT"],
      description="A 200 carries a `Link` header whose query holds the token base64-encoded, then "
                  "URL-encoded.")

fault("token-in-set-cookie", HookPoint.RESPONSE,
      _token_header("Set-Cookie", lambda vid, token: f"rc_visitor={token}; Path=/; HttpOnly"),
      clauses=["VI-TOKEN-ABSENT"],
      description="A 200 sets a cookie `rc_visitor=<token>` (a sticky livechat session).")

fault("token-in-status-reason", HookPoint.RESPONSE, _on_ok_with_token(_reason), clauses=["VI-TOKEN-ABSENT"],
      description='A 200\'s status line reads "200 OK visitor <token>" (a debugging reason phrase left in).')
