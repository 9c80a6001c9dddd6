"""Identifiers and timestamps shaped like the ones Rocket.Chat produces."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

# Meteor's Random.id() alphabet (no look-alike characters) and Random.secret()'s.
_METEOR_ID_CHARS = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
_SECRET_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def meteor_id() -> str:
    """A 17-character user id, like Random.id()."""
    return "".join(secrets.choice(_METEOR_ID_CHARS) for _ in range(17))


def auth_token() -> str:
    """A 43-character login token, like Random.secret()."""
    return "".join(secrets.choice(_SECRET_CHARS) for _ in range(43))


def object_id() -> str:
    """A 24-hex-character MongoDB ObjectId: 4 bytes of time, 8 random."""
    return f"{int(time.time()):08x}{secrets.token_hex(8)}"


def iso_now() -> str:
    """Now as JavaScript's Date.toJSON() writes it: milliseconds and `Z`."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
