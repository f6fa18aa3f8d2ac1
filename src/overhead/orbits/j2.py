"""Analytic propagation of designed orbits: Kepler plus the secular J2 drift of node, perigee and anomaly.

Rates from Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., eqs. 9-41 (node),
9-42 (perigee) and 9-43 (mean anomaly). The inertial frame of a design is taken as TEME, so that designed
and catalogued satellites share one Earth-fixed conversion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from overhead.constants import EARTH_MU_KM3_S2, EARTH_RADIUS_KM
from overhead.errors import OverheadError
from overhead.orbits.states import StateBuffers, dataset_from_buffers, rotation_for
from overhead.orbits.timescales import to_datetime64

__all__ = ["EARTH_MU_KM3_S2", "EARTH_RADIUS_KM", "J2", "DesignedOrbits", "j2_secular_rates"]


J2 = 1.08262668e-3


def mean_motion_rad_s(semi_major_axis_km):
    return np.sqrt(EARTH_MU_KM3_S2 / np.asarray(semi_major_axis_km, dtype=float) ** 3)


def j2_secular_rates(semi_major_axis_km, eccentricity, inclination_deg):
    """Secular rates (rad/s) of RAAN, argument of perigee and mean anomaly (the latter including n)."""
    a = np.asarray(semi_major_axis_km, dtype=float)
    e = np.asarray(eccentricity, dtype=float)
    i = np.radians(inclination_deg)
    n = mean_motion_rad_s(a)
    p = a * (1.0 - e * e)
    k = 1.5 * J2 * (EARTH_RADIUS_KM / p) ** 2 * n
    sin2 = np.sin(i) ** 2
    raan_dot = -k * np.cos(i)
    argp_dot = k * (2.0 - 2.5 * sin2)
    m_dot = n + k * np.sqrt(1.0 - e * e) * (1.0 - 1.5 * sin2)
    return raan_dot, argp_dot, m_dot


def solve_kepler(mean_anomaly_rad: np.ndarray, eccentricity: np.ndarray) -> np.ndarray:
    """Eccentric anomaly by Newton's method (vectorised; converges to 1e-14 for e < 0.99)."""
    e = np.broadcast_to(eccentricity, mean_anomaly_rad.shape)
    m = np.mod(mean_anomaly_rad, 2.0 * np.pi)
    big_e = np.where(e < 0.8, m, np.pi)
    for _ in range(30):
        step = (big_e - e * np.sin(big_e) - m) / (1.0 - e * np.cos(big_e))
        big_e = big_e - step
        if np.all(np.abs(step) < 1e-14):
            break
    return big_e


@dataclass
class DesignedOrbits:
    """Satellites of a design, as mean classical elements at a common epoch."""

    semi_major_axis_km: np.ndarray
    eccentricity: np.ndarray
    inclination_deg: np.ndarray
    raan_deg: np.ndarray
    arg_of_perigee_deg: np.ndarray
    mean_anomaly_deg: np.ndarray
    epoch: np.datetime64
    names: np.ndarray
    ids: np.ndarray | None = None  # stand-ins for catalog numbers, kept through subsetting

    def __post_init__(self) -> None:
        n = np.broadcast(
            self.semi_major_axis_km,
            self.eccentricity,
            self.inclination_deg,
            self.raan_deg,
            self.arg_of_perigee_deg,
            self.mean_anomaly_deg,
        ).shape or (1,)
        for name in (
            "semi_major_axis_km",
            "eccentricity",
            "inclination_deg",
            "raan_deg",
            "arg_of_perigee_deg",
            "mean_anomaly_deg",
        ):
            setattr(self, name, np.broadcast_to(np.asarray(getattr(self, name), dtype=float), n).copy())
        self.epoch = to_datetime64(self.epoch)
        if np.any(self.semi_major_axis_km * (1 - self.eccentricity) <= EARTH_RADIUS_KM):
            raise OverheadError(
                "a designed orbit's perigee is below the Earth's surface; check that "
                "altitudes are in km above the surface and semi-major axes from the centre"
            )
        if np.any((self.eccentricity < 0) | (self.eccentricity >= 1)):
            raise OverheadError("eccentricity must be in [0, 1)")
        self.names = np.asarray(
            self.names if len(self.names) else [f"DESIGN-{k:04d}" for k in range(n[0])], dtype=object
        )
        self.ids = np.arange(n[0]) if self.ids is None else np.asarray(self.ids)

    @classmethod
    def from_altitude(
        cls,
        altitude_km,
        inclination_deg,
        *,
        raan_deg=0.0,
        mean_anomaly_deg=0.0,
        eccentricity=0.0,
        arg_of_perigee_deg=0.0,
        epoch="2026-01-01T00:00:00Z",
        names=(),
    ) -> DesignedOrbits:
        """Circular (or given-eccentricity) orbits from altitude above the equatorial radius."""
        return cls(
            np.asarray(altitude_km, dtype=float) + EARTH_RADIUS_KM,
            eccentricity,
            inclination_deg,
            raan_deg,
            arg_of_perigee_deg,
            mean_anomaly_deg,
            epoch,
            np.asarray(names, dtype=object),
        )

    def __len__(self) -> int:
        return self.semi_major_axis_km.size

    @classmethod
    def concatenate(cls, designs: list[DesignedOrbits]) -> DesignedOrbits:
        """One design of several (e.g. a polar plane plus inclined planes), renumbered from 0."""
        if len({str(d.epoch) for d in designs}) > 1:
            raise OverheadError("designs to combine must share an epoch")

        def joined(name: str) -> np.ndarray:
            return np.concatenate([getattr(d, name) for d in designs])

        names = [f"P{k + 1}-{n}" for k, d in enumerate(designs) for n in d.names]
        return cls(
            joined("semi_major_axis_km"),
            joined("eccentricity"),
            joined("inclination_deg"),
            joined("raan_deg"),
            joined("arg_of_perigee_deg"),
            joined("mean_anomaly_deg"),
            designs[0].epoch,
            np.array(names, dtype=object),
        )

    def __getitem__(self, index) -> DesignedOrbits:
        """The designs at positions ``index`` (a slice or a list of positions)."""
        index = np.atleast_1d(np.arange(len(self))[index])
        return DesignedOrbits(
            self.semi_major_axis_km[index],
            self.eccentricity[index],
            self.inclination_deg[index],
            self.raan_deg[index],
            self.arg_of_perigee_deg[index],
            self.mean_anomaly_deg[index],
            self.epoch,
            self.names[index],
            self.norad_ids[index],
        )

    @property
    def norad_ids(self) -> np.ndarray:
        """Designs have no catalog numbers: their positions in the whole design stand in."""
        assert self.ids is not None  # set by __post_init__
        return self.ids

    @property
    def epochs(self) -> np.ndarray:
        return np.full(len(self), self.epoch, dtype="datetime64[ns]")

    def age_days(self, times) -> np.ndarray:
        return np.zeros(len(self))  # an analytic design does not age

    def to_catalog(self, *, first_norad_id: int = 90_000):
        """The design as SGP4 element sets (B* = 0, mean motion from the semi-major axis), so that every
        command reading TLE/OMM can use it. SGP4's mean elements are not Keplerian ones: the two propagations
        drift apart along the track by some km per hour, which shifts passes but not coverage statistics."""
        from overhead.orbits.catalog import Catalog
        from overhead.orbits.records import ElementRecord

        n_rev_day = mean_motion_rad_s(self.semi_major_axis_km) * 86_400.0 / (2.0 * np.pi)
        records = [
            ElementRecord(
                norad_id=first_norad_id + k,
                classification="U",
                object_id="",
                epoch=self.epoch,
                mean_motion_dot=0.0,
                mean_motion_ddot=0.0,
                bstar=0.0,
                ephemeris_type=0,
                element_set_no=1,
                inclination_deg=float(self.inclination_deg[k]),
                raan_deg=float(self.raan_deg[k] % 360.0),
                eccentricity=float(self.eccentricity[k]),
                arg_of_pericenter_deg=float(self.arg_of_perigee_deg[k] % 360.0),
                mean_anomaly_deg=float(self.mean_anomaly_deg[k] % 360.0),
                mean_motion_rev_per_day=float(n_rev_day[k]),
                rev_at_epoch=0,
                name=str(self.names[k]),
            )
            for k in range(len(self))
        ]
        return Catalog.from_records(records, source="design")

    def teme_states(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions (km) and velocities (km/s), shape (satellite, time, 3)."""
        dt = ((times - self.epoch).astype("timedelta64[ns]").astype(np.int64) / 1e9)[None, :]
        a, e = self.semi_major_axis_km[:, None], self.eccentricity[:, None]
        raan_dot, argp_dot, m_dot = j2_secular_rates(a, e, self.inclination_deg[:, None])
        raan = np.radians(self.raan_deg[:, None]) + raan_dot * dt
        argp = np.radians(self.arg_of_perigee_deg[:, None]) + argp_dot * dt
        big_e = solve_kepler(np.radians(self.mean_anomaly_deg[:, None]) + m_dot * dt, e)
        cos_e, sin_e = np.cos(big_e), np.sin(big_e)
        root = np.sqrt(1.0 - e * e)
        # perifocal position and velocity; velocity uses the J2-perturbed anomaly rate
        x_p, y_p = a * (cos_e - e), a * root * sin_e
        e_dot = m_dot / (1.0 - e * cos_e)
        vx_p, vy_p = -a * sin_e * e_dot, a * root * cos_e * e_dot
        i = np.radians(self.inclination_deg[:, None])
        cos_o, sin_o, cos_w, sin_w, cos_i, sin_i = (
            np.cos(raan),
            np.sin(raan),
            np.cos(argp),
            np.sin(argp),
            np.cos(i),
            np.sin(i),
        )
        p = np.stack([cos_o * cos_w - sin_o * sin_w * cos_i, sin_o * cos_w + cos_o * sin_w * cos_i, sin_w * sin_i], -1)
        q = np.stack(
            [-cos_o * sin_w - sin_o * cos_w * cos_i, -sin_o * sin_w + cos_o * cos_w * cos_i, cos_w * sin_i], -1
        )
        r = x_p[..., None] * p + y_p[..., None] * q
        v = vx_p[..., None] * p + vy_p[..., None] * q
        # the drifting perigee and node turn the orbit's frame: add ω̇ ĥ × r and Ω̇ ẑ × r
        v += argp_dot[..., None] * np.cross(np.cross(p, q), r)
        v[..., 0] -= raan_dot * r[..., 1]
        v[..., 1] += raan_dot * r[..., 0]
        return r, v

    def _buffers(self, t: np.ndarray, frame: str, earth_model: str) -> StateBuffers:
        buffers = StateBuffers.allocate(frame, len(self), t.size, shared=False)
        r, v = self.teme_states(t)
        buffers.store(
            slice(0, len(self)), r, v, np.zeros(r.shape[:2], np.int8), rotation_for(frame, t, model=earth_model)
        )
        return buffers

    def state_arrays(self, times, frame: str = "itrf") -> tuple[np.ndarray, np.ndarray]:
        """Positions (km) and velocities (km/s), (satellite, time, 3), without the labelled Dataset."""
        buffers = self._buffers(np.atleast_1d(to_datetime64(times)), frame, "iers2010")
        return buffers.position, buffers.velocity

    def propagate(
        self,
        times,
        *,
        frame: str = "teme",
        earth_model: str = "iers2010",
        workers: int | None = None,
        progress: bool = False,
    ) -> xr.Dataset:
        """The same Dataset as :meth:`overhead.Catalog.propagate`, for designed orbits."""
        t = np.atleast_1d(to_datetime64(times))
        buffers = self._buffers(t, frame, earth_model)
        return dataset_from_buffers(
            buffers,
            norad_id=self.ids,
            name=self.names,
            time_coord={"time": ("time", t)},
            attrs={"source": "design (J2 analytic)"},
        )
