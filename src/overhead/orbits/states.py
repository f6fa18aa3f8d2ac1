"""Turning TEME states into the requested frame, and labelling them as an ``xarray.Dataset``."""

from __future__ import annotations

import mmap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from numba import njit
from sgp4.api import SGP4_ERRORS

from overhead.errors import OverheadError
from overhead.labelled import dataset
from overhead.orbits.frames import apply_teme_to_itrf, geodetic_of, teme_to_itrf_matrices

__all__ = ["ERRORS", "FRAMES", "IMPLAUSIBLE_RADIUS", "StateBuffers", "dataset_from_buffers", "state_vectors"]

FRAMES = ("teme", "itrf", "geodetic")
POSITION_VARS = ("x_km", "y_km", "z_km")
VELOCITY_VARS = ("vx_km_s", "vy_km_s", "vz_km_s")
GEODETIC_VARS = ("lat_deg", "lon_deg", "alt_km")


def shared_empty(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised array in anonymous shared memory, so that forked workers can fill it."""
    nbytes = max(int(np.prod(shape)) * np.dtype(dtype).itemsize, 1)
    return np.frombuffer(mmap.mmap(-1, nbytes), dtype=dtype, count=int(np.prod(shape))).reshape(shape)


@dataclass
class StateBuffers:
    """Output arrays (satellite, time[, 3]) for one frame, filled chunk by chunk."""

    frame: str
    # the arrays the frame has (the others stay None): Any, since which ones exist depends on the frame
    position: Any = None  # teme/itrf km
    velocity: Any = None  # teme/itrf km/s
    geodetic: Any = None  # (3, satellite, time): lat deg, lon deg, alt km
    error: Any = None

    @classmethod
    def allocate(cls, frame: str, n_sat: int, n_time: int, *, shared: bool) -> StateBuffers:
        if frame not in FRAMES:
            raise OverheadError(f"unknown frame {frame!r}; use one of {', '.join(FRAMES)}")
        empty: Callable = shared_empty if shared else np.empty
        buffers = cls(frame=frame, error=empty((n_sat, n_time), np.int8))
        if frame == "geodetic":
            buffers.geodetic = empty((3, n_sat, n_time), np.float64)
        else:
            buffers.position = empty((n_sat, n_time, 3), np.float64)
            buffers.velocity = empty((n_sat, n_time, 3), np.float64)
        return buffers

    def store(
        self,
        rows: slice,
        r_teme: np.ndarray,
        v_teme: np.ndarray,
        error: np.ndarray,
        rotation: tuple[np.ndarray, np.ndarray] | None,
        columns: slice = slice(None),
    ) -> None:
        """Convert a chunk of TEME states (sat, time, 3) and write it at ``rows`` and time ``columns``.

        ``rotation`` is (matrices, Earth rotation rate) shared by all satellites, from
        :func:`teme_to_itrf_matrices`, at all the buffers' times (None for the TEME frame).
        """
        if rotation is not None and columns != slice(None):
            rotation = (rotation[0][columns], rotation[1][columns])
        if self.frame == "geodetic":  # one compiled pass: the checks below, the rotation and the latitude
            assert rotation is not None
            first = columns.indices(self.error.shape[1])[0]
            _teme_to_geodetic(
                np.ascontiguousarray(r_teme),
                np.ascontiguousarray(error),
                np.ascontiguousarray(rotation[0]),
                self.geodetic,
                self.error,
                rows.start or 0,
                first,
                IMPLAUSIBLE_RADIUS,
            )
            return
        at = (rows, columns)
        radius2 = np.einsum("...i,...i->...", r_teme, r_teme)
        implausible = (error == 0) & ~((radius2 >= MIN_RADIUS_KM**2) & (radius2 <= MAX_RADIUS_KM**2))
        if implausible.any():  # e.g. elements propagated decades from their epoch: 2.4e17 km is no position
            error = np.where(implausible, IMPLAUSIBLE_RADIUS, error)
        self.error[at] = error
        failed = error != 0
        if failed.any():  # python-sgp4 leaves some failed states finite; a failed state is NaN here
            r_teme = np.where(failed[..., None], np.nan, r_teme)
            v_teme = np.where(failed[..., None], np.nan, v_teme)
        if self.frame == "teme":
            self.position[at], self.velocity[at] = r_teme, v_teme
            return
        assert rotation is not None  # the Earth-fixed frames need one
        self.position[at], self.velocity[at] = apply_teme_to_itrf(rotation[0], rotation[1], r_teme, v_teme)


@njit(cache=True, nogil=True, error_model="numpy")  # numpy's division: NaN and inf where numpy gives them
def _teme_to_geodetic(r_teme, error, rot, geodetic, error_out, row0, col0, implausible_code):
    """TEME positions (sat, time, 3) with SGP4's codes → geodetic[:, row0 + i, col0 + k] (lat deg, lon deg,
    alt km) and error_out: ``StateBuffers.store``'s checks (implausible radius; NaN where failed), the rotation
    and :func:`frames.geodetic_of`, per state."""
    low2, high2 = MIN_RADIUS_KM * MIN_RADIUS_KM, MAX_RADIUS_KM * MAX_RADIUS_KM
    for i in range(r_teme.shape[0]):
        for k in range(r_teme.shape[1]):
            x0, y0, z0 = r_teme[i, k, 0], r_teme[i, k, 1], r_teme[i, k, 2]
            code = error[i, k]
            radius2 = x0 * x0 + y0 * y0 + z0 * z0
            if code == 0 and not (low2 <= radius2 <= high2):
                code = implausible_code
            error_out[row0 + i, col0 + k] = code
            if code != 0:
                geodetic[0, row0 + i, col0 + k] = np.nan
                geodetic[1, row0 + i, col0 + k] = np.nan
                geodetic[2, row0 + i, col0 + k] = np.nan
                continue
            x = rot[k, 0, 0] * x0 + rot[k, 0, 1] * y0 + rot[k, 0, 2] * z0
            y = rot[k, 1, 0] * x0 + rot[k, 1, 1] * y0 + rot[k, 1, 2] * z0
            z = rot[k, 2, 0] * x0 + rot[k, 2, 1] * y0 + rot[k, 2, 2] * z0
            lat, lon, alt = geodetic_of(x, y, z)
            geodetic[0, row0 + i, col0 + k] = lat
            geodetic[1, row0 + i, col0 + k] = lon
            geodetic[2, row0 + i, col0 + k] = alt


MIN_RADIUS_KM = 6278.0  # 100 km under the equatorial radius (the pole is 6357 km): below it, not in orbit
MAX_RADIUS_KM = 10 * 384_400.0  # ten Earth-Moon distances: beyond it, not an Earth orbit
IMPLAUSIBLE_RADIUS = 7  # the error code of such states (SGP4's own codes are 1-6)
OUTSIDE_EPHEMERIS = 8  # the error code of a state asked outside an ephemeris' span (overhead.orbits.ephemeris)
ERRORS = {
    **SGP4_ERRORS,
    IMPLAUSIBLE_RADIUS: f"the position is implausible: its radius is under {MIN_RADIUS_KM:g} km "
    f"or over {MAX_RADIUS_KM:,.0f} km (elements used far from their epoch?)",
    OUTSIDE_EPHEMERIS: "the time is outside the ephemeris' span (an OEM gives states only between its first "
    "and last epochs)",
}


_LAST_ROTATION: list = []  # (times, model, rotation): chunked work asks for the same times again and again


def rotation_for(frame: str, times: np.ndarray, *, model: str = "iers2010"):
    """The TEME → ITRF rotation the frame needs at ``times`` (None for TEME); the last one is reused."""
    if frame == "teme":
        return None
    if _LAST_ROTATION:
        last_times, last_model, rotation = _LAST_ROTATION[0]
        if last_model == model and last_times.shape == times.shape and np.array_equal(last_times, times):
            return rotation
    rotation = teme_to_itrf_matrices(times, model=model)
    _LAST_ROTATION[:] = [(np.array(times, copy=True), model, rotation)]
    return rotation


def dataset_from_buffers(buffers: StateBuffers, *, norad_id, name, time_coord: dict, attrs: dict) -> xr.Dataset:
    """Label filled buffers: dims (satellite, time), coordinates norad_id, name, time."""
    dims = ("satellite", "time")
    data_vars: dict[str, tuple] = {}
    if buffers.frame == "geodetic":
        for k, var in enumerate(GEODETIC_VARS):
            data_vars[var] = (dims, buffers.geodetic[k])
    else:
        for k, var in enumerate(POSITION_VARS):
            data_vars[var] = (dims, buffers.position[..., k])
        for k, var in enumerate(VELOCITY_VARS):
            data_vars[var] = (dims, buffers.velocity[..., k])
    data_vars["error"] = (dims, buffers.error)
    coords = {"norad_id": ("satellite", np.asarray(norad_id)), "name": ("satellite", np.asarray(name)), **time_coord}
    ds = dataset(data_vars, coords=coords, attrs={"frame": buffers.frame, **attrs})
    units = {
        "x_km": "km",
        "y_km": "km",
        "z_km": "km",
        "vx_km_s": "km/s",
        "vy_km_s": "km/s",
        "vz_km_s": "km/s",
        "lat_deg": "degrees_north",
        "lon_deg": "degrees_east",
        "alt_km": "km",
    }
    for var, unit in units.items():
        if var in ds:
            ds[var].attrs["units"] = unit
    ds["error"].attrs["description"] = (
        "SGP4 error code (1-6), or 7 for an implausible radius; 0 = fine (see overhead.SGP4_ERRORS)"
    )
    return ds


def state_vectors(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Positions (km) and velocities (km/s) of a TEME or ITRF Dataset as arrays (satellite, time, 3)."""
    return (
        np.stack([ds[name].values for name in POSITION_VARS], -1),
        np.stack([ds[name].values for name in VELOCITY_VARS], -1),
    )
