"""One mean-element set, whatever file format it came from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ELEMENT_COLUMNS", "MAX_NAME_CHARS", "ElementRecord", "name_problem"]

MAX_NAME_CHARS = 64  # what the store's name columns hold, and every reader accepts


def name_problem(name: str) -> str | None:
    """What is wrong with an object's name for every reader (TLE, OMM, SATCAT): None, or why it is refused.

    One rule: printable (no control characters, which break XML, Atom and one-line formats), at most
    :data:`MAX_NAME_CHARS` characters (the store's column; PostgreSQL refuses longer)."""
    if len(name) > MAX_NAME_CHARS:
        return f"is longer than {MAX_NAME_CHARS} characters"
    if not name.isprintable():
        return "has control characters"
    return None


@dataclass(frozen=True)
class ElementRecord:
    """An SGP4 mean-element set in the units of TLE and OMM (degrees, revolutions per day)."""

    norad_id: int
    classification: str
    object_id: str  # international designator, "1998-067A"; "" when unknown
    epoch: np.datetime64  # UTC, ns
    mean_motion_dot: float  # rev/day² (n-dot / 2, as TLE and OMM print it)
    mean_motion_ddot: float  # rev/day³ (n-double-dot / 6)
    bstar: float  # 1/Earth radii
    ephemeris_type: int
    element_set_no: int
    inclination_deg: float
    raan_deg: float
    eccentricity: float
    arg_of_pericenter_deg: float
    mean_anomaly_deg: float
    mean_motion_rev_per_day: float
    rev_at_epoch: int
    name: str = ""


ELEMENT_COLUMNS = tuple(ElementRecord.__dataclass_fields__)
