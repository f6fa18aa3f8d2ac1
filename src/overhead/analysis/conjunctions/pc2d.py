"""Two-dimensional collision probability (Foster 1992; Chan 1997 as the encounter-plane integral).

The short-encounter model: both objects move on straight lines at TCA, so the relative position is a Gaussian
in the plane normal to the relative velocity (the encounter or conjunction plane), centred on the miss vector,
with the combined covariance of the two positions projected on that plane. Pc is the Gaussian's mass over the
hard-body disc (or a square, or the square of the same area).

Written from the method's description (Foster & Estes 1992, JSC-25898; Alfano 2005) and the conventions of NASA
CARA's ``PcCircle``: the plane's x axis along the miss vector's component, eigenvalue clipping of the projected
covariance at (1e-4 HBR)², and the TCA of a CDM (rounded to the millisecond) re-found from the states by linear
motion before projecting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate, special

from overhead.errors import OverheadError

__all__ = [
    "EncounterPlane",
    "adjust_to_tca",
    "encounter_plane",
    "pc2d",
    "pc2d_square",
    "pc_circle",
    "pc_circle_fast",
    "pc_circle_fast_arrays",
]

CLIP_FRACTION = 1e-4  # projected covariance eigenvalues are raised to at least (CLIP_FRACTION * HBR)²


@dataclass(frozen=True)
class EncounterPlane:
    """The encounter plane at TCA: miss vector and combined covariance in its principal axes (metres)."""

    x_hat: np.ndarray  # unit vectors of the plane (x, z) and the relative velocity (y), inertial frame
    y_hat: np.ndarray
    z_hat: np.ndarray
    miss_m: float
    covariance_m2: np.ndarray  # 2x2 combined position covariance in (x, z), before clipping
    sigma_major_m: float  # principal standard deviations after clipping
    sigma_minor_m: float
    miss_major_m: float  # miss components along the principal axes (non-negative)
    miss_minor_m: float
    major_axis: np.ndarray  # unit vector of the major axis in (x, z)
    remediated: bool  # an eigenvalue was raised to the clipping floor
    positive_definite: bool  # the projected covariance was positive definite before clipping


def adjust_to_tca(r1, v1, r2, v2) -> tuple[float, np.ndarray, np.ndarray]:
    """(dt_s, r1, r2) at the true closest approach of linear motion near the given time.

    CDM states are given at a TCA rounded to the millisecond; at 15 km/s that is up to 7.5 m of along-track
    offset, which moves the 2D Pc of close encounters by ~1e-3 relative.
    """
    r1, v1, r2, v2 = (np.asarray(a, dtype=float) for a in (r1, v1, r2, v2))
    dv = v2 - v1
    speed2 = float(dv @ dv)
    if speed2 == 0.0:
        return math.nan, r1, r2
    dt = -float((r2 - r1) @ dv) / speed2
    return dt, r1 + dt * v1, r2 + dt * v2


def encounter_axes(r, v) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit axes of the encounter frame of a relative position and velocity (..., 3): y along the relative
    velocity, z along r × v, x = y × z (x and z span the encounter plane). Zero vectors where v or r × v is zero."""
    speed = np.linalg.norm(v, axis=-1, keepdims=True)
    y_hat = v / np.where(speed > 0, speed, 1)
    h = np.cross(r, v)
    z_hat = h / np.maximum(np.linalg.norm(h, axis=-1, keepdims=True), 1e-300)
    return np.cross(y_hat, z_hat), y_hat, z_hat


def encounter_plane(r1, v1, cov1, r2, v2, cov2, hbr_m: float) -> EncounterPlane:
    """Project the combined position covariance on the encounter plane (inputs in metres, m/s)."""
    r = np.asarray(r1, dtype=float) - np.asarray(r2, dtype=float)
    v = np.asarray(v1, dtype=float) - np.asarray(v2, dtype=float)
    miss = float(np.linalg.norm(r))
    if miss < max(10 * np.spacing(miss), 1e-6 * hbr_m):
        # a zero miss leaves the plane's x axis undefined: nudge it perpendicular to the motion, as CARA does
        r_sum = np.asarray(r1, dtype=float) + np.asarray(r2, dtype=float)
        nudge = np.cross(r_sum, v)
        r = r + max(10 * np.spacing(miss), 1e-6 * hbr_m) * nudge / np.linalg.norm(nudge)
        miss = float(np.linalg.norm(r))
    x_hat, y_hat, z_hat = encounter_axes(r, v)
    combined = np.asarray(cov1, dtype=float)[:3, :3] + np.asarray(cov2, dtype=float)[:3, :3]
    rotation = np.vstack([x_hat, y_hat, z_hat])
    rotated = rotation @ combined @ rotation.T
    plane = np.array([[rotated[0, 0], rotated[0, 2]], [rotated[2, 0], rotated[2, 2]]])
    plane = 0.5 * (plane + plane.T)
    eigenvalues, eigenvectors = np.linalg.eigh(plane)  # ascending
    minor, major = eigenvalues
    floor = (CLIP_FRACTION * hbr_m) ** 2
    positive_definite = bool(minor > 0)
    remediated = bool(major < floor or minor < floor)
    major, minor = max(major, floor), max(minor, floor)
    axis = eigenvectors[:, 1]
    return EncounterPlane(
        x_hat=x_hat,
        y_hat=y_hat,
        z_hat=z_hat,
        miss_m=miss,
        covariance_m2=plane,
        sigma_major_m=math.sqrt(major),
        sigma_minor_m=math.sqrt(minor),
        miss_major_m=miss * abs(float(axis[0])),
        miss_minor_m=miss * abs(float(axis[1])),
        major_axis=axis,
        remediated=remediated,
        positive_definite=positive_definite,
    )


def _erf_difference(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """erf(a) - erf(b) without cancellation when both are large and of the same sign."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    out = special.erf(a) - special.erf(b)
    both_positive = (a > 2) & (b > 2)
    both_negative = (a < -2) & (b < -2)
    out = np.where(both_positive, special.erfc(b) - special.erfc(a), out)
    return np.where(both_negative, special.erfc(-a) - special.erfc(-b), out)


def pc_circle(plane: EncounterPlane, hbr_m: float) -> float:
    """Gaussian mass of the hard-body disc: a 1-D integral of the erf-integrated strip (relative 1e-11)."""
    if hbr_m == 0:
        return 0.0
    if math.isinf(hbr_m):
        return 1.0
    sx, sz = plane.sigma_major_m, plane.sigma_minor_m
    xm, zm = plane.miss_major_m, plane.miss_minor_m
    dx, dz = math.sqrt(2) * sx, math.sqrt(2) * sz

    def strip(x: float) -> float:
        half = math.sqrt(max(hbr_m**2 - (x - xm) ** 2, 0.0))
        a, b = (zm + half) / dz, (zm - half) / dz
        if a > 2 and b > 2:
            diff = math.erfc(b) - math.erfc(a)
        elif a < -2 and b < -2:
            diff = math.erfc(-a) - math.erfc(-b)
        else:
            diff = math.erf(a) - math.erf(b)
        return math.exp(-((x / dx) ** 2)) * diff

    lo, hi = xm - hbr_m, xm + hbr_m
    # integrate where the Gaussian lives: beyond 40 sigma exp(-x²/2σ²) is below 1e-300 of its peak
    lo, hi = max(lo, -40 * sx), min(hi, 40 * sx)
    if lo >= hi:
        return 0.0
    points = [p for p in (0.0,) if lo < p < hi]
    value, _err = integrate.quad(strip, lo, hi, points=points or None, epsabs=0.0, epsrel=1e-12, limit=200)
    return max(0.0, value / sx / math.sqrt(8 * math.pi))


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)
_PHI = 0.5 * math.pi * (_NODES + 1)  # nodes on [0, π]
_PHI_WEIGHTS = 0.5 * math.pi * _WEIGHTS


def pc_circle_fast(plane: EncounterPlane, hbr_m: float) -> float:
    """:func:`pc_circle` by 64-point Gauss-Legendre over x = xm + HBR·cos φ (smooth in φ): relative error
    below 1e-10 while the minor sigma exceeds HBR/4, the screening case; falls back to :func:`pc_circle`."""
    if plane.sigma_minor_m < 0.25 * hbr_m:
        return pc_circle(plane, hbr_m)
    return float(
        pc_circle_fast_arrays(
            [plane.sigma_major_m], [plane.sigma_minor_m], [plane.miss_major_m], [plane.miss_minor_m], hbr_m
        )[0]
    )


def pc_circle_fast_arrays(sx: ArrayLike, sz: ArrayLike, xm: ArrayLike, zm: ArrayLike, hbr_m: float) -> np.ndarray:
    """:func:`pc_circle_fast` over arrays of principal sigmas and miss components (metres)."""
    sx, sz, xm, zm = (np.asarray(a, dtype=float)[:, None] for a in (sx, sz, xm, zm))
    x = xm + hbr_m * np.cos(_PHI)
    half = hbr_m * np.sin(_PHI)
    dz = math.sqrt(2) * sz
    strip = np.exp(-((x / (math.sqrt(2) * sx)) ** 2)) * _erf_difference((zm + half) / dz, (zm - half) / dz)
    value = (strip * half) @ _PHI_WEIGHTS / sx[:, 0] / math.sqrt(8 * math.pi)  # dx = HBR sin φ dφ
    out = np.maximum(value, 0.0)
    narrow = np.nonzero(sz[:, 0] < 0.25 * hbr_m)[0]
    for k in narrow:  # a covariance thin against the hard body: the adaptive integral
        plane = EncounterPlane(
            x_hat=np.zeros(3),
            y_hat=np.zeros(3),
            z_hat=np.zeros(3),
            miss_m=0.0,
            covariance_m2=np.zeros((2, 2)),
            sigma_major_m=float(sx[k, 0]),
            sigma_minor_m=float(sz[k, 0]),
            miss_major_m=float(xm[k, 0]),
            miss_minor_m=float(zm[k, 0]),
            major_axis=np.zeros(2),
            remediated=False,
            positive_definite=True,
        )
        out[k] = pc_circle(plane, hbr_m)
    return out


def pc_square(plane: EncounterPlane, half_width_m: float) -> float:
    """Gaussian mass of the square of half-width ``half_width_m`` aligned with the covariance's axes."""
    sqrt2 = math.sqrt(2)
    ex = _erf_difference(
        (plane.miss_major_m + half_width_m) / (sqrt2 * plane.sigma_major_m),
        (plane.miss_major_m - half_width_m) / (sqrt2 * plane.sigma_major_m),
    )
    ez = _erf_difference(
        (plane.miss_minor_m + half_width_m) / (sqrt2 * plane.sigma_minor_m),
        (plane.miss_minor_m - half_width_m) / (sqrt2 * plane.sigma_minor_m),
    )
    return float(ex * ez / 4)


def pc2d(
    r1, v1, cov1, r2, v2, cov2, hbr_m: float, *, adjust_tca: bool = True, shape: str = "circle"
) -> tuple[float, EncounterPlane]:
    """2D Pc of an encounter (metres, m/s; covariances 3x3 or 6x6 in the states' inertial frame).

    ``shape``: ``"circle"`` (the hard-body disc), ``"square"`` (half-width HBR) or ``"square-equal-area"``
    (half-width √π/2·HBR). Returns (Pc, encounter plane); Pc is NaN for zero relative velocity.
    """
    if adjust_tca:
        _dt, r1, r2 = adjust_to_tca(r1, v1, r2, v2)
    if not np.any(np.asarray(v1, dtype=float) - np.asarray(v2, dtype=float)):
        raise OverheadError(
            "zero relative velocity: the 2D (straight-line) method does not apply; use the 3D "
            "method (nc3d) or Monte Carlo"
        )
    plane = encounter_plane(r1, v1, cov1, r2, v2, cov2, hbr_m)
    if shape == "circle":
        return pc_circle(plane, hbr_m), plane
    if shape == "square":
        return pc_square(plane, hbr_m), plane
    if shape == "square-equal-area":
        return pc_square(plane, math.sqrt(math.pi) / 2 * hbr_m), plane
    raise ValueError(f"unknown hard-body shape {shape!r}; use circle, square or square-equal-area")


def pc2d_square(r1, v1, cov1, r2, v2, cov2, hbr_m: float, *, equal_area: bool = False) -> float:
    """2D Pc over the square hard body (or the square of the disc's area)."""
    return pc2d(r1, v1, cov1, r2, v2, cov2, hbr_m, shape="square-equal-area" if equal_area else "square")[0]
