"""A question: a visitors.info request as the server sees it, the key one answer is shared by.

A bottom module (it imports nothing of the package): the run's answers (live/) keep answers
by question, and the contract's fuzz asks by question without reaching into live/.
"""

from __future__ import annotations

from typing import Any

import requests

# The request headers visitors.info reads; the rest (User-Agent, Schemathesis' case id)
# do not change the question.
QUESTION_HEADERS = ("x-user-id", "x-auth-token")

Question = tuple[str, str, tuple[tuple[str, str], ...]]


def question(method: str, url: str, params: Any, headers: dict[str, str] | None) -> Question:
    """The request as the server sees it: method, URL with its query as sent, credentials."""
    if params:
        url = requests.Request(method, url, params=params).prepare().url or url
    asked = {k.lower(): v for k, v in (headers or {}).items() if k.lower() in QUESTION_HEADERS}
    return method.upper(), url, tuple(sorted(asked.items()))
