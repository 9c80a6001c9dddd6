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

from rc_contract.contract.releases import load_releases
from rc_contract.contract.versions import RCVersion, VersionError, VersionRange

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

# What a bare line means ("8.5"): its newest patch, except the historical lines,
# which mean their last patch whose token behaviour is known (docs/rocketchat-behaviour.md#token-by-version).
LINE_DEFAULTS: dict[tuple[int, int], str] = {(8, 3): "8.3.3", (8, 4): "8.4.1"}
# The versions `rc-contract serve --help` names: every line in support at its newest
# patch, the historical lines and a release candidate (any other known version works too).
FEATURED = ("8.3.3", "8.4.1", "8.5.5", "8.6.4", "8.7.1", "8.8.2", "8.9.0", "9.0.0-rc.3", "9.0.0")

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


def supported_versions() -> list[str]:
    """Human-readable list for help and error messages."""
    later = [
        f"{line.name}.0-rc.{line.release_candidates[0]}..rc.{line.release_candidates[1]}"
        for line in load_releases().beyond
        if line.release_candidates
    ]
    return [*FEATURED[:-2], "9.0.0-rc.1..rc.8", FEATURED[-1], *later]


def emulated_versions() -> list[RCVersion]:
    releases = load_releases()
    # A later line's release candidates too: a run judges them by the newest contract.
    return releases.known() + [v for line in releases.beyond for v in line.versions]


def _unsupported(version: str) -> ValueError:
    return ValueError(
        f"unsupported Rocket.Chat version {version!r}; supported: "
        f"{', '.join(supported_versions())}, or any earlier patch of those lines"
    )


def resolve(version: str) -> Profile:
    """Turn a version string (full, or a MAJOR.MINOR line) into a Profile."""
    try:
        parsed = RCVersion.parse(version)
    except VersionError:
        raise _unsupported(version) from None
    if not parsed.exact:
        line = load_releases().line(parsed)
        if line is None or line.newest_patch is None:
            raise _unsupported(version)
        parsed = RCVersion.parse(LINE_DEFAULTS.get(parsed.line, str(line.newest_patch)))
    if parsed not in emulated_versions():
        raise _unsupported(version)
    has = {name: versions.contains(parsed) for name, versions in BEHAVIOUR_VERSIONS.items()}
    return Profile(version=str(parsed), **has)
