"""Target faults: the server misbehaves as a whole, no clause involved."""

from __future__ import annotations

import os
from collections.abc import Callable

from .. import bodies
from ..hooks import HookPoint
from ..wire import INFO, VISITORS_INFO, Exchange, Response
from .builders import _answer, _on_route
from .registry import fault

_HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in</title></head>"
    b"<body><h1>Please sign in</h1></body></html>"
)


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


# -- target faults -----------------------------------------------------------------------

fault("info-html", HookPoint.RESPONSE, _on_route(INFO, _html(200)), kind="target",
      description="GET /api/info answers 200 with an HTML page (a proxy's sign-in page).")

fault("info-404", HookPoint.RESPONSE, _on_route(INFO, _answer(404, bodies.NOT_FOUND_ROUTE)), kind="target",
      description="GET /api/info answers 404 (not a Rocket.Chat server).")

fault("slow-visitors-info", HookPoint.RESPONSE, _on_route(VISITORS_INFO, _delay), kind="target",
      description="visitors.info answers after RC_REFERENCE_SLOW_SECONDS (default 5) seconds.")

fault("drop-visitors-info", HookPoint.RESPONSE, _on_route(VISITORS_INFO, _dropped), kind="target",
      description="visitors.info closes the connection without answering.")

fault("html-visitors-info", HookPoint.RESPONSE, _on_route(VISITORS_INFO, _html(200)), kind="target",
      description="visitors.info answers 200 with an HTML page.")
