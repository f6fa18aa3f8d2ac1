"""One mean-element set, whatever file format it came from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ELEMENT_COLUMNS", "ElementRecord"]


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
