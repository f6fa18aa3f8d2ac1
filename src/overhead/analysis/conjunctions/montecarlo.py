"""Monte Carlo collision probability from TCA: sampled states, two-body motion, closest approach per sample.

Both objects' states at TCA are drawn from their 6x6 covariances, each pair is moved by two-body motion
(universal-variable Kepler) to its own closest approach near TCA, and a hit is a closest approach under the
hard-body radius. The interval is Clopper-Pearson's exact binomial one. This checks the analytic methods; it is
not CARA's SDMC from epoch (which propagates from the orbit determination epoch with drag), so on encounters
where the two differ the interval says how far the sampling can resolve them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from overhead.constants import EARTH_MU_KM3_S2
from overhead.errors import OverheadError

__all__ = ["MonteCarloResult", "kepler_propagate", "pc_monte_carlo"]

MU_M3_S2 = EARTH_MU_KM3_S2 * 1e9


@dataclass(frozen=True)
class MonteCarloResult:
    pc: float
    low: float  # Clopper-Pearson bounds at ``confidence``
    high: float
    hits: int
    samples: int
    confidence: float


def _stumpff(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = np.empty_like(z)
    s = np.empty_like(z)
    pos, neg, small = z > 1e-6, z < -1e-6, np.abs(z) <= 1e-6
    sz = np.sqrt(z[pos])
    c[pos] = (1 - np.cos(sz)) / z[pos]
    s[pos] = (sz - np.sin(sz)) / sz**3
    sz = np.sqrt(-z[neg])
    c[neg] = (np.cosh(sz) - 1) / -z[neg]
    s[neg] = (np.sinh(sz) - sz) / sz**3
    zs = z[small]
    c[small] = 0.5 - zs / 24 + zs**2 / 720
    s[small] = 1 / 6 - zs / 120 + zs**2 / 5040
    return c, s


def kepler_propagate(r: np.ndarray, v: np.ndarray, dt: np.ndarray, mu: float = MU_M3_S2) -> tuple[np.ndarray,
                                                                                                       np.ndarray]:
    """Two-body states (N, 3) moved by dt (N,) seconds (universal variables; Vallado, algorithm 8)."""
    r0 = np.linalg.norm(r, axis=1)
    vr0 = np.einsum("ij,ij->i", r, v) / r0
    alpha = 2 / r0 - np.einsum("ij,ij->i", v, v) / mu
    sqrt_mu = math.sqrt(mu)
    chi = sqrt_mu * np.abs(alpha) * dt  # first guess (elliptic)
    for _ in range(50):
        z = alpha * chi**2
        c, s = _stumpff(z)
        f = (r0 * vr0 / sqrt_mu) * chi**2 * c + (1 - alpha * r0) * chi**3 * s + r0 * chi - sqrt_mu * dt
        df = (r0 * vr0 / sqrt_mu) * chi * (1 - z * s) + (1 - alpha * r0) * chi**2 * c + r0
        step = f / df
        chi = chi - step
        if np.all(np.abs(step) < 1e-9):
            break
    z = alpha * chi**2
    c, s = _stumpff(z)
    f = 1 - chi**2 / r0 * c
    g = dt - chi**3 / sqrt_mu * s
    r_new = f[:, None] * r + g[:, None] * v
    rn = np.linalg.norm(r_new, axis=1)
    fdot = sqrt_mu / (rn * r0) * (alpha * chi**3 * s - chi)
    gdot = 1 - chi**2 / rn * c
    v_new = fdot[:, None] * r + gdot[:, None] * v
    return r_new, v_new


def _closest_approach(r1, v1, r2, v2, max_abs_dt: float) -> np.ndarray:
    """Minimum distance (N,) near t = 0 by Newton on the range rate, with two-body motion."""
    dr, dv = r2 - r1, v2 - v1
    t = -np.einsum("ij,ij->i", dr, dv) / np.maximum(np.einsum("ij,ij->i", dv, dv), 1e-30)
    t = np.clip(t, -max_abs_dt, max_abs_dt)
    for _ in range(8):
        a1, b1 = kepler_propagate(r1, v1, t)
        a2, b2 = kepler_propagate(r2, v2, t)
        d, w = a2 - a1, b2 - b1
        n1, n2 = np.linalg.norm(a1, axis=1)[:, None], np.linalg.norm(a2, axis=1)[:, None]
        acc = -MU_M3_S2 * (a2 / n2**3 - a1 / n1**3)
        rate = np.einsum("ij,ij->i", d, w)
        curvature = np.einsum("ij,ij->i", w, w) + np.einsum("ij,ij->i", d, acc)
        step = np.where(curvature > 0, rate / np.where(curvature > 0, curvature, 1), 0.0)
        t = np.clip(t - step, -max_abs_dt, max_abs_dt)
        if np.all(np.abs(step) < 1e-7):
            break
    a1, _ = kepler_propagate(r1, v1, t)
    a2, _ = kepler_propagate(r2, v2, t)
    return np.linalg.norm(a2 - a1, axis=1)


class _Sampler:
    """Draws states of one object: a Gaussian in equinoctial elements (curvilinear: samples stay on orbits
    near the mean one, as an orbit determination's uncertainty does) or in Cartesian coordinates."""

    def __init__(self, r_m, v_m_s, cov, sampling: str) -> None:
        from overhead.analysis.conjunctions.nc3d import equinoctial_mean_and_covariance

        self.mean = np.concatenate([np.asarray(r_m, float), np.asarray(v_m_s, float)])
        self.sampling = sampling
        cov = np.asarray(cov, float)
        if sampling == "equinoctial":
            mapped = equinoctial_mean_and_covariance(self.mean[:3] / 1e3, self.mean[3:] / 1e3, cov / 1e6)
            if mapped is None:
                raise OverheadError("an object's state at TCA is not a bound orbit: use Cartesian sampling")
            self.elements, q = mapped
            self.factor = _factor(q)
        elif sampling == "cartesian":
            self.factor = _factor(cov)
        else:
            raise OverheadError(f"unknown sampling {sampling!r}; use equinoctial or cartesian")

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        from overhead.analysis.conjunctions.nc3d import equinoctial_states

        z = rng.standard_normal((n, 6)) @ self.factor.T
        if self.sampling == "cartesian":
            return self.mean + z
        r, v = equinoctial_states(self.elements + z)
        return np.concatenate([r, v], axis=1) * 1e3


def pc_monte_carlo(r1, v1, cov1, r2, v2, cov2, hbr_m: float, *, samples: int = 1_000_000, seed: int = 1,
                   confidence: float = 0.95, batch: int = 200_000, max_abs_dt_s: float | None = None,
                   sampling: str = "equinoctial") -> MonteCarloResult:
    """Monte Carlo Pc (metres, m/s; 6x6 covariances in the states' inertial frame).

    ``sampling``: ``"equinoctial"`` (default) draws each object's state from the covariance mapped to
    equinoctial elements, so that a km-scale in-track uncertainty curves along the orbit; ``"cartesian"``
    draws it from the Cartesian Gaussian at TCA (what Coppola's method assumes).
    """
    rng = np.random.default_rng(seed)
    first = _Sampler(r1, v1, cov1, sampling)
    second = _Sampler(r2, v2, cov2, sampling)
    mean1, mean2 = first.mean, second.mean
    speed = float(np.linalg.norm(mean2[3:] - mean1[3:]))
    period = 2 * math.pi * math.sqrt(np.linalg.norm(mean1[:3]) ** 3 / MU_M3_S2)
    window = max_abs_dt_s if max_abs_dt_s is not None else 0.25 * period
    hits = 0
    done = 0
    sigma = math.sqrt(max(np.trace(np.asarray(cov1)[:3, :3]), 0) + max(np.trace(np.asarray(cov2)[:3, :3]), 0))
    while done < samples:
        n = min(batch, samples - done)
        s1 = first.draw(rng, n)
        s2 = second.draw(rng, n)
        dr, dv = s2[:, :3] - s1[:, :3], s2[:, 3:] - s1[:, 3:]
        # linear-motion miss: samples far from a hit under straight lines are far under two-body motion too,
        # within the relative acceleration's effect over the time to closest approach
        dv2 = np.maximum(np.einsum("ij,ij->i", dv, dv), 1e-30)
        t_lin = np.clip(-np.einsum("ij,ij->i", dr, dv) / dv2, -window, window)
        miss_lin = np.linalg.norm(dr + t_lin[:, None] * dv, axis=1)
        rel_acc = 2 * MU_M3_S2 * np.linalg.norm(dr, axis=1) / np.linalg.norm(s1[:, :3], axis=1) ** 3 + 1e-3
        margin = 10 * hbr_m + 0.5 * rel_acc * (np.abs(t_lin) + 10 * sigma / max(speed, 1e-3)) ** 2
        near = miss_lin < hbr_m + margin
        if near.any():
            d = _closest_approach(s1[near, :3], s1[near, 3:], s2[near, :3], s2[near, 3:], window)
            hits += int(np.count_nonzero(d < hbr_m))
        done += n
    low, high = _clopper_pearson(hits, samples, confidence)
    return MonteCarloResult(pc=hits / samples, low=low, high=high, hits=hits, samples=samples,
                            confidence=confidence)


def _factor(cov: np.ndarray) -> np.ndarray:
    """A square root of a covariance that tolerates tiny negative eigenvalues (clipped to zero)."""
    values, vectors = np.linalg.eigh(0.5 * (cov + cov.T))
    return vectors * np.sqrt(np.clip(values, 0, None))


def _clopper_pearson(hits: int, n: int, confidence: float) -> tuple[float, float]:
    alpha = 1 - confidence
    low = 0.0 if hits == 0 else float(stats.beta.ppf(alpha / 2, hits, n - hits + 1))
    high = 1.0 if hits == n else float(stats.beta.ppf(1 - alpha / 2, hits + 1, n - hits))
    return low, high
