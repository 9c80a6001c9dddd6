"""Faults of the visitor as sent and its answer (VI-OK-SHAPE)."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from ..hooks import Hook, HookPoint
from ..wire import VISITORS_INFO, Exchange, Response
from .builders import _body, _on, _other_visitor, _set, _status, _view
from .registry import fault


def _unwrapped(ex: Exchange, resp: Response) -> Response:
    resp.body = dict(resp.body["visitor"])
    return resp


def _epoch_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def _js_date_string(iso: str) -> str:
    """Date.prototype.toString(), the classic "forgot toISOString" output."""
    moment = datetime.fromisoformat(iso)
    return moment.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


def _drop(key: str) -> Hook:
    return _view(lambda out: out.pop(key, None))


def _visitor_in_array(ex: Exchange, resp: Response) -> Response:
    resp.body = {**resp.body, "visitor": [resp.body["visitor"]]}
    return resp


# -- VI-OK-SHAPE -------------------------------------------------------------------------

@fault("ok-other-visitor", HookPoint.LOOKUP, clauses=["VI-OK-SHAPE"],
       description="A known id returns another visitor (a different `_id`).")
def _wrong_visitor(ex: Exchange, visitor: dict[str, Any] | None) -> dict[str, Any] | None:
    if visitor is None:
        return None
    other = _other_visitor(ex, exclude=visitor["_id"])
    if other is None:
        other = {**visitor, "_id": visitor["_id"][::-1]}
    return other


fault("ok-ts-epoch", HookPoint.VIEW, _set("ts", _epoch_ms), clauses=["VI-OK-SHAPE"],
      description="`ts` is an epoch number in milliseconds.")

fault("ok-ts-not-iso", HookPoint.VIEW, _set("ts", _js_date_string), clauses=["VI-OK-SHAPE"],
      description="`ts` is a JavaScript Date.toString() text, not ISO-8601.")

fault("ok-updated-at-ejson", HookPoint.VIEW, _set("_updatedAt", lambda iso: {"$date": _epoch_ms(iso)}),
      clauses=["VI-OK-SHAPE"],
      description="`_updatedAt` is an EJSON object {$date: epoch-ms}.")

fault("ok-phone-string", HookPoint.VIEW, _set("phone", lambda p: p[0]["phoneNumber"] if p else ""),
      clauses=["VI-OK-SHAPE"],
      description="`phone` is the number as a string instead of [{phoneNumber}].")

fault("ok-phone-item-key", HookPoint.VIEW,
      _set("phone", lambda p: [{"number": i["phoneNumber"]} for i in p]),
      clauses=["VI-OK-SHAPE"],
      description="`phone` items are {number} instead of {phoneNumber}.")

fault("ok-emails-item-key", HookPoint.VIEW,
      _set("visitorEmails", lambda e: [{"email": i["address"]} for i in e]),
      clauses=["VI-OK-SHAPE"],
      description="`visitorEmails` items are {email} instead of {address}.")

fault("ok-name-missing", HookPoint.VIEW, _drop("name"), clauses=["VI-OK-SHAPE"],
      description="The registered `name` is not returned.")

fault("ok-name-truncated", HookPoint.VIEW, _set("name", lambda name: name[:8]), clauses=["VI-OK-SHAPE"],
      description="The registered `name` comes back cut to 8 characters.")

fault("ok-success-string", HookPoint.RESPONSE, _on("ok", _body(success="true")), clauses=["VI-OK-SHAPE"],
      description='`success` is the string "true" (as in the docs\' example).')

fault("ok-success-missing", HookPoint.RESPONSE, _on("ok", _body(success=None)), clauses=["VI-OK-SHAPE"],
      description="The 200 body lacks `success`.")

fault("ok-visitor-array", HookPoint.RESPONSE, _on("ok", _visitor_in_array), clauses=["VI-OK-SHAPE"],
      description="`visitor` is a one-item array (find instead of findOne).")


@fault("ok-stale-email-of-other-visitor", HookPoint.VIEW, clauses=["VI-OK-SHAPE"],
       description="`visitorEmails` carries, after its own, a stale address of another visitor (a "
                   "contact merge gone wrong).")
def _stale_email(ex: Exchange, out: dict[str, Any]) -> dict[str, Any]:
    """A contact merge kept another visitor's address in this one's visitorEmails."""
    other = next((v for v in ex.state.enabled_visitors()
                  if v["_id"] != out.get("_id") and v.get("visitorEmails")), None)
    if other is None or "visitorEmails" not in out:
        return out
    return {**out, "visitorEmails": [*out["visitorEmails"], other["visitorEmails"][0]]}


fault("ok-phone-duplicated", HookPoint.VIEW, _set("phone", lambda p: [*p, *p]), clauses=["VI-OK-SHAPE"],
      description="`phone` lists the registered number twice (a merge that does not de-duplicate).")


# The key of its memory: the server's, so two servers in one process do not share it.
LAST_SERVED = "ok-previous-visitor-in-header: last visitor id served"


@fault("ok-previous-visitor-in-header", HookPoint.RESPONSE, clauses=["VI-OK-SHAPE"],
       description="A 200 carries `X-Cache-Visitor` with the id of the visitor the previous lookup "
                   "served (a wrongly keyed response cache).")
def _previous_in_header(ex: Exchange, resp: Response) -> Response:
    """A response cache keyed wrongly: the previous lookup's visitor id rides along."""
    if ex.route == VISITORS_INFO and resp.case == "ok" and ex.visitor:
        previous = ex.memory.get(LAST_SERVED)
        if previous and previous != ex.visitor["_id"]:
            resp.headers.append(("X-Cache-Visitor", previous))
        ex.memory[LAST_SERVED] = ex.visitor["_id"]
    return resp


# Read first by the start-up check of the visitor known to carry externalIds.
fault("ok-status-201", HookPoint.RESPONSE, _on("ok", _status(201)), clauses=["VI-OK-SHAPE"],
      description="A known visitor answers status 201 (the body as Rocket.Chat sends it).")

# Read first by the start-up check of the visitor known to carry externalIds.
fault("ok-unwrapped", HookPoint.RESPONSE, _on("ok", _unwrapped), clauses=["VI-OK-SHAPE"],
      description="A known visitor answers 200 with the visitor itself as the body, without the "
                  '{"visitor": ..., "success": true} wrapper.')

fault("ok-name-double-encoded", HookPoint.VIEW,
      _set("name", lambda name: name.encode("utf-8").decode("latin-1")),
      clauses=["VI-OK-SHAPE"],
      description="A non-ASCII name comes back with its UTF-8 bytes decoded again as Latin-1 (encoded "
                  "twice).")

fault("ok-name-html-escaped", HookPoint.VIEW, _set("name", html.escape), clauses=["VI-OK-SHAPE"],
      description='The name comes back HTML-escaped (`<`, `&`, `"` as entities).')
