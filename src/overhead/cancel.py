"""Cooperative cancellation: long computations check, between chunks of work, whether their caller still wants
the answer (a service request whose client went away or ran past its time limit, a cancelled job).

The service sets a :class:`CancelToken` for the duration of a request (:func:`cancel_scope`); the library calls
:func:`check_cancelled` at its chunk boundaries, which raises :class:`~overhead.errors.CancelledError` once the
token is cancelled. Outside a scope the check costs one context-variable lookup and never raises.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from overhead.errors import CancelledError

__all__ = ["CancelToken", "cancel_scope", "check_cancelled"]


class CancelToken:
    """Set once, by whoever stops the work, with the reason the caller will be told."""

    def __init__(self, event: threading.Event | None = None, reason: str = "") -> None:
        self._event = event if event is not None else threading.Event()  # a job's own cancel event, shared
        self.reason = reason

    def cancel(self, reason: str) -> None:
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


_CURRENT: ContextVar[CancelToken | None] = ContextVar("overhead_cancel_token", default=None)


@contextmanager
def cancel_scope(token: CancelToken) -> Iterator[CancelToken]:
    """Make ``token`` the one :func:`check_cancelled` consults in this context (threads started from it through
    ``contextvars``-aware executors, such as the service's thread pool, see it too)."""
    reset = _CURRENT.set(token)
    try:
        yield token
    finally:
        _CURRENT.reset(reset)


def check_cancelled() -> None:
    """Raise CancelledError when the current work has been cancelled."""
    token = _CURRENT.get()
    if token is not None and token.cancelled:
        raise CancelledError(token.reason or "cancelled")
