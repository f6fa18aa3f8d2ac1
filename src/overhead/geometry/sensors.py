"""Sensor models and access constraints, as margins that are positive where a target can be seen.

Angles at the satellite are measured from the geocentric nadir (−r̂); elevation and incidence at the
target from its geodetic vertical. Along-track is the direction of the Earth-fixed velocity projected
perpendicular to nadir; cross-track is positive to the right of the ground track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from overhead.constants import WGS84_A_KM as EQUATORIAL_RADIUS_KM
from overhead.errors import OverheadError
from overhead.geometry.specs import ConstraintsSpec, spec_default

__all__ = [
    "AccessConstraints",
    "FieldOfRegard",
    "NadirCone",
    "RectangularSensor",
    "central_angle_bound_rad",
    "footprint_central_angle_rad",
]

POLAR_RADIUS_KM = 6356.752


@dataclass(frozen=True)
class NadirCone:
    """A fixed nadir-pointing cone of the given half-angle."""

    half_angle_deg: float

    def __post_init__(self) -> None:
        if not 0 < self.half_angle_deg < 90:
            raise OverheadError(f"cone half-angle must be in (0, 90) deg, got {self.half_angle_deg}")

    @property
    def max_off_nadir_deg(self) -> float:
        return self.half_angle_deg

    def margin_deg(self, off_nadir_deg, along_deg, cross_deg):
        return self.half_angle_deg - off_nadir_deg


@dataclass(frozen=True)
class FieldOfRegard(NadirCone):
    """An agile or steerable sensor that can point anywhere within ``half_angle_deg`` of nadir."""


@dataclass(frozen=True)
class RectangularSensor:
    """A rectangular field of view that can roll between ``min_roll_deg`` and ``max_roll_deg``.

    A side-looking SAR imaging 20°-45° to the right: ``RectangularSensor(0, 2, min_roll_deg=20,
    max_roll_deg=45)``; for both sides use two sensors or a negative ``min_roll_deg``.
    """

    cross_track_half_deg: float
    along_track_half_deg: float
    min_roll_deg: float = 0.0
    max_roll_deg: float = 0.0

    def __post_init__(self) -> None:
        if self.min_roll_deg > self.max_roll_deg:
            raise OverheadError("min_roll_deg must not exceed max_roll_deg")
        if not (0 <= self.cross_track_half_deg < 90 and 0 <= self.along_track_half_deg < 90):
            raise OverheadError("half-widths must be in [0, 90) deg")

    @property
    def max_off_nadir_deg(self) -> float:
        cross = max(abs(self.min_roll_deg), abs(self.max_roll_deg)) + self.cross_track_half_deg
        along = self.along_track_half_deg
        return float(np.degrees(np.arctan(np.hypot(np.tan(np.radians(min(cross, 89.9))), np.tan(np.radians(along))))))

    def margin_deg(self, off_nadir_deg, along_deg, cross_deg):
        low = self.min_roll_deg - self.cross_track_half_deg
        high = self.max_roll_deg + self.cross_track_half_deg
        return np.minimum(np.minimum(self.along_track_half_deg - np.abs(along_deg), cross_deg - low), high - cross_deg)


Sensor = NadirCone | FieldOfRegard | RectangularSensor


@dataclass(frozen=True)
class AccessConstraints:
    """Conditions for a target to count as seen; every one given must hold.

    ``sunlit``: True for a satellite in sunlight, False for one in the Earth's shadow, None for either.
    Incidence is the angle at the target between its vertical and the line to the satellite (90° − elevation).
    """

    min_elevation_deg: float = spec_default(ConstraintsSpec, "min_elevation_deg")
    max_off_nadir_deg: float | None = None
    min_incidence_deg: float | None = None
    max_incidence_deg: float | None = None
    min_sun_elevation_deg: float | None = None
    max_sun_elevation_deg: float | None = None
    sunlit: bool | None = None
    min_duration_s: float = spec_default(ConstraintsSpec, "min_duration_s")
    sensor: Sensor | None = None

    def __post_init__(self) -> None:
        if not -90 <= self.min_elevation_deg < 90:
            raise OverheadError(f"min_elevation_deg must be in [-90, 90), got {self.min_elevation_deg}")
        if self.max_off_nadir_deg is not None and not 0 < self.max_off_nadir_deg <= 90:
            raise OverheadError(f"max_off_nadir_deg must be in (0, 90], got {self.max_off_nadir_deg}")
        if self.min_duration_s < 0:
            raise OverheadError("min_duration_s must not be negative")

    @classmethod
    def from_spec(cls, spec: ConstraintsSpec) -> AccessConstraints:
        """The constraints of a request (``sunlit=False`` means "not asked", as an unset flag does)."""
        values = spec.model_dump(exclude={"half_angle_deg", "sunlit"})
        return cls(
            **values,
            sunlit=True if spec.sunlit else None,
            sensor=NadirCone(spec.half_angle_deg) if spec.half_angle_deg else None,
        )

    @property
    def needs_sun(self) -> bool:
        return (
            self.min_sun_elevation_deg is not None or self.max_sun_elevation_deg is not None or self.sunlit is not None
        )

    def off_nadir_limit_deg(self) -> float | None:
        limits = [
            x
            for x in (self.max_off_nadir_deg, self.sensor.max_off_nadir_deg if self.sensor is not None else None)
            if x is not None
        ]
        return min(limits) if limits else None

    def lowest_elevation_deg(self, target_masks: np.ndarray) -> np.ndarray:
        """The lowest elevation at which each target can count as seen (for the geometric pre-filter)."""
        low = np.fmax(np.nan_to_num(target_masks, nan=-90.0), self.min_elevation_deg)
        if self.max_incidence_deg is not None:
            low = np.maximum(low, 90.0 - self.max_incidence_deg)
        return low


def central_angle_bound_rad(
    radius_km: np.ndarray, *, min_elevation_deg: float, max_off_nadir_deg: float | None
) -> np.ndarray:
    """Largest Earth-central angle between sub-satellite point and a target that can meet the constraints.

    On a sphere of radius R: λ = arccos(R cos ε / r) − ε for an elevation mask ε, and
    λ = arcsin(r sin η / R) − η for an off-nadir limit η (Wertz, *Space Mission Analysis and Design*,
    3rd ed., eqs. 5-25-5-28). R is the polar or equatorial radius, whichever gives the larger bound.
    """
    r = np.asarray(radius_km, dtype=float)
    eps = np.radians(max(min_elevation_deg, -10.0))
    bound = np.arccos(np.clip(POLAR_RADIUS_KM * np.cos(eps) / r, -1, 1)) - eps
    if eps < 0:  # a negative mask: the horizon of the largest radius is beyond the plain formula
        bound = np.arccos(np.clip(POLAR_RADIUS_KM / r, -1, 1)) + abs(eps)
    if max_off_nadir_deg is not None:
        eta = np.radians(max_off_nadir_deg)
        s = r * np.sin(eta) / POLAR_RADIUS_KM
        by_sensor = np.where(s < 1, np.arcsin(np.clip(s, -1, 1)) - eta, np.arccos(np.clip(POLAR_RADIUS_KM / r, -1, 1)))
        bound = np.minimum(bound, by_sensor)
    # geodetic and geocentric verticals differ by up to 0.19°: widen by a quarter of a degree
    return np.clip(bound, 0.0, np.pi) + np.radians(0.25)


def footprint_central_angle_rad(
    alt_km, lat_deg, *, min_elevation_deg: float = 0.0, max_off_nadir_deg: float | None = None
) -> np.ndarray:
    """Earth-central angle from the sub-satellite point to the edge of the ground a sensor sees (to draw it).

    The closed forms of :func:`central_angle_bound_rad` on a sphere of the WGS84 geocentric radius under the
    satellite, without that bound's widening: the edge is where the elevation is ``min_elevation_deg`` (or the
    off-nadir angle ``max_off_nadir_deg``), to within ~0.1° of elevation from the Earth's flattening.
    """
    phi = np.radians(np.asarray(lat_deg, dtype=float))
    a, b = EQUATORIAL_RADIUS_KM, POLAR_RADIUS_KM
    earth = np.sqrt(
        ((a * a * np.cos(phi)) ** 2 + (b * b * np.sin(phi)) ** 2) / ((a * np.cos(phi)) ** 2 + (b * np.sin(phi)) ** 2)
    )
    r = earth + np.asarray(alt_km, dtype=float)
    eps = np.radians(min_elevation_deg)
    angle = np.arccos(np.clip(earth * np.cos(eps) / r, -1, 1)) - eps
    if max_off_nadir_deg is not None:
        eta = np.radians(max_off_nadir_deg)
        s = r * np.sin(eta) / earth
        angle = np.minimum(angle, np.where(s < 1, np.arcsin(np.clip(s, -1, 1)) - eta, np.arccos(earth / r)))
    return np.clip(angle, 0.0, np.pi)
