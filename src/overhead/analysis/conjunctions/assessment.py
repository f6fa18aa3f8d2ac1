"""Assess one conjunction: 2D Pc, Hall's Nc3D, Monte Carlo, maximum Pc, and which method to trust.

Usage checks follow CARA's reasoning (Hall et al. 2018, "Pc usage violations"): the 2D method assumes the
encounter is short against the orbit (linear motion, constant covariance). It is flagged when the encounter's
duration (Coppola's bounds, or the span of Hall's rate) exceeds 2 % of the shorter orbital period
("extended"), when it happens more than 1 % of a period from the nominal TCA ("offset"), or when the 3D
result differs from it by more than 2 % ("inaccurate"). The 3D method is flagged when its rate has not decayed
at the ends of the conjunction segment (the encounter blends into the next one: only Monte Carlo over the whole
span applies) or when the peak-overlap iteration did not converge. The Monte Carlo follows the span the 3D
method gives (CARA's SDMC span), is invalid when its hits crowd the ends of a span shorter than the segment, and
where the Nc3D lies outside its interval neither is valid on its own.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import optimize

from overhead.analysis.conjunctions.cdm import ConjunctionMessage, rtn_to_inertial_matrix
from overhead.analysis.conjunctions.montecarlo import pc_monte_carlo
from overhead.analysis.conjunctions.nc3d import nc3d, orbit_period_s
from overhead.analysis.conjunctions.pc2d import (
    adjust_to_tca,
    encounter_axes,
    encounter_plane,
    pc2d,
    pc_circle,
    pc_circle_fast,
)
from overhead.constants import EARTH_MU_KM3_S2
from overhead.errors import MessageError, OverheadError

__all__ = [
    "METHODS",
    "SOCRATES_SIGMA_RTN_M",
    "ConjunctionAssessment",
    "assess",
    "assumed_covariance_rtn",
    "max_pc_no_covariance",
    "max_pc_scaled",
    "remediate_covariance",
]

METHODS = ("2d", "3d", "mc", "all")
# CelesTrak SOCRATES' assumed 1-sigma position uncertainty of a TLE at TCA: radial, in-track, cross-track (m)
SOCRATES_SIGMA_RTN_M = (100.0, 300.0, 100.0)
EXTENDED_CUTOFF = 0.02
OFFSET_CUTOFF = 0.01
INACCURATE_CUTOFF = 0.02


@dataclass
class ConjunctionAssessment:
    """The answer for one conjunction; probabilities are NaN where a method was not run or does not apply."""

    source: str | None
    primary: str
    secondary: str
    tca: str  # ISO-8601 Z, to the microsecond, after the TCA adjustment
    tca_adjustment_s: float
    miss_distance_m: float
    relative_speed_m_s: float
    hbr_m: float
    pc2d: float = math.nan
    pc2d_no_tca_adjustment: float = math.nan
    nc3d: float = math.nan
    pc_mc: float = math.nan
    pc_mc_low: float = math.nan
    pc_mc_high: float = math.nan
    mc_samples: int = 0
    mc_span_s: tuple[float, float] | None = None  # the span the Monte Carlo followed, s from TCA
    max_pc: float = math.nan  # Frisbee/Alfano: the largest Pc over a scaling of the combined covariance
    covariance_scale_at_max: float = math.nan
    dilution_region: bool = False  # the actual covariance is smaller than the one giving max_pc
    encounter_duration_s: float = math.nan
    covariance_remediated: bool = False
    method_valid: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    recommended: str = "2d"

    def to_dict(self) -> dict:
        out = asdict(self)
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}


def remediate_covariance(cov: np.ndarray, floor: float = 0.0) -> tuple[np.ndarray, bool]:
    """Clip a covariance's eigenvalues to ``floor`` (CARA's remediation of non-positive-definite matrices)."""
    sym = 0.5 * (cov + cov.T)
    values, vectors = np.linalg.eigh(sym)
    if values.min() >= floor:
        return sym, False
    return (vectors * np.maximum(values, floor)) @ vectors.T, True


def assumed_covariance_rtn(r_m, v_m_s, sigma_rtn_m=SOCRATES_SIGMA_RTN_M) -> np.ndarray:
    """A 3x3 inertial position covariance from RTN sigmas (m), SOCRATES' convention by default."""
    rotation = rtn_to_inertial_matrix(r_m, v_m_s)
    return rotation @ np.diag(np.square(sigma_rtn_m)) @ rotation.T


def max_pc_scaled(r1, v1, cov1, r2, v2, cov2, hbr_m: float, *, fast: bool = False) -> tuple[float, float]:
    """(max Pc, scale k) over the combined covariance scaled by k² (Frisbee / Alfano 2005 "maximum Pc")."""
    integral = pc_circle_fast if fast else pc_circle
    _dt, a1, a2 = adjust_to_tca(r1, v1, r2, v2)

    def neg_log_pc(log_k: float) -> float:
        k2 = math.exp(2 * log_k)
        plane = encounter_plane(a1, v1, np.asarray(cov1)[:3, :3] * k2, a2, v2, np.asarray(cov2)[:3, :3] * k2, hbr_m)
        pc = integral(plane, hbr_m)
        return -math.log(pc) if pc > 0 else 1e300

    res = optimize.minimize_scalar(
        neg_log_pc, bounds=(math.log(1e-4), math.log(1e4)), method="bounded", options={"xatol": 1e-6}
    )
    return math.exp(-res.fun), math.exp(res.x)


def max_pc_no_covariance(miss_m: float, hbr_m: float) -> float:
    """The largest Pc any covariance could give (Alfano 2005): a degenerate Gaussian along the miss vector."""
    if miss_m <= hbr_m:
        return 1.0

    def neg(sigma: float) -> float:
        return -0.5 * (
            math.erf((miss_m + hbr_m) / (math.sqrt(2) * sigma)) - math.erf((miss_m - hbr_m) / (math.sqrt(2) * sigma))
        )

    res = optimize.minimize_scalar(
        neg, bounds=(1e-6 * miss_m, 1e3 * miss_m), method="bounded", options={"xatol": 1e-9 * miss_m}
    )
    return -res.fun


def _iso(t: np.datetime64) -> str:
    return str(np.datetime_as_string(t.astype("datetime64[us]"), unit="us")) + "Z"


def _refuse_unbound(label: str, r_m: np.ndarray, v_m_s: np.ndarray, source: str | None) -> None:
    """A located error for a state at TCA that is not a bound Earth orbit (zero or positive energy)."""
    if math.isfinite(orbit_period_s(np.asarray(r_m) / 1e3, np.asarray(v_m_s) / 1e3)):
        return
    r_km, v_km_s = float(np.linalg.norm(r_m)) / 1e3, float(np.linalg.norm(v_m_s)) / 1e3
    raise MessageError(
        f"{label}: the state at TCA is not a bound Earth orbit ({v_km_s:.6g} km/s at "
        f"{r_km:.6g} km from the Earth's centre; escape speed there is "
        f"{math.sqrt(2 * EARTH_MU_KM3_S2 / r_km):.4g} km/s)",
        source=source,
        keyword="X_DOT",
    )


def assess(
    message: ConjunctionMessage,
    *,
    methods: str = "all",
    hbr_m: float | None = None,
    mc_samples: int = 1_000_000,
    mc_seed: int = 1,
    confidence: float = 0.95,
) -> ConjunctionAssessment:
    """Collision probability of one CDM by the requested methods (``2d``, ``3d``, ``mc`` or ``all``).

    ``hbr_m``: the hard-body radius (m) of a message that gives none; a message's own radius is used where it
    has one (a run over many files gives each its own)."""
    if methods not in METHODS:
        raise OverheadError(f"unknown method {methods!r}; use one of {', '.join(METHODS)}")
    hbr = _hard_body_radius_m(message, hbr_m)
    notes: list[str] = []
    (r1, v1, c1, r2, v2, c2), has_velocity, remediated = _checked_states(message, notes)
    speed = float(np.linalg.norm(v2 - v1))
    dt, a1, a2 = adjust_to_tca(r1, v1, r2, v2)
    tca = message.tca + np.timedelta64(round(dt * 1e9), "ns") if math.isfinite(dt) else message.tca
    result = ConjunctionAssessment(
        source=message.source,
        primary=message.object1.designator,
        secondary=message.object2.designator,
        tca=_iso(tca),
        tca_adjustment_s=dt,
        miss_distance_m=float(np.linalg.norm(a2 - a1)) if speed > 0 else float(np.linalg.norm(r2 - r1)),
        relative_speed_m_s=speed,
        hbr_m=hbr,
        covariance_remediated=remediated,
        notes=notes,
    )
    states = (r1, v1, c1, r2, v2, c2)
    period = min(orbit_period_s(r1 / 1e3, v1 / 1e3), orbit_period_s(r2 / 1e3, v2 / 1e3))
    valid_2d = _assess_2d(result, states, hbr, period, dt)
    out, mc_span = None, None
    if (methods in ("3d", "all") or methods == "mc") and has_velocity:  # the Monte Carlo's span: the 3D method's
        out = nc3d(r1, v1, c1, r2, v2, c2, hbr)
        mc_span = _monte_carlo_span(out, period)
    if methods in ("3d", "all"):
        valid_2d = _assess_3d(result, out, valid_2d)
    result.method_valid["2d"] = valid_2d
    if methods in ("mc", "all"):
        if out is None:
            notes.append("Monte Carlo: the CDM gives no velocity covariance; not run")
        else:
            _assess_monte_carlo(
                result, states, hbr, out, mc_span, mc_samples=mc_samples, mc_seed=mc_seed, confidence=confidence
            )
    result.recommended = _recommended(result, valid_2d)
    return result


def _hard_body_radius_m(message: ConjunctionMessage, hbr_m: float | None) -> float:
    """The message's own radius, else the one given for messages without one; positive and finite."""
    hbr = message.hbr_m if message.hbr_m is not None else hbr_m
    if hbr is None:
        raise OverheadError(
            f"{message.source or 'the CDM'}: no hard-body radius (neither HBR nor a "
            "'COMMENT HBR = … [m]' line); give the radius for messages without one"
        )
    if not hbr > 0 or not math.isfinite(hbr):
        raise OverheadError(f"hard-body radius must be a positive number of metres, not {hbr}")
    return hbr


def _checked_states(message: ConjunctionMessage, notes: list[str]) -> tuple[tuple, bool, bool]:
    """((r1, v1, c1, r2, v2, c2) in m and m/s, whether both covariances have their velocity part, whether a
    covariance was remediated): bound orbits, finite position covariances, negative eigenvalues clipped."""
    r1, v1, c1, r2, v2, c2 = message.states_m()
    for label, r, v in (("OBJECT1", r1, v1), ("OBJECT2", r2, v2)):
        _refuse_unbound(label, r, v, message.source)
    for label, cov in (("primary", c1), ("secondary", c2)):
        if not np.isfinite(cov[:3, :3]).all():
            raise OverheadError(f"{message.source}: the {label}'s covariance has non-finite terms")
    c1r, rem1 = remediate_covariance(np.nan_to_num(c1), 0.0)
    c2r, rem2 = remediate_covariance(np.nan_to_num(c2), 0.0)
    if rem1 or rem2:
        which = " and ".join(n for n, r in (("primary", rem1), ("secondary", rem2)) if r)
        notes.append(f"the {which} covariance is not positive semi-definite: negative eigenvalues clipped to 0")
    has_velocity = bool(np.isfinite(c1).all() and np.isfinite(c2).all())
    if has_velocity:
        c1, c2 = c1r, c2r
    else:
        c1 = np.where(np.isfinite(c1), c1r, np.nan)
        c2 = np.where(np.isfinite(c2), c2r, np.nan)
    return (r1, v1, c1, r2, v2, c2), has_velocity, bool(rem1 or rem2)


def _assess_2d(result: ConjunctionAssessment, states: tuple, hbr: float, period: float, dt: float) -> bool:
    """Pc2D, the maximum Pc over the covariance's scale and the encounter's duration into ``result``; whether the
    short-encounter assumptions hold (not extended, not offset)."""
    r1, v1, c1, r2, v2, c2 = states
    notes, speed = result.notes, result.relative_speed_m_s
    if not speed > 0:
        notes.append("zero relative velocity: the 2D method does not apply")
        return False
    result.pc2d, plane = pc2d(r1, v1, c1, r2, v2, c2, hbr)
    result.pc2d_no_tca_adjustment, _ = pc2d(r1, v1, c1, r2, v2, c2, hbr, adjust_tca=False)
    if plane.remediated and not plane.positive_definite:
        result.covariance_remediated = True
        notes.append("the combined covariance is singular in the encounter plane: eigenvalues clipped to (1e-4 HBR)²")
    result.max_pc, result.covariance_scale_at_max = max_pc_scaled(r1, v1, c1, r2, v2, c2, hbr)
    result.dilution_region = result.covariance_scale_at_max < 1.0
    sigma_along = math.sqrt(max(float(plane.y_hat @ (c1[:3, :3] + c2[:3, :3]) @ plane.y_hat), 0.0))
    result.encounter_duration_s = 2 * 8.3 * sigma_along / speed + 2 * hbr / speed  # ±erfcinv(1e-16)·√2 σ
    valid = True
    if math.isfinite(result.encounter_duration_s):
        if result.encounter_duration_s / period > EXTENDED_CUTOFF:
            valid = False
            notes.append(
                f"2D: the encounter lasts {result.encounter_duration_s:.4g} s, over "
                f"{EXTENDED_CUTOFF:.0%} of the orbital period (extended encounter)"
            )
        if abs(dt) / period > OFFSET_CUTOFF:
            valid = False
            notes.append(f"2D: closest approach {dt:.4g} s from the CDM's TCA (offset encounter)")
    return valid


def _assess_3d(result: ConjunctionAssessment, out, valid_2d: bool) -> bool:
    """Nc3D and its validity into ``result`` (``out``: the 3D method's answer, None without a velocity
    covariance); whether 2D still holds beside it (not where the two differ: a non-linear encounter)."""
    notes = result.notes
    if out is None:
        notes.append("3D: the CDM gives no velocity covariance; Nc3D not computed")
        return valid_2d
    result.nc3d = out.nc
    result.method_valid["3d"] = out.converged
    notes += [f"3D: {n}" for n in out.notes]
    if _rate_cut_by_segment(out):
        result.method_valid["3d"] = False
        notes.append(
            "3D: the collision rate has not decayed at the ends of the conjunction segment "
            "(blended or repeating encounter); only a Monte Carlo over the whole span applies"
        )
    if out.peaks > 1:
        notes.append(f"3D: the collision rate has {out.peaks} separate maxima (repeating encounter)")
    if math.isfinite(out.nc) and valid_2d:
        mean = 0.5 * (out.nc + result.pc2d)
        if mean > 0 and abs(out.nc - result.pc2d) / mean > INACCURATE_CUTOFF:
            valid_2d = False
            notes.append(f"2D: differs from Nc3D by {abs(out.nc - result.pc2d) / mean:.1%} (non-linear encounter)")
    result.encounter_duration_s = max(
        result.encounter_duration_s if math.isfinite(result.encounter_duration_s) else 0.0, out.duration_s
    )
    return valid_2d


def _assess_monte_carlo(
    result: ConjunctionAssessment,
    states: tuple,
    hbr: float,
    out,
    mc_span,
    *,
    mc_samples: int,
    mc_seed: int,
    confidence: float,
) -> None:
    """The Monte Carlo over the encounter's span (CARA's SDMC) into ``result``, with its validity and, where the
    3D method ran, whether the two agree."""
    notes = result.notes
    r1, v1, c1, r2, v2, c2 = states
    mc = pc_monte_carlo(
        r1, v1, c1, r2, v2, c2, hbr, samples=mc_samples, seed=mc_seed, confidence=confidence, span_s=mc_span
    )
    result.pc_mc, result.pc_mc_low, result.pc_mc_high, result.mc_samples = mc.pc, mc.low, mc.high, mc.samples
    result.mc_span_s = (float(mc.span_s[0]), float(mc.span_s[1]))
    notes.append(
        f"Monte Carlo: {mc.hits} hits of {mc.samples:,} samples followed from "
        f"{mc.span_s[0]:.0f} to {mc.span_s[1]:.0f} s about TCA"
    )
    result.method_valid["mc"] = mc.hits > 0 or mc.high < 1e-3
    if 0 < mc.hits < 10:
        notes.append("Monte Carlo: under 10 hits, its interval is wide (more samples narrow it)")
    if mc.hits_near_span_ends and mc_span is not None and mc_span != out.time_limits_s:
        result.method_valid["mc"] = False  # CARA's "extended" violation of its SDMC
        notes.append(
            f"Monte Carlo: {mc.hits_near_span_ends} hits in the first or last 5 % of the span "
            "(the encounter reaches beyond it)"
        )
    _compare_3d_and_monte_carlo(result, notes, confidence)


def _recommended(result: ConjunctionAssessment, valid_2d: bool) -> str:
    if valid_2d:
        return "2d"
    if result.method_valid.get("3d"):
        return "3d"
    if result.method_valid.get("mc"):
        return "mc"
    return "none"  # no method computed applies: the notes say why (try --method all)


def _rate_cut_by_segment(out) -> bool:
    """The 3D rate still above 1e-3 of its peak where the ephemeris meets the conjunction segment's limits."""
    f = np.nan_to_num(out.ncdot)
    peak = f.max() if f.size else 0.0
    return bool(
        peak > 0
        and (f[0] > 1e-3 * peak or f[-1] > 1e-3 * peak)
        and (out.times_s[0] <= out.time_limits_s[0] + 1e-6 or out.times_s[-1] >= out.time_limits_s[1] - 1e-6)
    )


def _monte_carlo_span(out, period_s: float) -> tuple[float, float] | None:
    """The span the Monte Carlo follows, as CARA's ``PcMultiStepWithSDMC`` chooses it from the 3D method: the
    whole conjunction segment where the short-encounter assumptions fail (the rate cut by the segment, several
    maxima, an encounter over 2 % of the period), else three times the span of the rate above its cut-off about
    its middle (at least 3 min), within the segment; None (the default span) where the 3D method did not
    converge."""
    if not out.converged or not all(math.isfinite(x) for x in out.span_s):
        return None
    t_lo, t_hi = out.time_limits_s
    start, stop = out.span_s
    if _rate_cut_by_segment(out) or out.peaks > 1 or (stop - start) / period_s > EXTENDED_CUTOFF:
        return t_lo, t_hi
    middle, half = 0.5 * (start + stop), 0.5 * max(3 * (stop - start), 180.0)
    return max(t_lo, middle - half), min(t_hi, middle + half)


def _compare_3d_and_monte_carlo(result: ConjunctionAssessment, notes: list[str], confidence: float) -> None:
    """Two methods that disagree by more than the Monte Carlo's interval: neither is called valid on its own (a
    slow or repeating encounter the short window of either may miss)."""
    nc, low, high = result.nc3d, result.pc_mc_low, result.pc_mc_high
    if not all(x is not None and math.isfinite(x) for x in (nc, low, high)):
        return
    if low <= nc <= high:
        return
    result.method_valid["3d"] = False
    result.method_valid["mc"] = False
    notes.append(
        f"3D and Monte Carlo disagree: Nc3D {nc:.3g} is outside the Monte Carlo's {confidence:.0%} "
        f"interval {low:.3g}–{high:.3g}; neither is valid on its own (a slow or repeating encounter: "
        "more samples, or a Monte Carlo over the whole span)"
    )


PLANE_COLUMNS = ("plane_sigma_major_m", "plane_sigma_minor_m", "plane_miss_major_m", "plane_miss_minor_m")


def assumed_covariance_probabilities(
    r1_m: np.ndarray,
    v1_m_s: np.ndarray,
    r2_m: np.ndarray,
    v2_m_s: np.ndarray,
    hbr_m: float,
    sigma_rtn_m=SOCRATES_SIGMA_RTN_M,
    *,
    planes: dict | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(Pc, max Pc) of many conjunctions (arrays (N, 3) at TCA) with an assumed RTN covariance per object.

    Pc is the 2D Pc with both covariances; max Pc the largest over a common scaling of them (Frisbee's maximum):
    R²/(e·σx·σz·M²) in closed form where the optimum covariance is large against the hard body (M the
    Mahalanobis miss), by one-dimensional search otherwise. NaN below 1 m/s of relative speed, where the
    straight-line encounter of the 2D method does not exist (formation flying, docked objects).
    """
    from overhead.analysis.conjunctions.pc2d import pc_circle_fast_arrays

    r1, v1, r2, v2 = (np.atleast_2d(np.asarray(x, dtype=float)) for x in (r1_m, v1_m_s, r2_m, v2_m_s))
    slow = np.linalg.norm(v1 - v2, axis=1) < 1.0
    if slow.any():
        pc = np.full(len(r1), np.nan)
        max_pc = np.full(len(r1), np.nan)
        fast_planes: dict = {}
        if (~slow).any():
            pc[~slow], max_pc[~slow] = assumed_covariance_probabilities(
                r1[~slow], v1[~slow], r2[~slow], v2[~slow], hbr_m, sigma_rtn_m, planes=fast_planes
            )
        if planes is not None:
            for name in PLANE_COLUMNS:
                planes[name] = np.full(len(r1), np.nan)
                if fast_planes:
                    planes[name][~slow] = fast_planes[name]
        return pc, max_pc
    variances = np.square(np.asarray(sigma_rtn_m, dtype=float))
    combined = _rtn_covariances(r1, v1, variances) + _rtn_covariances(r2, v2, variances)
    r, v = r1 - r2, v1 - v2
    speed = np.linalg.norm(v, axis=1)
    x, _y, z = encounter_axes(r, v)
    a = np.einsum("ni,nij,nj->n", x, combined, x)
    b = np.einsum("ni,nij,nj->n", x, combined, z)
    d = np.einsum("ni,nij,nj->n", z, combined, z)
    mean, spread = 0.5 * (a + d), np.sqrt((0.5 * (a - d)) ** 2 + b * b)
    floor = (1e-4 * hbr_m) ** 2
    major, minor = np.maximum(mean + spread, floor), np.maximum(mean - spread, floor)
    ex, ez = (
        np.where(np.abs(b) > 0, b, np.where(a >= d, 1.0, 0.0)),
        np.where(np.abs(b) > 0, major - a, np.where(a >= d, 0.0, 1.0)),
    )
    norm = np.hypot(ex, ez)
    miss = np.linalg.norm(r, axis=1)
    xm, zm = miss * np.abs(ex / norm), miss * np.abs(ez / norm)
    sx, sz = np.sqrt(major), np.sqrt(minor)
    if planes is not None:
        planes.update(zip(PLANE_COLUMNS, (sx, sz, xm, zm), strict=True))
    pc = pc_circle_fast_arrays(sx, sz, xm, zm, hbr_m)
    m2 = (xm / sx) ** 2 + (zm / sz) ** 2
    max_pc = hbr_m**2 / (math.e * sx * sz * np.maximum(m2, 1e-300))
    hard = np.sqrt(m2 / 2) * sz < 30 * hbr_m  # the optimum covariance is not large against the hard body
    if hard.any():
        max_pc[hard] = _max_over_scale(sx[hard], sz[hard], xm[hard], zm[hard], hbr_m)
    bad = speed == 0
    pc[bad] = np.nan
    max_pc[bad] = np.nan
    return pc, max_pc


def _max_over_scale(
    sx: np.ndarray,
    sz: np.ndarray,
    xm: np.ndarray,
    zm: np.ndarray,
    hbr_m: float,
    lowest: float = 1e-4,
    highest: float = 1e4,
    iterations: int = 45,
) -> np.ndarray:
    """The largest 2D Pc over a common scale k of the covariances' sigmas, k in [lowest, highest]: a golden-section
    search in log k for all encounters at once (Pc is unimodal in k; 45 steps narrow log k to 1e-8)."""
    from overhead.analysis.conjunctions.pc2d import pc_circle_fast_arrays

    def pc(log_k: np.ndarray) -> np.ndarray:
        scale = np.exp(log_k)
        return pc_circle_fast_arrays(sx * scale, sz * scale, xm, zm, hbr_m)

    golden = (math.sqrt(5) - 1) / 2
    lo, hi = np.full(sx.shape, math.log(lowest)), np.full(sx.shape, math.log(highest))
    c, d = hi - golden * (hi - lo), lo + golden * (hi - lo)
    fc, fd = pc(c), pc(d)
    for _ in range(iterations):
        left = fc > fd  # the maximum is in [lo, d]: d becomes c, and a new c is taken in [lo, c]
        hi, lo = np.where(left, d, hi), np.where(left, lo, c)
        new = np.where(left, hi - golden * (hi - lo), lo + golden * (hi - lo))
        f_new = pc(new)
        c, d, fc, fd = (
            np.where(left, new, d),
            np.where(left, c, new),
            np.where(left, f_new, fd),
            np.where(left, fc, f_new),
        )
    return np.maximum(fc, fd)


def _rtn_covariances(r: np.ndarray, v: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """Inertial covariances (n, 3, 3) of diagonal RTN variances at states (n, 3)."""
    basis = rtn_to_inertial_matrix(r, v)  # columns R, T, N
    return np.einsum("nik,k,njk->nij", basis, variances, basis)
