"""Rocket.Chat versions and the version ranges of clauses and expectations.

A server reports ``8.5``, ``8.5.2``, ``9.0.0-rc.3`` or ``8.10.0-develop``: every
form parses, and versions order the semver way (a prerelease comes before its
release: ``9.0.0-rc.3 < 9.0.0``). A range is written like OpenSearch's spec tests,
comparisons joined by commas, alternatives by ``||`` (``">=8.5.0"``,
``">=8.3.4,<8.4.0 || >=8.4.2,<8.5.0"``, ``"all"``), and evaluated with semver's
order. PEP 440 specifiers would not do: their ``<9.0.0`` excludes ``9.0.0rc3``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import total_ordering

# MAJOR.MINOR[.PATCH][-PRERELEASE][+BUILD], as servers and release tags spell them.
_VERSION_RE = re.compile(
    r"^v?(\d+)\.(\d+)(?:\.(\d+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?)?$"
)


class VersionError(ValueError):
    """A version string that is not a Rocket.Chat version."""


def _prerelease_key(prerelease: tuple[str, ...]) -> tuple[tuple[int, int | str], ...]:
    # semver 11.4: numeric identifiers compare numerically and before alphanumeric ones.
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in prerelease)


@total_ordering
@dataclass(frozen=True)
class RCVersion:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    # False when the server said only MAJOR.MINOR (``/api/info`` without view-statistics):
    # then it may run any release or release candidate of that line.
    exact: bool = field(default=True, compare=False)

    @classmethod
    def parse(cls, text: str) -> RCVersion:
        """``8.5.2``, ``9.0.0-rc.3``, ``8.10.0-develop``; ``8.5`` is the line (counted as ``8.5.0``)."""
        match = _VERSION_RE.match(text.strip())
        if not match:
            raise VersionError(
                f"{text!r} is not a Rocket.Chat version (expected MAJOR.MINOR[.PATCH][-PRERELEASE])"
            )
        major, minor, patch, pre = match.groups()
        return cls(
            int(major), int(minor), int(patch or 0),
            tuple(pre.split(".")) if pre else (),
            exact=patch is not None,
        )

    @property
    def line(self) -> tuple[int, int]:
        return (self.major, self.minor)

    def _key(self) -> tuple[object, ...]:
        # A release sorts after all of its prereleases.
        pre = (0, _prerelease_key(self.prerelease)) if self.prerelease else (1, ())
        return (self.major, self.minor, self.patch, pre)

    def __str__(self) -> str:
        if not self.exact:
            return f"{self.major}.{self.minor}"
        text = f"{self.major}.{self.minor}.{self.patch}"
        return text + ("-" + ".".join(self.prerelease) if self.prerelease else "")

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, RCVersion):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RCVersion):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


_OPERATORS: dict[str, Callable[[RCVersion, RCVersion], bool]] = {
    ">=": operator.ge, "<": operator.lt, ">": operator.gt, "<=": operator.le,
    "==": operator.eq, "!=": operator.ne,
}
_COMPARISON_RE = re.compile(r"^(>=|<=|==|!=|>|<)\s*(\S+)$")


@dataclass(frozen=True)
class Comparison:
    op: str
    bound: RCVersion

    def holds(self, version: RCVersion) -> bool:
        return _OPERATORS[self.op](version, self.bound)


@dataclass(frozen=True)
class VersionRange:
    text: str
    alternatives: tuple[tuple[Comparison, ...], ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "alternatives", () if self.text == "all" else _parse_range(self.text))

    def contains(self, version: RCVersion) -> bool:
        if self.text == "all":
            return True
        return any(all(c.holds(version) for c in alt) for alt in self.alternatives)

    def lower_bound(self) -> RCVersion | None:
        """The lowest ``>=`` bound, used to say which release introduces a behaviour."""
        found = [c.bound for alt in self.alternatives for c in alt if c.op == ">="]
        return min(found) if found else None

    def __str__(self) -> str:
        return self.text


def _parse_range(text: str) -> tuple[tuple[Comparison, ...], ...]:
    alternatives = []
    for alternative in text.split("||"):
        comparisons = []
        for part in alternative.split(","):
            match = _COMPARISON_RE.match(part.strip())
            if not match:
                raise VersionError(f"invalid version range {text!r} (at {part.strip()!r})")
            comparisons.append(Comparison(match.group(1), RCVersion.parse(match.group(2))))
        alternatives.append(tuple(comparisons))
    return tuple(alternatives)
