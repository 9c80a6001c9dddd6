"""Errors that cross layers: raised by live server access, caught by the contract, objects and
the run. A bottom module: it imports nothing of the package, so every layer may use it."""

from __future__ import annotations


class TransportError(Exception):
    """The server could not be reached or did not answer: an error of the run."""


class ServerGone(TransportError):
    """The server stopped answering (or answers 5xx to everything): the run breaks off."""


class NotSent(Exception):
    """A call would wait for the limiter past the budget's deadline: it is not sent."""
