"""The exceptions overhead raises.

::

    OverheadError                 (ValueError)  every error overhead raises on purpose
    ├── ElementSetError                         a TLE/OMM record is malformed: carries source, line, record, field
    ├── TimeError                               a time is unreadable, or outside the data that supports it
    ├── PropagationError                        SGP4 refused an element set: carries SGP4's error code
    ├── IngestRefusedError                      an ingest would shrink a group or store nothing: store unchanged
    ├── WorkTooLargeError                       work whose estimated size (rows, bytes, memory) is over a limit
    ├── MessageError                            a CCSDS message (CDM) is malformed: carries source, line, keyword
    └── CancelledError                          work stopped because its caller went away

Batch operations (loading a catalog, propagating thousands of satellites) do not raise for one bad
record: they collect :class:`ElementSetError` objects as ``Catalog.rejects`` and return per-satellite,
per-time error codes (see :data:`overhead.orbits.sgp4_propagation.SGP4_ERRORS`).
"""

from __future__ import annotations

__all__ = ["CancelledError", "ElementSetError", "IngestRefusedError", "MessageError", "OverheadError",
           "PropagationError", "TimeError", "WorkTooLargeError"]


class OverheadError(ValueError):
    """Base class of the errors overhead raises on purpose."""


class ElementSetError(OverheadError):
    """A malformed element set, located by source, line (or record) and field."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        record: int | None = None,
        field: str | None = None,
        norad_id: int | None = None,
    ) -> None:
        self.reason = message
        self.source = source
        self.line = line
        self.record = record
        self.field = field
        self.norad_id = norad_id
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.record is not None:
            where.append(f"record {self.record}")
        if self.field:
            where.append(f"field {self.field}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason


class TimeError(OverheadError):
    """A time that cannot be read, or that lies outside the tables supporting it."""


class PropagationError(OverheadError):
    """SGP4 refused an element set; ``code`` is SGP4's error code (1-6)."""

    def __init__(self, message: str, *, code: int, norad_id: int | None = None) -> None:
        self.code = code
        self.norad_id = norad_id
        super().__init__(message)


class IngestRefusedError(OverheadError):
    """An ingest that would have emptied or shrunk a group, or stores nothing: the store is unchanged."""


class WorkTooLargeError(OverheadError):
    """Work refused before it starts: its estimated size is over a limit (the message says what to reduce)."""


class CancelledError(OverheadError):
    """Work stopped on request (its client went away, or its job was cancelled)."""


class MessageError(OverheadError):
    """A malformed CCSDS message (a CDM), located by source, line and keyword."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None,
                 keyword: str | None = None) -> None:
        self.reason = message
        self.source = source
        self.line = line
        self.keyword = keyword
        where = [part for part in (source, f"line {line}" if line is not None else None,
                                   f"keyword {keyword}" if keyword else None) if part]
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
