"""The Rocket.Chat versions the suite knows (spec/versions.yaml), how a server's version maps
to the contract it is judged by, and which of them the bundled reference server emulates."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from rc_contract.configuration.paths import spec_dir
from rc_contract.versions import RCVersion, VersionError


class UnsupportedVersion(ValueError):
    """A version the suite cannot judge (before the floor): the run cannot start."""


@dataclass(frozen=True)
class Line:
    line: tuple[int, int]
    newest_patch: RCVersion | None  # None: a line seen only as release candidates
    support: str
    release_candidates: tuple[int, int] | None = None

    @property
    def versions(self) -> list[RCVersion]:
        """Every version of the line the suite knows: its release candidates, then each patch."""
        major, minor = self.line
        found = []
        if self.release_candidates:
            first, last = self.release_candidates
            found += [RCVersion(major, minor, 0, ("rc", str(n))) for n in range(first, last + 1)]
        if self.newest_patch is not None:
            found += [RCVersion(major, minor, p) for p in range(self.newest_patch.patch + 1)]
        return found

    @property
    def name(self) -> str:
        return "{}.{}".format(*self.line)


@dataclass(frozen=True)
class Releases:
    checked: str
    floor: RCVersion
    oldest: RCVersion
    newest: RCVersion
    lines: tuple[Line, ...]
    beyond: tuple[Line, ...]

    def line(self, version: RCVersion) -> Line | None:
        return next((x for x in self.lines + self.beyond if x.line == version.line), None)

    def known(self) -> list[RCVersion]:
        return [v for line in self.lines for v in line.versions]

    def candidates(self, version: RCVersion) -> list[RCVersion]:
        """The versions a server may run: itself, or every known one of its line when it
        reported only MAJOR.MINOR (at least the line's .0 release)."""
        if version.exact:
            return [version]
        line = self.line(version)
        found = line.versions if line else []
        return found or [RCVersion(version.major, version.minor, 0)]

    def judge(self, version: RCVersion) -> tuple[RCVersion, str | None]:
        """The contract version a server version is judged by, and a notice when they differ.

        Raises UnsupportedVersion below the floor.
        """
        if version < self.floor:
            raise UnsupportedVersion(
                f"Rocket.Chat {version} is older than {self.floor}, the oldest version the "
                f"suite can judge (it knows {self.oldest.line[0]}.{self.oldest.line[1]} to "
                f"{self.newest.line[0]}.{self.newest.line[1]})"
            )
        newest_line = self.newest.line
        if version.line > newest_line:
            return self.newest, (
                f"Rocket.Chat {version} is newer than the newest version the suite knows "
                f"({self.newest}); judged by the {self.newest} contract. Behaviours it changes "
                "are not known yet."
            )
        if version < self.oldest:
            return self.oldest, (
                f"Rocket.Chat {version} is older than the oldest version the suite knows "
                f"({self.oldest}); judged by the {self.oldest} contract."
            )
        if version.exact and version not in self.known():
            return version, (
                f"Rocket.Chat {version} is not a release the suite knows; judged by the "
                "version ranges of spec/clauses.yaml as written."
            )
        return version, None


def _line(raw: dict[str, Any]) -> Line:
    major, minor = (int(x) for x in str(raw["line"]).split("."))
    newest = raw.get("newest_patch")
    candidates = raw.get("release_candidates")
    return Line(
        line=(major, minor),
        newest_patch=RCVersion.parse(str(newest)) if newest else None,
        support=str(raw.get("support", "")),
        release_candidates=tuple(candidates) if candidates else None,
    )


def parse_releases(raw: dict[str, Any]) -> Releases:
    contract = raw["contract"]
    return Releases(
        checked=str(raw["checked"]),
        floor=RCVersion.parse(str(contract["floor"])),
        oldest=RCVersion.parse(str(contract["oldest"])),
        newest=RCVersion.parse(str(contract["newest"])),
        lines=tuple(_line(x) for x in raw["lines"]),
        beyond=tuple(_line(x) for x in raw.get("beyond", [])),
    )


@cache
def load_releases() -> Releases:
    return parse_releases(yaml.safe_load((spec_dir() / "versions.yaml").read_text("utf-8")))


# What a bare line means ("8.5"): its newest patch, except the historical lines,
# which mean their last patch whose token behaviour is known (docs/rocketchat-behaviour.md#token-by-version).
LINE_DEFAULTS: dict[tuple[int, int], str] = {(8, 3): "8.3.3", (8, 4): "8.4.1"}
# The versions `rc-contract serve --help` names: every line in support at its newest
# patch, the historical lines and a release candidate (any other known version works too).
FEATURED = ("8.3.3", "8.4.1", "8.5.5", "8.6.4", "8.7.1", "8.8.2", "8.9.0", "9.0.0-rc.3", "9.0.0")


def supported_versions() -> list[str]:
    """Human-readable list for help and error messages: the featured releases, each line's
    release candidates as one range before the line's release, then the later lines'."""
    releases = load_releases()
    ranges = {line.name: f"{line.name}.0-rc.{line.release_candidates[0]}..rc.{line.release_candidates[1]}"
              for line in releases.lines + releases.beyond if line.release_candidates}
    named: list[str] = []
    for featured in FEATURED:
        version = RCVersion.parse(featured)
        if version.prerelease:
            continue  # within its line's range
        line = releases.line(version)
        range_ = ranges.pop(line.name, None) if line else None
        named += [range_, featured] if range_ else [featured]
    return named + list(ranges.values())


def emulated_versions() -> list[RCVersion]:
    releases = load_releases()
    # A later line's release candidates too: a run judges them by the newest contract.
    return releases.known() + [v for line in releases.beyond for v in line.versions]


def _unsupported(version: str) -> ValueError:
    return ValueError(
        f"unsupported Rocket.Chat version {version!r}; supported: "
        f"{', '.join(supported_versions())}, or any earlier patch of those lines"
    )


def emulated(version: str) -> RCVersion:
    """The version the bundled reference server emulates for ``version`` (full, or a
    MAJOR.MINOR line); ValueError naming the supported ones otherwise."""
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
    return parsed
