"""One answer per question: a visitors.info request already answered in this run is not sent again.

On a rate-limited server every call that passes authentication and the permission
check costs a slot of the limiter's window, so clauses that ask the same question
(the same URL with the same credentials) share one answer. The run changes the
server only by registering visitors (before any question can name them) and by
removing one: an answer whose request or body names a visitor removed since it
was recorded is dropped, so the question is asked again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta

import requests
from requests.structures import CaseInsensitiveDict

from rc_contract.live.session import Exchange
from rc_contract.questions import Question


@dataclass
class Answer:
    """A recorded answer: the exchange as recorded, and the response object when one was kept."""

    exchange: Exchange
    response: requests.Response | None
    removed_then: frozenset[str]

    def as_response(self) -> requests.Response:
        """The answer as ``requests`` gave it (rebuilt from the record when not kept)."""
        if self.response is not None:
            return self.response
        e = self.exchange
        response = requests.Response()
        response.status_code = e.status
        response.headers = CaseInsensitiveDict(e.response_headers)
        response._content = e.body.encode("utf-8")
        response.encoding = "utf-8"
        response.url = e.url
        response.request = requests.Request(e.method, e.url, headers=e.request_headers).prepare()
        response.elapsed = timedelta(seconds=e.elapsed)
        self.response = response
        return response


class AnswerMemo:
    """The recorded answers of the run, by question; thread-safe."""

    def __init__(self) -> None:
        self._answers: dict[Question, Answer] = {}
        self._lock = threading.Lock()
        self.reused = 0

    def recall(self, asked: Question, removed_ids: set[str]) -> Answer | None:
        with self._lock:
            answer = self._answers.get(asked)
            if answer is None:
                return None
            newly_removed = removed_ids - answer.removed_then
            body = answer.exchange.body
            if any(vid and (vid in asked[1] or vid in body) for vid in newly_removed):
                del self._answers[asked]
                return None
            self.reused += 1
            return answer

    def peek(self, asked: Question, removed_ids: set[str]) -> bool:
        """Whether ``recall`` would serve an answer (nothing counted, nothing dropped)."""
        with self._lock:
            answer = self._answers.get(asked)
            if answer is None:
                return False
            newly_removed = removed_ids - answer.removed_then
            return not any(vid and (vid in asked[1] or vid in answer.exchange.body)
                           for vid in newly_removed)

    def keep(self, asked: Question, exchange: Exchange, response: requests.Response | None,
             removed_ids: set[str]) -> None:
        # A 429 never gets here: the session waits it out and asks again.
        with self._lock:
            self._answers[asked] = Answer(exchange, response, frozenset(removed_ids))
