"""Self-tests of the bundled reference server: it must answer as docs/rocketchat-behaviour.md says."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from rc_contract.configuration.settings import names
from rc_contract.reference import SEEDED_EXTERNAL_IDS_VISITOR_ID, ReferenceServer
from rc_contract.reference.faults import FaultSet, UnknownFaultError, catalogue, check_names
from rc_contract.reference.query import QueryError, parse
from rc_contract.reference.versions import resolve
from rc_contract.reference.wire import Headers, Request

# The historical lines, the oldest and newest line in support, and 9.0's release
# candidate (every emulated version runs the whole suite in test_suite_runs.py).
VERSIONS = ["8.3.3", "8.4.1", "8.5.5", "9.0.0-rc.3", "9.0.0"]
PASSWORD = "admin-secret"
VI = "/api/v1/livechat/visitors.info"
LOGGED_OUT = "You must be logged in to do this."
FORBIDDEN = "User does not have the permissions required for this action [error-unauthorized]"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CLAUSES = [
    "VI-AUTH-401",
    "VI-PERM-403",
    "VI-PARAM-MISSING",
    "VI-PARAM-TYPE",
    "VI-PARAM-EXTRA",
    "VI-NOT-FOUND",
    "VI-OK-SHAPE",
    "VI-TOKEN-ABSENT",
    "VI-NO-STORE",
    "VI-EXTIDS-SHAPE",
    "VI-CONTENT-TYPE",
    "VI-FUZZ",
]


@dataclass
class World:
    """A running server with the objects the tests talk about."""

    server: ReferenceServer
    url: str
    admin: dict[str, str]
    plain_user: dict[str, str]  # role `user`: no view-l-room
    visitor: dict[str, Any]  # registered, with token
    removed_id: str

    def get(self, query: str = "", headers: dict[str, str] | None = None) -> requests.Response:
        sep = "?" if query else ""
        return requests.get(f"{self.url}{VI}{sep}{query}", headers=headers, timeout=10)


def login(url: str, user: str, password: str) -> dict[str, str]:
    answer = requests.post(f"{url}/api/v1/login", json={"user": user, "password": password})
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    return {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}


def register(url: str, token: str, **fields: str) -> dict[str, Any]:
    answer = requests.post(
        f"{url}/api/v1/livechat/visitor", json={"visitor": {"token": token, **fields}}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["visitor"]


def create_user(url: str, admin: dict[str, str], username: str, roles: list[str]) -> dict[str, Any]:
    body = {
        "email": f"{username}@example.org",
        "name": username.title(),
        "password": "pw-" + username,
        "username": username,
        "roles": roles,
    }
    answer = requests.post(f"{url}/api/v1/users.create", json=body, headers=admin)
    assert answer.status_code == 200, answer.text
    return answer.json()["user"]


def build_world(server: ReferenceServer) -> World:
    url = server.url
    admin = login(url, "admin", PASSWORD)
    create_user(url, admin, "plain", ["user"])
    visitor = register(
        url,
        "tok-known-1",
        name="Known Visitor Name",
        email="Known@Example.ORG",
        phone="+15550001111",
        department="dep1",
    )
    removed = register(url, "tok-removed-1", name="Removed Visitor")
    assert requests.delete(f"{url}/api/v1/livechat/visitor/tok-removed-1").status_code == 200
    return World(server, url, admin, login(url, "plain", "pw-plain"), visitor, removed["_id"])


@pytest.fixture(scope="module", params=VERSIONS)
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    with ReferenceServer(version=request.param, admin_password=PASSWORD) as server:
        yield build_world(server)


@pytest.fixture(scope="module")
def world90() -> Iterator[World]:
    with ReferenceServer(version="9.0.0", admin_password=PASSWORD) as server:
        yield build_world(server)


# -- versions and query parsing ------------------------------------------------


@pytest.mark.parametrize(
    ("given", "full"),
    [
        ("8.3", "8.3.3"),
        ("8.4", "8.4.1"),
        ("8.5", "8.5.5"),
        ("8.6", "8.6.4"),
        ("8.7", "8.7.1"),
        ("8.8", "8.8.2"),
        ("8.9", "8.9.0"),
        ("9.0", "9.0.0"),
        ("8.3.0", "8.3.0"),
        ("8.4.4", "8.4.4"),
        ("9.0.0-rc.3", "9.0.0-rc.3"),
        ("9.0.0", "9.0.0"),
    ],
)
def test_versions_resolve(given: str, full: str) -> None:
    assert resolve(given).version == full


@pytest.mark.parametrize(
    "bad", ["8.2.4", "9.1.0", "9.0.1", "8.4.7", "9.0.0-rc.9", "9.1.0-rc.6", "8", "latest", "", "8.5.x"]
)
def test_unsupported_versions_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="supported"):
        ReferenceServer(version=bad)


def test_version_behaviours() -> None:
    assert [resolve(v).token_excluded for v in VERSIONS] == [False, False, True, True, True]
    assert [resolve(v).external_ids for v in VERSIONS] == [False, True, True, True, True]
    # shouldBreakInVersion('9.0.0') is semver: release candidates keep the 8.x body.
    assert [resolve(v).short_401 for v in VERSIONS] == [False, False, False, False, True]
    assert [resolve(v).forbidden_error_type for v in VERSIONS] == [False, False, False, True, True]
    assert [resolve(v).array_coercion for v in VERSIONS] == [False, True, True, True, True]
    # The token on 8.3.4+ and 8.4.2+ is unknown; the emulator takes the likely answer.
    assert resolve("8.4.4").token_excluded and resolve("8.3.8").token_excluded
    assert not resolve("8.4.1").token_excluded


@pytest.mark.parametrize(
    ("query", "parsed"),
    [
        ("visitorId=abc", {"visitorId": "abc"}),
        ("visitorId=a&visitorId=b", {"visitorId": ["a", "b"]}),
        ("visitorId[a]=b", {"visitorId": {"a": "b"}}),
        ("visitorId[$ne]=x", {"visitorId": {"$ne": "x"}}),
        ("visitorId[]=a", {"visitorId": ["a"]}),
        ("visitorId[0]=a", {"visitorId": ["a"]}),
        ("visitorId", {"visitorId": ""}),
        ("visitorId=a+b%2Fc", {"visitorId": "a b/c"}),
        ("visitorId%5B%5D=a", {"visitorId": ["a"]}),
        ("a[21]=x", {"a": {"21": "x"}}),
        ("toString=x&visitorId=1", {"visitorId": "1"}),
    ],
)
def test_query_parses_like_qs(query: str, parsed: dict[str, Any]) -> None:
    assert parse(query) == parsed


def test_query_limits() -> None:
    """qs with arrayLimit 500, parameterLimit 1000 and throwOnLimitExceeded (about 8.1 on)."""
    query = "&".join(["visitorId=a"] * 501)
    with pytest.raises(QueryError):
        parse(query, limits=True)
    assert len(parse(query)["visitorId"]) == 501
    assert parse("&".join(["visitorId=a"] * 500), limits=True)
    many = "&".join(f"k{i}=a" for i in range(1001))
    with pytest.raises(QueryError):
        parse(many, limits=True)
    assert len(parse(many)) == 1000  # qs's default drops what is past the limit
    assert len(parse("&".join(f"k{i}=a" for i in range(1000)), limits=True)) == 1000


# -- visitors.info: docs/rocketchat-behaviour.md#bodies, #query-strings --------------------


def invalid(message: str) -> dict[str, Any]:
    return {"success": False, "error": f"{message} [invalid-params]", "errorType": "invalid-params"}


NOT_FOUND = {"success": False, "error": "visitor-not-found"}

# (query with {known}/{removed} placeholders, status, body)
AS_ADMIN = [
    ("", 400, invalid("must have required property 'visitorId'")),
    ("foo=bar", 400, invalid("must have required property 'visitorId'")),
    ("visitorid=abc", 400, invalid("must have required property 'visitorId'")),
    ("visitorId={known}&foo=bar", 400, invalid("must NOT have additional properties")),
    ("visitorId={known}&_=1700000000", 400, invalid("must NOT have additional properties")),
    ("visitorId=a&visitorId=b", 400, invalid("must be string")),
    ("visitorId={known}&visitorId={known}", 400, invalid("must be string")),
    ("visitorId[a]=b", 400, invalid("must be string")),
    ("visitorId[$ne]=x", 400, invalid("must be string")),
    ("visitorId=invalid", 400, NOT_FOUND),
    ("visitorId=", 400, NOT_FOUND),
    ("visitorId", 400, NOT_FOUND),
    ("visitorId={removed}", 400, NOT_FOUND),
]


@pytest.mark.parametrize(("query", "status", "body"), AS_ADMIN)
def test_visitors_info_refusals(world: World, query: str, status: int, body: Any) -> None:
    query = query.format(known=world.visitor["_id"], removed=world.removed_id)
    answer = world.get(query, world.admin)
    assert (answer.status_code, answer.json()) == (status, body)
    assert list(answer.json()) == list(body)  # key order as Rocket.Chat sends it
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Pragma"] == "no-cache"


def test_known_visitor(world: World) -> None:
    answer = world.get(f"visitorId={world.visitor['_id']}", world.admin)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert list(body) == ["visitor", "success"] and body["success"] is True
    visitor = body["visitor"]
    assert visitor["_id"] == world.visitor["_id"] and re.fullmatch(r"[0-9a-f]{24}", visitor["_id"])
    assert re.fullmatch(r"guest-\d+", visitor["username"]) and visitor["status"] == "online"
    assert ISO.match(visitor["ts"]) and ISO.match(visitor["_updatedAt"])
    assert visitor["name"] == "Known Visitor Name"
    assert visitor["phone"] == [{"phoneNumber": "+15550001111"}]
    assert visitor["visitorEmails"] == [{"address": "known@example.org"}]
    assert visitor["department"] == "dep1"
    token_expected = world.server.version < "8.5"
    assert ("token" in visitor) is token_expected
    assert ("tok-known-1" in answer.text) is token_expected


def test_seeded_external_ids_visitor(world: World) -> None:
    body = world.get(f"visitorId={SEEDED_EXTERNAL_IDS_VISITOR_ID}", world.admin).json()
    visitor = body["visitor"]
    if world.server.version < "8.4":
        assert "externalIds" not in visitor
        return
    ids = visitor["externalIds"]
    assert isinstance(ids, list) and len(ids) == 2
    for item in ids:
        assert isinstance(item["appId"], str) and isinstance(item["entityId"], str)
        assert isinstance(item.get("metadata", {}), dict)
    assert ids[0]["metadata"] == {"username": "whatsapp_contact"} and "metadata" not in ids[1]


@pytest.mark.parametrize(
    "headers",
    ["none", "only-user-id", "only-token", "wrong-user-id", "wrong-token", "empty-token"],
)
def test_unauthorized(world: World, headers: str) -> None:
    admin = world.admin
    sent = {
        "none": {},
        "only-user-id": {"X-User-Id": admin["X-User-Id"]},
        "only-token": {"X-Auth-Token": admin["X-Auth-Token"]},
        "wrong-user-id": {**admin, "X-User-Id": "nobodyNobody12345"},
        "wrong-token": {**admin, "X-Auth-Token": "x" * 43},
        "empty-token": {**admin, "X-Auth-Token": ""},
    }[headers]
    answer = world.get(f"visitorId={world.visitor['_id']}", sent)
    assert answer.status_code == 401
    assert answer.headers["Content-Type"] == "application/json"
    if world.server.version == "9.0.0":  # its release candidates keep the 8.x body
        expected = {"success": False, "error": LOGGED_OUT}
    else:
        expected = {"success": False, "error": LOGGED_OUT, "status": "error", "message": LOGGED_OUT}
    assert answer.json() == expected and list(answer.json()) == list(expected)
    assert "Cache-Control" not in answer.headers


def test_forbidden(world: World) -> None:
    answer = world.get("visitorId=invalid", world.plain_user)
    assert answer.status_code == 403
    assert answer.headers["Content-Type"] == "application/json"
    expected: dict[str, Any] = {"success": False, "error": FORBIDDEN}
    if world.server.version in ("9.0.0-rc.3", "9.0.0"):  # from 9.0.0-rc.3 (PR #43214)
        expected["errorType"] = "error-forbidden"
    assert answer.json() == expected


def test_agent_role_holds_view_l_room(world: World) -> None:
    create_user(world.url, world.admin, "agent", ["livechat-agent"])
    agent = login(world.url, "agent", "pw-agent")
    assert world.get(f"visitorId={world.visitor['_id']}", agent).status_code == 200


@pytest.mark.parametrize("query", ["visitorId[]={known}", "visitorId[0]={known}"])
def test_single_item_array(world: World, query: str) -> None:
    answer = world.get(query.format(known=world.visitor["_id"]), world.admin)
    if world.server.version != "8.3.3":  # by 8.4.0 (8.1 to 8.3 unknown: not coerced here)
        assert answer.status_code == 200
        assert answer.json()["visitor"]["_id"] == world.visitor["_id"]
    else:
        assert answer.json() == invalid("must be string")


@pytest.mark.parametrize("query", ["visitorId=a&" * 500 + "visitorId=a",
                                   "visitorId=a&" + "&".join(f"k{i}=1" for i in range(1000))])
def test_too_many_values_or_parameters(world: World, query: str) -> None:
    """Refused by the router's middleware: no errorType, and no cache headers."""
    answer = world.get(query, world.admin)
    assert answer.status_code == 400
    assert answer.json() == {"success": False, "error": "Invalid query parameters"}
    assert "Cache-Control" not in answer.headers and "Pragma" not in answer.headers


def test_post_is_not_a_route(world: World) -> None:
    answer = requests.post(f"{world.url}{VI}?visitorId=x", headers=world.admin)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json()["success"] is False


# -- /api/info (docs/rocketchat-behaviour.md#server-version) -------------------------------------------------


def test_api_info(world: World) -> None:
    version = world.server.version
    anonymous = requests.get(f"{world.url}/api/info")
    # 9.0.0-rc.3 says "9.0" too (docs/rocketchat-behaviour.md#server-version)
    line = ".".join(version.split(".")[:2])
    assert anonymous.json() == {"version": line, "success": True}
    assert requests.get(f"{world.url}/api/info", headers=world.plain_user).json() == (
        anonymous.json()
    )
    full = requests.get(f"{world.url}/api/info", headers=world.admin).json()
    assert full["version"] == version and full["info"]["version"] == version
    assert full["success"] is True and list(full) == ["version", "info", "success"]


# -- set-up endpoints (docs/rocketchat-behaviour.md#set-up-endpoints) ----------------------------------------


def test_login_me_logout(world90: World) -> None:
    url = world90.url
    bad = requests.post(f"{url}/api/v1/login", json={"user": "admin", "password": "nope"})
    assert bad.status_code == 401
    assert bad.json() == {"status": "error", "error": "Unauthorized", "message": "Unauthorized"}
    answer = requests.post(f"{url}/api/v1/login", json={"username": "admin", "password": PASSWORD})
    data = answer.json()["data"]
    assert answer.json()["status"] == "success" and "admin" in data["me"]["roles"]
    assert re.fullmatch(r"[23456789A-HJ-NP-Za-km-z]{17}", data["userId"])
    assert len(data["authToken"]) == 43
    headers = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}
    me = requests.get(f"{url}/api/v1/me", headers=headers).json()
    assert me["username"] == "admin" and "admin" in me["roles"] and me["success"] is True
    out = requests.post(f"{url}/api/v1/logout", headers=headers)
    assert out.json() == {"status": "success", "data": {"message": "You've been logged out!"}}
    assert requests.get(f"{url}/api/v1/me", headers=headers).status_code == 401
    assert world90.get("visitorId=x", headers).status_code == 401


def test_register_update_read_remove_visitor(world90: World) -> None:
    url = world90.url
    first = register(url, "tok-cycle", name="Cycle One", email="Mixed@Case.Example")
    assert first["token"] == "tok-cycle" and first["visitorEmails"] == [
        {"address": "mixed@case.example"}
    ]
    assert re.fullmatch(r"[0-9a-f]{24}", first["_id"]) and ISO.match(first["ts"])
    again = register(url, "tok-cycle", name="Cycle Two")
    assert again["_id"] == first["_id"] and again["name"] == "Cycle Two"
    read = requests.get(f"{url}/api/v1/livechat/visitor/tok-cycle").json()
    assert read["success"] is True and read["visitor"]["_id"] == first["_id"]
    assert read["visitor"]["token"] == "tok-cycle"
    removed = requests.delete(f"{url}/api/v1/livechat/visitor/tok-cycle").json()
    assert list(removed) == ["visitor", "success"] and removed["visitor"]["_id"] == first["_id"]
    assert set(removed["visitor"]) == {"_id", "ts"}
    invalid_token = {"success": False, "error": "[invalid-token]", "errorType": "invalid-token"}
    assert requests.get(f"{url}/api/v1/livechat/visitor/tok-cycle").json() == invalid_token
    assert requests.delete(f"{url}/api/v1/livechat/visitor/tok-cycle").json() == invalid_token
    assert world90.get(f"visitorId={first['_id']}", world90.admin).json() == NOT_FOUND


def test_register_by_known_phone_returns_that_visitor(world90: World) -> None:
    again = register(world90.url, "tok-other-phone", name="Someone", phone="+15550001111")
    assert again["_id"] == world90.visitor["_id"]


def test_register_without_token(world90: World) -> None:
    url = f"{world90.url}/api/v1/livechat/visitor"
    missing = requests.post(url, json={"visitor": {"name": "x"}})
    assert missing.status_code == 400
    assert missing.json() == invalid("must have required property 'token'")
    empty = requests.post(url, json={"visitor": {"token": " "}})
    assert empty.status_code == 400 and empty.json()["errorType"] == "error-invalid-token"


def test_users_create_info_delete(world90: World) -> None:
    url, admin = world90.url, world90.admin
    user = create_user(url, admin, "temp", ["user"])
    assert re.fullmatch(r"\w{17}", user["_id"]) and user["roles"] == ["user"]
    info = requests.get(f"{url}/api/v1/users.info", params={"userId": user["_id"]}, headers=admin)
    assert info.json()["user"]["username"] == "temp" and info.json()["success"] is True
    body = {"email": "x@example.org", "name": "X", "password": "p", "username": "temp"}
    dup = requests.post(f"{url}/api/v1/users.create", json=body, headers=admin)
    assert dup.status_code == 400 and dup.json()["errorType"] == "error-field-unavailable"
    assert dup.json()["error"] == "temp is already in use :( [error-field-unavailable]"
    missing = requests.post(f"{url}/api/v1/users.create", json={"name": "X"}, headers=admin)
    assert missing.json() == invalid("must have required property 'email'")
    temp = login(url, "temp", "pw-temp")
    assert world90.get("visitorId=x", temp).status_code == 403
    deleted = requests.post(
        f"{url}/api/v1/users.delete",
        json={"userId": user["_id"], "confirmRelinquish": True},
        headers=admin,
    )
    assert deleted.json() == {"success": True}
    assert world90.get("visitorId=x", temp).status_code == 401  # its tokens died with it
    gone = requests.get(f"{url}/api/v1/users.info", params={"userId": user["_id"]}, headers=admin)
    assert gone.status_code == 400
    assert gone.json() == {
        "success": False,
        "error": "User not found.",
        "errorType": "error-invalid-user",
    }


def test_user_endpoints_need_permissions(world90: World) -> None:
    url, plain = world90.url, world90.plain_user
    body = {"email": "y@example.org", "name": "Y", "password": "p", "username": "y"}
    created = requests.post(f"{url}/api/v1/users.create", json=body, headers=plain)
    assert created.status_code == 403 and created.json()["error"] == FORBIDDEN
    deleted = requests.post(f"{url}/api/v1/users.delete", json={"userId": "x"}, headers=plain)
    assert deleted.status_code == 403
    assert requests.post(f"{url}/api/v1/users.create", json=body).status_code == 401


def test_introspection(world90: World) -> None:
    url = world90.url
    assert requests.post(f"{url}/_reference/stats/reset").json() == {"success": True}
    world90.get("visitorId=x", world90.admin)
    world90.get("visitorId=y", world90.admin)
    requests.get(f"{url}/api/info")
    stats = requests.get(f"{url}/_reference/stats").json()
    # "counted": what the rate limiter counts (passed auth and permission), bypass or not.
    assert stats == {"requests": 3, "by_route": {f"GET {VI}": 2, "GET /api/info": 1},
                     "counted": {f"GET {VI}": 2}}
    objects = requests.get(f"{url}/_reference/objects").json()
    assert {"_id": world90.visitor["_id"], "username": world90.visitor["username"]} in objects[
        "visitors"
    ]
    assert world90.removed_id not in json.dumps(objects)
    assert SEEDED_EXTERNAL_IDS_VISITOR_ID not in json.dumps(objects)
    assert "plain" in [u["username"] for u in objects["users"]]
    assert "admin" not in [u["username"] for u in objects["users"]]


def test_keep_alive(world90: World) -> None:
    port = int(world90.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for _ in range(3):
            connection.request("GET", f"{VI}?visitorId=x", headers=world90.admin)
            reply = connection.getresponse()
            assert reply.status == 400 and reply.getheader("Connection") is None
            assert json.loads(reply.read()) == NOT_FOUND
            sock = connection.sock
        connection.request("GET", "/api/info")
        assert connection.getresponse().read() and connection.sock is sock  # same socket
    finally:
        connection.close()


# -- rate limiter (docs/rocketchat-behaviour.md#rate-limiter) ------------------------------------------------


def test_rate_limiter() -> None:
    with ReferenceServer(
        admin_password=PASSWORD, rate_limit=True, rate_limit_calls=3, rate_limit_window_ms=600_000
    ) as server:
        url = server.url
        admin = login(url, "admin", PASSWORD)
        create_user(url, admin, "agent", ["livechat-agent"])
        agent = login(url, "agent", "pw-agent")
        before_ms = time.time() * 1000
        answers = [requests.get(f"{url}{VI}?visitorId=x", headers=agent) for _ in range(4)]
        assert [a.status_code for a in answers] == [400, 400, 400, 429]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert {a.headers["X-RateLimit-Limit"] for a in answers} == {"3"}
        assert int(answers[0].headers["X-RateLimit-Reset"]) > before_ms
        assert "Retry-After" not in answers[3].headers
        error = answers[3].json()["error"]
        assert re.fullmatch(
            r"Error, too many requests\. Please slow down\. You must wait \d+ seconds before "
            r"trying this endpoint again\. \[error-too-many-requests\]",
            error,
        )
        assert answers[3].json() == {"success": False, "error": error}
        assert answers[3].headers["Cache-Control"] == "no-store"
        # 401 and 403 come before the limiter; admins bypass it and get no headers.
        assert requests.get(f"{url}{VI}?visitorId=x").status_code == 401
        for _ in range(5):
            ok = requests.get(f"{url}{VI}?visitorId=x", headers=admin)
            assert ok.status_code == 400 and "X-RateLimit-Limit" not in ok.headers
        assert requests.get(f"{url}/api/info").headers.get("X-RateLimit-Limit") is None
        # The registration route has its own limit of 5.
        codes = [
            requests.post(f"{url}/api/v1/livechat/visitor", json={"visitor": {"token": f"t{i}"}})
            for i in range(6)
        ]
        assert [c.status_code for c in codes] == [200] * 5 + [429]
        assert codes[0].headers["X-RateLimit-Limit"] == "5"


def test_rate_limit_window_resets() -> None:
    with ReferenceServer(rate_limit=True, rate_limit_calls=1, rate_limit_window_ms=200) as server:
        url = f"{server.url}/api/v1/livechat/visitor/unknown"
        assert requests.get(url).status_code == 400
        assert requests.get(url).status_code == 429
        time.sleep(0.3)
        assert requests.get(url).status_code == 400


def test_rate_limit_off_by_default(world90: World) -> None:
    answers = [world90.get("visitorId=x", world90.plain_user) for _ in range(12)]
    assert {a.status_code for a in answers} == {403}
    plain = [requests.get(f"{world90.url}/api/v1/livechat/visitor/x") for _ in range(12)]
    assert {a.status_code for a in plain} == {400}
    assert "X-RateLimit-Limit" not in plain[-1].headers


# -- the CLI -------------------------------------------------------------------------


def read_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return proc.stdout.readline().strip()


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rc_contract.reference", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_cli_serves_and_stops_on_sigterm() -> None:
    proc = run_cli("--port", "0", "--version", "8.4")
    try:
        line = read_line(proc)
        match = re.fullmatch(
            r"Reference Rocket\.Chat 8\.4\.1 listening on (http://127\.0\.0\.1:\d+)", line
        )
        assert match, line
        url = match.group(1)
        password_line = read_line(proc)
        password = password_line.rsplit(" ", 1)[1]
        assert password_line.startswith("Admin password")
        seeded = read_line(proc)
        assert seeded == f"Seeded visitor with externalIds: {SEEDED_EXTERNAL_IDS_VISITOR_ID}"
        assert requests.get(f"{url}/api/info").json() == {"version": "8.4", "success": True}
        admin = login(url, "admin", password)
        assert requests.get(f"{url}/api/info", headers=admin).json()["version"] == "8.4.1"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "Traceback" not in err


def test_cli_sigint_and_faults_from_env() -> None:
    proc = run_cli(
        "--port",
        "0",
        "--admin-password",
        "pw",
        "--version",
        "8.3",
        env={"RC_REFERENCE_FAULTS": "info-404"},
    )
    try:
        url = read_line(proc).rsplit(" ", 1)[1]
        assert requests.get(f"{url}/api/info").status_code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "Traceback" not in err
    assert out == ""  # password given and 8.3 has no externalIds: nothing more to say


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--version", "7.0.0"], "unsupported Rocket.Chat version"),
        (["--fault", "no-such-fault"], "valid faults: auth-one-header-accepted"),
        (["--port", "not-a-port"], "is not a whole number"),
        (["--port", "70000"], "is not from 0 to 65535"),
        (["--prot", "3000"], "did you mean --port?"),
        (["--port", "BUSY"], "cannot listen on 127.0.0.1"),
    ],
)
def test_cli_bad_arguments(args: list[str], needle: str, busy_port: int) -> None:
    proc = run_cli(*[str(busy_port) if a == "BUSY" else a for a in args])
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 4 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err, err


# -- faults --------------------------------------------------------------------------


def test_each_fault_is_registered_once_with_its_hooks() -> None:
    from rc_contract.reference.faults.registry import fault as register
    from rc_contract.reference.hooks import HookPoint

    faults = catalogue()
    for registered in faults.values():
        assert registered.hooks and set(registered.hooks) <= set(HookPoint), registered.name
    with pytest.raises(ValueError, match="'ok-ts-epoch' is registered twice"):
        register("ok-ts-epoch", HookPoint.VIEW, lambda ex, out: out, clauses=["VI-OK-SHAPE"],
                 description="again")
    assert list(catalogue()) == list(faults)
    contract = [f for f in faults.values() if f.kind == "contract"]
    assert len(contract) >= 34
    for fault in faults.values():
        assert fault.kind in ("contract", "target") and fault.description
        assert set(fault.clauses) <= set(CLAUSES)
        assert bool(fault.clauses) == (fault.kind == "contract")
    for clause in CLAUSES:
        assert sum(clause in f.clauses for f in contract) >= 3, clause
    assert {
        "info-html",
        "info-404",
        "slow-visitors-info",
        "drop-visitors-info",
        "html-visitors-info",
    } <= {f.name for f in faults.values() if f.kind == "target"}


def test_unknown_faults_are_refused() -> None:
    with pytest.raises(UnknownFaultError, match=r"valid faults: .*ok-ts-epoch"):
        ReferenceServer(faults=["ok-ts-epoch", "nope"])
    # RC_REFERENCE_FAULTS as `rc-contract serve` and a run read it (one parser, in settings).
    assert check_names(names(" ok-ts-epoch, info-404 ,")) == ("ok-ts-epoch", "info-404")
    assert names(None) == ()


@pytest.fixture(scope="module")
def probe_world() -> Iterator[World]:
    with ReferenceServer(version="9.0.0", admin_password=PASSWORD) as server:
        world = build_world(server)
        # A second visitor with an address, whose data a fault may mix into the first's.
        register(server.url, "tok-other-1", name="Other Visitor", email="other@example.org")
        # A livechat-agent (view-l-room, no manager role) and a name beyond ASCII (issue 19).
        create_user(server.url, world.admin, "probeagent", ["livechat-agent"])
        _PROBE_EXTRA["agent"] = login(server.url, "probeagent", "pw-probeagent")
        _PROBE_EXTRA["rich"] = register(server.url, "tok-rich-1", name='Zoë 访客 🚀 <&"\\>')["_id"]
        yield world


_PROBE_EXTRA: dict[str, Any] = {}


def probes(w: World) -> list[tuple[str, str, dict[str, str]]]:
    """(route path, query, headers) requests that together touch every behaviour."""
    admin, known = w.admin, w.visitor["_id"]
    return [
        (VI, f"visitorId={known}", {}),
        (VI, f"visitorId={known}", {"X-User-Id": admin["X-User-Id"]}),
        (VI, f"visitorId={known}", {"X-Auth-Token": admin["X-Auth-Token"]}),
        (VI, f"visitorId={known}", {**admin, "X-Auth-Token": "y" * 43}),
        (VI, f"visitorId={known}", {**admin, "X-User-Id": "nobodyNobody12345"}),
        (VI, "visitorId=invalid", w.plain_user),
        (VI, "", admin),
        (VI, "visitorid=abc", admin),
        (VI, "visitorId=a&visitorId=b", admin),
        (VI, f"visitorId={known}&visitorId={known}", admin),
        (VI, "visitorId[$ne]=x", admin),
        (VI, f"visitorId={known}&foo=bar", admin),
        (VI, f"visitorId={known}&_=1700000000", admin),
        (VI, "visitorId=invalid", admin),
        (VI, "visitorId=", admin),
        (VI, f"visitorId={w.removed_id}", admin),
        (VI, f"visitorId={known}", admin),
        # Near misses of the known id: case changed, a prefix, a trailing space.
        (VI, f"visitorId={known.upper()}", admin),
        (VI, f"visitorId={known[:-1]}", admin),
        (VI, f"visitorId={known}%20", admin),
        (VI, f"visitorId={SEEDED_EXTERNAL_IDS_VISITOR_ID}", admin),
        (VI, "visitorId=" + "a" * 30, admin),
        (VI, "visitorId=%C3%BCnicode", admin),
        (VI, "visitorId=a.b%20c", admin),
        (VI, f"visitorId={known}&fields=%7B%22token%22%3A1%7D", admin),
        *([(VI, f"visitorId={known}", _PROBE_EXTRA["agent"]),
           (VI, f"visitorId={_PROBE_EXTRA['rich']}", admin)] if _PROBE_EXTRA else []),
        ("/api/info", "", {}),
        ("/api/v1/me", "", admin),
        ("/api/v1/users.info", "username=plain", admin),
    ]


def answer(w: World, path: str, query: str, headers: dict[str, str]) -> tuple[Any, ...]:
    request = Request("GET", path, query, Headers({k.lower(): v for k, v in headers.items()}))
    resp = w.server.app.handle(request)
    return (
        resp.status,
        resp.content_type,
        sorted(resp.headers),
        resp.payload(),
        resp.drop,
        bool(resp.delay),
        resp.reason,
    )


@pytest.mark.parametrize("name", list(catalogue()))
def test_each_fault_changes_an_answer(probe_world: World, name: str) -> None:
    w, app = probe_world, probe_world.server.app
    clean = [answer(w, *p) for p in probes(w)]
    app.faults = FaultSet([name])
    try:
        faulty = [answer(w, *p) for p in probes(w)]
    finally:
        app.faults = FaultSet()
    changed = [p for p, a, b in zip(probes(w), clean, faulty, strict=True) if a != b]
    assert changed, f"{name} changed no answer"
    # A fault breaks its own behaviour only: the set-up endpoints stay intact, and only
    # the info-* faults touch /api/info.
    assert all(
        path == VI or (path == "/api/info" and name.startswith("info-")) for path, _, _ in changed
    ), changed


def test_no_fault_leaks_the_token_in_clean_answers(probe_world: World) -> None:
    texts = [answer(probe_world, *p)[3] for p in probes(probe_world)]
    assert not any(b"tok-known-1" in t for t in texts)


def test_target_faults_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RC_REFERENCE_SLOW_SECONDS", "0.2")
    faults = ["info-html", "slow-visitors-info"]
    with ReferenceServer(admin_password=PASSWORD, faults=faults) as server:
        info = requests.get(f"{server.url}/api/info")
        assert info.status_code == 200 and info.headers["Content-Type"].startswith("text/html")
        assert info.text.startswith("<!DOCTYPE html>")
        slow = requests.get(f"{server.url}{VI}?visitorId=x", timeout=10)
        assert slow.status_code == 401
    with ReferenceServer(faults=["drop-visitors-info"]) as server:
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{server.url}{VI}?visitorId=x", timeout=10)
        assert requests.get(f"{server.url}/api/info").json()["success"] is True


def test_html_visitors_info_over_http() -> None:
    with ReferenceServer(faults=["html-visitors-info"]) as server:
        page = requests.get(f"{server.url}{VI}?visitorId=x")
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")


def test_fault_examples(probe_world: World) -> None:
    """Spot checks that a few faults break exactly what their names say."""
    w, app = probe_world, probe_world.server.app
    known = w.visitor["_id"]
    try:
        app.faults = FaultSet(["auth-one-header-accepted"])
        status, *_ = answer(w, VI, f"visitorId={known}", {"X-User-Id": w.admin["X-User-Id"]})
        assert status == 200
        app.faults = FaultSet(["object-id-injection"])
        _, _, _, payload, *_ = answer(w, VI, "visitorId[$ne]=x", w.admin)
        assert json.loads(payload)["visitor"]["_id"] == SEEDED_EXTERNAL_IDS_VISITOR_ID
        app.faults = FaultSet(["token-returned"])
        _, _, _, payload, *_ = answer(w, VI, f"visitorId={known}", w.admin)
        assert json.loads(payload)["visitor"]["token"] == "tok-known-1"
        app.faults = FaultSet(["token-in-error-details"])
        _, _, _, payload, *_ = answer(w, VI, f"visitorId={known}&foo=1", w.admin)
        assert b"tok-known-1" in payload
        app.faults = FaultSet(["removed-visitor-returned"])
        status, *_ = answer(w, VI, f"visitorId={w.removed_id}", w.admin)
        assert status == 200
        app.faults = FaultSet(["ctype-missing-on-403"])
        status, content_type, *_ = answer(w, VI, "visitorId=x", w.plain_user)
        assert (status, content_type) == (403, None)
    finally:
        app.faults = FaultSet()
