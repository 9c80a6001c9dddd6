"""Faults of query handling (VI-PARAM-MISSING, VI-PARAM-TYPE, VI-PARAM-EXTRA)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .. import bodies
from ..hooks import Hook, HookPoint
from ..validate import VISITORS_INFO as VISITORS_INFO_SCHEMA
from ..validate import first_error
from ..wire import VISITORS_INFO, Exchange, Response
from .builders import _body, _other_visitor
from .registry import fault

REQUIRED_VISITOR_ID = "must have required property 'visitorId'"
ADDITIONAL = "must NOT have additional properties"
NOT_STRING = "must be string"


def _replace_message(old: str, new: str | None) -> Hook:
    return lambda ex, message: new if message == old else message


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


def _forbidden(ex: Exchange, resp: Response) -> Response:
    return Response(403, bodies.forbidden(ex.profile), headers=[], case="forbidden")


def _missing_only(change: Callable[[Exchange, Response], Response]) -> Hook:
    def hook(ex: Exchange, resp: Response) -> Response:
        refused = ex.route == VISITORS_INFO and resp.case == "invalid-params"
        return change(ex, resp) if refused and "visitorId" not in ex.params else resp

    return hook


def _first_when_missing(ex: Exchange, visitor: dict[str, Any] | None) -> dict[str, Any] | None:
    return _other_visitor(ex) if "visitorId" not in ex.params else visitor


# -- VI-PARAM-MISSING --------------------------------------------------------------------

fault("missing-id-not-found", HookPoint.VALIDATE, _replace_message(REQUIRED_VISITOR_ID, None),
      clauses=["VI-PARAM-MISSING"],
      description="No visitorId is looked up as nothing and answers 400 visitor-not-found.")

fault("missing-id-returns-visitor", HookPoint.VALIDATE, _replace_message(REQUIRED_VISITOR_ID, None),
      clauses=["VI-PARAM-MISSING"], also={HookPoint.LOOKUP: _first_when_missing},
      description="No visitorId answers 200 with the first visitor (findOne with no _id).")

fault("missing-id-text-changed", HookPoint.VALIDATE,
      _replace_message(REQUIRED_VISITOR_ID, "visitorId is required"),
      clauses=["VI-PARAM-MISSING"],
      description='No visitorId answers "visitorId is required [invalid-params]".')

fault("missing-id-no-error-type", HookPoint.RESPONSE, _missing_only(_body(errorType=None)),
      clauses=["VI-PARAM-MISSING"],
      description="The missing-visitorId body lacks `errorType`.")


@fault("missing-id-case-insensitive", HookPoint.PARSE, clauses=["VI-PARAM-MISSING"],
       description="`visitorid` (wrong case) is taken as visitorId instead of being refused.")
def _case_insensitive_key(ex: Exchange, params: dict[str, Any]) -> dict[str, Any]:
    if "visitorId" in params:
        return params
    return {("visitorId" if k.lower() == "visitorid" else k): v for k, v in params.items()}


# Read first by the start-up check of the account's view-l-room: a break, not exit 4.
fault("missing-id-403", HookPoint.RESPONSE, _missing_only(_forbidden), clauses=["VI-PARAM-MISSING"],
      description="No visitorId answers the documented 403 error-unauthorized to an account that holds "
                  "view-l-room.")


@fault("invalid-params-echoes-caller-token", HookPoint.RESPONSE,
       clauses=["VI-PARAM-MISSING", "VI-TOKEN-ABSENT"],
       description="An invalid-params body echoes the request's headers, the caller's own X-Auth-Token "
                   "included, under `details`.")
def _caller_token_in_details(ex: Exchange, resp: Response) -> Response:
    """An invalid-params body that echoes the request's headers, X-Auth-Token included."""
    token = ex.request.headers.get("X-Auth-Token")
    if ex.route == VISITORS_INFO and resp.case == "invalid-params" and token:
        resp.body = {**resp.body, "details": {"headers": {"x-auth-token": token}}}
    return resp


# -- VI-PARAM-TYPE -----------------------------------------------------------------------

fault("repeated-id-first-wins", HookPoint.PARSE, _pick(0), clauses=["VI-PARAM-TYPE"],
      description="visitorId given twice (or as an array) uses the first value.")

fault("repeated-id-last-wins", HookPoint.PARSE, _pick(-1), clauses=["VI-PARAM-TYPE"],
      description="visitorId given twice (or as an array) uses the last value.")

fault("object-id-injection", HookPoint.VALIDATE, _allow_object,
      clauses=["VI-PARAM-TYPE"], also={HookPoint.LOOKUP: _injection},
      description="visitorId as an object goes to the lookup as a query (visitorId[$ne]=x returns a "
                  "visitor).")


@fault("object-id-stringified", HookPoint.PARSE, clauses=["VI-PARAM-TYPE"],
       description="A non-string visitorId is turned into a string (String(value)) and looked up.")
def _stringify(ex: Exchange, params: dict[str, Any]) -> dict[str, Any]:
    if "visitorId" in params:
        return {**params, "visitorId": _js_string(params["visitorId"])}
    return params


@fault("non-string-id-500", HookPoint.RESPONSE, clauses=["VI-PARAM-TYPE"],
       description="A non-string visitorId answers 500 Internal server error.")
def _non_string_500(ex: Exchange, resp: Response) -> Response:
    refused = ex.route == VISITORS_INFO and resp.case == "invalid-params"
    if refused and isinstance(ex.visitor_id, dict | list):
        return Response(500, dict(bodies.INTERNAL_ERROR), headers=resp.headers, case="error")
    return resp


# -- VI-PARAM-EXTRA ----------------------------------------------------------------------

fault("extra-param-ignored", HookPoint.VALIDATE, _ignore_extra(None), clauses=["VI-PARAM-EXTRA"],
      description="Unknown query parameters are ignored (additionalProperties not enforced).")

fault("extra-param-cache-buster-allowed", HookPoint.VALIDATE, _ignore_extra(frozenset({"_"})),
      clauses=["VI-PARAM-EXTRA"],
      description="A cache buster `_=` is ignored; other unknown parameters are still refused.")


@fault("extra-param-text-changed", HookPoint.VALIDATE, clauses=["VI-PARAM-EXTRA"],
       description='The error names the parameter ("must NOT have additional property \'foo\'").')
def _extra_text(ex: Exchange, message: str | None) -> str | None:
    if message != ADDITIONAL:
        return message
    extra = next(k for k in ex.params if k != "visitorId")
    return f"must NOT have additional property '{extra}'"


fault("extra-param-generic-honoured", HookPoint.VALIDATE, _ignore_extra(GENERIC_PARAMETERS),
      clauses=["VI-PARAM-EXTRA"], also={HookPoint.VIEW: _projection},
      description="Rocket.Chat's generic parameters (fields, sort, query, count, offset) are accepted, "
                  'and `fields` is a projection of the stored visitor (`fields={"token":1}` brings the '
                  "token back); other unknown names are still refused.")


# -- several VI-PARAM clauses ------------------------------------------------------------

@fault("ajv6-messages", HookPoint.VALIDATE, clauses=["VI-PARAM-MISSING", "VI-PARAM-TYPE", "VI-PARAM-EXTRA"],
       description='Validation messages in Ajv 6 wording ("should have required property ...").')
def _ajv6(ex: Exchange, message: str | None) -> str | None:
    return "should" + message[4:] if message and message.startswith("must ") else message
