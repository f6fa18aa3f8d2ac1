"""Hall's three-dimensional expected number of collisions, Nc3D (Hall 2021, J. Astronaut. Sci. 68:1-46).

The 2D method assumes straight-line motion through a short encounter. For slow or long encounters, or strongly
curved relative motion, Hall integrates over time the rate at which the relative-position probability density
flows into the hard-body sphere:

    Nc = ∫ Ṅc(t) dt,   Ṅc(t) = R² ∮ E[max(0, −r̂·Δv)] · p(R r̂) dΩ

with both objects' states and covariances propagated by two-body motion from TCA in equinoctial elements,
and the Gaussian of each object re-linearised at each time about the position where the two densities overlap
most (the "peak overlap position"), which keeps the method accurate where the covariances are large. The
sphere integral uses the 5810-point Lebedev rule (SciPy's ``lebedev_rule``).

Written from Hall's paper and the method as NASA CARA implements it in ``Pc3D_Hall`` (CARA Analysis Tools,
NOSA 1.3; read for the method, not copied): the same equinoctial formulation, peak-overlap iteration,
Coppola's (2012) time bounds for the first ephemeris, the bracketing of TCA by maxima of |Δr| for the
time limits, and the rules by which CARA searches and refines the ephemeris: the trapezoid on those points is
CARA's Nc3D, which carries its grid's quadrature error (about +8e-4 on short encounters, where only the middle of
the rate is refined); the integral refined until it changes by less than ``rel_tol`` is kept beside it. A scan of
the whole segment catches an encounter whose rate peaks where CARA's search does not reach.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import optimize, special

from overhead.analysis.conjunctions._span_kernel import element_states, to_elements
from overhead.constants import EARTH_MU_KM3_S2
from overhead.errors import OverheadError

__all__ = ["Nc3DResult", "nc3d"]

MU = EARTH_MU_KM3_S2  # km³/s²; CARA's GM
MD2_CUT = 1491.0  # Mahalanobis distance² beyond which exp(-MD2/2) underflows double precision
TWO_PI = 2.0 * math.pi
MAX_REFINEMENTS = 250  # CARA's limit on the steps of the ephemeris refinement


@dataclass
class Nc3DResult:
    """Nc3D with the details that say how far to trust it."""

    nc: float  # expected number of collisions (≈ Pc when small); NaN when not converged
    converged: bool
    times_s: np.ndarray  # ephemeris times relative to TCA
    ncdot: np.ndarray  # collision rate at those times (1/s)
    time_limits_s: tuple[float, float]  # the conjunction segment bracketing TCA
    coppola_bounds_s: tuple[float, float]
    duration_s: float  # span holding the rate above its cut-off
    peaks: int = 0  # separate maxima of the rate (more than one: repeating or curved encounter)
    notes: list[str] = field(default_factory=list)
    nc_refined: float = math.nan  # the same integral refined until converged (CARA's grid has ~1e-3 error)
    span_s: tuple[float, float] = (math.nan, math.nan)  # where the rate is above its cut-off (s from TCA)
    refinements: int = 0


# --- equinoctial elements (n, af, ag, chi, psi, lambda_M), km and s, prograde (fr = +1) ---------------------


def cartesian_to_equinoctial(r: np.ndarray, v: np.ndarray) -> np.ndarray | None:
    """Equinoctial elements of a bound orbit, or None for an unbound or equatorial retrograde one."""
    elements = to_elements(np.concatenate([np.asarray(r, dtype=float), np.asarray(v, dtype=float)]), MU)
    return None if math.isnan(elements[0]) else elements


def _frame(chi: float, psi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = 1 + chi * chi + psi * psi
    f_hat = np.array([1 - chi * chi + psi * psi, 2 * chi * psi, -2 * chi]) / c
    g_hat = np.array([2 * chi * psi, 1 + chi * chi - psi * psi, 2 * psi]) / c
    w_hat = np.array([2 * chi, -2 * psi, 1 - chi * chi - psi * psi]) / c
    return f_hat, g_hat, w_hat


def equinoctial_to_cartesian(e: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-body positions and velocities (len(t), 3) at times t (s) from elements at t = 0."""
    t = np.atleast_1d(np.asarray(t, dtype=float))
    moved = np.tile(np.asarray(e, dtype=float), (t.size, 1))
    moved[:, 5] = e[5] + e[0] * t  # only the mean longitude moves in two-body motion
    return equinoctial_states(moved)


def equinoctial_states(elements: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions and velocities (N, 3), km and km/s, of N element sets (N, 6) at their own epoch."""
    states = element_states(np.ascontiguousarray(elements, dtype=float), MU)
    return states[:, :3], states[:, 3:]


def equinoctial_mean_and_covariance(
    r_km: np.ndarray, v_km_s: np.ndarray, cov_km: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Equinoctial elements of a state and its 6x6 Cartesian covariance mapped to them (km, s)."""
    e = cartesian_to_equinoctial(r_km, v_km_s)
    if e is None:
        return None
    e[5] = e[5] % TWO_PI
    k = np.linalg.inv(jacobian_equinoctial_to_cartesian(e, r_km, v_km_s))
    return e, _symmetric(k @ cov_km @ k.T)


def jacobian_equinoctial_to_cartesian(e: np.ndarray, r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """∂(r, v)/∂(n, af, ag, chi, psi, λ) at elements ``e`` whose state is (r, v) (Broucke & Cefola 1972)."""
    n, af, ag, chi, psi, _lam = e
    r2 = float(r @ r)
    rmag = math.sqrt(r2)
    r3 = r2 * rmag
    a3 = MU / n**2
    a = a3 ** (1 / 3)
    big_a = n * a * a
    bb = math.sqrt(1 - ag * ag - af * af)
    f_hat, g_hat, w_hat = _frame(chi, psi)
    c = 1 + chi * chi + psi * psi
    x, y = float(f_hat @ r), float(g_hat @ r)
    xd, yd = float(f_hat @ v), float(g_hat @ v)
    ab = big_a * bb
    bp1 = bb + 1
    nbp1 = n * bp1
    aor3 = big_a / r3
    dxdaf = ag * xd / nbp1 + a * (y * xd / ab - 1)
    dydaf = ag * yd / nbp1 - a * (x * xd / ab)
    dxdag = -af * xd / nbp1 + a * (y * yd / ab)
    dydag = -af * yd / nbp1 - a * (x * yd / ab + 1)
    dxddaf = a * xd * yd / ab - aor3 * (a * ag * x / bp1 + x * y / bb)
    dyddaf = -a * xd * xd / ab - aor3 * (a * ag * y / bp1 - x * x / bb)
    dxddag = a * yd * yd / ab + aor3 * (a * af * x / bp1 - y * y / bb)
    dyddag = -a * xd * yd / ab + aor3 * (a * af * y / bp1 + x * y / bb)
    j = np.empty((6, 6))
    cv = 1 / (3 * n)
    j[:3, 0] = -2 * cv * r
    j[3:, 0] = cv * v
    j[:3, 1] = dxdaf * f_hat + dydaf * g_hat
    j[3:, 1] = dxddaf * f_hat + dyddaf * g_hat
    j[:3, 2] = dxdag * f_hat + dydag * g_hat
    j[3:, 2] = dxddag * f_hat + dyddag * g_hat
    cc = 2 / c
    j[:3, 3] = cc * (psi * (y * f_hat - x * g_hat) - x * w_hat)
    j[3:, 3] = cc * (psi * (yd * f_hat - xd * g_hat) - xd * w_hat)
    j[:3, 4] = cc * (chi * (x * g_hat - y * f_hat) + y * w_hat)
    j[3:, 4] = cc * (chi * (xd * g_hat - yd * f_hat) + yd * w_hat)
    j[:3, 5] = v / n
    j[3:, 5] = (-n * a3 / r3) * r
    return j


def jacobian_at(t: float, e0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(∂x(t)/∂E0, x(t)): the state at t and its sensitivity to the elements at 0 (two-body)."""
    r, v = equinoctial_to_cartesian(e0, np.array([t]))
    et = e0.copy()
    et[5] = e0[5] + t * e0[0]
    phi = np.eye(6)
    phi[5, 0] = t
    return jacobian_equinoctial_to_cartesian(et, r[0], v[0]) @ phi, np.concatenate([r[0], v[0]])


# --- helpers ---------------------------------------------------------------------------------------------------


def _clipped_inverse(matrix: np.ndarray, floor: float) -> tuple[np.ndarray, float]:
    values, vectors = np.linalg.eigh(0.5 * (matrix + matrix.T))
    values = np.maximum(values, floor)
    return (vectors / values) @ vectors.T, float(np.prod(values))


def _symmetric(m: np.ndarray) -> np.ndarray:
    return 0.5 * (m + m.T)


@lru_cache(maxsize=1)
def _lebedev() -> tuple[np.ndarray, np.ndarray]:
    from scipy.integrate import lebedev_rule

    points, weights = lebedev_rule(131)  # 5810 points, weights summing to 4π
    return points.T.copy(), weights


def orbit_period_s(r: np.ndarray, v: np.ndarray) -> float:
    """Two-body period (s) of a state in km and km/s (inf when unbound)."""
    beta = 2 * MU / math.sqrt(r @ r) - v @ v
    return TWO_PI * MU * beta ** (-1.5) if beta > 0 else math.inf


def _coppola_bounds(gamma: float, hbr_km: float, r: np.ndarray, v: np.ndarray, cov: np.ndarray) -> tuple[float, float]:
    """Coppola (2012b) bounds of the encounter in time (s), holding all but ``gamma`` of the probability."""
    speed = math.sqrt(v @ v)
    if speed < 100 * np.finfo(float).eps:
        return -math.inf, math.inf
    x_hat = v / speed
    y_hat = r - x_hat * (x_hat @ r)
    y_hat = y_hat / math.sqrt(y_hat @ y_hat)
    z_hat = np.cross(x_hat, y_hat)
    rot = np.vstack([x_hat, y_hat, z_hat])
    rce = rot @ r
    ace = rot @ cov[:3, :3] @ rot.T
    eta2 = ace[0, 0]
    w = ace[1:, 0]
    b = np.linalg.solve(ace[1:, 1:], w)
    sv2 = math.sqrt(max(0.0, 2 * (eta2 - b @ w)))
    q0 = float(b @ rce[1:])
    btb = float(b @ b)
    d_min = -hbr_km * math.sqrt(btb)
    d_max = hbr_km * math.sqrt(1 + btb)
    ac = float(special.erfcinv(gamma))
    return (-ac * sv2 + q0 - d_max) / speed, (ac * sv2 + q0 - d_min) / speed


# --- peak overlap position ---------------------------------------------------------------------------------


@dataclass
class _Object:
    e0: np.ndarray  # mean elements at TCA
    q0: np.ndarray  # element covariance at TCA


def _energy(rs: np.ndarray, xu: np.ndarray, beta: np.ndarray) -> float:
    vup = xu[3:] + beta @ (rs - xu[:3])
    return float(vup @ vup / 2 - MU / math.sqrt(rs @ rs))


def _adjust_toward(
    mup: np.ndarray, rs: np.ndarray, beta: np.ndarray, xu: np.ndarray, max_rel_change: float = 0.10
) -> tuple[np.ndarray, float]:
    """Move the linearisation point toward the overlap peak without changing the orbit's energy by > 10 %."""
    energy_a = _energy(rs, xu, beta)
    energy_b = _energy(mup, xu, beta)
    if energy_a >= 0 or abs(energy_b - energy_a) / abs(energy_a) <= max_rel_change:
        return mup, energy_b

    def along(x: float) -> np.ndarray:
        return rs + x * (mup - rs)

    def miss(x: float) -> float:
        return (abs(_energy(along(x), xu, beta) / energy_a - 1) - max_rel_change) ** 2

    grid = np.linspace(0, 1, 201)
    values = np.array([miss(x) for x in grid])
    i = int(np.argmin(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, 200)]
    best = optimize.minimize_scalar(miss, bounds=(lo, hi), method="bounded", options={"xatol": 5e-4}).x
    best = float(best) if miss(best) <= values[i] else float(grid[i])
    if best <= 0:
        best = float(grid[1])
    point = along(best)
    return point, _energy(point, xu, beta)


def _peak_overlap(
    t: float, objs: tuple[_Object, _Object], hbr_km: float, fclip: float = 1e-4, max_iter: int = 100
) -> dict | None:
    """Hall's peak-overlap iteration at time t; None if it does not converge or an orbit becomes unbound."""
    floor = (hbr_km * fclip) ** 2
    sigp_rem0 = np.eye(3) * hbr_km**2
    schedule = _OverlapSchedule(max_iter)
    states = []
    for obj in objs:
        jac, x = jacobian_at(t, obj.e0)
        states.append({"xs": x, "js": jac, "es": obj.e0.copy(), "eb": obj.e0})
    mup_old = mup_old2 = None
    iteration, iter_adj = 0, -math.inf
    while True:
        ainv_list, b_list = _linearised(states, objs, floor, first=iteration == 0)
        sigp, _ = _clipped_inverse(ainv_list[0] + ainv_list[1], floor)
        mup = sigp @ (ainv_list[0] @ states[0]["xu"][:3] + ainv_list[1] @ states[1]["xu"][:3])
        sigp_rem_inv = np.linalg.inv(sigp + sigp_rem0)
        if iteration > schedule.avg_iter and iteration > iter_adj + 2 and mup_old is not None:
            mup = 0.5 * (mup + mup_old)
        energies, adjusted = _move_toward(states, mup, ainv_list, b_list)
        if adjusted:
            iter_adj = iteration
        if max(energies) >= 0:
            return None
        for s in states:
            s["xs"] = np.concatenate([s["rs"], s["vup"]])
        converged = None
        if iteration > 0 and mup_old is not None:
            converged = schedule.converged(iteration, iter_adj, mup, mup_old, mup_old2, sigp_rem_inv)
            if converged == _NOT_CONVERGED:
                return None
        if not _refresh_elements(states, t):
            return None
        if converged is not None:
            break
        mup_old2, mup_old = mup_old, mup
        iteration += 1
    out: dict[str, Any] = {"converged": converged, "iterations": iteration}
    for k, s in enumerate(states, start=1):
        out[f"xu{k}"] = s["xs"] + s["js"] @ _element_step(s["eb"], s["es"])
        out[f"js{k}"] = s["js"]
    return out


def _element_step(eb: np.ndarray, es: np.ndarray) -> np.ndarray:
    """Equinoctial elements eb - es, the mean longitude's difference wrapped to (-π/2, π/2] as CARA does."""
    de = eb - es
    de[5] = math.asin(math.sin(eb[5]) * math.cos(es[5]) - math.cos(eb[5]) * math.sin(es[5]))
    return de


def _linearised(
    states: list[dict], objs: tuple[_Object, _Object], floor: float, *, first: bool
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each object's state linearised about its current expansion point (``xu``), its position covariance's
    clipped inverse and its velocity-position block."""
    ainv_list, b_list = [], []
    for s, obj in zip(states, objs, strict=True):
        de = np.zeros(6) if first else _element_step(s["eb"], s["es"])
        s["xu"] = s["xs"] + s["js"] @ de
        ps = _symmetric(s["js"] @ obj.q0 @ s["js"].T)
        ainv, _det = _clipped_inverse(ps[:3, :3], floor)
        ainv_list.append(ainv)
        b_list.append(ps[3:, :3])
    return ainv_list, b_list


def _move_toward(states: list[dict], mup: np.ndarray, ainv_list, b_list) -> tuple[list[float], bool]:
    """Each object's position moved toward the overlap's peak ``mup`` (``rs``, ``vup``): the orbit energies, and
    whether any move was held short of the peak."""
    energies, adjusted = [], False
    for s, ainv, bs in zip(states, ainv_list, b_list, strict=True):
        beta = bs @ ainv
        rs, energy = _adjust_toward(mup, s["xs"][:3], beta, s["xu"])
        adjusted |= not np.array_equal(rs, mup)
        s["vup"] = s["xu"][3:] + beta @ (rs - s["xu"][:3])
        s["rs"] = rs
        energies.append(energy)
    return energies, adjusted


def _refresh_elements(states: list[dict], t: float) -> bool:
    """Each object's equinoctial elements (mean longitude at epoch) and Jacobian at its new state; False where an
    orbit is unbound."""
    for s in states:
        el = cartesian_to_equinoctial(s["xs"][:3], s["xs"][3:])
        if el is None:
            return False
        el[5] = math.fmod(el[5] - el[0] * t, TWO_PI) % TWO_PI
        s["es"] = el
        s["js"], _ = jacobian_at(t, el)
    return True


def _settled(step: np.ndarray, metric: np.ndarray, tolerance: float) -> bool:
    return float(step @ metric @ step) <= tolerance


_NOT_CONVERGED = -1.0


class _OverlapSchedule:
    """CARA's convergence schedule of the peak-overlap iteration: plain steps, then a tolerance loosened from
    1e-12 to 1e-6 as the iterations go on (oscillations accepted, steps averaged after ``avg_iter``)."""

    tol1, tol2 = 1e-12, 1e-6

    def __init__(self, max_iter: int):
        self.max_iter = max_iter
        self.avg_iter = min(35, round(max_iter * 0.35))
        self.osc_iter = min(15, round(max_iter * 0.15))
        self.acc_iter = min(25, round(max_iter * 0.25))

    def converged(self, iteration: int, iter_adj: float, mup, mup_old, mup_old2, metric) -> float | None:
        """The convergence grade (1 exact, 0.5 an oscillation, 0.1-0.35 a loosened tolerance), None to go on, or
        _NOT_CONVERGED past the last iteration."""
        dmup = mup_old - mup
        dmd2 = float(dmup @ metric @ dmup)
        if dmd2 <= self.tol1 and iteration != iter_adj:
            return 1.0
        if iteration >= self.max_iter:
            return _NOT_CONVERGED
        if not (iteration > self.osc_iter and iteration > iter_adj + 2 and mup_old2 is not None):
            return None
        if _settled(mup_old2 - mup, metric, self.tol1):
            return 0.5
        if iteration > self.avg_iter:
            cut, omfrc = self.tol2, 0.0
        elif iteration <= self.acc_iter:
            cut, omfrc = self.tol1, 1.0
        else:
            frc = (iteration - self.acc_iter) / (self.avg_iter - self.acc_iter)
            omfrc = 1 - frc
            cut = math.exp(omfrc * math.log(self.tol1) + frc * math.log(self.tol2))
        return 0.1 + omfrc / 4 if dmd2 <= cut else None


def _ncdot(t: float, objs: tuple[_Object, _Object], hbr_km: float, fclip: float = 1e-4) -> tuple[float, float]:
    """(collision rate Ṅc at t in 1/s, effective Mahalanobis distance²); (NaN, NaN) if the overlap fails."""
    pop = _peak_overlap(t, objs, hbr_km, fclip)
    if pop is None:
        return math.nan, math.nan
    ps = _symmetric(pop["js1"] @ objs[0].q0 @ pop["js1"].T) + _symmetric(pop["js2"] @ objs[1].q0 @ pop["js2"].T)
    ru = pop["xu2"][:3] - pop["xu1"][:3]
    vu = pop["xu2"][3:] - pop["xu1"][3:]
    a_s, b_s, c_s = ps[:3, :3], ps[3:, :3], ps[3:, 3:]
    a_inv, a_det = _clipped_inverse(a_s, (fclip * hbr_km) ** 2)
    ns0 = (TWO_PI**3 * a_det) ** -0.5
    bs = b_s @ a_inv
    csp = c_s - bs @ b_s.T
    a_inv_ru = a_inv @ ru
    md2 = float(ru @ a_inv_ru)
    ms2 = md2 - 2 * hbr_km * math.sqrt(a_inv_ru @ a_inv_ru)
    if ms2 > MD2_CUT:
        return 0.0, md2
    points, weights = _lebedev()
    dr = hbr_km * points - ru  # (N, 3) relative positions on the sphere minus the mean
    nu0 = points @ vu + np.einsum("ij,ij->i", points, dr @ bs.T)
    sig2 = np.einsum("ij,jk,ik->i", points, csp, points)
    with np.errstate(invalid="ignore", divide="ignore"):
        sig = np.sqrt(sig2)
        nus = nu0 / (sig * math.sqrt(2))
        mean_inflow = sig * (np.exp(-(nus**2)) - math.sqrt(math.pi) * nus * special.erfc(nus)) / math.sqrt(TWO_PI)
    bad = ~(sig2 > 0)
    if bad.any():  # no velocity spread along r̂: the inflow is the mean's
        mean_inflow[bad] = np.maximum(0.0, -(points[bad] @ vu))
    md2_points = np.einsum("ij,jk,ik->i", dr, a_inv, dr)
    integrand = mean_inflow * np.exp(math.log(ns0) - 0.5 * md2_points)
    rate = hbr_km**2 * float(integrand @ weights)
    return (rate if rate > 1e-300 else 0.0), md2


def _time_limits(objs: tuple[_Object, _Object], periods: tuple[float, float], taum: float) -> tuple[float, float]:
    """The segment of relative motion around TCA between the maxima of |Δr| that bracket it."""
    half = 0.5 * min(periods)
    span = min(1.10 * max(periods), 2.20 * min(periods))
    ts = np.linspace(-span, span, 51)

    def dr2(t: np.ndarray) -> np.ndarray:
        r1, _ = equinoctial_to_cartesian(objs[0].e0, t)
        r2, _ = equinoctial_to_cartesian(objs[1].e0, t)
        d = r2 - r1
        return np.einsum("ij,ij->i", d, d)

    values = dr2(ts)
    maxima = [
        i
        for i in range(len(ts))
        if (i == 0 or values[i] > values[i - 1]) and (i == len(ts) - 1 or values[i] >= values[i + 1])
    ]
    before = [i for i in maxima if ts[i] < min(0.0, taum)]
    after = [i for i in maxima if ts[i] > max(0.0, taum)]
    if not before or not after or max(before) == 0 or min(after) == len(ts) - 1:
        return -half, half
    tol = min(periods) / 100

    def refine(i: int) -> float:
        res = optimize.minimize_scalar(
            lambda x: -float(dr2(np.array([x]))[0]),
            bounds=(ts[i - 1], ts[i + 1]),
            method="bounded",
            options={"xatol": tol},
        )
        return float(res.x)

    return refine(max(before)), refine(min(after))


class _Ephemeris:
    """Times, collision rates and Mahalanobis distances² of the ephemeris, kept sorted; NaN where the
    peak-overlap iteration failed."""

    def __init__(self, evaluate) -> None:
        self._evaluate = evaluate
        self.t = np.empty(0)
        self.rate = np.empty(0)
        self.md2 = np.empty(0)

    def reset(self, times: np.ndarray) -> None:
        self.t, self.rate, self.md2 = np.empty(0), np.empty(0), np.empty(0)
        self.add(times)

    def add(self, times) -> None:
        new = np.setdiff1d(np.unique(np.asarray(times, dtype=float)), self.t)
        if new.size == 0:
            return
        values = np.array([self._evaluate(float(t)) for t in new]).reshape(-1, 2)
        t = np.concatenate([self.t, new])
        order = np.argsort(t, kind="stable")
        self.t = t[order]
        self.rate = np.concatenate([self.rate, values[:, 0]])[order]
        self.md2 = np.concatenate([self.md2, values[:, 1]])[order]


def _refine_like_cara(
    eph: _Ephemeris, limits: tuple[float, float], coppola: tuple[float, float], n_ephemeris: int, rate_fraction: float
) -> int:
    """Hall's search of the conjunction's duration as CARA's ``Pc3D_Hall`` runs it: start on Coppola's bounds,
    walk toward the rate's peak (or, where the rate is zero everywhere, toward the least Mahalanobis distance)
    one step at a time within the segment's limits, bisect around the peaks, then the trapezoid's heavy terms,
    then the span above the cut-off. Returns the number of refinement steps (over ``MAX_REFINEMENTS``: not
    converged). The time integral on these points is CARA's Nc3D."""
    t_lo, t_hi = limits
    tau0, tau1 = coppola
    if math.isfinite(tau0) and math.isfinite(tau1) and not (tau1 <= t_lo or tau0 >= t_hi):
        start, stop = max(tau0, t_lo), min(tau1, t_hi)
    else:
        start, stop = t_lo, t_hi
    n = n_ephemeris
    eph.reset(np.linspace(start, stop, n))
    step0 = max((stop - start) / 2, abs(t_lo) / (MAX_REFINEMENTS / 3), abs(t_hi) / (MAX_REFINEMENTS / 3))
    span_points = max(51, round((n_ephemeris - 1) / 2))
    refinements = 0
    while refinements <= MAX_REFINEMENTS:
        t, f, md2 = eph.t, eph.rate, eph.md2
        if np.isnan(f).all():  # no peak-overlap point: widen to the segment, then sample it more finely
            if t[0] <= t_lo and t[-1] >= t_hi:
                if n > 8 * n_ephemeris:
                    break
                n *= 2
            elif refinements == 0 and math.isfinite(tau0) and math.isfinite(tau1):
                reach = max(abs(tau0), abs(tau1), tau1 - tau0)
                start, stop = max(-reach, t_lo), min(reach, t_hi)
            else:
                start, stop = t_lo, t_hi
            eph.reset(np.linspace(start, stop, n))
            refinements += 1
            continue
        new = _next_times(t, f, md2, (t_lo, t_hi), step0, rate_fraction, span_points)
        if new is None:
            break
        eph.add(new)
        refinements += 1
    return refinements


def _next_times(
    t: np.ndarray,
    f: np.ndarray,
    md2: np.ndarray,
    limits: tuple[float, float],
    step0: float,
    rate_fraction: float,
    span_points: int,
) -> list[float] | None:
    """The times CARA's refinement adds next, or None when it is done."""
    t_lo, t_hi = limits
    last = len(t) - 1
    peak = np.nanmax(f)
    cut = peak * rate_fraction
    i_max = int(np.nanargmin(md2)) if peak == 0 else int(np.nanargmax(f))
    with np.errstate(invalid="ignore"):
        if i_max == 0 and t[0] > t_lo:
            return [max(t[0] - step0, t_lo)]
        if i_max == last and t[-1] < t_hi:
            return [min(t[-1] + step0, t_hi)]
        if f[0] > cut and t[0] > t_lo:
            return [max(t[0] - step0, t_lo)]
        if f[-1] > cut and t[-1] < t_hi:
            return [min(t[-1] + step0, t_hi)]
    mid = max(1, min(last - 1, i_max))
    if peak == 0:
        return _bisect_toward_least_distance(t, md2, mid)
    new = _bisect_peaks(t, f)
    if new:
        return new
    new = _bisect_heavy_terms(t, f, limits, step0)
    if new:
        return new
    return _bisect_above_cut(t, f, cut, span_points) or None


def _bisect_toward_least_distance(t: np.ndarray, md2: np.ndarray, mid: int) -> list[float] | None:
    lo, hi = mid - 1, mid + 1
    near, far = (lo, hi) if md2[lo] > md2[hi] else (hi, lo)
    dt_near, dt_far = abs(t[mid] - t[near]), abs(t[mid] - t[far])
    if dt_far > 3 * dt_near:
        return [0.5 * (t[mid] + t[far])]
    change = abs(md2[near] - md2[mid])
    if (change < 1e-2 or change < 1e-2 * np.nanmin(md2)) and dt_near < 0.1 * (t[-1] - t[0]):
        return None
    return [0.5 * (t[mid] + t[near])]


def _bisect_peaks(t: np.ndarray, f: np.ndarray) -> list[float]:
    """Bisect next to each of the four highest maxima where the rate falls by over 20 % or the step is lopsided."""
    d = np.diff(f)
    with np.errstate(invalid="ignore"):
        rising = np.concatenate([[np.inf], d]) > 0
        falling = np.concatenate([-d, [np.inf]]) > 0
        peaks = np.nonzero((f > 0) & rising & falling)[0]
    if peaks.size > 4:
        peaks = peaks[np.argsort(-f[peaks], kind="stable")[:4]]
    last = len(t) - 1
    new: list[float] = []
    for i in peaks:
        tol = 0.2 * f[i]
        if i > 0 and (f[i] - f[i - 1] > tol or (i < last and t[i] - t[i - 1] >= 2 * (t[i + 1] - t[i]))):
            new.append(0.5 * (t[i] + t[i - 1]))
        if i < last and (f[i] - f[i + 1] > tol or (i > 0 and t[i + 1] - t[i] >= 2 * (t[i] - t[i - 1]))):
            new.append(0.5 * (t[i] + t[i + 1]))
    return new


def _bisect_heavy_terms(t: np.ndarray, f: np.ndarray, limits: tuple[float, float], step0: float) -> list[float]:
    """Bisect around points whose trapezoid share is over 2 % of the sum (and widen at an end that has one)."""
    df = np.diff(t)
    weight = np.concatenate([[df[0]], df[:-1] + df[1:], [df[-1]]]) / 2
    terms = weight * np.nan_to_num(f)
    total = terms.sum()
    last = len(t) - 1
    new: list[float] = []
    for i in np.nonzero(terms > 0.02 * total)[0]:
        if i == 0:
            if t[0] > limits[0]:
                new.append(t[0] - step0)
            new.append(0.5 * (t[0] + t[1]))
        elif i == last:
            if t[-1] < limits[1]:
                new.append(t[-1] + step0)
            new.append(0.5 * (t[-2] + t[-1]))
        else:
            new += [0.5 * (t[i - 1] + t[i]), 0.5 * (t[i + 1] + t[i])]
    return new


def _bisect_above_cut(t: np.ndarray, f: np.ndarray, cut: float, span_points: int) -> list[float]:
    """Steps no longer than 1/51 of the span where the rate is above its cut-off."""
    with np.errstate(invalid="ignore"):
        idx = np.nonzero(f > cut)[0]
    if idx.size == 0:
        return []
    last = len(t) - 1
    idx = np.unique(np.concatenate([[max(idx[0] - 1, 0)], idx, [min(idx[-1] + 1, last)]]))
    longest = (t[idx].max() - t[idx].min()) / span_points
    new: list[float] = []
    for i in idx:
        if i > 0 and t[i] - t[i - 1] > longest:
            new.append(0.5 * (t[i] + t[i - 1]))
        if i < last and t[i + 1] - t[i] > longest:
            new.append(0.5 * (t[i + 1] + t[i]))
    return new


def _object_at_tca(r: np.ndarray, v: np.ndarray, c: np.ndarray) -> _Object:
    """An object's equinoctial mean elements and their covariance at TCA (km, km/s); refused if not bound."""
    mapped = equinoctial_mean_and_covariance(r, v, c)
    if mapped is None:
        raise OverheadError("an object's state at TCA is not a bound orbit")
    return _Object(e0=mapped[0], q0=mapped[1])


def _confirmed_missed(
    eph: _Ephemeris, pair: tuple[_Object, _Object], hbr: float, limits: tuple[float, float], rate_fraction: float
) -> tuple[float, float] | None:
    """The stretch of the segment where the scan finds an approach that the ephemeris does not cover, when the
    rate itself confirms it (the scan's linearisation is not the peak-overlap one); None otherwise."""
    missed = _missed_approach(pair, limits, eph.t, rate_fraction)
    if missed is None:
        return None
    probe = [_ncdot(float(t), pair, hbr)[0] for t in np.linspace(missed[0], missed[1], 11)]
    covered_peak = float(np.nanmax(eph.rate)) if np.isfinite(eph.rate).any() else 0.0
    return missed if np.nanmax(np.asarray([*probe, 0.0])) > 1e-3 * covered_peak else None


def _rate_shape(times: np.ndarray, rates: np.ndarray, rate_fraction: float) -> tuple[np.ndarray, int]:
    """The times where the rate is above the cut-off, and how many distinct peaks it has."""
    fz = np.nan_to_num(rates)
    peak = fz.max() if fz.size else 0.0
    above = times[fz >= peak * rate_fraction] if peak > 0 else times[:0]
    inner = fz[1:-1]
    peaks = int(np.sum((inner > fz[:-2]) & (inner >= fz[2:]) & (inner > 1e-3 * peak))) if peak > 0 else 0
    return above, peaks


def nc3d(
    r1_m,
    v1_m_s,
    cov1,
    r2_m,
    v2_m_s,
    cov2,
    hbr_m: float,
    *,
    gamma: float = 1e-16,
    n_ephemeris: int = 101,
    rel_tol: float = 1e-6,
    max_evaluations: int = 4000,
    time_limits_s: tuple[float, float] | None = None,
) -> Nc3DResult:
    """Hall's Nc3D for states (m, m/s) and 6x6 covariances (m, m/s) in an inertial frame at TCA.

    By default the ephemeris is searched and refined as CARA's ``Pc3D_Hall`` does (from Coppola's bounds,
    within the segment between the maxima of |Δr| that bracket TCA), and ``nc`` is the trapezoid on those points,
    CARA's value; the integral refined further until it changes by under ``rel_tol`` is ``nc_refined`` (the
    difference is the quadrature error of CARA's grid, ~1e-3 on short encounters). ``time_limits_s`` (s from
    TCA) fixes the span instead, and ``nc`` is then the refined integral over it.
    """
    r1, v1, r2, v2 = (np.asarray(x, dtype=float) / 1e3 for x in (r1_m, v1_m_s, r2_m, v2_m_s))
    c1, c2 = np.asarray(cov1, dtype=float) / 1e6, np.asarray(cov2, dtype=float) / 1e6
    hbr = hbr_m / 1e3
    notes: list[str] = []
    if not (np.isfinite(c1).all() and np.isfinite(c2).all()):
        raise OverheadError("the 3D method needs both 6x6 covariances (position and velocity)")
    r1, v1, c1, r2, v2, c2 = _reorient_if_retrograde(r1, v1, c1, r2, v2, c2, notes)
    pair = (_object_at_tca(r1, v1, c1), _object_at_tca(r2, v2, c2))
    tau0, tau1 = _coppola_bounds(gamma, hbr, r2 - r1, v2 - v1, c1 + c2)
    periods = (orbit_period_s(r1, v1), orbit_period_s(r2, v2))
    taum = 0.5 * (tau0 + tau1) if math.isfinite(tau0 + tau1) else 0.0
    t_lo, t_hi = time_limits_s if time_limits_s is not None else _time_limits(pair, periods, taum)
    if t_hi <= t_lo:
        raise OverheadError("the conjunction segment's time limits are invalid")
    eph = _Ephemeris(lambda t: _ncdot(t, pair, hbr))
    x = math.sqrt(2) * float(special.erfcinv(max(1e-6, gamma)))
    rate_fraction = math.exp(-x * x / 2) / math.sqrt(TWO_PI)  # CARA's Ṅc cut-off relative to the peak
    refined_like_cara = time_limits_s is None
    if refined_like_cara:
        refinements = _refine_like_cara(eph, (t_lo, t_hi), (tau0, tau1), n_ephemeris, rate_fraction)
        if refinements > MAX_REFINEMENTS:
            notes.append(f"the ephemeris refinement stopped after {MAX_REFINEMENTS} steps")
    else:
        refinements = 0
        eph.reset(np.linspace(t_lo, t_hi, 10 * n_ephemeris))
    nc_grid = float(np.trapezoid(np.nan_to_num(eph.rate), eph.t))
    missed = _confirmed_missed(eph, pair, hbr, (t_lo, t_hi), rate_fraction) if refined_like_cara else None
    if missed is not None:
        # CARA's search stopped at a local least distance; the encounter's rate peaks elsewhere in the segment
        eph.add(np.linspace(missed[0], missed[1], n_ephemeris))
        notes.append(
            f"the collision rate peaks {missed[0]:.0f} to {missed[1]:.0f} s from TCA, outside the span "
            "that CARA's search of the duration reaches: integrated over the whole segment"
        )
    nc_refined = _refine_integral(eph, rel_tol, max_evaluations, notes)
    grid_times, grid_rates = eph.t.copy(), eph.rate.copy()
    converged = _converged_like_cara(grid_rates, rate_fraction) and refinements <= MAX_REFINEMENTS
    if not converged and np.isfinite(grid_rates).any():
        notes.append("the peak-overlap iteration failed next to where the rate matters")
    nc = nc_grid if refined_like_cara and missed is None else nc_refined
    nc = nc if nc > 1e-300 else 0.0
    above, peaks = _rate_shape(grid_times, grid_rates, rate_fraction)
    return Nc3DResult(
        nc=min(1.0, nc) if converged else math.nan,
        converged=converged,
        times_s=grid_times,
        ncdot=grid_rates,
        time_limits_s=(t_lo, t_hi),
        coppola_bounds_s=(tau0, tau1),
        duration_s=float(above.max() - above.min()) if above.size else 0.0,
        peaks=peaks,
        notes=notes,
        nc_refined=min(1.0, nc_refined) if converged else math.nan,
        span_s=(float(above.min()), float(above.max())) if above.size else (math.nan, math.nan),
        refinements=refinements,
    )


def _missed_approach(
    objs: tuple[_Object, _Object],
    limits: tuple[float, float],
    covered: np.ndarray,
    rate_fraction: float,
    points: int = 801,
) -> tuple[float, float] | None:
    """Where in the segment the small-HBR rate of the mean states (no peak-overlap iteration: a fast scan of the
    segment and of the ephemeris ``covered``) is above the cut-off of its maximum, if that maximum is over 1000
    times the largest within the covered span; None when the ephemeris covers the encounter."""
    step = (limits[1] - limits[0]) / (points - 1)
    times = np.union1d(np.linspace(limits[0], limits[1], points), covered)
    log_rate = np.empty(times.size)
    for k, t in enumerate(times):
        j1, x1 = jacobian_at(float(t), objs[0].e0)
        j2, x2 = jacobian_at(float(t), objs[1].e0)
        a = (j1 @ objs[0].q0 @ j1.T + j2 @ objs[1].q0 @ j2.T)[:3, :3]
        dr, dv = x2[:3] - x1[:3], x2[3:] - x1[3:]
        sign, logdet = np.linalg.slogdet(TWO_PI * a)
        md2 = float(dr @ np.linalg.solve(a, dr)) if sign > 0 else math.inf
        log_rate[k] = -0.5 * logdet - 0.5 * md2 + math.log(max(float(np.linalg.norm(dv)), 1e-12))
    inside = (times >= covered[0]) & (times <= covered[-1])
    best = float(log_rate.max())
    if not math.isfinite(best):
        return None
    best_inside = float(log_rate[inside].max()) if inside.any() else -math.inf
    if best_inside >= best + math.log(1e-3):
        return None
    above = times[log_rate >= best + math.log(rate_fraction)]
    return max(limits[0], float(above.min()) - step), min(limits[1], float(above.max()) + step)


def _converged_like_cara(rates: np.ndarray, rate_fraction: float) -> bool:
    """Converged unless no peak-overlap point converged, or one that failed is next to a point above the cut-off."""
    ok = np.isfinite(rates)
    if not ok.any():
        return False
    if ok.all():
        return True
    peak = np.nanmax(rates)
    if peak == 0:
        return True  # every point that converged is beyond the Mahalanobis cut: a converged zero
    for i in np.nonzero(np.nan_to_num(rates) >= peak * rate_fraction)[0]:
        if (i > 0 and not ok[i - 1]) or (i < len(rates) - 1 and not ok[i + 1]):
            return False
    return True


def _refine_integral(eph: _Ephemeris, rel_tol: float, max_evaluations: int, notes: list[str]) -> float:
    """The trapezoid refined by bisection until it changes by under ``rel_tol`` (intervals carrying a share of
    the integral, or where the rate changes a lot)."""

    def trapezoid() -> float:
        return float(np.trapezoid(np.nan_to_num(eph.rate), eph.t))

    total = trapezoid()
    for _ in range(60):
        if eph.t.size >= max_evaluations:
            notes.append("evaluation limit reached before the time integral converged")
            break
        f = np.nan_to_num(eph.rate)
        t_arr = eph.t
        dt = np.diff(t_arr)
        contrib = 0.5 * dt * (f[:-1] + f[1:])
        peak = f.max()
        if peak == 0:
            break
        jump = np.abs(np.diff(f)) > 0.05 * peak
        heavy = contrib > 1e-3 * max(total, 1e-300)
        split = np.nonzero(jump | heavy)[0]
        if split.size == 0:
            break
        eph.add(0.5 * (t_arr[split] + t_arr[split + 1]))
        previous, total = total, trapezoid()
        if abs(total - previous) <= rel_tol * abs(total) and not jump.any():
            break
    return total


def _reorient_if_retrograde(r1, v1, c1, r2, v2, c2, notes: list[str]):
    """Equinoctial elements (prograde set) are singular at i = 180°: rotate the frame if an orbit is near it."""

    def retrograde(r, v) -> bool:
        h = np.cross(r, v)
        return 1 + h[2] / math.sqrt(h @ h) < 1e-6

    if not (retrograde(r1, v1) or retrograde(r2, v2)):
        return r1, v1, c1, r2, v2, c2
    m3 = np.array([[0.0, 1, 0], [0, 0, 1], [1, 0, 0]])
    m6 = np.zeros((6, 6))
    m6[:3, :3] = m3
    m6[3:, 3:] = m3
    notes.append("frame reoriented: an orbit is near-equatorial retrograde")
    return m3 @ r1, m3 @ v1, m6 @ c1 @ m6.T, m3 @ r2, m3 @ v2, m6 @ c2 @ m6.T
