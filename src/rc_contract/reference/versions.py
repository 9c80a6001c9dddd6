"""Which Rocket.Chat versions the reference server emulates, and what each one does."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Newest patch of each supported line: what a shorthand like "8.5" means.
LATEST_PATCH: dict[tuple[int, int], int] = {(8, 3): 3, (8, 4): 1, (8, 5): 2, (9, 0): 0}

# Lines where any patch number is accepted (9.0 is only known as 9.0.0).
ANY_PATCH: frozenset[tuple[int, int]] = frozenset({(8, 3), (8, 4), (8, 5)})

# Behaviour -> first version that has it. Documented releases only: the token
# backports to 8.3.4/8.4.2 are deliberately not emulated (the docs say "8.5.0").
SINCE: dict[str, tuple[int, int, int]] = {
    "external_ids": (8, 4, 0),
    "token_excluded": (8, 5, 0),
    "array_coercion": (8, 6, 0),
    "short_401": (9, 0, 0),
    "forbidden_error_type": (9, 0, 0),
    "query_key_limit": (9, 0, 0),
}

DEFAULT_VERSION = "9.0.0"
QUERY_KEY_LIMIT = 500

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True)
class Profile:
    """The behaviours of one emulated version, resolved once at start-up."""

    version: str
    external_ids: bool
    token_excluded: bool
    array_coercion: bool
    short_401: bool
    forbidden_error_type: bool
    query_key_limit: int | None

    @property
    def short_version(self) -> str:
        """What /api/info tells callers without `view-statistics`: major.minor."""
        major, minor, _ = self.version.split(".")
        return f"{major}.{minor}"


def supported_versions() -> list[str]:
    """Human-readable list for error messages."""
    return [f"{a}.{b}.x" if (a, b) in ANY_PATCH else f"{a}.{b}.0" for a, b in LATEST_PATCH]


def resolve(version: str) -> Profile:
    """Turn a version string (full or major.minor shorthand) into a Profile."""
    match = _VERSION_RE.match(version.strip())
    line = (int(match.group(1)), int(match.group(2))) if match else None
    if match is None or line not in LATEST_PATCH:
        raise ValueError(
            f"unsupported Rocket.Chat version {version!r}; "
            f"supported: {', '.join(supported_versions())}"
        )
    patch = LATEST_PATCH[line] if match.group(3) is None else int(match.group(3))
    if line not in ANY_PATCH and patch != LATEST_PATCH[line]:
        raise ValueError(
            f"unsupported Rocket.Chat version {version!r}; "
            f"supported: {', '.join(supported_versions())}"
        )
    full = (*line, patch)
    has = {name: full >= since for name, since in SINCE.items()}
    return Profile(
        version=".".join(map(str, full)),
        external_ids=has["external_ids"],
        token_excluded=has["token_excluded"],
        array_coercion=has["array_coercion"],
        short_401=has["short_401"],
        forbidden_error_type=has["forbidden_error_type"],
        query_key_limit=QUERY_KEY_LIMIT if has["query_key_limit"] else None,
    )
