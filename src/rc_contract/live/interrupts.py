"""Signals around a run: SIGINT and SIGTERM set a flag; the run stops at its next safe point.

A run that is stopped half way must still remove what it created on a shared
server and write reports that say it was interrupted. Raising from a signal
handler lands anywhere (inside a weak-reference callback, a ``finally`` block,
the reports being written) and loses control, so the handlers only count the
signal and print one line; the run looks at the count at safe points (before
and after each request, between cases, in waits) and unwinds from there.

The first signal stops the run: clean-up and reports follow (exit code 2). A
second one stops the clean-up at once: what is left is named, with the
``rc-contract sweep`` command that removes it. Once the reports carry the run's
exit code for good (``seal``), a signal changes nothing: the process ends with the
code its reports say, and is never killed by the signal while Python shuts down.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunInterrupted(KeyboardInterrupt):
    """Raised at a safe point after a signal: pytest unwinds the session as for Ctrl-C."""


class CleanupStopped(Exception):
    """A second signal during the clean-up: stop removing, name what is left."""


class _Flags:
    count = 0
    name = ""
    cleaning_up = False
    # The exit code the reports carry for good, once they are written (``seal``).
    sealed: int | None = None
    # A copy of the terminal's stderr taken before pytest captures file descriptor 2.
    stderr_fd: int | None = None
    # That stderr is a terminal: a line there first clears what the progress line drew.
    stderr_tty = False


FLAGS = _Flags()

# Back to the start of the terminal's line and erase it: what the progress line drew
# (reports/terminal.py draws it with the same escape).
CLEAR_LINE = "\r\x1b[K"


def _say(text: str) -> None:
    fd = FLAGS.stderr_fd if FLAGS.stderr_fd is not None else 2
    clear = CLEAR_LINE if FLAGS.stderr_tty else ""
    with contextlib.suppress(OSError):
        os.write(fd, f"{clear}rc-contract: {text}\n".encode())


def _on_signal(signum: int, frame: FrameType | None) -> None:
    # Only plain assignments and one unbuffered write: nothing here can raise
    # into the code the signal interrupted.
    if FLAGS.sealed is not None and FLAGS.count == 0:
        _say(f"{signal.Signals(signum).name}: the run is over and its reports are written "
             f"(exit code {FLAGS.sealed}); ending now")
        return
    FLAGS.count += 1
    if FLAGS.count == 1:
        FLAGS.name = signal.Signals(signum).name
        _say(f"{FLAGS.name}: stopping; removing what the run created and writing the reports "
             "(a second Ctrl-C stops the clean-up at once)")
    elif FLAGS.count == 2:
        _say(f"{signal.Signals(signum).name} again: stopping the clean-up now")


def install() -> None:
    """Handle SIGINT and SIGTERM with flags (main thread only, as early as possible)."""
    if threading.current_thread() is not threading.main_thread():
        return
    if FLAGS.stderr_fd is None:
        with contextlib.suppress(OSError):
            FLAGS.stderr_fd = os.dup(2)
            FLAGS.stderr_tty = os.isatty(FLAGS.stderr_fd)
    for sig in _SIGNALS:
        signal.signal(sig, _on_signal)


def seal(code: int) -> None:
    """The reports now carry ``code`` for good: later signals are noted, not acted on.

    The caller seals first and then asks ``interrupted()``: a signal that came just
    before still changes the code (and the reports), one after it cannot."""
    FLAGS.sealed = code


def sealed() -> int | None:
    return FLAGS.sealed


def ignore_from_now() -> None:
    """The exit code is final: ignore both signals until the process is gone.

    Python puts back the default handlers (death by the signal) for those it
    replaced when it shuts down, but leaves an ignored signal ignored."""
    if threading.current_thread() is threading.main_thread():
        for sig in _SIGNALS:
            signal.signal(sig, signal.SIG_IGN)


def interrupted() -> bool:
    return FLAGS.count >= 1


def stop_at_once() -> bool:
    """A second signal arrived: leave the rest of the clean-up to ``rc-contract sweep``."""
    return FLAGS.count >= 2


def reason() -> str:
    return f"interrupted by {FLAGS.name}" if FLAGS.name else ""


def checkpoint(*, stop_cleanup: bool = True) -> None:
    """A safe point: unwind the run after a signal (or stop the clean-up after a second).

    ``stop_cleanup=False`` after an answer arrived: the clean-up records what that
    answer removed before it stops.
    """
    if FLAGS.cleaning_up:
        if stop_cleanup and stop_at_once():
            raise CleanupStopped("a second signal stopped the clean-up")
    elif interrupted():
        raise RunInterrupted(reason())


@contextlib.contextmanager
def cleaning_up() -> Iterator[None]:
    """Inside the block one signal no longer unwinds: the clean-up must run to its end."""
    previous, FLAGS.cleaning_up = FLAGS.cleaning_up, True
    try:
        yield
    finally:
        FLAGS.cleaning_up = previous


def sleep(seconds: float) -> None:
    """``time.sleep`` that stops at the next safe point when a signal arrives."""
    deadline = time.monotonic() + seconds
    while True:
        checkpoint()
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.1))


def say(text: str) -> None:
    """One line on the terminal's stderr, even while pytest captures output."""
    _say(text)
