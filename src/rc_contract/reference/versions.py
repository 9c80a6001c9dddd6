"""Which Rocket.Chat versions the reference server emulates, and what each one does.

Every version the suite knows (spec/versions.yaml) can be emulated: each patch of
the 8.3 to 9.0 lines and 9.0's release candidates, and the release candidates of a
later line seen so far (9.1.0-rc.0 to rc.5), which a run judges by the newest
contract. Behaviours are tied to version ranges from docs/rocketchat-behaviour.md,
evaluated the semver way, so ``9.0.0-rc.3`` is before ``9.0.0``. Where the document
says a fact is unknown the emulator picks what it calls most likely, and says so here.
"""

from __future__ import annotations

from dataclasses import dataclass

from rc_contract.releases import emulated
from rc_contract.versions import VersionRange

# Behaviour of the emulator (a field of Profile) -> the versions that have it.
BEHAVIOUR_VERSIONS: dict[str, VersionRange] = {
    name: VersionRange(text)
    for name, text in {
        # docs/rocketchat-behaviour.md#external-ids: externalIds from 8.4.0.
        "external_ids": ">=8.4.0",
        # docs/rocketchat-behaviour.md#token-by-version: gone from 8.5.0; on 8.3.4+ and 8.4.2+
        # unknown, "most likely absent".
        "token_excluded": ">=8.5.0 || >=8.3.4,<8.4.0 || >=8.4.2,<8.5.0",
        # docs/rocketchat-behaviour.md#array-form: visitorId[]=a coerced to "a" by 8.4.0 (8.1 to 8.3
        # unknown: not emulated).
        "array_coercion": ">=8.4.0",
        # docs/rocketchat-behaviour.md#body-401: shouldBreakInVersion('9.0.0'), so 9.0 release
        # candidates keep the 8.x body.
        "short_401": ">=9.0.0",
        # docs/rocketchat-behaviour.md#body-403: PR #43214, from 9.0.0-rc.3.
        "forbidden_error_type": ">=9.0.0-rc.3",
        # docs/rocketchat-behaviour.md#qs-limits: qs arrayLimit 500 / parameterLimit 1000 with
        # throwOnLimitExceeded (about 8.1 on).
        "query_limits": ">=8.1.0",
    }.items()
}

DEFAULT_VERSION = "9.0.0"


@dataclass(frozen=True)
class Profile:
    """The behaviours of one emulated version, resolved once at start-up."""

    version: str
    external_ids: bool
    token_excluded: bool
    array_coercion: bool
    short_401: bool
    forbidden_error_type: bool
    query_limits: bool

    @property
    def short_version(self) -> str:
        """What /api/info tells callers without `view-statistics`: major.minor."""
        major, minor = self.version.split(".")[:2]
        return f"{major}.{minor}"


def resolve(version: str) -> Profile:
    """Turn a version string (full, or a MAJOR.MINOR line) into a Profile."""
    parsed = emulated(version)
    has = {name: versions.contains(parsed) for name, versions in BEHAVIOUR_VERSIONS.items()}
    return Profile(version=str(parsed), **has)
