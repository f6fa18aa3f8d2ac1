"""Compiled core of the Monte Carlo over a time span (numba): each sampled pair of two-body orbits is followed
from the span's start to its end, and a hit is the first time the two come within the hard-body radius.

The samples are element sets (equinoctial: n, af, ag, chi, psi, lambda; km, s), so a state at any time is one
solution of Kepler's equation (only the mean longitude moves). The walk cannot step over a hit: each step is
the longest for which the distance cannot fall by more than half its margin above the radius, given the
relative speed and a bound on the relative acceleration (the tidal 3 mu d / r^3 with 50 % to spare, at most the
two objects' whole gravity 2 mu / r^2, r the lower radius less 10 %); where the
margin is small the steps are small, and far from the other object they are long, so a slow encounter costs
tens of steps per sample and a fast one a few dozen more.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

TWO_PI = 2.0 * math.pi


@njit(cache=True, nogil=True)
def _state(e, t, mu):
    """Position and velocity (km, km/s) at t (s) of equinoctial elements e given at t = 0."""
    n, af, ag, chi, psi = e[0], e[1], e[2], e[3], e[4]
    lam = (e[5] + n * t) % TWO_PI
    f = lam
    for _ in range(30):
        cf, sf = math.cos(f), math.sin(f)
        step = (f + ag * cf - af * sf - lam) / (1.0 - ag * sf - af * cf)
        f -= step
        if abs(step) < 1e-13:
            break
    cf, sf = math.cos(f), math.sin(f)
    a = (mu / (n * n)) ** (1.0 / 3.0)
    b = 1.0 / (1.0 + math.sqrt(1.0 - ag * ag - af * af))
    x = a * ((1.0 - ag * ag * b) * cf + af * ag * b * sf - af)
    y = a * ((1.0 - af * af * b) * sf + af * ag * b * cf - ag)
    na2or = n * a / (1.0 - af * cf - ag * sf)
    xd = na2or * (af * ag * b * cf - (1.0 - ag * ag * b) * sf)
    yd = na2or * ((1.0 - af * af * b) * cf - af * ag * b * sf)
    c = 1.0 + chi * chi + psi * psi
    f0, f1, f2 = (1.0 - chi * chi + psi * psi) / c, 2.0 * chi * psi / c, -2.0 * chi / c
    g0, g1, g2 = 2.0 * chi * psi / c, (1.0 + chi * chi - psi * psi) / c, 2.0 * psi / c
    return (x * f0 + y * g0, x * f1 + y * g1, x * f2 + y * g2, xd * f0 + yd * g0, xd * f1 + yd * g1, xd * f2 + yd * g2)


@njit(cache=True, nogil=True)
def _first_hit(e1, e2, t_start, t_stop, hbr_km, mu, max_steps):
    t = t_start
    for _ in range(max_steps):
        x1, y1, z1, u1, v1, w1 = _state(e1, t, mu)
        x2, y2, z2, u2, v2, w2 = _state(e2, t, mu)
        dx, dy, dz = x2 - x1, y2 - y1, z2 - z1
        d = math.sqrt(dx * dx + dy * dy + dz * dz)
        if d < hbr_km:
            return t
        if math.isnan(d):  # an orbit the elements do not describe (a sample beyond a bound ellipse)
            return np.nan
        if t >= t_stop:
            return np.nan
        du, dv, dw = u2 - u1, v2 - v1, w2 - w1
        speed = math.sqrt(du * du + dv * dv + dw * dw)
        # the lower radius, with 10 % to spare for its fall during the step
        radius = 0.9 * min(math.sqrt(x1 * x1 + y1 * y1 + z1 * z1), math.sqrt(x2 * x2 + y2 * y2 + z2 * z2))
        margin = 0.5 * (d - hbr_km)
        # the tidal bound near the other object, never over the two objects' whole gravity
        accel = min(4.5 * mu * d / radius**3, 2.0 * mu / (radius * radius))
        h = 2.0 * margin / (speed + math.sqrt(speed * speed + 2.0 * accel * margin))
        h = max(h, 1e-3 * hbr_km / max(speed, 1e-12))
        t = min(t + h, t_stop)
    return np.nan


@njit(cache=True, parallel=True)
def first_hit_times(e1, e2, t_start, t_stop, hbr_km, mu, max_steps=200_000):
    """For sample pairs of elements (N, 6) each: the first time (s) in [t_start, t_stop] the two are within
    ``hbr_km``, NaN where they never are."""
    out = np.empty(e1.shape[0])
    for i in prange(e1.shape[0]):
        out[i] = _first_hit(e1[i], e2[i], t_start, t_stop, hbr_km, mu, max_steps)
    return out


@njit(cache=True, nogil=True)
def to_elements(state, mu):
    """Equinoctial elements (6,) of one state (6,) in km and km/s; NaN for an unbound or retrograde-equatorial
    orbit."""
    out = np.full(6, np.nan)
    rx, ry, rz, vx, vy, vz = state[0], state[1], state[2], state[3], state[4], state[5]
    rmag = math.sqrt(rx * rx + ry * ry + rz * rz)
    v2 = vx * vx + vy * vy + vz * vz
    a = mu * rmag / (2.0 * mu - v2 * rmag)
    if not a > 1e-5 or not math.isfinite(a):
        return out
    rdv = rx * vx + ry * vy + rz * vz
    hx, hy, hz = ry * vz - rz * vy, rz * vx - rx * vz, rx * vy - ry * vx
    hmag = math.sqrt(hx * hx + hy * hy + hz * hz)
    k = (v2 - mu / rmag) / mu
    ex, ey, ez = k * rx - rdv * vx / mu, k * ry - rdv * vy / mu, k * rz - rdv * vz / mu
    wx, wy, wz = hx / hmag, hy / hmag, hz / hmag
    if wz + 1.0 <= 1e-10 or ex * ex + ey * ey + ez * ez >= 1.0:
        return out
    chi, psi = wx / (1.0 + wz), -wy / (1.0 + wz)
    c = 1.0 + chi * chi + psi * psi
    f0, f1, f2 = (1.0 - chi * chi + psi * psi) / c, 2.0 * chi * psi / c, -2.0 * chi / c
    g0, g1, g2 = 2.0 * chi * psi / c, (1.0 + chi * chi - psi * psi) / c, 2.0 * psi / c
    af, ag = f0 * ex + f1 * ey + f2 * ez, g0 * ex + g1 * ey + g2 * ez
    if af * af + ag * ag >= 1.0:
        return out
    x, y = f0 * rx + f1 * ry + f2 * rz, g0 * rx + g1 * ry + g2 * rz
    safg = math.sqrt(1.0 - ag * ag - af * af)
    b = 1.0 / (1.0 + safg)
    sin_f = ag + ((1.0 - ag * ag * b) * y - b * ag * af * x) / (a * safg)
    cos_f = af + ((1.0 - af * af * b) * x - b * ag * af * y) / (a * safg)
    f = math.atan2(sin_f, cos_f)
    out[0] = math.sqrt(mu / a**3)
    out[1], out[2], out[3], out[4] = af, ag, chi, psi
    out[5] = f + ag * cos_f - af * sin_f
    return out


@njit(cache=True, parallel=True)
def cartesian_to_elements(states, mu):
    """Equinoctial elements (N, 6) of states (N, 6) in km and km/s (NaN rows for unbound or retrograde ones)."""
    out = np.empty((states.shape[0], 6))
    for i in prange(states.shape[0]):
        out[i] = to_elements(states[i], mu)
    return out


@njit(cache=True, nogil=True)
def element_states(elements, mu):
    """Positions and velocities (N, 6), km and km/s, of element sets (N, 6) at their own epoch."""
    out = np.empty((elements.shape[0], 6))
    for i in range(elements.shape[0]):
        out[i] = _state(elements[i], 0.0, mu)
    return out
