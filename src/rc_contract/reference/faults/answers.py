"""Faults of the answer as a whole: content type, caching, fuzzed ids (VI-CONTENT-TYPE,
VI-NO-STORE, VI-FUZZ)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .. import bodies
from ..hooks import HookPoint
from ..wire import VISITORS_INFO, Exchange, Response
from .builders import _answer, _on, _on_route, _when_id
from .registry import fault

LONG_ID = 24  # ids longer than a real ObjectId trip the "long id" faults
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]*$")


BROKEN_ENVELOPE: dict[str, Any] = {"success": False, "message": "visitor-not-found"}


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


# -- VI-CONTENT-TYPE ---------------------------------------------------------------------

@fault("ctype-html-on-errors", HookPoint.RESPONSE, clauses=["VI-CONTENT-TYPE"],
       description="Every 4xx answer (JSON body) is labelled text/html.")
def _is_error(ex: Exchange, resp: Response) -> Response:
    if ex.route == VISITORS_INFO and resp.status >= 400:
        resp.content_type = "text/html; charset=utf-8"
    return resp


fault("ctype-text-on-401", HookPoint.RESPONSE, _on("unauthorized", _content_type("text/plain")),
      clauses=["VI-CONTENT-TYPE"],
      description="The 401 answer (JSON body) is labelled text/plain.")

fault("ctype-text-everywhere", HookPoint.RESPONSE,
      _on_route(VISITORS_INFO, _content_type("text/plain; charset=utf-8")),
      clauses=["VI-CONTENT-TYPE"],
      description="Every visitors.info answer (JSON body) is labelled text/plain; charset=utf-8.")

fault("ctype-missing-on-403", HookPoint.RESPONSE, _on("forbidden", _content_type(None)),
      clauses=["VI-CONTENT-TYPE"],
      description="The 403 answer has no Content-Type header.")


# -- VI-NO-STORE -------------------------------------------------------------------------

fault("no-store-missing", HookPoint.RESPONSE,
      _on("ok", _cache_headers(**{"cache-control": None, "pragma": None})),
      clauses=["VI-NO-STORE"],
      description="A 200 carrying a visitor has neither Cache-Control nor Pragma.")

fault("no-store-public-cache", HookPoint.RESPONSE,
      _on("ok", _cache_headers(**{"cache-control": "public, max-age=300"})),
      clauses=["VI-NO-STORE"],
      description="A 200 carrying a visitor says Cache-Control public, max-age=300.")

fault("no-store-private-max-age", HookPoint.RESPONSE,
      _on("ok", _cache_headers(**{"cache-control": "private, max-age=60"})),
      clauses=["VI-NO-STORE"],
      description="A 200 carrying a visitor says Cache-Control private, max-age=60 (a browser may keep it).")

fault("no-store-pragma-only", HookPoint.RESPONSE, _on("ok", _cache_headers(**{"cache-control": None})),
      clauses=["VI-NO-STORE"],
      description="A 200 carrying a visitor keeps Pragma no-cache but loses Cache-Control.")


# -- VI-FUZZ -----------------------------------------------------------------------------

fault("fuzz-500-long-id", HookPoint.RESPONSE,
      _when_id(lambda v: len(v) > LONG_ID, _answer(500, bodies.INTERNAL_ERROR)),
      clauses=["VI-FUZZ"],
      description="A string visitorId longer than 24 characters answers 500.")

fault("fuzz-500-non-ascii", HookPoint.RESPONSE,
      _when_id(lambda v: not v.isascii(), _answer(500, bodies.INTERNAL_ERROR)),
      clauses=["VI-FUZZ"],
      description="A string visitorId with a non-ASCII character answers 500.")

fault("fuzz-404-special-chars", HookPoint.RESPONSE,
      _when_id(lambda v: not _SAFE_ID.match(v), _answer(404, bodies.NOT_FOUND_ROUTE)),
      clauses=["VI-FUZZ"],
      description="A string visitorId with a character outside [A-Za-z0-9_-] answers 404.")

fault("fuzz-envelope-long-id", HookPoint.RESPONSE,
      _when_id(lambda v: len(v) > LONG_ID, _answer(400, BROKEN_ENVELOPE)),
      clauses=["VI-FUZZ"],
      description="A string visitorId longer than 24 characters answers 400 with `message` instead of "
                  "`error`.")
