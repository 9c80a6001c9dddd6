"""A signal's line starts on a line of its own, even over the progress line a terminal shows."""

from __future__ import annotations

import os

import pytest

from rc_contract.live import interrupts


@pytest.fixture
def stderr_pipe(monkeypatch):
    read, write = os.pipe()
    monkeypatch.setattr(interrupts.FLAGS, "stderr_fd", write)
    yield read
    os.close(read)
    os.close(write)


@pytest.mark.parametrize(("tty", "start"), [(True, interrupts.CLEAR_LINE), (False, "")])
def test_a_signal_line_clears_the_progress_line_only_on_a_terminal(stderr_pipe, monkeypatch, tty,
                                                                   start):
    monkeypatch.setattr(interrupts.FLAGS, "stderr_tty", tty)
    interrupts.say("SIGINT: stopping")
    assert os.read(stderr_pipe, 200).decode() == f"{start}rc-contract: SIGINT: stopping\n"
