"""UTC, TAI, TT and UT1, and the Julian dates SGP4 and the frame rotations need.

Public times are UTC ``numpy.datetime64[ns]``; ISO-8601 strings and timezone-aware ``datetime`` are
accepted (a naive ``datetime`` or ``datetime64`` is taken as UTC). Leap seconds come from the shipped
IERS Bulletin C table; UT1 − UTC from the IERS EOP table (:mod:`overhead.orbits.iers`).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

import numpy as np

from overhead._resources import data_path
from overhead.errors import OverheadError, TimeError

__all__ = [
    "JD_UNIX_EPOCH",
    "format_iso",
    "julian_date_split",
    "mjd_utc",
    "sample_count",
    "sample_times",
    "tai_minus_utc_s",
    "to_datetime64",
    "tt_julian_date",
]

JD_UNIX_EPOCH = 2440587.5
MJD_OFFSET = 2400000.5
NS_PER_DAY = 86_400 * 10**9
TT_MINUS_TAI_S = 32.184
# ISO-8601 calendar date, optionally with a time of day (ASCII digits only)
_ISO_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}(:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?)?$")
NS_RANGE = (np.datetime64("1678-01-01", "us"), np.datetime64("2261-12-31", "us"))  # what datetime64[ns] holds
_UTC_OFFSET = re.compile(
    r"^(?P<local>.*[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)"
    r"(?P<sign>[+-])(?P<hours>[0-9]{2}):?(?P<minutes>[0-9]{2})$"
)


def to_datetime64(values) -> Any:
    """UTC times as ``datetime64[ns]``: an array for a sequence, a ``numpy.datetime64`` for one time.

    Accepts ISO-8601 strings, ``datetime`` (aware ones converted to UTC, naive ones taken as UTC),
    ``datetime64`` and pandas timestamps. A string's zone: ``Z`` (or none: a time without a zone, or a bare date,
    is UTC, the convention of the field's files), or an offset such as ``+02:00``, converted to UTC.
    """
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[ns]")
    if isinstance(values, str | dt.datetime | np.datetime64):
        return _one_datetime64(values)
    try:
        items = list(values)
    except TypeError as exc:
        raise TimeError(
            f"cannot read {values!r} as a UTC time; give an ISO-8601 string like '2026-05-30T12:00:00Z' or a datetime64"
        ) from exc
    return np.array([_one_datetime64(v) for v in items], dtype="datetime64[ns]")


def _one_datetime64(value) -> np.datetime64:
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[ns]")
    if hasattr(value, "to_datetime64"):  # pandas Timestamp
        if getattr(value, "tzinfo", None) is not None:
            value = value.tz_convert("UTC").tz_localize(None)
        return value.to_datetime64().astype("datetime64[ns]")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return np.datetime64(value, "ns")
    if isinstance(value, str):
        text = value.strip()
        offset = np.timedelta64(0, "m")
        if text.endswith(("Z", "z")):
            text = text[:-1]
        elif found := _UTC_OFFSET.match(text):
            minutes = int(found["hours"]) * 60 + int(found["minutes"])
            if int(found["hours"]) > 18 or int(found["minutes"]) > 59:
                raise TimeError(
                    f"{value[:40]!r}: the UTC offset {found['sign']}{found['hours']}:{found['minutes']} "
                    "is outside ±18:00 (ISO-8601)"
                )
            offset = np.timedelta64(minutes if found["sign"] == "+" else -minutes, "m")
            text = found["local"]
        shown = value[:40]
        if not _ISO_TIME.match(text):  # numpy would read '1234567890' as a year, and wrap it
            raise TimeError(f"cannot read {shown!r} as a UTC time; use ISO-8601 such as '2026-05-30T12:00:00Z'")
        try:
            coarse = np.datetime64(text.replace(" ", "T"), "us")
        except ValueError as exc:
            raise TimeError(
                f"cannot read {shown!r} as a UTC time; use ISO-8601 such as '2026-05-30T12:00:00Z'"
            ) from exc
        if not NS_RANGE[0] <= coarse <= NS_RANGE[1]:
            raise TimeError(f"{shown!r} is outside the times overhead represents (1678 to 2261)")
        return np.datetime64(text.replace(" ", "T"), "ns") - offset
    raise TimeError(f"cannot read {value!r} as a UTC time")


def sample_count(start, stop, step_s: float) -> int:
    """How many times ``start, start + step, ...`` up to ``stop`` included (``step_s`` in seconds, ≥ 1 ns)."""
    step_ns = round(step_s * 1e9)
    if step_ns < 1:
        raise TimeError(f"the time step {step_s!r} s is under 1 ns: give a positive step")
    return int((to_datetime64(stop) - to_datetime64(start)) / np.timedelta64(1, "ns") // step_ns) + 1


def sample_times(start, stop, step_s: float) -> np.ndarray:
    """UTC times from ``start`` to ``stop`` (included when on the grid) every ``step_s`` seconds."""
    count = sample_count(start, stop, step_s)
    return to_datetime64(start) + np.arange(max(count, 0)) * np.timedelta64(round(step_s * 1e9), "ns")


def format_iso(times, *, digits: int = 6) -> np.ndarray:
    """ISO-8601 UTC strings with a trailing ``Z`` (``digits`` decimals of a second, 0-9)."""
    t = to_datetime64(times)
    unit = {0: "s", 3: "ms", 6: "us", 9: "ns"}.get(digits)
    if unit is None:
        raise OverheadError("digits must be 0, 3, 6 or 9")
    # numpy writes the Z itself for UTC: a third faster than adding it after (the service's answers write many)
    return np.datetime_as_string(t, unit=unit, timezone="UTC")  # type: ignore[call-overload]  # (no unit Literal)


def julian_date_split(times) -> tuple[np.ndarray, np.ndarray]:
    """UTC Julian date as (whole, fraction): whole ends in .5 (midnight), fraction in [0, 1).

    Splitting keeps nanosecond resolution, which one float64 Julian date (~20 µs) cannot.
    """
    ns = to_datetime64(times).astype(np.int64)
    days, rem = np.divmod(ns, NS_PER_DAY)
    return JD_UNIX_EPOCH + days.astype(np.float64), rem.astype(np.float64) / NS_PER_DAY


def mjd_utc(times) -> np.ndarray:
    """UTC Modified Julian Date as float64 (~1 µs resolution today)."""
    whole, fraction = julian_date_split(times)
    return (whole - MJD_OFFSET) + fraction


@lru_cache(maxsize=1)
def _leap_second_table() -> tuple[np.ndarray, np.ndarray]:
    starts, offsets = [], []
    for line in data_path("leap_seconds.csv").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        date, offset = line.split(",")
        starts.append(np.datetime64(date, "ns").astype(np.int64))
        offsets.append(float(offset))
    return np.array(starts), np.array(offsets)


def tai_minus_utc_s(times) -> np.ndarray:
    """TAI − UTC in seconds (the accumulated leap seconds) at each UTC time, from 1972 on."""
    starts, offsets = _leap_second_table()
    ns = to_datetime64(times).astype(np.int64)
    index = np.searchsorted(starts, ns, side="right") - 1
    if np.any(index < 0):
        raise TimeError("times before 1972-01-01 UTC are not supported: UTC had no leap-second table before then")
    return offsets[index]


def tt_julian_date(times) -> tuple[np.ndarray, np.ndarray]:
    """TT Julian date as (whole, fraction) for UTC times."""
    whole, fraction = julian_date_split(times)
    return whole, fraction + (tai_minus_utc_s(times) + TT_MINUS_TAI_S) / 86_400.0
