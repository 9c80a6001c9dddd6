"""Redaction of secrets and personal data from everything the suite writes.

Two layers: known values (passwords, auth tokens, visitor tokens, the names,
emails and phones registered) are replaced wherever they appear, and values
under sensitive keys or headers are masked whatever they are. A known value that a
repr shortened (pytest's ``'rcct79...'``, or its cut in the middle, ``...9f3a'``) is
masked too: its first or last characters against the ellipsis.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from rc_contract import leaks

MASK = "[REDACTED]"
# Values this long are also masked in their encoded forms (leaks.forms).
_ENCODED_FROM = 12
SENSITIVE_HEADERS = {"x-auth-token", "cookie", "set-cookie", "authorization"}
# Client IP addresses a proxy in front of Rocket.Chat may add or echo: personal data.
IP_HEADERS = {"x-forwarded-for", "x-real-ip", "forwarded", "x-client-ip", "cf-connecting-ip",
              "true-client-ip", "x-cluster-client-ip"}
SENSITIVE_KEYS = {"authToken", "password", "token", "pass", "resume", "hashedToken"}
# Personal data under these keys is masked in recorded bodies (HAR, reports).
PERSONAL_KEYS = {"name", "phoneNumber", "address", "email", "ip", "host", "userAgent"}
# A shortened value is masked from this many of its characters: fewer could be an ordinary
# word's. Only against a cut (an ellipsis, or the end of the text right after a quote).
_SHORTENED_FROM = 6
_ELLIPSIS = re.compile(r"\.\.\.|\u2026")
_QUOTES = ("'", '"')


class Redactor:
    """Thread-safe set of secret values; ``text()`` masks every occurrence."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        # The shortened forms masked: the values' heads and tails (built with the pattern).
        self._heads: frozenset[str] = frozenset()
        self._tails: frozenset[str] = frozenset()
        self._longest = 0
        self._lock = threading.Lock()

    def add(self, *values: str | None) -> None:
        with self._lock:
            for value in values:
                # Very short values would mask ordinary words; they are not secrets.
                if value and len(value) >= 4:
                    self._values.add(value)
                    if value.lower() != value:
                        self._values.add(value.lower())
                    if len(value) >= _ENCODED_FROM:
                        # A server may send a secret encoded (a token base64 in an ETag).
                        self._values.update(text for form, text in leaks.forms(value)
                                            if form != leaks.AS_IS and len(text) >= _ENCODED_FROM)
            self._pattern = None

    @property
    def values(self) -> frozenset[str]:
        return frozenset(self._values)

    def text(self, text: str) -> str:
        if not text or not self._values:
            return text
        with self._lock:
            if self._pattern is None:
                alternatives = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in alternatives))
                self._heads = _shortened_forms(self._values)
                self._tails = frozenset(t[::-1] for t in _shortened_forms(
                    {v[::-1] for v in self._values}))
                self._longest = max(map(len, self._values)) - 1
            pattern, heads, tails, longest = self._pattern, self._heads, self._tails, self._longest
        return _mask_shortened(pattern.sub(MASK, text), heads, tails, longest)

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {
            k: (MASK if k.lower() in SENSITIVE_HEADERS | IP_HEADERS else self.text(str(v)))
            for k, v in headers.items()
        }

    def data(self, value: Any, *, personal: bool = True) -> Any:
        """Mask sensitive keys structurally, then known values textually."""
        masked = PERSONAL_KEYS | SENSITIVE_KEYS if personal else SENSITIVE_KEYS
        if isinstance(value, dict):
            return {
                k: (MASK if k in masked and isinstance(v, str) else self.data(v, personal=personal))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.data(v, personal=personal) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def _shortened_forms(values: set[str]) -> frozenset[str]:
    """Every proper prefix of each value that tells it apart: at least _SHORTENED_FROM long
    and longer than what it shares with another value (the suite's own constant heads,
    ``rcct`` or ``RC Contract <run id>-``, are no secret)."""
    ordered = sorted(values)
    heads: set[str] = set()
    for i, value in enumerate(ordered):
        shared = max((len(_common_prefix(value, other))
                      for other in ordered[max(i - 1, 0):i + 2] if other != value), default=0)
        heads.update(value[:k] for k in range(max(_SHORTENED_FROM, shared + 1), len(value)))
    return frozenset(heads)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _mask_shortened(text: str, heads: frozenset[str], tails: frozenset[str],
                    longest: int) -> str:
    """Mask a value's head just before a cut and a value's tail just after an ellipsis
    (``longest``: the longest head or tail)."""
    if not heads:
        return text
    spans: list[tuple[int, int]] = []

    def head_before(end: int, quoted: bool) -> None:
        for k in range(min(longest, end), _SHORTENED_FROM - 1, -1):
            if text[end - k:end] in heads and (not quoted or text[end - k - 1:end - k] in _QUOTES):
                spans.append((end - k, end))
                return

    for cut in _ELLIPSIS.finditer(text):
        head_before(cut.start(), quoted=False)
        start = cut.end()
        for k in range(min(longest, len(text) - start), _SHORTENED_FROM - 1, -1):
            if text[start:start + k] in tails:
                spans.append((start, start + k))
                break
    head_before(len(text), quoted=True)
    out, at = [], 0
    for start, end in sorted(spans):
        if start < at:  # overlaps the span just masked
            at = max(at, end)
            continue
        out += [text[at:start], MASK]
        at = end
    return "".join(out) + text[at:]
