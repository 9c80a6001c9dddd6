"""Rocket.Chat versions and the version ranges of clauses and expectations.

A range is written like OpenSearch's spec tests (``">=8.5.0"``, ``"<9.0.0"``,
``">=8.4.0,<8.5.0"``, or ``"all"``) and evaluated with :mod:`packaging`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


class VersionError(ValueError):
    """A version string that is not ``MAJOR.MINOR[.PATCH]``."""


@total_ordering
@dataclass(frozen=True)
class RCVersion:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> RCVersion:
        """Parse ``8.5.2``; a major.minor answer such as ``8.5`` counts as ``8.5.0``."""
        match = _VERSION_RE.match(text.strip())
        if not match:
            raise VersionError(f"{text!r} is not a Rocket.Chat version (expected MAJOR.MINOR.PATCH)")
        major, minor, patch = match.groups()
        return cls(int(major), int(minor), int(patch or 0))

    @property
    def packaging(self) -> Version:
        return Version(str(self))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, RCVersion):
            return NotImplemented
        return (self.major, self.minor, self.patch) < (other.major, other.minor, other.patch)


@dataclass(frozen=True)
class VersionRange:
    text: str

    def __post_init__(self) -> None:
        if self.text != "all":
            try:
                SpecifierSet(self.text)
            except InvalidSpecifier as exc:
                raise VersionError(f"invalid version range {self.text!r}") from exc

    def contains(self, version: RCVersion) -> bool:
        if self.text == "all":
            return True
        return SpecifierSet(self.text).contains(version.packaging, prereleases=True)

    def lower_bound(self) -> RCVersion | None:
        """The ``>=`` bound, used to say which release introduces a behaviour."""
        if self.text == "all":
            return None
        for spec in SpecifierSet(self.text):
            if spec.operator == ">=":
                return RCVersion.parse(spec.version)
        return None

    def __str__(self) -> str:
        return self.text
