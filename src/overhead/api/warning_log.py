"""The library's warnings in the service's log: once per condition, then counted, never one line per request.

A warning says something about the data (elements far from their epochs, times beyond the Earth-orientation table)
that holds for every request until the data changes; logged per request it drowned the log (4,013 lines in one
load run). A condition is the warning's category and the line that raised it; its first occurrence is logged in
full, and every tenfold repeat (10, 100, 1,000 ...) as a count.
"""

from __future__ import annotations

import logging
import math
import threading
import warnings
from typing import Any

__all__ = ["WarningLog"]

LOGGER = logging.getLogger("overhead.api")


class WarningLog:
    """Routes ``warnings.showwarning`` to a logger, once per condition, while installed (a context manager)."""

    def __init__(self, logger: logging.Logger = LOGGER) -> None:
        self.logger = logger
        self.counts: dict[tuple[str, str, int], int] = {}
        self._lock = threading.Lock()
        self._previous: Any = None

    def show(self, message, category, filename, lineno, file=None, line=None) -> None:
        condition = (category.__name__, str(filename), int(lineno))
        with self._lock:
            count = self.counts[condition] = self.counts.get(condition, 0) + 1
        if count == 1:
            self.logger.warning("%s: %s (logged once; its repeats are counted)", category.__name__, message)
        elif math.log10(count).is_integer():
            self.logger.warning("%s repeated: %d times so far (%s:%d)", category.__name__, count, filename, lineno)

    def __enter__(self) -> WarningLog:
        self._previous = warnings.showwarning
        warnings.showwarning = self.show
        return self

    def __exit__(self, *exc) -> None:
        if warnings.showwarning == self.show:
            warnings.showwarning = self._previous
