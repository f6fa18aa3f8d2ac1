"""The exceptions overhead raises.

::

    OverheadError                 (ValueError)  every error overhead raises on purpose          code
    ├── ElementSetError                         a TLE/OMM record is malformed: source, line, field  invalid_elements
    ├── TimeError                               a time is unreadable, or outside supporting data    invalid_time
    ├── PropagationError                        SGP4 refused an element set: SGP4's error code      propagation
    ├── IngestRefusedError                      an ingest would shrink a group or store nothing     ingest_refused
    ├── WorkTooLargeError                       work whose estimated size is over a limit           too_large
    ├── MessageError                            a CCSDS message (CDM) is malformed: line, keyword   invalid_message
    ├── NotFoundError                           the thing asked for is not in the store             not_found
    ├── ConflictError                           the store's state forbids it now (undo order)       conflict
    └── CancelledError                          work stopped because its caller went away           cancelled

Every error carries a machine ``code`` (the class attribute in the right column; ``invalid`` for a plain
OverheadError): the REST service maps codes to HTTP statuses (:data:`HTTP_STATUS`), never the message's words, and
messages say what is wrong in the library's terms (the command line adds its flags).

Batch operations (loading a catalog, propagating thousands of satellites) do not raise for one bad
record: they collect :class:`ElementSetError` objects as ``Catalog.rejects`` and return per-satellite,
per-time error codes (see :data:`overhead.orbits.sgp4_propagation.SGP4_ERRORS`).
"""

from __future__ import annotations

__all__ = [
    "HTTP_STATUS",
    "CancelledError",
    "ConflictError",
    "ElementSetError",
    "IngestRefusedError",
    "MessageError",
    "NotFoundError",
    "OverheadError",
    "PropagationError",
    "TimeError",
    "WorkTooLargeError",
]


class OverheadError(ValueError):
    """Base class of the errors overhead raises on purpose; ``code`` says which kind, for machines."""

    code = "invalid"


class NotFoundError(OverheadError):
    """What was asked for (an ingest, an object) is not in the store."""

    code = "not_found"


class ConflictError(OverheadError):
    """The store's present state forbids the operation (an undo while a later ingest depends on it)."""

    code = "conflict"


class ElementSetError(OverheadError):
    """A malformed element set, located by source, line (or record) and field."""

    code = "invalid_elements"

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

    code = "invalid_time"


class PropagationError(OverheadError):
    """SGP4 refused an element set; ``sgp4_code`` is SGP4's error code (1-6)."""

    code = "propagation"

    def __init__(self, message: str, *, sgp4_code: int, norad_id: int | None = None) -> None:
        self.sgp4_code = sgp4_code
        self.norad_id = norad_id
        super().__init__(message)


class IngestRefusedError(OverheadError):
    """An ingest that would have emptied or shrunk a group, or stores nothing: the store is unchanged."""

    code = "ingest_refused"


class WorkTooLargeError(OverheadError):
    """Work refused before it starts: its estimated size is over a limit (the message says what to reduce)."""

    code = "too_large"


class CancelledError(OverheadError):
    """Work stopped on request (its client went away, or its job was cancelled)."""

    code = "cancelled"


class MessageError(OverheadError):
    """A malformed CCSDS message (a CDM), located by source, line and keyword."""

    code = "invalid_message"

    def __init__(
        self, message: str, *, source: str | None = None, line: int | None = None, keyword: str | None = None
    ) -> None:
        self.reason = message
        self.source = source
        self.line = line
        self.keyword = keyword
        where = [
            part
            for part in (
                source,
                f"line {line}" if line is not None else None,
                f"keyword {keyword}" if keyword else None,
            )
            if part
        ]
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


# the REST service's answer to each code (anything else: 422, the request cannot be done as asked)
HTTP_STATUS = {"not_found": 404, "conflict": 409, "too_large": 413, "cancelled": 503}
