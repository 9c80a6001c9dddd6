"""Redaction of secrets and personal data from everything the suite writes.

Two layers: known values (passwords, auth tokens, visitor tokens, the names,
emails and phones registered) are replaced wherever they appear, and values
under sensitive keys or headers are masked whatever they are.
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


class Redactor:
    """Thread-safe set of secret values; ``text()`` masks every occurrence."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
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
            pattern = self._pattern
        return pattern.sub(MASK, text)

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
