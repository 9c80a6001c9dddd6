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

import base64
import html
import json
import os
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from .. import bodies
from ..state import User
from ..validate import VISITORS_INFO as VISITORS_INFO_SCHEMA
from ..validate import first_error
from ..wire import INFO, VISITORS_INFO, Exchange, Response

Hook = Callable[[Exchange, Any], Any]

REQUIRED_VISITOR_ID = "must have required property 'visitorId'"
ADDITIONAL = "must NOT have additional properties"
NOT_STRING = "must be string"
LONG_ID = 24  # ids longer than a real ObjectId trip the "long id" faults
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]*$")
NULL_VISITOR: dict[str, Any] = {"visitor": None, "success": True}
BROKEN_ENVELOPE: dict[str, Any] = {"success": False, "message": "visitor-not-found"}
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


def _cache_headers(**values: str | None) -> Callable[[Exchange, Response], Response]:
    """Replace the caching headers of an answer (None drops one)."""

    def change(ex: Exchange, resp: Response) -> Response:
        names = {name.lower(): value for name, value in values.items()}
        resp.headers = [(k, v) for k, v in resp.headers if k.lower() not in names]
        resp.headers += [(k, v) for k, v in names.items() if v is not None]
        return resp

    return change


def _replace_message(old: str, new: str | None) -> Hook:
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


def _answer(status: int, body: Any) -> Callable[[Exchange, Response], Response]:
    """Replace the whole answer, keeping its headers."""

    def change(ex: Exchange, resp: Response) -> Response:
        return Response(status, body, headers=resp.headers, case=resp.case)

    return change


# -- authentication (VI-AUTH-401) -----------------------------------------------


def _header(ex: Exchange, name: str) -> str | None:
    return ex.request.headers.get(name) or None


def _one_header(ex: Exchange, user: User | None) -> User | None:
    if user is not None:
        return user
    user_id, token = _header(ex, "X-User-Id"), _header(ex, "X-Auth-Token")
    if user_id and not token:
        return ex.state.user(user_id)
    if token and not user_id:
        return ex.state.user_for_token(token)
    return None


def _wrong_token(ex: Exchange, user: User | None) -> User | None:
    if user is None and _header(ex, "X-Auth-Token"):
        return ex.state.user(_header(ex, "X-User-Id"))
    return user


def _wrong_user(ex: Exchange, user: User | None) -> User | None:
    if user is None and _header(ex, "X-User-Id"):
        return ex.state.user_for_token(_header(ex, "X-Auth-Token"))
    return user


def _other_version_401(ex: Exchange, resp: Response) -> Response:
    resp.body = bodies.unauthorized(short=not ex.profile.short_401)
    return resp


_NO_PERIOD = bodies.LOGGED_OUT.rstrip(".")


def _401_text(ex: Exchange, resp: Response) -> Response:
    resp.body = {k: (_NO_PERIOD if v == bodies.LOGGED_OUT else v) for k, v in resp.body.items()}
    return resp


def _user_role_granted(ex: Exchange, permitted: bool) -> bool:
    return permitted or (ex.user is not None and "user" in ex.user.roles)


def _manager_role_required(ex: Exchange, permitted: bool) -> bool:
    """view-l-room is not enough: the server also wants an admin or manager role."""
    roles = set(ex.user.roles) if ex.user is not None else set()
    return permitted and bool(roles & {"admin", "livechat-manager"})


def _caller_token_header(ex: Exchange, resp: Response) -> Response:
    """A debugging header echoing the caller's own X-Auth-Token on a refusal."""
    token = ex.request.headers.get("X-Auth-Token")
    if token:
        resp.headers.append(("X-Debug-Auth", token))
    return resp


def _caller_token_in_details(ex: Exchange, resp: Response) -> Response:
    """An invalid-params body that echoes the request's headers, X-Auth-Token included."""
    token = ex.request.headers.get("X-Auth-Token")
    if ex.route == VISITORS_INFO and resp.case == "invalid-params" and token:
        resp.body = {**resp.body, "details": {"headers": {"x-auth-token": token}}}
    return resp


# -- query handling (VI-PARAM-*) --------------------------------------------------


def _case_insensitive_key(ex: Exchange, params: dict[str, Any]) -> dict[str, Any]:
    if "visitorId" in params:
        return params
    return {("visitorId" if k.lower() == "visitorid" else k): v for k, v in params.items()}


def _pick(index: int) -> Hook:
    def hook(ex: Exchange, params: dict[str, Any]) -> dict[str, Any]:
        value = params.get("visitorId")
        if isinstance(value, list) and value:
            return {**params, "visitorId": value[index]}
        return params

    return hook


def _js_string(value: Any) -> Any:
    """What JavaScript's String(value) makes of a parsed query value."""
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join(str(_js_string(v)) for v in value)
    return value


def _stringify(ex: Exchange, params: dict[str, Any]) -> dict[str, Any]:
    if "visitorId" in params:
        return {**params, "visitorId": _js_string(params["visitorId"])}
    return params


def _allow_object(ex: Exchange, message: str | None) -> str | None:
    return None if message == NOT_STRING and isinstance(ex.visitor_id, dict) else message


def _mongo_match(doc_id: str, query: dict[str, Any]) -> bool:
    tests: dict[str, Callable[[Any], bool]] = {
        "$ne": lambda v: doc_id != v,
        "$gt": lambda v: doc_id > str(v),
        "$regex": lambda v: re.search(str(v), doc_id) is not None,
        "$exists": lambda v: True,
        "$in": lambda v: doc_id in (v if isinstance(v, list) else [v]),
    }
    return bool(query) and all(op in tests and tests[op](v) for op, v in query.items())


def _injection(ex: Exchange, visitor: dict[str, Any] | None) -> dict[str, Any] | None:
    query = ex.visitor_id
    if visitor is not None or not isinstance(query, dict):
        return visitor
    return next((v for v in ex.state.enabled_visitors() if _mongo_match(v["_id"], query)), None)


def _ignore_extra(only: frozenset[str] | None) -> Hook:
    def hook(ex: Exchange, message: str | None) -> str | None:
        extra = set(ex.params) - {"visitorId"}
        if message != ADDITIONAL or (only is not None and not extra <= only):
            return message
        kept = {k: v for k, v in ex.params.items() if k == "visitorId"}
        return first_error(VISITORS_INFO_SCHEMA, kept, ex.profile.array_coercion)

    return hook


# Rocket.Chat's older REST layer's generic parameters (parseJsonQuery): honoured by a
# server that does not validate them, `fields` as a projection of the stored visitor.
GENERIC_PARAMETERS = frozenset({"fields", "sort", "query", "count", "offset"})


def _projection(ex: Exchange, out: dict[str, Any]) -> dict[str, Any]:
    """``fields`` taken as a projection of the stored document (hidden fields included)."""
    try:
        fields = json.loads(str(ex.params.get("fields")))
    except ValueError:
        return out
    if not isinstance(fields, dict) or not fields or ex.visitor is None:
        return out
    stored = ex.visitor
    return {"_id": stored["_id"], **{k: stored[k] for k, v in fields.items() if v and k in stored}}


def _extra_text(ex: Exchange, message: str | None) -> str | None:
    if message != ADDITIONAL:
        return message
    extra = next(k for k in ex.params if k != "visitorId")
    return f"must NOT have additional property '{extra}'"


def _ajv6(ex: Exchange, message: str | None) -> str | None:
    return "should" + message[4:] if message and message.startswith("must ") else message


def _forbidden(ex: Exchange, resp: Response) -> Response:
    return Response(403, bodies.forbidden(ex.profile), headers=[], case="forbidden")


def _unwrapped(ex: Exchange, resp: Response) -> Response:
    resp.body = dict(resp.body["visitor"])
    return resp


def _missing_only(change: Callable[[Exchange, Response], Response]) -> Hook:
    def hook(ex: Exchange, resp: Response) -> Response:
        refused = ex.route == VISITORS_INFO and resp.case == "invalid-params"
        return change(ex, resp) if refused and "visitorId" not in ex.params else resp

    return hook


def _non_string_500(ex: Exchange, resp: Response) -> Response:
    refused = ex.route == VISITORS_INFO and resp.case == "invalid-params"
    if refused and isinstance(ex.visitor_id, dict | list):
        return Response(500, dict(bodies.INTERNAL_ERROR), headers=resp.headers, case="error")
    return resp


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


# -- lookup (VI-NOT-FOUND, VI-OK-SHAPE) ---------------------------------------------


def _first_when_missing(ex: Exchange, visitor: dict[str, Any] | None) -> dict[str, Any] | None:
    return _other_visitor(ex) if "visitorId" not in ex.params else visitor


def _first_when_empty(ex: Exchange, visitor: dict[str, Any] | None) -> dict[str, Any] | None:
    return _other_visitor(ex) if ex.visitor_id == "" else visitor


def _disabled_too(ex: Exchange, visitor: dict[str, Any] | None) -> dict[str, Any] | None:
    value = _id_value(ex)
    return ex.state.any_visitor(value) if visitor is None and value else visitor


def _wrong_visitor(ex: Exchange, visitor: dict[str, Any] | None) -> dict[str, Any] | None:
    if visitor is None:
        return None
    other = _other_visitor(ex, exclude=visitor["_id"])
    if other is None:
        other = {**visitor, "_id": visitor["_id"][::-1]}
    return other


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


def _trimmed(ex: Exchange, params: dict[str, Any]) -> dict[str, Any]:
    value = params.get("visitorId")
    return {**params, "visitorId": value.strip()} if isinstance(value, str) else params


# -- the visitor as sent (VI-OK-SHAPE, VI-TOKEN-ABSENT, VI-EXTIDS-SHAPE) -------------


def _epoch_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def _js_date_string(iso: str) -> str:
    """Date.prototype.toString(), the classic "forgot toISOString" output."""
    moment = datetime.fromisoformat(iso)
    return moment.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


def _set(key: str, make: Callable[[Any], Any]) -> Hook:
    def change(out: dict[str, Any]) -> None:
        if key in out:
            out[key] = make(out[key])

    return _view(change)


def _drop(key: str) -> Hook:
    return _view(lambda out: out.pop(key, None))


def _token_back(ex: Exchange, out: dict[str, Any]) -> dict[str, Any]:
    return out if "token" in out else _with_token(out, _visitor_token(ex))


def _token_for_phone_visitors(ex: Exchange, out: dict[str, Any]) -> dict[str, Any]:
    return _token_back(ex, out) if out.get("phone") else out


def _token_in_livechat_data(ex: Exchange, out: dict[str, Any]) -> dict[str, Any]:
    token = _visitor_token(ex)
    if token is None:
        return out
    return {**out, "livechatData": {**out.get("livechatData", {}), "token": token}}


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


def _stale_email(ex: Exchange, out: dict[str, Any]) -> dict[str, Any]:
    """A contact merge kept another visitor's address in this one's visitorEmails."""
    other = next((v for v in ex.state.enabled_visitors()
                  if v["_id"] != out.get("_id") and v.get("visitorEmails")), None)
    if other is None or "visitorEmails" not in out:
        return out
    return {**out, "visitorEmails": [*out["visitorEmails"], other["visitorEmails"][0]]}


_LAST_SERVED: dict[int, str] = {}


def _previous_in_header(ex: Exchange, resp: Response) -> Response:
    """A response cache keyed wrongly: the previous lookup's visitor id rides along."""
    if ex.route == VISITORS_INFO and resp.case == "ok" and ex.visitor:
        previous = _LAST_SERVED.get(id(ex.state))
        if previous and previous != ex.visitor["_id"]:
            resp.headers.append(("X-Cache-Visitor", previous))
        _LAST_SERVED[id(ex.state)] = ex.visitor["_id"]
    return resp


def _ext_ids_map(ids: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["appId"]: {k: v for k, v in e.items() if k != "appId"} for e in ids}


def _ext_ids_items(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Hook:
    return _set("externalIds", lambda ids: [change(dict(e)) for e in ids])


def _entity_number(e: dict[str, Any]) -> dict[str, Any]:
    return {**e, "entityId": int(e["entityId"]) if e["entityId"].isdigit() else e["entityId"]}


def _metadata_string(e: dict[str, Any]) -> dict[str, Any]:
    return {**e, "metadata": json.dumps(e["metadata"])} if "metadata" in e else e


def _no_app_id(e: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in e.items() if k != "appId"}


def _visitor_in_array(ex: Exchange, resp: Response) -> Response:
    resp.body = {**resp.body, "visitor": [resp.body["visitor"]]}
    return resp


def _delay(ex: Exchange, resp: Response) -> Response:
    resp.delay = float(os.environ.get("RC_REFERENCE_SLOW_SECONDS", "5"))
    return resp


def _dropped(ex: Exchange, resp: Response) -> Response:
    resp.drop = True
    return resp


def _html(status: int) -> Callable[[Exchange, Response], Response]:
    def change(ex: Exchange, resp: Response) -> Response:
        return Response(status, _HTML_PAGE, content_type="text/html; charset=utf-8", case="html")

    return change


def _is_error(ex: Exchange, resp: Response) -> Response:
    if ex.route == VISITORS_INFO and resp.status >= 400:
        resp.content_type = "text/html; charset=utf-8"
    return resp


BEHAVIOURS: dict[str, dict[str, Hook]] = {
    # VI-AUTH-401
    "auth-one-header-accepted": {"authenticate": _one_header},
    "auth-wrong-token-accepted": {"authenticate": _wrong_token},
    "auth-wrong-user-accepted": {"authenticate": _wrong_user},
    "auth-401-other-version-body": {"response": _on("unauthorized", _other_version_401)},
    "auth-401-no-success": {"response": _on("unauthorized", _body(success=None))},
    "auth-401-text-changed": {"response": _on("unauthorized", _401_text)},
    "auth-status-403": {"response": _on("unauthorized", _status(403))},
    # VI-PERM-403
    "perm-user-role-granted": {"permitted": _user_role_granted},
    "perm-403-text-changed": {"response": _on("forbidden", _body(error="unauthorized"))},
    "perm-403-success-true": {"response": _on("forbidden", _body(success=True))},
    "perm-403-no-success": {"response": _on("forbidden", _body(success=None))},
    "perm-status-401": {"response": _on("forbidden", _status(401))},
    "perm-manager-role-required": {"permitted": _manager_role_required},
    "perm-403-echoes-caller-token": {"response": _on("forbidden", _caller_token_header)},
    # VI-PARAM-MISSING
    "missing-id-not-found": {"validate": _replace_message(REQUIRED_VISITOR_ID, None)},
    "missing-id-returns-visitor": {
        "validate": _replace_message(REQUIRED_VISITOR_ID, None),
        "lookup": _first_when_missing,
    },
    "missing-id-text-changed": {
        "validate": _replace_message(REQUIRED_VISITOR_ID, "visitorId is required"),
    },
    "missing-id-no-error-type": {"response": _missing_only(_body(errorType=None))},
    "missing-id-case-insensitive": {"parse": _case_insensitive_key},
    "missing-id-403": {"response": _missing_only(_forbidden)},
    "invalid-params-echoes-caller-token": {"response": _caller_token_in_details},
    # VI-PARAM-TYPE
    "repeated-id-first-wins": {"parse": _pick(0)},
    "repeated-id-last-wins": {"parse": _pick(-1)},
    "object-id-injection": {"validate": _allow_object, "lookup": _injection},
    "object-id-stringified": {"parse": _stringify},
    "non-string-id-500": {"response": _non_string_500},
    # VI-PARAM-EXTRA
    "extra-param-ignored": {"validate": _ignore_extra(None)},
    "extra-param-cache-buster-allowed": {"validate": _ignore_extra(frozenset({"_"}))},
    "extra-param-text-changed": {"validate": _extra_text},
    "extra-param-generic-honoured": {"validate": _ignore_extra(GENERIC_PARAMETERS),
                                     "view": _projection},
    # VI-PARAM-MISSING, VI-PARAM-TYPE, VI-PARAM-EXTRA
    "ajv6-messages": {"validate": _ajv6},
    # VI-NOT-FOUND
    "not-found-404": {"response": _on("not-found", _status(404))},
    "not-found-200-null": {"response": _on("not-found", _answer(200, NULL_VISITOR))},
    "not-found-text-changed": {"response": _on("not-found", _body(error="Visitor not found"))},
    "empty-id-returns-visitor": {"lookup": _first_when_empty},
    "empty-id-404": {"response": _when_id(lambda v: v == "", _answer(404, bodies.NOT_FOUND_ROUTE))},
    "removed-visitor-returned": {"lookup": _disabled_too},
    "lookup-unanchored-pattern": {"lookup": _id_lookup(_pattern_match)},
    "lookup-case-insensitive": {"lookup": _id_lookup(lambda doc, value: doc.lower() == value.lower())},
    "lookup-prefix-match": {"lookup": _id_lookup(lambda doc, value: bool(value) and doc.startswith(value))},
    "lookup-trims-id": {"parse": _trimmed},
    # VI-OK-SHAPE
    "ok-other-visitor": {"lookup": _wrong_visitor},
    "ok-ts-epoch": {"view": _set("ts", _epoch_ms)},
    "ok-ts-not-iso": {"view": _set("ts", _js_date_string)},
    "ok-updated-at-ejson": {"view": _set("_updatedAt", lambda iso: {"$date": _epoch_ms(iso)})},
    "ok-phone-string": {"view": _set("phone", lambda p: p[0]["phoneNumber"] if p else "")},
    "ok-phone-item-key": {
        "view": _set("phone", lambda p: [{"number": i["phoneNumber"]} for i in p]),
    },
    "ok-emails-item-key": {
        "view": _set("visitorEmails", lambda e: [{"email": i["address"]} for i in e]),
    },
    "ok-name-missing": {"view": _drop("name")},
    "ok-name-truncated": {"view": _set("name", lambda name: name[:8])},
    "ok-success-string": {"response": _on("ok", _body(success="true"))},
    "ok-success-missing": {"response": _on("ok", _body(success=None))},
    "ok-visitor-array": {"response": _on("ok", _visitor_in_array)},
    "ok-stale-email-of-other-visitor": {"view": _stale_email},
    "ok-phone-duplicated": {"view": _set("phone", lambda p: [*p, *p])},
    "ok-previous-visitor-in-header": {"response": _previous_in_header},
    "ok-status-201": {"response": _on("ok", _status(201))},
    "ok-unwrapped": {"response": _on("ok", _unwrapped)},
    "ok-name-double-encoded": {
        "view": _set("name", lambda name: name.encode("utf-8").decode("latin-1")),
    },
    "ok-name-html-escaped": {"view": _set("name", html.escape)},
    # VI-TOKEN-ABSENT
    "token-returned": {"view": _token_back},
    "token-for-phone-visitors": {"view": _token_for_phone_visitors},
    "token-in-livechat-data": {"view": _token_in_livechat_data},
    "token-beside-visitor": {"response": _on("ok", _token_beside)},
    "token-in-error-details": {"response": _token_in_error},
    "token-in-header": {"response": _token_header("X-Visitor-Token", lambda vid, token: token)},
    "token-base64-etag": {"response": _token_header("ETag", _etag)},
    "token-encoded-in-link": {"response": _token_header("Link", _link)},
    "token-in-set-cookie": {
        "response": _token_header("Set-Cookie", lambda vid, token: f"rc_visitor={token}; Path=/; HttpOnly"),
    },
    "token-in-status-reason": {"response": _on_ok_with_token(_reason)},
    # VI-EXTIDS-SHAPE
    "ext-ids-object": {"view": _set("externalIds", _ext_ids_map)},
    "ext-ids-entity-number": {"view": _ext_ids_items(_entity_number)},
    "ext-ids-metadata-string": {"view": _ext_ids_items(_metadata_string)},
    "ext-ids-app-id-missing": {"view": _ext_ids_items(_no_app_id)},
    # VI-CONTENT-TYPE
    "ctype-html-on-errors": {"response": _is_error},
    "ctype-text-on-401": {"response": _on("unauthorized", _content_type("text/plain"))},
    "ctype-text-everywhere": {
        "response": _on_route(VISITORS_INFO, _content_type("text/plain; charset=utf-8")),
    },
    "ctype-missing-on-403": {"response": _on("forbidden", _content_type(None))},
    # VI-NO-STORE
    "no-store-missing": {"response": _on("ok", _cache_headers(**{"cache-control": None, "pragma": None}))},
    "no-store-public-cache": {
        "response": _on("ok", _cache_headers(**{"cache-control": "public, max-age=300"})),
    },
    "no-store-private-max-age": {
        "response": _on("ok", _cache_headers(**{"cache-control": "private, max-age=60"})),
    },
    "no-store-pragma-only": {"response": _on("ok", _cache_headers(**{"cache-control": None}))},
    # VI-FUZZ
    "fuzz-500-long-id": {
        "response": _when_id(lambda v: len(v) > LONG_ID, _answer(500, bodies.INTERNAL_ERROR)),
    },
    "fuzz-500-non-ascii": {
        "response": _when_id(lambda v: not v.isascii(), _answer(500, bodies.INTERNAL_ERROR)),
    },
    "fuzz-404-special-chars": {
        "response": _when_id(lambda v: not _SAFE_ID.match(v), _answer(404, bodies.NOT_FOUND_ROUTE)),
    },
    "fuzz-envelope-long-id": {
        "response": _when_id(lambda v: len(v) > LONG_ID, _answer(400, BROKEN_ENVELOPE)),
    },
    # target faults: the server misbehaves as a whole, no clause involved
    "info-html": {"response": _on_route(INFO, _html(200))},
    "info-404": {"response": _on_route(INFO, _answer(404, bodies.NOT_FOUND_ROUTE))},
    "slow-visitors-info": {"response": _on_route(VISITORS_INFO, _delay)},
    "drop-visitors-info": {"response": _on_route(VISITORS_INFO, _dropped)},
    "html-visitors-info": {"response": _on_route(VISITORS_INFO, _html(200))},
}
