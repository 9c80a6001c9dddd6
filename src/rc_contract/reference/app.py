"""Routing and route handlers: requests in, Rocket.Chat-shaped answers out."""

from __future__ import annotations

import ipaddress
import json
import threading
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import unquote

from . import bodies, query, validate
from .faults import FaultSet
from .hooks import HookPoint
from .ids import iso_now
from .ratelimit import RateLimiter
from .state import State, StateError, User
from .variants import VariantSet
from .versions import Profile
from .wire import (
    DOCS,
    GET_VISITOR,
    INFO,
    LOGIN,
    LOGOUT,
    ME,
    NO_ROUTE,
    REGISTER_VISITOR,
    REMOVE_VISITOR,
    USERS_CREATE,
    USERS_DELETE,
    USERS_INFO,
    VISITORS_INFO,
    Exchange,
    Request,
    Response,
)

Handler = Callable[[Exchange], Response]

VISITOR_BY_TOKEN_PREFIX = "/api/v1/livechat/visitor/"
# Route answers (as opposed to auth/permission refusals) carry these.
NO_CACHE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
NO_CACHE_STATUSES = frozenset({200, 400, 429})
INVALID_QUERY_CASE = "invalid-query"

# What /api/info adds for callers holding view-statistics.
BUILD_INFO: dict[str, Any] = {
    "nodeVersion": "v22.16.0",
    "arch": "x64",
    "platform": "linux",
    "cpus": 2,
}
MARKETPLACE_API_VERSION = "1.58.0"


class App:
    """One emulated Rocket.Chat: profile, state, faults, optional rate limiter."""

    def __init__(
        self,
        profile: Profile,
        state: State,
        faults: FaultSet | None = None,
        limiter: RateLimiter | None = None,
        variants: VariantSet | None = None,
        limiter_first: bool = False,
    ) -> None:
        self.profile = profile
        self.state = state
        self.faults = faults if faults is not None else FaultSet()
        self.variants = variants if variants is not None else VariantSet()
        self.limiter = limiter
        # Rocket.Chat runs the limiter inside the route's action, after the permission
        # check; PR #41970 (closed unmerged) proposed it before: a 403 then counts too.
        self.limiter_first = limiter_first
        self._stats_lock = threading.Lock()
        self._by_route: dict[str, int] = {}
        # Calls the limiter counted (passed auth and, in Rocket.Chat's order, permission),
        # bypassing accounts included: what a limited account would spend.
        self._counted: dict[str, int] = {}
        # What behaviours keep between requests (Exchange.memory), this server's own.
        self.memory: dict[str, Any] = {}
        # How visitors.info appears in GET /api/docs/json ("bundled" or "legacy").
        self.docs_form = str(self.variants.options.get("document", "bundled"))
        self._routes: dict[str, Handler] = {
            INFO: self.info,
            DOCS: self.docs,
            VISITORS_INFO: self.visitors_info,
            LOGIN: self.login,
            LOGOUT: self.logout,
            ME: self.me,
            REGISTER_VISITOR: self.register_visitor,
            GET_VISITOR: self.get_visitor,
            REMOVE_VISITOR: self.remove_visitor,
            USERS_CREATE: self.users_create,
            USERS_INFO: self.users_info,
            USERS_DELETE: self.users_delete,
        }

    # dispatch ------------------------------------------------------------------

    def _route(self, request: Request) -> tuple[str, str]:
        key = f"{request.method} {request.path}"
        if key in self._routes:
            return key, ""
        if request.path.startswith(VISITOR_BY_TOKEN_PREFIX):
            token = request.path[len(VISITOR_BY_TOKEN_PREFIX) :]
            if token and "/" not in token:
                pattern = f"{request.method} {VISITOR_BY_TOKEN_PREFIX}{{token}}"
                if pattern in self._routes:
                    return pattern, unquote(token)
        return f"{request.method} {NO_ROUTE}", ""

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_reference/"):
            return self._introspect(request)
        route, path_arg = self._route(request)
        with self._stats_lock:
            self._by_route[route] = self._by_route.get(route, 0) + 1
        handler = self._routes.get(route)
        if handler is None:
            return Response(404, dict(bodies.NOT_FOUND_ROUTE), case="no-route")
        ex = Exchange(request, route, self.profile, self.state, path_arg=path_arg, memory=self.memory)
        try:
            resp = handler(ex)
        except Exception:  # an emulator bug must still answer like a server would
            resp = Response(500, dict(bodies.INTERNAL_ERROR), case="error")
        if resp.status in NO_CACHE_STATUSES and resp.case != INVALID_QUERY_CASE:
            resp.headers.extend(NO_CACHE)
        resp.headers.extend(ex.extra_headers)
        final: Response = self._hook(HookPoint.RESPONSE, ex, resp)
        return final

    def _hook(self, point: HookPoint, ex: Exchange, value: Any) -> Any:
        """A hook point: the server's legitimate variants first, then its faults."""
        return self.faults.apply(point, ex, self.variants.apply(point, ex, value))

    # shared steps ---------------------------------------------------------------

    def _authenticate(self, ex: Exchange, hooks: bool = False) -> Response | None:
        headers = ex.request.headers
        user = self.state.authenticate(headers.get("X-User-Id"), headers.get("X-Auth-Token"))
        if hooks:
            user = self._hook(HookPoint.AUTHENTICATE, ex, user)
        if user is None:
            return Response(401, bodies.unauthorized(self.profile.short_401), case="unauthorized")
        ex.user = user
        return None

    def _forbidden(self) -> Response:
        return Response(403, bodies.forbidden(self.profile), case="forbidden")

    def _require(self, ex: Exchange, permission: str) -> Response | None:
        """401 or 403 before anything else, as Rocket.Chat's API layer does."""
        denied = self._authenticate(ex)
        if denied is None and self.limiter_first:
            denied = self._rate_limit(ex)
        user = ex.user
        if denied is None and user is not None and permission and permission not in user.permissions:
            denied = self._forbidden()
        return denied

    def _rate_limit(self, ex: Exchange) -> Response | None:
        if ex.limited:  # counted once per request, whichever order the pipeline has
            return None
        ex.limited = True
        with self._stats_lock:
            self._counted[ex.route] = self._counted.get(ex.route, 0) + 1
        if self.limiter is None:
            return None
        if ex.user is not None and "api-bypass-rate-limit" in ex.user.permissions:
            return None
        verdict = self.limiter.hit(ex.request.client_ip, ex.route)
        ex.extra_headers.extend(verdict.headers())
        if verdict.allowed:
            return None
        return Response(429, bodies.too_many_requests(verdict.wait_seconds), case="rate-limited")

    @staticmethod
    def _json_body(ex: Exchange) -> tuple[Any, Response | None]:
        raw = ex.request.body or b"{}"
        try:
            return json.loads(raw), None
        except ValueError:
            return None, Response(400, bodies.failure("Invalid JSON body"), case="bad-body")

    @staticmethod
    def _invalid(message: str) -> Response:
        return Response(400, bodies.invalid_params(message), case="invalid-params")

    @staticmethod
    def _ok(**fields: Any) -> Response:
        return Response(200, bodies.success(**fields), case="ok")

    # GET /api/v1/livechat/visitors.info ----------------------------------------

    def visitors_info(self, ex: Exchange) -> Response:
        hook = self._hook
        denied = self._authenticate(ex, hooks=True)
        if denied is not None:
            return denied
        limited = self._rate_limit(ex) if self.limiter_first else None
        if limited is not None:
            return limited
        holds = ex.user is not None and "view-l-room" in ex.user.permissions
        if not hook(HookPoint.PERMITTED, ex, holds):
            return self._forbidden()
        try:
            limits = self.profile.query_limits  # the same router brought both
            text = query.router_query(ex.request.query) if limits else ex.request.query
            params = query.parse(text, limits)
        except query.QueryError as error:
            # Written by the router's middleware: no cache headers
            # (docs/rocketchat-behaviour.md#cache-headers).
            return Response(400, bodies.failure(str(error)), case=INVALID_QUERY_CASE)
        ex.params = hook(HookPoint.PARSE, ex, params)
        limited = self._rate_limit(ex)
        if limited is not None:
            return limited
        message = validate.first_error(
            validate.VISITORS_INFO, ex.params, coerce_arrays=self.profile.array_coercion
        )
        message = hook(HookPoint.VALIDATE, ex, message)
        if message is not None:
            return self._invalid(message)
        visitor_id = ex.params.get("visitorId")
        visitor = self.state.enabled_visitor(visitor_id) if isinstance(visitor_id, str) else None
        visitor = hook(HookPoint.LOOKUP, ex, visitor)
        if visitor is None:
            return Response(400, bodies.failure("visitor-not-found"), case="not-found")
        ex.visitor = visitor
        if self.profile.token_excluded:
            out = {k: v for k, v in visitor.items() if k != "token"}
        else:
            out = dict(visitor)
        return self._ok(visitor=hook(HookPoint.VIEW, ex, out))

    # GET /api/info -------------------------------------------------------------

    def info(self, ex: Exchange) -> Response:
        headers = ex.request.headers
        user = self.state.authenticate(headers.get("X-User-Id"), headers.get("X-Auth-Token"))
        if user is not None and "view-statistics" in user.permissions:
            full = self.profile.version
            details = {
                "version": full,
                "build": BUILD_INFO,
                "marketplaceApiVersion": MARKETPLACE_API_VERSION,
            }
            return self._ok(version=full, info=details)
        return self._ok(version=self.profile.short_version)

    # GET /api/docs/json -------------------------------------------------------

    def docs(self, ex: Exchange) -> Response:
        """The server's own OpenAPI document (default/openApi.ts): no auth; the query is
        `withUndocumented` (a boolean) and nothing else. visitors.info is documented as the
        bundled contract does, or, with the document-drift variant, as Rocket.Chat's code
        writes a legacy route: listed only with withUndocumented=true."""
        from . import docs

        try:
            params = query.parse(query.router_query(ex.request.query), True)
        except query.QueryError as error:
            return Response(400, bodies.failure(str(error)), case=INVALID_QUERY_CASE)
        undocumented = params.get("withUndocumented", "false")
        if set(params) - {"withUndocumented"}:
            return self._invalid("must NOT have additional properties")
        if undocumented not in ("true", "false"):
            return self._invalid("must be boolean")
        document = docs.document(self.profile, self.docs_form, ex.request, undocumented == "true")
        return self._ok(**document)

    def _json_call(
        self, ex: Exchange, permission: str | None = None, schema: Any = None
    ) -> tuple[Any, Response | None]:
        """The pipeline of a JSON POST: auth and permission (unless ``permission`` is None),
        limiter, JSON body, then validation against ``schema`` when one is given."""
        denied = self._require(ex, permission) if permission is not None else None
        denied = denied or self._rate_limit(ex)
        if denied is not None:
            return {}, denied
        data, bad = self._json_body(ex)
        if bad is not None:
            return {}, bad
        message = validate.first_error(schema, data) if schema is not None else None
        if message is not None:
            return {}, self._invalid(message)
        return data, None

    # session -------------------------------------------------------------------

    def login(self, ex: Exchange) -> Response:
        data, refused = self._json_call(ex)
        if refused is not None:
            return refused
        name = (data.get("user") or data.get("username")) if isinstance(data, dict) else None
        password = data.get("password") if isinstance(data, dict) else None
        if isinstance(name, dict):  # {"user": {"username": ...}} is also accepted upstream
            name = name.get("username") or name.get("email")
        result = (
            self.state.login(name, password)
            if isinstance(name, str) and isinstance(password, str)
            else None
        )
        if result is None:
            return Response(401, dict(bodies.LOGIN_FAILED), case="login-failed")
        user, token = result
        data_out = {"userId": user._id, "authToken": token, "me": self._me(user)}
        return Response(200, {"status": "success", "data": data_out}, case="ok")

    @staticmethod
    def _me(user: User) -> dict[str, Any]:
        me = user.public()
        me["email"] = user.email
        return me

    def me(self, ex: Exchange) -> Response:
        denied = self._require(ex, "") or self._rate_limit(ex)
        if denied is not None:
            return denied
        return self._ok(**self._me(cast(User, ex.user)))  # set by _require

    def logout(self, ex: Exchange) -> Response:
        denied = self._require(ex, "") or self._rate_limit(ex)
        if denied is not None:
            return denied
        self.state.logout(ex.request.headers.get("X-Auth-Token", ""))
        body = {"status": "success", "data": {"message": "You've been logged out!"}}
        return Response(200, body, case="ok")

    # livechat visitors -----------------------------------------------------------

    def register_visitor(self, ex: Exchange) -> Response:
        data, refused = self._json_call(ex, schema=validate.REGISTER_VISITOR)
        if refused is not None:
            return refused
        fields = data["visitor"]
        if not fields["token"].strip():
            body = bodies.meteor_error("error-invalid-token", "Token cannot be empty")
            return Response(400, body, case="invalid-token")
        visitor = self.state.register_visitor(
            token=fields["token"],
            name=fields.get("name"),
            email=fields.get("email"),
            phone=fields.get("phone"),
            department=fields.get("department"),
        )
        return self._ok(visitor=self._hook(HookPoint.REGISTERED, ex, visitor))

    @staticmethod
    def _invalid_token() -> Response:
        return Response(400, bodies.meteor_error("invalid-token"), case="invalid-token")

    def get_visitor(self, ex: Exchange) -> Response:
        limited = self._rate_limit(ex)
        if limited is not None:
            return limited
        visitor = self.state.visitor_by_token(ex.path_arg)
        return self._invalid_token() if visitor is None else self._ok(visitor=visitor)

    def remove_visitor(self, ex: Exchange) -> Response:
        limited = self._rate_limit(ex)
        if limited is not None:
            return limited
        removed = self.state.remove_visitor(ex.path_arg)
        if removed is None:
            return self._invalid_token()
        return self._ok(visitor={"_id": removed["_id"], "ts": iso_now()})

    # users -------------------------------------------------------------------------

    @staticmethod
    def _refused(error: StateError) -> Response:
        return Response(
            400, bodies.meteor_error(error.code, error.reason, error.details), case=error.code
        )

    def users_create(self, ex: Exchange) -> Response:
        data, refused = self._json_call(ex, "create-user", validate.USERS_CREATE)
        if refused is not None:
            return refused
        try:
            user = self.state.create_user(
                username=data["username"],
                name=data["name"],
                email=data["email"],
                password=data["password"],
                roles=data.get("roles"),
                verified=bool(data.get("verified", False)),
            )
        except StateError as error:
            return self._refused(error)
        return self._ok(user=user.public())

    def users_info(self, ex: Exchange) -> Response:
        denied = self._require(ex, "") or self._rate_limit(ex)
        if denied is not None:
            return denied
        params = query.parse(ex.request.query)
        user_id, username = params.get("userId"), params.get("username")
        if not isinstance(user_id, str) and not isinstance(username, str):
            return self._invalid("must have required property 'userId'")
        user = (
            self.state.user(user_id)
            if isinstance(user_id, str)
            else self.state.user_by_name(str(username))
        )
        if user is None:
            # users.info words this one without the "[code]" suffix.
            body = {"success": False, "error": "User not found.", "errorType": "error-invalid-user"}
            return Response(400, body, case="error-invalid-user")
        return self._ok(user=user.public())

    def users_delete(self, ex: Exchange) -> Response:
        data, refused = self._json_call(ex, "delete-user", validate.USERS_DELETE)
        if refused is not None:
            return refused
        try:
            self.state.delete_user(data["userId"])
        except StateError as error:
            return self._refused(error)
        return Response(200, {"success": True}, case="ok")

    # /_reference/: introspection for the suite's own tests ------------------------

    def stats(self) -> dict[str, Any]:
        with self._stats_lock:
            by_route = dict(self._by_route)
            counted = dict(self._counted)
        return {"requests": sum(by_route.values()), "by_route": by_route, "counted": counted}

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._by_route.clear()
            self._counted.clear()

    def _introspect(self, request: Request) -> Response:
        try:
            loopback = ipaddress.ip_address(request.client_ip).is_loopback
        except ValueError:
            loopback = False
        key = f"{request.method} {request.path}"
        if loopback and key == "GET /_reference/stats":
            return Response(200, self.stats())
        if loopback and key == "POST /_reference/stats/reset":
            self.reset_stats()
            return Response(200, {"success": True})
        if loopback and key == "GET /_reference/objects":
            return Response(200, self.state.objects())
        return Response(404, dict(bodies.NOT_FOUND_ROUTE), case="no-route")
