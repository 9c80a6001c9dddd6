"""Rocket.Chat's answer bodies, key order included, per emulated version."""

from __future__ import annotations

from typing import Any

from .versions import Profile

LOGGED_OUT = "You must be logged in to do this."
FORBIDDEN = "User does not have the permissions required for this action [error-unauthorized]"
TOO_MANY = (
    "Error, too many requests. Please slow down. You must wait {seconds} seconds "
    "before trying this endpoint again. [error-too-many-requests]"
)


def unauthorized(short: bool) -> dict[str, Any]:
    """401: 9.0 dropped the `status`/`message` pair 8.x still sent."""
    if short:
        return {"success": False, "error": LOGGED_OUT}
    return {"success": False, "error": LOGGED_OUT, "status": "error", "message": LOGGED_OUT}


def forbidden(profile: Profile) -> dict[str, Any]:
    body: dict[str, Any] = {"success": False, "error": FORBIDDEN}
    if profile.forbidden_error_type:
        body["errorType"] = "error-forbidden"
    return body


def meteor_error(
    code: str, reason: str = "", details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A Meteor.Error as API.v1.failure renders it: `reason [code]` plus errorType."""
    body: dict[str, Any] = {
        "success": False,
        "error": f"{reason} [{code}]" if reason else f"[{code}]",
        "errorType": code,
    }
    if details is not None:
        body["details"] = details
    return body


def invalid_params(message: str) -> dict[str, Any]:
    return meteor_error("invalid-params", message)


def failure(error: str) -> dict[str, Any]:
    """API.v1.failure with a plain string (no errorType)."""
    return {"success": False, "error": error}


def too_many_requests(seconds: int) -> dict[str, Any]:
    return failure(TOO_MANY.format(seconds=seconds))


def success(**fields: Any) -> dict[str, Any]:
    return {**fields, "success": True}


NOT_FOUND_ROUTE: dict[str, Any] = {"success": False, "error": "Not found"}
INTERNAL_ERROR: dict[str, Any] = {"success": False, "error": "Internal server error"}
LOGIN_FAILED: dict[str, Any] = {
    "status": "error",
    "error": "Unauthorized",
    "message": "Unauthorized",
}
