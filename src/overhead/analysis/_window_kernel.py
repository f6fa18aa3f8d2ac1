"""Compiled core of the window search for an elevation mask and an off-nadir cone (numba).

The same search as the vectorised path of :mod:`overhead.analysis.access` (margins at candidate samples,
roots on cubic Hermite states — here by Newton's method with the margin's analytic rate —, golden-section
search for windows hidden between samples, geometric pruning of that search), written as one pass over the
sorted candidates: numpy's version spends
most of its time building and masking temporary arrays, which a loop does not need. Coverage analyses,
where these constraints are the rule and windows number in the hundreds of millions, use it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from overhead.orbits.hermite import hermite_at

POLAR_RADIUS_KM = 6356.752
FAILED = -1e9
GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@njit(cache=True, nogil=True, inline="always")
def _margin(p, w, target, position, up, sin_mask, cos_limit):
    """Smallest margin of the elevation mask (sin elevation − sin mask) and, when ``cos_limit`` is not NaN, of
    the off-nadir cone (cos off-nadir − cos limit), and its time derivative for a velocity ``w``. Positive
    exactly where the degree margins of ``access._margin`` are, with the same zeros, and no inverse
    trigonometry."""
    d0, d1, d2 = p[0] - position[target, 0], p[1] - position[target, 1], p[2] - position[target, 2]
    rng = math.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
    du = d0 * up[target, 0] + d1 * up[target, 1] + d2 * up[target, 2]
    wu = w[0] * up[target, 0] + w[1] * up[target, 1] + w[2] * up[target, 2]
    dw = d0 * w[0] + d1 * w[1] + d2 * w[2]
    m = du / rng - sin_mask[target]
    rate = wu / rng - du * dw / (rng * rng * rng)
    if cos_limit == cos_limit:
        rr = math.sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2])
        dp = d0 * p[0] + d1 * p[1] + d2 * p[2]
        pw = p[0] * w[0] + p[1] * w[1] + p[2] * w[2]
        cone = dp / (rng * rr) - cos_limit
        if cone < m:
            m = cone
            rate = ((pw + dw) * rng * rr - dp * (dw / rng * rr + rng * pw / rr)) / (rng * rr) ** 2
    if m != m:
        return FAILED, 0.0
    return m, rate


@njit(cache=True, nogil=True)
def _margin_and_rate(t, sat, target, r, v, h, position, up, sin_mask, cos_limit):
    """The margin and its rate at ``t`` on the Hermite state."""
    p, w = hermite_at(r, v, sat, t, h)
    return _margin(p, w, target, position, up, sin_mask, cos_limit)


@njit(cache=True, nogil=True)
def _margin_at(t, sat, target, r, v, h, position, up, sin_mask, cos_limit):
    return _margin_and_rate(t, sat, target, r, v, h, position, up, sin_mask, cos_limit)[0]


@njit(cache=True, nogil=True)
def _root(lo, hi, f_lo, f_hi, tolerance, sat, target, r, v, h, position, up, sin_mask, cos_limit):
    """Zero of the margin in [lo, hi] (f_lo, f_hi of opposite signs): Newton's method on the Hermite state,
    kept inside the shrinking bracket (bisection where a step would leave it or converge too slowly), from
    the secant point. Three or four evaluations reach ``tolerance`` where regula falsi needs seven to nine."""
    if f_lo > 0:  # orient: negative at a, positive at b
        a, b = hi, lo
    else:
        a, b = lo, hi
    x = lo - f_lo * (hi - lo) / (f_hi - f_lo)
    if not (lo < x < hi):
        x = 0.5 * (lo + hi)
    step_before = abs(hi - lo)
    step = step_before
    for _ in range(100):
        f, rate = _margin_and_rate(x, sat, target, r, v, h, position, up, sin_mask, cos_limit)
        if f == 0.0:
            return x
        if f < 0:
            a = x
        else:
            b = x
        newton = x - f / rate if rate != 0.0 else math.nan
        low, high = min(a, b), max(a, b)
        if not (low < newton < high) or abs(2.0 * (newton - x)) > step_before:
            step_before, step = step, 0.5 * (high - low)
            x = low + step
        else:
            step_before, step = step, abs(newton - x)
            x = newton
        if step < 0.5 * tolerance or high - low < tolerance:
            return x
    return 0.5 * (a + b)


@njit(cache=True, nogil=True)
def _search_positive(lo, hi, width, sat, target, r, v, h, position, up, sin_mask, cos_limit):
    """Golden-section search for a positive margin near the maximum on [lo, hi]: (time, margin)."""
    a, b = lo, hi
    c, d = b - GOLDEN * (b - a), a + GOLDEN * (b - a)
    fc = _margin_at(c, sat, target, r, v, h, position, up, sin_mask, cos_limit)
    fd = _margin_at(d, sat, target, r, v, h, position, up, sin_mask, cos_limit)
    best_t, best_f = (c, fc) if fc >= fd else (d, fd)
    while best_f <= 0 and b - a > width:
        if fc >= fd:
            b = d
            new = b - GOLDEN * (b - a)
            d, fd = c, fc
            c = new
            fc = f_new = _margin_at(new, sat, target, r, v, h, position, up, sin_mask, cos_limit)
        else:
            a = c
            new = a + GOLDEN * (b - a)
            c, fc = d, fd
            d = new
            fd = f_new = _margin_at(new, sat, target, r, v, h, position, up, sin_mask, cos_limit)
        if f_new > best_f:
            best_t, best_f = new, f_new
    return best_t, best_f


@njit(cache=True, nogil=True, inline="always")
def _elevation_deg(x, y, z, target, position, up):
    """Elevation (deg) of a position (km, ITRF) from ``target``: ``access._elevation_deg`` for one state."""
    d0, d1, d2 = x - position[target, 0], y - position[target, 1], z - position[target, 2]
    du = d0 * up[target, 0] + d1 * up[target, 1] + d2 * up[target, 2]
    return math.degrees(math.asin(min(max(du / math.sqrt(d0 * d0 + d1 * d1 + d2 * d2), -1.0), 1.0)))


@njit(cache=True, nogil=True)
def _elevation_rate(t, sat, target, r, v, h, position, up):
    """The time derivative of the elevation's sine (1/s) at ``t`` on the Hermite state: zero at a culmination."""
    p, w = hermite_at(r, v, sat, t, h)
    d0, d1, d2 = p[0] - position[target, 0], p[1] - position[target, 1], p[2] - position[target, 2]
    rng = math.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
    du = d0 * up[target, 0] + d1 * up[target, 1] + d2 * up[target, 2]
    wu = w[0] * up[target, 0] + w[1] * up[target, 1] + w[2] * up[target, 2]
    return wu / rng - du * (d0 * w[0] + d1 * w[1] + d2 * w[2]) / (rng * rng * rng)


@njit(cache=True, nogil=True)
def culminations(r, v, h, sat, target, start, end, position, up, tolerance):
    """The time (s) of the highest elevation of each window [start, end] of ``sat`` over ``target``: the
    highest sample inside it (the middle if none), then the zero of the elevation's rate within a step of it by
    regula falsi (Illinois) to ``tolerance`` s. Where the rate keeps its sign over that bracket the window is
    cut while rising or setting (by the span, or a constraint other than the elevation): it peaks at that end."""
    out = np.empty(sat.size)
    for i in range(sat.size):
        s_, j_ = sat[i], target[i]
        best_t, best_e = (start[i] + end[i]) / 2.0, -np.inf
        for k in range(math.ceil(start[i] / h), math.floor(end[i] / h) + 1):
            e = _elevation_deg(r[s_, k, 0], r[s_, k, 1], r[s_, k, 2], j_, position, up)
            if e > best_e:  # the first of equal maxima; a failed (NaN) sample is never the best
                best_t, best_e = k * h, e
        a, b = max(best_t - h, start[i]), min(best_t + h, end[i])
        f_a = _elevation_rate(a, s_, j_, r, v, h, position, up)
        f_b = _elevation_rate(b, s_, j_, r, v, h, position, up)
        if not f_a > 0.0:  # setting from the bracket's start (or a failed state): the peak is there
            out[i] = a
        elif not f_b < 0.0:
            out[i] = b
        else:
            out[i] = _falling_zero(a, b, f_a, f_b, tolerance, s_, j_, r, v, h, position, up)
    return out


@njit(cache=True, nogil=True)
def look_angles_at(r, v, h, sat, target, t, position, up, north, east):
    """Elevation, azimuth (deg from north, eastwards) and off-nadir angle (deg) of ``sat[i]`` from
    ``target[i]`` at ``t[i]`` s on the Hermite state: ``access._geometry``'s angles, one compiled pass."""
    n = sat.size
    elevation, azimuth, off_nadir = np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        p, _ = hermite_at(r, v, sat[i], t[i], h)
        j = target[i]
        d0, d1, d2 = p[0] - position[j, 0], p[1] - position[j, 1], p[2] - position[j, 2]
        rng = math.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
        du = (d0 * up[j, 0] + d1 * up[j, 1] + d2 * up[j, 2]) / rng
        elevation[i] = math.degrees(math.asin(min(max(du, -1.0), 1.0)))
        de = d0 * east[j, 0] + d1 * east[j, 1] + d2 * east[j, 2]
        dn = d0 * north[j, 0] + d1 * north[j, 1] + d2 * north[j, 2]
        azimuth[i] = math.degrees(math.atan2(de, dn)) % 360.0
        radius = math.sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2])
        down = (d0 * p[0] + d1 * p[1] + d2 * p[2]) / (rng * radius)  # look (−d/rng) · nadir (−p/radius)
        off_nadir[i] = math.degrees(math.acos(min(max(down, -1.0), 1.0)))
    return elevation, azimuth, off_nadir


@njit(cache=True, nogil=True)
def _falling_zero(a, b, f_a, f_b, tolerance, sat, target, r, v, h, position, up):
    """The zero of the elevation's rate in [a, b] (positive at a, negative at b): Illinois regula falsi."""
    side = 0
    for _ in range(100):
        x = b - f_b * (b - a) / (f_b - f_a)
        if not (a < x < b):
            x = 0.5 * (a + b)
        f_x = _elevation_rate(x, sat, target, r, v, h, position, up)
        if f_x > 0.0:
            a, f_a = x, f_x
            if side == -1:
                f_b *= 0.5
            side = -1
        elif f_x < 0.0:
            b, f_b = x, f_x
            if side == 1:
                f_a *= 0.5
            side = 1
        else:
            return x
        if b - a < tolerance:
            break
    return 0.5 * (a + b)


@njit(cache=True, nogil=True)
def _central_angle_bound(radius, min_elevation_deg, limit_deg):
    """``sensors.central_angle_bound_rad`` for one radius."""
    eps = math.radians(max(min_elevation_deg, -10.0))
    if eps < 0:
        bound = math.acos(min(max(POLAR_RADIUS_KM / radius, -1.0), 1.0)) + abs(eps)
    else:
        bound = math.acos(min(max(POLAR_RADIUS_KM * math.cos(eps) / radius, -1.0), 1.0)) - eps
    if limit_deg == limit_deg:
        eta = math.radians(limit_deg)
        s = radius * math.sin(eta) / POLAR_RADIUS_KM
        horizon = math.acos(min(max(POLAR_RADIUS_KM / radius, -1.0), 1.0))
        bound = min(bound, math.asin(max(s, -1.0)) - eta if s < 1 else horizon)
    return min(max(bound, 0.0), math.pi) + math.radians(0.25)


@njit(cache=True, nogil=True)
def _arc_distance(a, b, p):
    """Angular distance from unit vector p to the great-circle arc from a to b."""
    n0, n1, n2 = a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]
    length = math.sqrt(n0 * n0 + n1 * n1 + n2 * n2)
    to_ends = min(
        math.acos(min(max(p[0] * a[0] + p[1] * a[1] + p[2] * a[2], -1.0), 1.0)),
        math.acos(min(max(p[0] * b[0] + p[1] * b[1] + p[2] * b[2], -1.0), 1.0)),
    )
    if length <= 0:
        return to_ends
    n0, n1, n2 = n0 / length, n1 / length, n2 / length
    off = p[0] * n0 + p[1] * n1 + p[2] * n2
    f0, f1, f2 = p[0] - off * n0, p[1] - off * n1, p[2] - off * n2
    # (a × foot)·n >= 0 and (foot × b)·n >= 0: the foot lies between a and b
    s1 = (a[1] * f2 - a[2] * f1) * n0 + (a[2] * f0 - a[0] * f2) * n1 + (a[0] * f1 - a[1] * f0) * n2
    s2 = (f1 * b[2] - f2 * b[1]) * n0 + (f2 * b[0] - f0 * b[2]) * n1 + (f0 * b[1] - f1 * b[0]) * n2
    if s1 >= 0 and s2 >= 0:
        return math.asin(min(abs(off), 1.0))
    return to_ends


@njit(cache=True, nogil=True)
def _track_reaches(sat, k, target, r, position, lowest_deg, limit_deg):
    """``access._track_reaches`` for one candidate: can the track within a step of sample k reach the target?"""
    last = r.shape[1] - 1
    units = np.empty((3, 3))
    radius = 0.0
    for m in range(3):
        kk = min(max(k - 1 + m, 0), last)
        norm = math.sqrt(r[sat, kk, 0] ** 2 + r[sat, kk, 1] ** 2 + r[sat, kk, 2] ** 2)
        radius = max(radius, norm)
        for j in range(3):
            units[m, j] = r[sat, kk, j] / norm
    pn = math.sqrt(position[target, 0] ** 2 + position[target, 1] ** 2 + position[target, 2] ** 2)
    w = np.empty(3)
    for j in range(3):
        w[j] = position[target, j] / pn
    distance = min(_arc_distance(units[0], units[1], w), _arc_distance(units[1], units[2], w))
    reach = _central_angle_bound(radius, lowest_deg, limit_deg)
    if not (math.isfinite(distance) and math.isfinite(reach)):
        return True
    return distance <= reach + math.radians(0.1)


@njit(cache=True, nogil=True)
def chunk_windows(
    r, v, h, keys, n_targets, position, up, sin_mask, cos_limit, lowest_deg, limit_deg, tolerance_s, hidden_width_s
):
    """Windows from the sorted keys ((sat × n_targets + target) × n_samples + sample) of the candidate samples.

    Each run of a pair's candidates, with one sample more on each side, is a segment (runs whose widened
    ranges meet are one); the margin is evaluated on the segment's samples, and its sign changes are refined
    to roots. A segment with no positive sample is searched for a window hidden between samples.
    Returns (sat, target, start_s, end_s, start_cut, end_cut) of every window, in key order.
    """
    n_samples = r.shape[1]
    n_steps = n_samples - 1
    span = n_steps * h
    g = np.empty(n_samples)
    capacity = max(16, keys.size // 4)
    out_sat = np.empty(capacity, np.int64)
    out_target = np.empty(capacity, np.int64)
    out_start = np.empty(capacity)
    out_end = np.empty(capacity)
    out_start_cut = np.empty(capacity, np.bool_)
    out_end_cut = np.empty(capacity, np.bool_)
    count = 0
    n = keys.size
    i = 0
    while i < n:
        pair = keys[i] // n_samples
        end = i + 1
        while end < n and keys[end] // n_samples == pair and keys[end] - keys[end - 1] <= 3:
            end += 1
        s_, j_ = pair // n_targets, pair % n_targets
        a = max(keys[i] % n_samples - 1, 0)
        b = min(keys[end - 1] % n_samples + 1, n_steps)
        if count + (b - a) // 2 + 2 > capacity:  # room for every window this segment can hold
            capacity = 2 * capacity + (b - a)
            out_sat = _grow(out_sat, capacity)
            out_target = _grow(out_target, capacity)
            out_start = _grow(out_start, capacity)
            out_end = _grow(out_end, capacity)
            out_start_cut = _grow(out_start_cut, capacity)
            out_end_cut = _grow(out_end_cut, capacity)
        any_positive = False
        best = a
        for k in range(a, b + 1):
            g[k] = _margin(r[s_, k], v[s_, k], j_, position, up, sin_mask, cos_limit)[0]
            any_positive = any_positive or g[k] > 0
            if g[k] > g[best]:
                best = k
        if any_positive:
            inside = g[a] > 0
            start_t = a * h
            start_open = inside
            for k in range(a, b):
                t = k * h
                if g[k] <= 0 and g[k + 1] > 0:
                    start_t = _root(
                        t, t + h, g[k], g[k + 1], tolerance_s, s_, j_, r, v, h, position, up, sin_mask, cos_limit
                    )
                    start_open, inside = False, True
                elif g[k] > 0 and g[k + 1] <= 0:
                    end_t = _root(
                        t, t + h, g[k], g[k + 1], tolerance_s, s_, j_, r, v, h, position, up, sin_mask, cos_limit
                    )
                    out_sat[count], out_target[count] = s_, j_
                    out_start[count], out_end[count] = start_t, end_t
                    out_start_cut[count], out_end_cut[count] = start_open and start_t <= 0.0, False
                    count += 1
                    inside = False
            if inside:
                end_t = b * h
                out_sat[count], out_target[count] = s_, j_
                out_start[count], out_end[count] = start_t, end_t
                out_start_cut[count], out_end_cut[count] = start_open and start_t <= 0.0, end_t >= span
                count += 1
        elif _track_reaches(s_, best, j_, r, position, lowest_deg, limit_deg):
            first = min(max(best - 1, 0), n_steps - 2) if n_steps >= 2 else 0
            t_best = best * h
            lo = max(t_best - h, first * h)
            hi = min(t_best + h, first * h + 2 * h)
            peak_t, peak_g = _search_positive(
                lo, hi, hidden_width_s, s_, j_, r, v, h, position, up, sin_mask, cos_limit
            )
            if peak_g > 0:
                f_lo = _margin_at(lo, s_, j_, r, v, h, position, up, sin_mask, cos_limit)
                f_hi = _margin_at(hi, s_, j_, r, v, h, position, up, sin_mask, cos_limit)
                out_sat[count], out_target[count] = s_, j_
                out_start[count] = _root(
                    lo, peak_t, f_lo, peak_g, tolerance_s, s_, j_, r, v, h, position, up, sin_mask, cos_limit
                )
                out_end[count] = _root(
                    peak_t, hi, peak_g, f_hi, tolerance_s, s_, j_, r, v, h, position, up, sin_mask, cos_limit
                )
                out_start_cut[count], out_end_cut[count] = False, False
                count += 1
        i = end
    return (
        out_sat[:count],
        out_target[:count],
        out_start[:count],
        out_end[:count],
        out_start_cut[:count],
        out_end_cut[:count],
    )


@njit(cache=True, nogil=True)
def _grow(array, capacity):
    out = np.empty(capacity, array.dtype)
    out[: array.size] = array
    return out


BUCKET_CHOICES_DEG = (1, 2, 3, 4, 5, 6, 9, 10, 12, 15, 18, 20, 30, 45, 60, 90)  # divisors of 180


def bucket_size_deg(n_targets: int, reach_rad: float) -> int:
    """The cell size (deg) that makes the bucket search cheapest: a sample of reach λ visits about
    (2λ/b + 1)² cells and tests the targets in them, n (2λ + b)² / 4π of them if spread over the globe. Fine
    cells suit many targets (a coverage grid: a few degrees), coarse ones a few sites (100 sites: 20-30°: the
    fixed 2° cells visited ~600 cells a sample, 3 µs)."""

    def cost(b_deg: int) -> float:
        b = math.radians(b_deg)
        return (2.0 * reach_rad / b + 1.0) ** 2 + n_targets * (2.0 * reach_rad + b) ** 2 / (4.0 * math.pi)

    return min(BUCKET_CHOICES_DEG, key=cost)


def target_buckets(target_unit: np.ndarray, bucket_deg: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Targets sorted into latitude × longitude cells of ``bucket_deg``: (order, cell starts, n_lat, n_lon)."""
    lat = np.degrees(np.arcsin(np.clip(target_unit[:, 2], -1, 1)))
    lon = np.degrees(np.arctan2(target_unit[:, 1], target_unit[:, 0]))
    n_lat, n_lon = round(180 / bucket_deg), round(360 / bucket_deg)
    i = np.clip(((lat + 90) / bucket_deg).astype(np.int64), 0, n_lat - 1)
    j = np.clip(((lon + 180) / bucket_deg).astype(np.int64), 0, n_lon - 1)
    cell = i * n_lon + j
    order = np.argsort(cell, kind="stable")
    starts = np.searchsorted(cell[order], np.arange(n_lat * n_lon + 1))
    return order.astype(np.int64), starts.astype(np.int64), n_lat, n_lon


@njit(cache=True, nogil=True)
def coarse_needed(r, cos_reach, target_unit, index, pad, n_fine):
    """The fine samples a window search needs, from states at a few of them: ``needed[sat, k]`` is True within
    ``pad`` samples of a coarse sample (fine sample ``index[c]``, state ``r[sat, c]``) from which some target is
    within the satellite's reach (``cos_reach[sat]``: the cosine of its Earth-central angle), or whose state
    failed (SGP4 may fail at one time and not at the next)."""
    n_sat, n_coarse, n_targets = r.shape[0], r.shape[1], target_unit.shape[0]
    needed = np.zeros((n_sat, n_fine), np.bool_)
    for sat in range(n_sat):
        limit = cos_reach[sat]
        for c in range(n_coarse):
            x, y, z = r[sat, c, 0], r[sat, c, 1], r[sat, c, 2]
            radius = math.sqrt(x * x + y * y + z * z)
            hit = not math.isfinite(radius)
            t = 0
            while not hit and t < n_targets:
                hit = x * target_unit[t, 0] + y * target_unit[t, 1] + z * target_unit[t, 2] >= limit * radius
                t += 1
            if hit:
                needed[sat, max(index[c] - pad, 0) : min(index[c] + pad + 1, n_fine)] = True
    return needed


@njit(cache=True, nogil=True)
def candidate_keys_few(r, v, step_s, target_unit, lowest_deg, limit_deg):
    """The pre-filter of ``access._candidate_keys`` for a few targets, fused: each sample's reach (the central
    angle bound at its radius, widened by the angle it moves in half a step) and its dot product with each
    target in one pass over the states, no temporary arrays. Keys come out sorted (satellite, then target, then
    sample), as ``(sat × n_targets + target) × n_samples + sample``."""
    n_sat, n_samples, n_targets = r.shape[0], r.shape[1], target_unit.shape[0]
    out = np.empty(max(1024, n_sat * n_samples // 8), np.int64)
    count = 0
    radii = np.empty(n_samples)
    threshold = np.empty(n_samples)  # a target is within reach where r · target ≥ this (cos reach × radius)
    for sat in range(n_sat):
        low2, high2, fastest2 = np.inf, 0.0, 0.0  # squares: radius (km²) and speed (km²/s²)
        for k in range(n_samples):
            x, y, z = r[sat, k, 0], r[sat, k, 1], r[sat, k, 2]
            radius2 = x * x + y * y + z * z
            radii[k] = math.sqrt(radius2)
            if not math.isfinite(radius2):
                continue
            vx, vy, vz = v[sat, k, 0], v[sat, k, 1], v[sat, k, 2]
            speed2 = vx * vx + vy * vy + vz * vz
            if math.isfinite(speed2):
                fastest2 = max(fastest2, speed2)
            low2, high2 = min(low2, radius2), max(high2, radius2)
        if high2 == 0.0:
            continue  # no state at all (SGP4 failed throughout)
        low, high = math.sqrt(low2), math.sqrt(high2)
        fastest2 /= low2  # the fastest speed at the lowest radius: above every sample's angular rate
        # the bound grows with the radius: a near-circular orbit takes its highest sample's bound (and its
        # fastest motion) for every sample, one cosine a satellite; an eccentric one is bounded sample by sample
        circular = high <= 1.02 * low
        common = math.cos(
            min(_central_angle_bound(high, lowest_deg, limit_deg) + math.sqrt(fastest2) * step_s / 2.0, math.pi)
        )
        for k in range(n_samples):
            radius = radii[k]
            if not math.isfinite(radius):
                threshold[k] = np.inf  # never reached: SGP4 failed here
            elif circular:
                threshold[k] = common * radius
            else:
                speed = math.sqrt(v[sat, k, 0] ** 2 + v[sat, k, 1] ** 2 + v[sat, k, 2] ** 2)
                move = speed * step_s / 2.0 / radius if math.isfinite(speed) else 0.0
                reach = min(_central_angle_bound(radius, lowest_deg, limit_deg) + move, math.pi)
                threshold[k] = math.cos(reach) * radius
        for t in range(n_targets):
            if count + n_samples > out.size:  # room for the whole row first: a reallocation inside the sample
                out = _grow(out, 2 * out.size + n_samples)  # loop made numba's loop 15 times slower
            base = (sat * n_targets + t) * n_samples
            a, b, c = target_unit[t, 0], target_unit[t, 1], target_unit[t, 2]
            for k in range(n_samples):
                if r[sat, k, 0] * a + r[sat, k, 1] * b + r[sat, k, 2] * c >= threshold[k]:
                    out[count] = base + k
                    count += 1
    return out[:count]


@njit(cache=True, nogil=True)
def candidate_keys(sub_point, reach, target_unit, order, starts, n_lat, n_lon, n_targets, n_samples):
    """Sorted keys ((sat × n_targets + target) × n_samples + sample) of every sample whose sub-satellite point
    (rows of ``sub_point``, sat-major) is within ``reach`` (rad) of a target: the pre-filter of
    ``access._candidate_keys`` with a latitude-longitude bucket index instead of a KD-tree. Each satellite's
    candidates come out sample by sample; a counting sort by target puts them in key order."""
    bucket = math.pi / n_lat
    capacity = max(1024, sub_point.shape[0] * 8)
    out = np.empty(capacity, np.int64)
    count = 0
    found_target = np.empty(1024, np.int64)
    found_sample = np.empty(1024, np.int64)
    per_target = np.zeros(n_targets + 1, np.int64)
    n_sat = sub_point.shape[0] // n_samples
    for sat in range(n_sat):
        found = 0
        for sample in range(n_samples):
            row = sat * n_samples + sample
            x, y, z = sub_point[row, 0], sub_point[row, 1], sub_point[row, 2]
            lam = reach[row]
            if not (math.isfinite(x) and math.isfinite(lam)):
                continue
            cos_reach = math.cos(lam)
            lat = math.asin(min(max(z, -1.0), 1.0))
            lon = math.atan2(y, x)
            i0 = max(int((lat - lam + math.pi / 2) / bucket), 0)
            i1 = min(int((lat + lam + math.pi / 2) / bucket), n_lat - 1)
            widest = max(abs(lat - lam), abs(lat + lam))  # the band's latitude farthest from the equator
            if widest >= math.pi / 2 - 1e-9:
                half = math.pi
            else:
                c = math.cos(widest)
                half = math.pi if math.sin(lam) >= c else math.asin(math.sin(lam) / c)
            if half >= math.pi - 1e-9:
                j_first, j_count = 0, n_lon
            else:
                j_first = math.floor((lon - half + math.pi) / bucket)
                j_count = min(math.floor((lon + half + math.pi) / bucket) - j_first + 1, n_lon)
            if found + n_targets > found_target.size:  # room for every target first (none in the loops below)
                found_target = _grow(found_target, 2 * found_target.size + n_targets)
                found_sample = _grow(found_sample, found_target.size)
            for i in range(i0, i1 + 1):
                for jj in range(j_first, j_first + j_count):
                    cell = i * n_lon + (jj % n_lon)
                    for m in range(starts[cell], starts[cell + 1]):
                        t = order[m]
                        if x * target_unit[t, 0] + y * target_unit[t, 1] + z * target_unit[t, 2] >= cos_reach:
                            found_target[found] = t
                            found_sample[found] = sample
                            found += 1
        if count + found > capacity:
            capacity = 2 * (count + found)
            out = _grow(out, capacity)
        per_target[:] = 0
        for q in range(found):
            per_target[found_target[q] + 1] += 1
        for t in range(n_targets):
            per_target[t + 1] += per_target[t]
        for q in range(found):  # stable: a target's samples stay in increasing order
            t = found_target[q]
            out[count + per_target[t]] = (sat * n_targets + t) * n_samples + found_sample[q]
            per_target[t] += 1
        count += found
    return out[:count]


@njit(cache=True, nogil=True)
def merge_intervals(point, start, end, n_points):
    """Union of intervals per point, sorted by point then start: a counting sort by point, a sort of each
    point's starts, one sweep. The compiled form of ``revisit.merge_intervals``."""
    n = point.size
    offsets = np.zeros(n_points + 1, np.int64)
    for i in range(n):
        offsets[point[i] + 1] += 1
    for p in range(n_points):
        offsets[p + 1] += offsets[p]
    fill = offsets[:-1].copy()
    order = np.empty(n, np.int64)
    for i in range(n):
        order[fill[point[i]]] = i
        fill[point[i]] += 1
    out_point = np.empty(n, point.dtype)
    out_start = np.empty(n)
    out_end = np.empty(n)
    m = 0
    for p in range(n_points):
        a, b = offsets[p], offsets[p + 1]
        if a == b:
            continue
        members = order[a:b]
        by_start = members[np.argsort(start[members])]
        current_start, current_end = start[by_start[0]], end[by_start[0]]
        for q in by_start[1:]:
            if start[q] > current_end:
                out_point[m], out_start[m], out_end[m] = p, current_start, current_end
                m += 1
                current_start, current_end = start[q], end[q]
            else:
                current_end = max(current_end, end[q])
        out_point[m], out_start[m], out_end[m] = p, current_start, current_end
        m += 1
    return out_point[:m], out_start[:m], out_end[:m]
