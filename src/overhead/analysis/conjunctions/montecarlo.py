"""Monte Carlo collision probability over a time span: sampled states, two-body motion, a hit per sample.

Both objects' states at TCA are drawn from their 6x6 covariances (by default as equinoctial elements, so a
km-scale in-track uncertainty curves along the orbit), each pair is followed by two-body motion over the span,
and a hit is a pair that comes within the hard-body radius at any time in it (the compiled walk of
:mod:`._span_kernel`). This is CARA's "simple dynamics" Monte Carlo (SDMC): the same sampling at TCA and
two-body motion; its span is the one CARA's ``PcMultiStepWithSDMC`` chooses from the 3D method (three times
the encounter's duration about its middle, or the whole segment between the maxima of |Δr| where the
short-encounter assumptions fail), by default a quarter of the shorter period on either side of TCA. A slow
or repeating encounter, whose probability accrues away from TCA, is counted where it happens. The interval is
Clopper-Pearson's exact binomial one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from overhead.analysis.conjunctions._span_kernel import cartesian_to_elements, first_hit_times
from overhead.constants import EARTH_MU_KM3_S2
from overhead.errors import OverheadError

__all__ = ["MonteCarloResult", "pc_monte_carlo"]


@dataclass(frozen=True)
class MonteCarloResult:
    pc: float
    low: float  # Clopper-Pearson bounds at ``confidence``
    high: float
    hits: int
    samples: int
    confidence: float
    span_s: tuple[float, float] = (math.nan, math.nan)  # the span followed, s from TCA
    hits_near_span_ends: int = 0  # hits in the first or last 5 % of the span: the span may be too short


class _Sampler:
    """Draws element sets of one object: a Gaussian in equinoctial elements (curvilinear: samples stay on orbits
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
        """(n, 6) equinoctial element sets (km, s); NaN rows for Cartesian draws that are not bound orbits."""
        z = rng.standard_normal((n, 6)) @ self.factor.T
        if self.sampling == "equinoctial":
            return self.elements + z
        return cartesian_to_elements((self.mean + z) / 1e3, EARTH_MU_KM3_S2)


def pc_monte_carlo(
    r1,
    v1,
    cov1,
    r2,
    v2,
    cov2,
    hbr_m: float,
    *,
    samples: int = 1_000_000,
    seed: int = 1,
    confidence: float = 0.95,
    batch: int = 200_000,
    span_s: tuple[float, float] | None = None,
    sampling: str = "equinoctial",
) -> MonteCarloResult:
    """Monte Carlo Pc (metres, m/s; 6x6 covariances in the states' inertial frame) over ``span_s`` (s from TCA;
    by default a quarter of the shorter orbital period on either side).

    ``sampling``: ``"equinoctial"`` (default) draws each object's state from the covariance mapped to
    equinoctial elements; ``"cartesian"`` draws it from the Cartesian Gaussian at TCA (what Coppola's method
    assumes).
    """
    rng = np.random.default_rng(seed)
    first = _Sampler(r1, v1, cov1, sampling)
    second = _Sampler(r2, v2, cov2, sampling)
    if span_s is None:
        quarter = 0.25 * min(_period_s(first.mean), _period_s(second.mean))
        span_s = (-quarter, quarter)
    t_start, t_stop = float(span_s[0]), float(span_s[1])
    if not t_stop > t_start:
        raise OverheadError(f"the Monte Carlo's span {span_s} s is empty")
    hits = near_ends = done = 0
    edge = 0.05 * (t_stop - t_start)
    while done < samples:
        n = min(batch, samples - done)
        e1, e2 = first.draw(rng, n), second.draw(rng, n)
        bound = np.isfinite(e1).all(axis=1) & np.isfinite(e2).all(axis=1) & (e1[:, 0] > 0) & (e2[:, 0] > 0)
        times = first_hit_times(e1[bound], e2[bound], t_start, t_stop, hbr_m / 1e3, EARTH_MU_KM3_S2)
        found = times[np.isfinite(times)]
        hits += found.size
        near_ends += int(np.count_nonzero((found < t_start + edge) | (found > t_stop - edge)))
        done += n
    low, high = _clopper_pearson(hits, samples, confidence)
    return MonteCarloResult(
        pc=hits / samples,
        low=low,
        high=high,
        hits=hits,
        samples=samples,
        confidence=confidence,
        span_s=(t_start, t_stop),
        hits_near_span_ends=near_ends,
    )


def _period_s(state_m: np.ndarray) -> float:
    from overhead.analysis.conjunctions.nc3d import orbit_period_s

    return orbit_period_s(state_m[:3] / 1e3, state_m[3:] / 1e3)


def _factor(cov: np.ndarray) -> np.ndarray:
    """A square root of a covariance that tolerates tiny negative eigenvalues (clipped to zero)."""
    values, vectors = np.linalg.eigh(0.5 * (cov + cov.T))
    return vectors * np.sqrt(np.clip(values, 0, None))


def _clopper_pearson(hits: int, n: int, confidence: float) -> tuple[float, float]:
    alpha = 1 - confidence
    low = 0.0 if hits == 0 else float(stats.beta.ppf(alpha / 2, hits, n - hits + 1))
    high = 1.0 if hits == n else float(stats.beta.ppf(1 - alpha / 2, hits + 1, n - hits))
    return low, high
