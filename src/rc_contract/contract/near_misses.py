"""Ids near a real one, which are not that visitor: each must answer visitor-not-found.

Promise: the lookup is ``_id`` equal, byte for byte (docs/rocketchat-behaviour.md#lookup:
"the visitor with that `_id` whose `disabled` is not `true`"). A server that folds
case, matches a prefix or treats the id as a pattern answers 200 for these. They work
for 24-hex ObjectIds and 17-character Meteor ids alike. Used by the hand-written
VI-NOT-FOUND cases and, as placeholders, by spec/fuzz-boundaries.yaml.
"""

from __future__ import annotations


def placeholders(known: str, removed: str = "") -> dict[str, str]:
    """``{known...}`` placeholders for the id ``known`` of a visitor the run registered."""
    upper = known.upper()
    quarter = max(len(known) // 4, 1)
    fill = {
        "{known}": known,
        # The id with its case changed (upper-case; lower-case for an id without lower letters).
        "{known_upper}": upper if upper != known else known.lower(),
        "{known_swapcase}": known.swapcase(),
        "{known_prefix}": known[:-1],
        "{known_suffix}": known[1:],
        "{known_substring}": known[quarter:-quarter],
    }
    if removed:
        fill["{removed}"] = removed
    return fill


def expand(template: str, fill: dict[str, str]) -> str:
    # Longest placeholder first: "{known}" is a prefix of "{known_upper}".
    for placeholder in sorted(fill, key=len, reverse=True):
        template = template.replace(placeholder, fill[placeholder])
    return template


# The near misses the hand-written cases send (VI-NOT-FOUND), as templates.
NEAR_MISSES = {
    "case-changed": "{known_upper}",
    "case-swapped": "{known_swapcase}",
    "prefix": "{known_prefix}",
    "suffix": "{known_suffix}",
    "substring": "{known_substring}",
    "pattern-any-around": ".*{known_substring}.*",
    "pattern-anchored": "^{known}$",
    "pattern-start": "^{known_prefix}",
    "pattern-end": "{known_suffix}$",
    "pattern-alternation": "{known}|{known_prefix}",
    "trailing-space": "{known} ",
}
