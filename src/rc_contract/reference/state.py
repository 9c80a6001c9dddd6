"""Everything the reference server remembers: users, roles, login tokens, visitors.

One lock guards it all; every method takes it, so handlers on different threads see
consistent data. Documents handed out are shallow copies (nested lists are
replaced, never mutated, so sharing them is safe).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from .ids import auth_token, iso_now, meteor_id, object_id
from .versions import Profile

# The visitor an omnichannel app linked to WhatsApp; fixed so callers can find it.
SEEDED_EXTERNAL_IDS_VISITOR_ID = "6650d1c0ffee0ddba11c0de5"
# The accounts of a CI job on a limited server (`serve --ci-accounts-password`), which a run
# started with RC_REFERENCE_LIMITER logs in with.
CI_AGENT, CI_PLAIN = "ci-agent", "ci-plain"

SEEDED_EXTERNAL_IDS: list[dict[str, Any]] = [
    {
        "appId": "c3b5f2a1-9d5e-4c4e-8f7a-2b1d0e6a7c91",
        "entityId": "5511999998888",
        "metadata": {"username": "whatsapp_contact"},
    },
    {"appId": "0e4f1b7c-6a2d-4b8e-9c3f-5d7a1e2b8c64", "entityId": "120363025246125486"},
]


def load_roles() -> dict[str, frozenset[str]]:
    """Role -> permissions, from roles.yaml."""
    text = resources.files(__package__).joinpath("roles.yaml").read_text(encoding="utf-8")
    return {role: frozenset(perms or ()) for role, perms in yaml.safe_load(text).items()}


def _hash(password: str) -> bytes:
    return hashlib.sha256(password.encode()).digest()


class StateError(Exception):
    """A refusal worded as Rocket.Chat words it (Meteor.Error code, reason, details)."""

    def __init__(self, code: str, reason: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.details = details


@dataclass
class User:
    _id: str
    username: str
    name: str
    email: str
    password_hash: bytes
    roles: list[str]
    permissions: frozenset[str]
    created_at: str
    verified: bool = False
    seeded: bool = False
    tokens: set[str] = field(default_factory=set)

    def public(self) -> dict[str, Any]:
        """The user document as users.info and users.create show it."""
        return {
            "_id": self._id,
            "createdAt": self.created_at,
            "username": self.username,
            "emails": [{"address": self.email, "verified": self.verified}],
            "type": "user",
            "status": "offline",
            "active": True,
            "_updatedAt": self.created_at,
            "roles": list(self.roles),
            "name": self.name,
        }


class State:
    """Users, tokens and visitors of one server instance."""

    def __init__(
        self,
        profile: Profile,
        admin_password: str,
        roles: dict[str, frozenset[str]] | None = None,
        visitor_id: Callable[[], str] = object_id,
    ) -> None:
        self.profile = profile
        # New visitors' ids: ObjectIds on current servers, Meteor ids in older data.
        self._new_visitor_id = visitor_id
        self.roles = roles if roles is not None else load_roles()
        self._lock = threading.Lock()
        self._users: dict[str, User] = {}
        self._tokens: dict[str, str] = {}
        self._visitors: dict[str, dict[str, Any]] = {}
        self._visitor_ids_by_token: dict[str, str] = {}
        self._guest_counter = 0
        self.admin = self._add_user(
            "admin",
            "Administrator",
            "admin@example.com",
            admin_password,
            ["admin", "user"],
            seeded=True,
        )
        self._seed_visitor()

    # users -----------------------------------------------------------------

    def _add_user(
        self,
        username: str,
        name: str,
        email: str,
        password: str,
        roles: list[str],
        verified: bool = False,
        seeded: bool = False,
    ) -> User:
        user = User(
            _id=meteor_id(),
            username=username,
            name=name,
            email=email.lower(),
            password_hash=_hash(password),
            roles=roles,
            permissions=frozenset().union(*(self.roles.get(r, frozenset()) for r in roles)),
            created_at=iso_now(),
            verified=verified,
            seeded=seeded,
        )
        self._users[user._id] = user
        return user

    def user(self, user_id: str | None) -> User | None:
        with self._lock:
            return self._users.get(user_id) if user_id else None

    def user_for_token(self, token: str | None) -> User | None:
        with self._lock:
            user_id = self._tokens.get(token) if token else None
            return self._users.get(user_id) if user_id else None

    def authenticate(self, user_id: str | None, token: str | None) -> User | None:
        """The user when both headers are present and belong together."""
        if not user_id or not token:
            return None
        with self._lock:
            if self._tokens.get(token) != user_id:
                return None
            return self._users.get(user_id)

    def user_by_name(self, username: str) -> User | None:
        with self._lock:
            return next((u for u in self._users.values() if u.username == username), None)

    def login(self, name: str, password: str) -> tuple[User, str] | None:
        """Check a password (username or email) and issue a new login token."""
        with self._lock:
            lowered = name.lower()
            user = next(
                (u for u in self._users.values() if name == u.username or lowered == u.email),
                None,
            )
            if user is None or not hmac.compare_digest(user.password_hash, _hash(password)):
                return None
            token = auth_token()
            self._tokens[token] = user._id
            user.tokens.add(token)
            return user, token

    def issue_token(self, user: User) -> str:
        """A login token without a password (for in-process tests)."""
        with self._lock:
            token = auth_token()
            self._tokens[token] = user._id
            user.tokens.add(token)
            return token

    def logout(self, token: str) -> None:
        with self._lock:
            user_id = self._tokens.pop(token, None)
            if user_id in self._users:
                self._users[user_id].tokens.discard(token)

    def create_user(
        self,
        username: str,
        name: str,
        email: str,
        password: str,
        roles: list[str] | None = None,
        verified: bool = False,
    ) -> User:
        with self._lock:
            for user in self._users.values():
                if user.username.lower() == username.lower():
                    raise StateError(
                        "error-field-unavailable",
                        f"{username} is already in use :(",
                        {"method": "insertOrUpdateUser", "field": username},
                    )
                if user.email == email.lower():
                    raise StateError(
                        "error-field-unavailable",
                        f"{email} is already in use :(",
                        {"method": "insertOrUpdateUser", "field": email},
                    )
            unknown = [r for r in roles or () if r not in self.roles]
            if unknown:
                raise StateError(
                    "error-invalid-role", "Invalid role", {"method": "insertOrUpdateUser"}
                )
            return self._add_user(
                username, name, email, password, list(roles or ["user"]), verified=verified
            )

    def delete_user(self, user_id: str) -> None:
        with self._lock:
            user = self._users.get(user_id)
            if user is None:
                raise StateError(
                    "error-invalid-user",
                    'The required "userId" or "username" param provided does not match any users',
                )
            admins = [u for u in self._users.values() if "admin" in u.roles]
            if "admin" in user.roles and len(admins) == 1:
                raise StateError(
                    "error-action-not-allowed",
                    "Leaving the app without an admin is not allowed",
                    {"method": "deleteUser", "action": "Remove_last_admin"},
                )
            for token in user.tokens:
                self._tokens.pop(token, None)
            del self._users[user_id]

    # visitors ----------------------------------------------------------------

    def _seed_visitor(self) -> None:
        self._guest_counter += 1
        now = iso_now()
        doc: dict[str, Any] = {
            "_id": SEEDED_EXTERNAL_IDS_VISITOR_ID,
            "token": auth_token(),
            "username": f"guest-{self._guest_counter}",
            "status": "online",
            "ts": now,
            "_updatedAt": now,
            "name": "WhatsApp Contact",
            "phone": [{"phoneNumber": "+5511999998888"}],
        }
        if self.profile.external_ids:
            doc["externalIds"] = [dict(e) for e in SEEDED_EXTERNAL_IDS]
        self._visitors[doc["_id"]] = doc
        self._visitor_ids_by_token[doc["token"]] = doc["_id"]

    def register_visitor(
        self,
        token: str,
        name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        department: str | None = None,
    ) -> dict[str, Any]:
        """Create or update the visitor with this token; a known phone wins."""
        with self._lock:
            if phone and token not in self._visitor_ids_by_token:
                for doc in self._visitors.values():
                    if not doc.get("disabled") and any(
                        p.get("phoneNumber") == phone for p in doc.get("phone", ())
                    ):
                        return dict(doc)
            now = iso_now()
            existing_id = self._visitor_ids_by_token.get(token)
            if existing_id is None:
                self._guest_counter += 1
                doc = {
                    "_id": self._new_visitor_id(),
                    "token": token,
                    "username": f"guest-{self._guest_counter}",
                    "status": "online",
                    "ts": now,
                }
            else:
                doc = dict(self._visitors[existing_id])
            doc["_updatedAt"] = now
            if name:
                doc["name"] = name
            if phone:
                doc["phone"] = [{"phoneNumber": phone}]
            if email:
                doc["visitorEmails"] = [{"address": email.strip().lower()}]
            if department:
                doc["department"] = department
            self._visitors[doc["_id"]] = doc
            self._visitor_ids_by_token[token] = doc["_id"]
            return dict(doc)

    def update_visitor(self, visitor_id: str, fields: dict[str, Any]) -> dict[str, Any] | None:
        """Store more fields on a visitor (what a server adds on its own); the new document."""
        with self._lock:
            doc = self._visitors.get(visitor_id)
            if doc is None:
                return None
            doc = {**doc, **fields}
            self._visitors[visitor_id] = doc
            return dict(doc)

    def visitor_by_token(self, token: str) -> dict[str, Any] | None:
        with self._lock:
            visitor_id = self._visitor_ids_by_token.get(token)
            return dict(self._visitors[visitor_id]) if visitor_id else None

    def enabled_visitor(self, visitor_id: str) -> dict[str, Any] | None:
        """The lookup visitors.info does: `_id` equal and `disabled` not true."""
        with self._lock:
            doc = self._visitors.get(visitor_id)
            return dict(doc) if doc is not None and doc.get("disabled") is not True else None

    def any_visitor(self, visitor_id: str) -> dict[str, Any] | None:
        with self._lock:
            doc = self._visitors.get(visitor_id)
            return dict(doc) if doc is not None else None

    def enabled_visitors(self) -> list[dict[str, Any]]:
        """All enabled visitors, oldest first (the seeded one first)."""
        with self._lock:
            return [dict(d) for d in self._visitors.values() if d.get("disabled") is not True]

    def remove_visitor(self, token: str) -> dict[str, Any] | None:
        """Disable the visitor as Rocket.Chat's removeGuest does; None if unknown."""
        with self._lock:
            visitor_id = self._visitor_ids_by_token.pop(token, None)
            if visitor_id is None:
                return None
            doc = dict(self._visitors[visitor_id])
            for key in ("token", "name", "visitorEmails", "phone"):
                doc.pop(key, None)
            doc["disabled"] = True
            doc["_updatedAt"] = iso_now()
            self._visitors[visitor_id] = doc
            return dict(doc)

    # introspection -------------------------------------------------------------

    def objects(self) -> dict[str, list[dict[str, str]]]:
        """What callers created and did not remove (seeded objects excluded)."""
        with self._lock:
            return {
                "users": [
                    {"_id": u._id, "username": u.username}
                    for u in self._users.values()
                    if not u.seeded
                ],
                "visitors": [
                    {"_id": d["_id"], "username": d["username"]}
                    for d in self._visitors.values()
                    if d["_id"] != SEEDED_EXTERNAL_IDS_VISITOR_ID and d.get("disabled") is not True
                ],
            }
