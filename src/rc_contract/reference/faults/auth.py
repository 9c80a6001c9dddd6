"""Faults of authentication and permission (VI-AUTH-401, VI-PERM-403)."""

from __future__ import annotations

from .. import bodies
from ..hooks import HookPoint
from ..state import User
from ..wire import Exchange, Response
from .builders import _body, _on, _status
from .registry import fault


def _header(ex: Exchange, name: str) -> str | None:
    return ex.request.headers.get(name) or None


def _other_version_401(ex: Exchange, resp: Response) -> Response:
    resp.body = bodies.unauthorized(short=not ex.profile.short_401)
    return resp


_NO_PERIOD = bodies.LOGGED_OUT.rstrip(".")


def _401_text(ex: Exchange, resp: Response) -> Response:
    resp.body = {k: (_NO_PERIOD if v == bodies.LOGGED_OUT else v) for k, v in resp.body.items()}
    return resp


def _caller_token_header(ex: Exchange, resp: Response) -> Response:
    """A debugging header echoing the caller's own X-Auth-Token on a refusal."""
    token = ex.request.headers.get("X-Auth-Token")
    if token:
        resp.headers.append(("X-Debug-Auth", token))
    return resp


# -- VI-AUTH-401 -------------------------------------------------------------------------

@fault("auth-one-header-accepted", HookPoint.AUTHENTICATE, clauses=["VI-AUTH-401"],
       description="A request carrying only X-User-Id or only X-Auth-Token (valid) is served.")
def _one_header(ex: Exchange, user: User | None) -> User | None:
    if user is not None:
        return user
    user_id, token = _header(ex, "X-User-Id"), _header(ex, "X-Auth-Token")
    if user_id and not token:
        return ex.state.user(user_id)
    if token and not user_id:
        return ex.state.user_for_token(token)
    return None


@fault("auth-wrong-token-accepted", HookPoint.AUTHENTICATE, clauses=["VI-AUTH-401"],
       description="A valid X-User-Id with any non-empty X-Auth-Token is served as that user.")
def _wrong_token(ex: Exchange, user: User | None) -> User | None:
    if user is None and _header(ex, "X-Auth-Token"):
        return ex.state.user(_header(ex, "X-User-Id"))
    return user


@fault("auth-wrong-user-accepted", HookPoint.AUTHENTICATE, clauses=["VI-AUTH-401"],
       description="A valid X-Auth-Token with any non-empty X-User-Id is served as the token's owner.")
def _wrong_user(ex: Exchange, user: User | None) -> User | None:
    if user is None and _header(ex, "X-User-Id"):
        return ex.state.user_for_token(_header(ex, "X-Auth-Token"))
    return user


# Proved on 8.5: there the 9.0 body lacks the promised `status`/`message`. On 9.0 the
# 8.x body is legitimate (TEST_MODE keeps it; the docs' 401 schema names both keys):
# see variant_behaviours.py, test-mode-8x-401-body.
fault("auth-401-other-version-body", HookPoint.RESPONSE, _on("unauthorized", _other_version_401),
      clauses=["VI-AUTH-401"], version="8.5.0",
      description="The 401 body is the other version's (8.x body on 9.0, 9.0 body on 8.x).")

fault("auth-401-no-success", HookPoint.RESPONSE, _on("unauthorized", _body(success=None)),
      clauses=["VI-AUTH-401"],
      description="The 401 body lacks `success`.")

fault("auth-401-text-changed", HookPoint.RESPONSE, _on("unauthorized", _401_text), clauses=["VI-AUTH-401"],
      description='The 401 text loses its final period ("You must be logged in to do this").')

fault("auth-status-403", HookPoint.RESPONSE, _on("unauthorized", _status(403)), clauses=["VI-AUTH-401"],
      description="Unauthenticated requests answer 403 (with the 401 body).")


# -- VI-PERM-403 -------------------------------------------------------------------------

@fault("perm-user-role-granted", HookPoint.PERMITTED, clauses=["VI-PERM-403"],
       description="The plain `user` role holds view-l-room; a user without it is served.")
def _user_role_granted(ex: Exchange, permitted: bool) -> bool:
    return permitted or (ex.user is not None and "user" in ex.user.roles)


fault("perm-403-text-changed", HookPoint.RESPONSE, _on("forbidden", _body(error="unauthorized")),
      clauses=["VI-PERM-403"],
      description='The 403 error is "unauthorized" instead of the error-unauthorized text.')

fault("perm-403-success-true", HookPoint.RESPONSE, _on("forbidden", _body(success=True)),
      clauses=["VI-PERM-403"],
      description="The 403 body says `success` true.")

fault("perm-403-no-success", HookPoint.RESPONSE, _on("forbidden", _body(success=None)),
      clauses=["VI-PERM-403"],
      description="The 403 body lacks `success`.")

fault("perm-status-401", HookPoint.RESPONSE, _on("forbidden", _status(401)), clauses=["VI-PERM-403"],
      description="A logged-in user without view-l-room gets status 401 (403 body).")


@fault("perm-manager-role-required", HookPoint.PERMITTED, clauses=["VI-PERM-403"],
       description="view-l-room is not enough; an account without an admin or livechat-manager role (a "
                   "livechat-agent) gets the documented 403.")
def _manager_role_required(ex: Exchange, permitted: bool) -> bool:
    """view-l-room is not enough: the server also wants an admin or manager role."""
    roles = set(ex.user.roles) if ex.user is not None else set()
    return permitted and bool(roles & {"admin", "livechat-manager"})


fault("perm-403-echoes-caller-token", HookPoint.RESPONSE, _on("forbidden", _caller_token_header),
      clauses=["VI-PERM-403"],
      description="A 403 carries the caller's own X-Auth-Token (the token of the user the run created) "
                  "in an `X-Debug-Auth` header.")
