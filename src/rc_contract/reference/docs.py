"""GET /api/docs/json: the OpenAPI document a Rocket.Chat server serves about itself.

Served at every emulated version: the route's query validator (isOpenAPIJSONEndpoint)
ships in @rocket.chat/rest-typings from 8.0.0. The envelope is default/openApi.ts's
(openapi 3.0.3, `info.version` the server's version, `servers` the site URL, the
userId/authToken security schemes). visitors.info appears in one of two forms:

- ``bundled`` (default): the bundled contract's operation, so a run sees no drift;
- ``legacy`` (the document-drift variant): what ApiClass's registerTypedRoutesLegacy
  writes for a route registered with addRoute, as visitors.info is: tagged "Missing
  Documentation" (so listed only with withUndocumented=true), the validator's schema as
  one object parameter named `query`, and a 200 of `{success, error}`. Read in
  Rocket.Chat's source; no running server's document was seen.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from rc_contract.contract.server_document import SECURITY_SCHEMES, served_document

from .validate import VISITORS_INFO
from .versions import Profile
from .wire import VISITORS_INFO as VISITORS_INFO_ROUTE
from .wire import Request

ENDPOINT = VISITORS_INFO_ROUTE.split(" ", 1)[1]
MISSING_DOCUMENTATION = "Missing Documentation"
LEGACY_OPERATION: dict[str, Any] = {
    "responses": {
        "200": {
            "description": "",
            "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {"success": {"type": "boolean"}, "error": {"type": "string"}},
                "required": ["success"],
            }}},
        },
    },
    "parameters": [{"schema": VISITORS_INFO, "in": "query", "name": "query", "required": True}],
    "security": [{name: [] for name in SECURITY_SCHEMES}],
    "tags": [MISSING_DOCUMENTATION],
}


@cache
def _bundled() -> dict[str, Any]:
    from rc_contract.contract import load_bundled

    return load_bundled().document


def document(profile: Profile, form: str, request: Request, with_undocumented: bool) -> dict[str, Any]:
    site = f"http://{request.headers.get('Host', '127.0.0.1')}"
    served = served_document(_bundled(), profile.version, site)
    if form == "legacy":
        served["paths"] = {ENDPOINT: {"get": LEGACY_OPERATION}} if with_undocumented else {}
    return served
