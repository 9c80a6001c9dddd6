"""Objects a run creates on the server: visitors, an unprivileged user and a livechat-agent.

Each is written to the ledger before it is created and removed at the end of
the run, failed or not. Only the endpoints of docs/rocketchat-behaviour.md#set-up-endpoints
are called; no setting, role or permission is ever changed.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from rc_contract.live.interrupts import CleanupStopped
from rc_contract.live.redact import Redactor
from rc_contract.live.session import RCSession, TransportError, json_object
from rc_contract.objects.ledger import (
    CREATED,
    PLANNED,
    REMOVED,
    Ledger,
    LedgerEntry,
    account_check,
    visitor_token,
)

VISITOR_PATH = "/api/v1/livechat/visitor"


class SetupError(Exception):
    """An object the run needs could not be created (the run cannot start)."""


@dataclass
class Visitor:
    label: str
    token: str = field(repr=False)
    name: str
    email: str
    phone: str
    id: str = ""
    username: str = ""
    registered: dict[str, Any] = field(default_factory=dict, repr=False)
    removed: bool = False


@dataclass
class User:
    label: str
    username: str
    password: str = field(repr=False)
    id: str = ""
    created_by_run: bool = True
    removed: bool = False


# Registered data beyond ASCII, on a visitor the run registers anyway (registration is
# limited to 5 a minute): accents, non-Latin scripts, an emoji, and characters special
# in HTML and JSON; it must come back byte for byte. The other visitors stay plain ASCII.
# The address's local part keeps to what Rocket.Chat's address check accepts (no `<`,
# `"` or `\` unquoted); its upper-case letters show the lower-casing.
BEYOND_ASCII = {
    "b": (' Zoë Ñandú 访客 Гость 🚀 <b>&amp; "q" \\', ".Zoë-Ñandú.访客.Гость.🚀&"),
}


def _digits(seed: str, count: int) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:count]


class RunObjects:
    def __init__(
        self,
        session: RCSession,
        auth_headers: dict[str, str],
        ledger: Ledger,
        redactor: Redactor,
        run_id: str,
        account_secret: str,
    ) -> None:
        self.session = session
        self.auth_headers = auth_headers
        self.ledger = ledger
        self.redactor = redactor
        self.run_id = run_id
        self.account_secret = account_secret
        self.visitors: list[Visitor] = []
        self.users: list[User] = []
        self._lock = threading.Lock()

    def _entry(self, kind: str, label: str, state: str, **extra: str | None) -> LedgerEntry:
        return LedgerEntry(self.run_id, self.session.base_url, kind, label, state, **extra)

    def register_visitor(self, label: str) -> Visitor:
        """Register a visitor with name, email and phone (unique to the run) and record it."""
        token = visitor_token(self.account_secret, self.run_id, label)
        tag = f"{self.run_id}-{label}"
        name_extra, email_extra = BEYOND_ASCII.get(label, ("", ""))
        visitor = Visitor(
            label=label,
            token=token,
            name=f"RC Contract {tag}{name_extra}",
            # Mixed case on purpose: Rocket.Chat stores addresses lower-cased.
            email=f"RC-Contract.{tag}{email_extra}@Example.com",
            phone="+1555" + _digits(tag, 7),
        )
        self.redactor.add(visitor.token, visitor.name, visitor.email, visitor.phone)
        # Known to the clean-up before the ledger line, the ledger line before the
        # request: an interrupt at any point leaves the object removable.
        with self._lock:
            self.visitors.append(visitor)
        self.ledger.write(self._entry("visitor", label, PLANNED,
                                      account_check=account_check(self.account_secret, self.run_id)))
        payload = {"visitor": {"token": token, "name": visitor.name, "email": visitor.email,
                               "phone": visitor.phone}}
        response = self.session.post(VISITOR_PATH, json=payload)
        body = json_object(response)
        if label in BEYOND_ASCII and response.status_code == 400:
            # Registration is not the endpoint under test: say what it refused, not "disabled".
            raise SetupError(
                f"registering visitor {label}, whose name and address go beyond ASCII (accents, "
                f"other scripts, an emoji), answered 400 ({body.get('error', 'no error text')}); "
                "the server's address check refuses it: please report it with the suite's version"
            )
        if response.status_code != 200 or not isinstance(body.get("visitor"), dict):
            raise SetupError(
                f"registering a visitor (POST {VISITOR_PATH}) answered {response.status_code}; "
                "is Omnichannel (Livechat) enabled on the server?"
            )
        visitor.registered = body["visitor"]
        visitor.id = str(body["visitor"].get("_id", ""))
        visitor.username = str(body["visitor"].get("username", ""))
        self.ledger.write(self._entry("visitor", label, CREATED, object_id=visitor.id))
        return visitor

    def remove_visitor(self, visitor: Visitor) -> None:
        if visitor.removed:
            return
        response = self.session.delete(f"{VISITOR_PATH}/{visitor.token}")
        # 400 invalid-token: already gone (removed by an earlier attempt).
        if response.status_code in (200, 400):
            visitor.removed = True
            self.ledger.write(self._entry("visitor", visitor.label, REMOVED))

    def create_user(self, label: str, roles: tuple[str, ...] = ("user",)) -> User:
        """A user with ``roles``: the plain ``user`` role lacks view-l-room, ``livechat-agent``
        holds it and nothing more the suite needs."""
        username = f"rcct-{self.run_id}-{label}".lower()
        user = User(label=label, username=username, password=secrets.token_urlsafe(18))
        self.redactor.add(user.password)
        with self._lock:
            self.users.append(user)
        self.ledger.write(self._entry("user", label, PLANNED, username=username))
        response = self.session.post(
            "/api/v1/users.create",
            headers=self.auth_headers,
            json={
                "email": f"{username}@example.invalid",
                "name": f"RC Contract {self.run_id} {label}",
                "password": user.password,
                "username": username,
                "roles": list(roles),
                "verified": False,
            },
        )
        body = json_object(response)
        if response.status_code == 403:
            if roles != ("user",):
                raise SetupError(f"the account may not create a user with the role(s) "
                                 f"{', '.join(roles)} (users.create answered 403)")
            raise SetupError(
                "the account lacks create-user, needed to create a user without view-l-room; "
                "grant it, or set RC_UNPRIVILEGED_USER and RC_UNPRIVILEGED_PASSWORD"
            )
        if response.status_code != 200 or not isinstance(body.get("user"), dict):
            raise SetupError(
                f"creating a user (POST /api/v1/users.create) answered {response.status_code}: "
                f"{self.redactor.text(str(body.get('error', '')))}"
            )
        user.id = str(body["user"]["_id"])
        self.ledger.write(self._entry("user", label, CREATED, object_id=user.id, username=username))
        return user

    def delete_user(self, user: User) -> None:
        if user.removed or not user.created_by_run:
            return
        if not user.id:
            # Planned but the creation answer was lost: find it by name.
            response = self.session.get(
                "/api/v1/users.info", params={"username": user.username}, headers=self.auth_headers
            )
            found = json_object(response).get("user")
            if response.status_code != 200 or not isinstance(found, dict):
                user.removed = True  # never created
                self.ledger.write(self._entry("user", user.label, REMOVED))
                return
            user.id = str(found["_id"])
        response = self.session.post(
            "/api/v1/users.delete",
            headers=self.auth_headers,
            json={"userId": user.id, "confirmRelinquish": True},
        )
        if response.status_code == 200:
            user.removed = True
            self.ledger.write(self._entry("user", user.label, REMOVED))

    def cleanup(self) -> list[str]:
        """Remove everything this run created; return what could not be removed.

        A second signal (``CleanupStopped``) ends it at once: what is left stays in
        the ledger for ``rc-contract sweep``.
        """
        problems = []
        try:
            for visitor in list(self.visitors):
                try:
                    self.remove_visitor(visitor)
                except TransportError as exc:
                    problems.append(f"visitor {visitor.label}: {exc}")
                if not visitor.removed:
                    problems.append(f"visitor {visitor.label} ({visitor.id}) could not be removed")
            for user in list(self.users):
                try:
                    self.delete_user(user)
                except TransportError as exc:
                    problems.append(f"user {user.username}: {exc}")
                if user.created_by_run and not user.removed:
                    problems.append(f"user {user.username} could not be deleted")
        except CleanupStopped:
            problems.append("a second signal stopped the clean-up")
        return sorted(set(problems))

    def left_behind(self) -> list[str]:
        """The objects of the run still on the server (as far as the run knows)."""
        left = [f"visitor {v.label}" + (f" ({v.id})" if v.id else "")
                for v in self.visitors if not v.removed]
        left += [f"user {u.username}" for u in self.users if u.created_by_run and not u.removed]
        return left
