"""Signals around a run: SIGTERM ends it like Ctrl-C, and nothing interrupts the clean-up.

A run that is killed half way must still remove what it created on a shared
server. SIGTERM (CI cancelling a job) is turned into ``KeyboardInterrupt`` so
it unwinds the same way as Ctrl-C; while the clean-up runs, further SIGINT and
SIGTERM are only acknowledged, because an impatient second Ctrl-C is exactly
when objects would otherwise be left behind.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def terminate_like_interrupt() -> None:
    """SIGTERM raises ``KeyboardInterrupt`` in the main thread (pytest then unwinds)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


def _acknowledge(signum: int, frame: FrameType | None) -> None:
    stream = sys.__stderr__
    if stream is not None:
        with contextlib.suppress(OSError, ValueError):
            stream.write("rc-contract: still removing what the run created; please wait\n")
            stream.flush()


@contextlib.contextmanager
def uninterruptible() -> Iterator[None]:
    """SIGINT and SIGTERM only print a line inside the block; the old handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}
    for sig in _SIGNALS:
        previous[sig] = signal.signal(sig, _acknowledge)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
