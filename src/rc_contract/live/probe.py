"""Log in and find out which Rocket.Chat version the target runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from rc_contract.configuration.settings import Credentials
from rc_contract.live.reference_process import TargetError
from rc_contract.live.session import RCSession
from rc_contract.versions import RCVersion, VersionError


@dataclass(frozen=True)
class DetectedVersion:
    version: RCVersion
    source: str


def _json_or_fail(response: requests.Response, what: str) -> dict[str, Any]:
    content_type = response.headers.get("Content-Type", "")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise TargetError(
            f"{what} answered {response.status_code} {content_type or 'without a content type'}, "
            "not Rocket.Chat JSON: is RC_URL the base URL of a Rocket.Chat server?"
        )
    return body


def login(session: RCSession, credentials: Credentials, setting_names: str) -> dict[str, str]:
    """Auth headers for the account: a password login, or a personal access token as given."""
    if credentials.user_id and credentials.auth_token:
        return {"X-User-Id": credentials.user_id, "X-Auth-Token": credentials.auth_token}
    response = session.post(
        "/api/v1/login", json={"user": credentials.user, "password": credentials.password}
    )
    if response.status_code == 404:
        _json_or_fail(response, "POST /api/v1/login")
        raise TargetError(
            "POST /api/v1/login answered 404: is RC_URL the base URL of a Rocket.Chat server?"
        )
    body = _json_or_fail(response, "POST /api/v1/login")
    if response.status_code == 401 or body.get("status") == "error":
        raise TargetError(
            f"the server refused the credentials of {setting_names} (401); check the "
            "username and password"
        )
    data = body.get("data") or {}
    if response.status_code != 200 or not data.get("authToken"):
        raise TargetError(f"POST /api/v1/login answered {response.status_code} without a token")
    return {"X-User-Id": str(data["userId"]), "X-Auth-Token": str(data["authToken"])}


def logout(session: RCSession, headers: dict[str, str]) -> None:
    session.post("/api/v1/logout", headers=headers)


def detect_version(session: RCSession, headers: dict[str, str]) -> DetectedVersion:
    """``GET /api/info`` with the logged-in account (docs/rocketchat-behaviour.md#server-version).

    Accounts holding view-statistics see the full version (``8.5.2``, ``9.0.0-rc.3``);
    others see ``MAJOR.MINOR``, which stands for any release of that line.
    """
    response = session.get("/api/info", headers=headers)
    body = _json_or_fail(response, "GET /api/info")
    text = body.get("version")
    if response.status_code != 200 or not isinstance(text, str):
        raise TargetError(
            f"GET /api/info answered {response.status_code} without a version: is RC_URL a "
            "Rocket.Chat server? (or set RC_SERVER_VERSION)"
        )
    try:
        version = RCVersion.parse(text)
    except VersionError:
        raise TargetError(
            f"GET /api/info reported version {text!r}, which is not a Rocket.Chat version "
            "(MAJOR.MINOR[.PATCH][-PRERELEASE]); set RC_SERVER_VERSION"
        ) from None
    source = "GET /api/info"
    if not version.exact:
        source += (
            f" (major.minor only: any {version} release or release candidate; grant "
            "view-statistics or set RC_SERVER_VERSION for the exact version)"
        )
    return DetectedVersion(version, source)
