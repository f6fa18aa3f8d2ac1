"""Orbit decay by atmospheric drag and re-entry prediction.

The mean semi-major axis and eccentricity change by King-Hele's orbit-averaged drag equations (a non-rotating
atmosphere, averaged over the eccentric anomaly):

    da/dt = -(B / 2π) √(μ a) ∫ ρ (1 + e cos E)^{3/2} (1 - e cos E)^{-1/2} dE
    de/dt = -(B / 2π) √(μ / a) (1 - e²) ∫ ρ cos E (1 + e cos E)^{1/2} (1 - e cos E)^{-1/2} dE

with B = C_D A / m (m²/kg) and ρ the density (kg/m³) at the orbit's points — by default NRLMSIS 2.1 (``pymsis``)
driven by the day's F10.7 and Ap (:mod:`overhead.orbits.space_weather`, with CelesTrak's predictions ahead),
averaged over a day's latitudes and local times and tabulated by altitude (:func:`orbit_mean_density`: MSIS
costs ~20 µs a point, and a catalogue's decades of decay need millions of points; the table needs ~400 a day).
B is fitted to the decay an object shows (:func:`fit_ballistic_coefficient`): drag's real uncertainty is the
atmosphere ahead, so a re-entry time comes with a window that grows with the time to go (±20 % of it, as
published predictions state theirs).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from overhead.constants import EARTH_MU_KM3_S2, EARTH_RADIUS_KM

__all__ = [
    "REENTRY_ALTITUDE_KM",
    "WINDOW_SHARE",
    "DensityModel",
    "decay_rates",
    "fit_ballistic_coefficient",
    "msis_density",
    "orbit_mean_density",
    "reentry_times",
]

REENTRY_ALTITUDE_KM = 120.0  # a perigee this low ends in hours: taken as the re-entry
WINDOW_SHARE = 0.2  # the window's half-width, a share of the time to go
_POINTS = 12  # eccentric anomalies sampled per orbit

# density(times [datetime64[ns]], altitude_km, latitude_deg, longitude_deg) -> kg/m³, all arrays of one shape
DensityModel = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def msis_density(
    times: np.ndarray, altitude_km: np.ndarray, latitude_deg: np.ndarray, longitude_deg: np.ndarray
) -> np.ndarray:
    """Total mass density of NRLMSIS 2.1 (kg/m³) at each point, with the space weather of its day."""
    import pymsis

    from overhead.orbits.space_weather import space_weather

    f107, f107_81, ap = space_weather().at(times)
    shape = np.shape(altitude_km)
    flat = [np.ravel(np.broadcast_to(x, shape)) for x in (times, longitude_deg, latitude_deg, altitude_km)]
    aps = np.repeat(np.ravel(np.broadcast_to(ap, shape))[:, None], 7, axis=1)
    out = pymsis.calculate(
        flat[0].astype("datetime64[ns]"),
        flat[1],
        flat[2],
        np.maximum(flat[3], 0.0),
        f107s=np.ravel(np.broadcast_to(f107, shape)),
        f107as=np.ravel(np.broadcast_to(f107_81, shape)),
        aps=aps,
    )
    return np.asarray(out[..., 0], dtype=float).reshape(shape)


# levels 5 km apart low down, where the scale height is a few tens of km, 20 km above 300 km, 100 km above 1,000
TABLE_ALTITUDES_KM = np.r_[
    np.arange(80.0, 300.0, 5.0), np.arange(300.0, 1000.0, 20.0), np.arange(1000.0, 2000.1, 100.0)
]
MONTHLY_NODE_DAYS = 10  # the table's spacing where the weather is CelesTrak's monthly predictions
# the points a day's profile averages: 8 arguments of latitude of a 60° orbit, their local times spread round the day
_U = 2.0 * np.pi * (np.arange(8) + 0.5) / 8
_NODE_LATITUDES_DEG = np.degrees(np.arcsin(np.sin(np.radians(60.0)) * np.sin(_U)))
_NODE_LONGITUDES_DEG = (np.arange(8) * 135.0 + 22.5) % 360.0 - 180.0
_profiles: dict[int, np.ndarray] = {}  # node day (days since 1970) -> log density at TABLE_ALTITUDES_KM


def _node_days(times: np.ndarray) -> np.ndarray:
    """The table's node (days since 1970) of each time: its day, or every 10th day in the monthly predictions."""
    from overhead.orbits.space_weather import space_weather

    day = np.asarray(times, "datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    until = space_weather().daily_until
    if until is None:
        return day
    last = int(np.asarray(until, "datetime64[D]").astype(np.int64))
    return np.where(day <= last, day, last + (day - last) // MONTHLY_NODE_DAYS * MONTHLY_NODE_DAYS)


def _fill_profiles(nodes: np.ndarray) -> None:
    missing = [int(n) for n in np.unique(nodes) if int(n) not in _profiles]
    if not missing:
        return
    shape = (len(missing), len(TABLE_ALTITUDES_KM), len(_U))
    noon = np.array(missing, dtype="datetime64[D]").astype("datetime64[ns]") + np.timedelta64(12, "h")
    rho = msis_density(
        np.broadcast_to(noon[:, None, None], shape),
        np.broadcast_to(TABLE_ALTITUDES_KM[None, :, None], shape),
        np.broadcast_to(_NODE_LATITUDES_DEG, shape),
        np.broadcast_to(_NODE_LONGITUDES_DEG, shape),
    )
    for node, profile in zip(missing, np.log(rho.mean(axis=2)), strict=True):
        _profiles[node] = profile


def orbit_mean_density(
    times: np.ndarray,
    altitude_km: np.ndarray,
    latitude_deg: np.ndarray | None = None,
    longitude_deg: np.ndarray | None = None,
) -> np.ndarray:
    """NRLMSIS 2.1's density (kg/m³) averaged over a day's latitudes and local times (8 points of a 60° orbit),
    at each time's day (every 10th day in the monthly predictions) and altitude: log-linear between the table's
    levels (80-2,000 km, 5 km apart below 300 km; beyond 2,000 km the top level's scale height). A
    :data:`DensityModel` (the position is not used: an orbit's own average is the drag it feels over a day)."""
    altitude = np.asarray(altitude_km, float)
    nodes = np.broadcast_to(_node_days(times), altitude.shape).ravel()
    _fill_profiles(nodes)
    unique, inverse = np.unique(nodes, return_inverse=True)
    table = np.stack([_profiles[int(n)] for n in unique])  # (node, level)
    levels = TABLE_ALTITUDES_KM
    h = np.maximum(altitude.ravel(), levels[0])
    index = np.clip(np.searchsorted(levels, h, side="right") - 1, 0, len(levels) - 2)
    weight = (h - levels[index]) / (levels[index + 1] - levels[index])
    below, above = table[inverse, index], table[inverse, index + 1]
    return np.exp(below + weight * (above - below)).reshape(altitude.shape)


def decay_rates(
    times: np.ndarray,
    a_km: np.ndarray,
    e: np.ndarray,
    inclination_deg: np.ndarray,
    ballistic_m2_kg: np.ndarray,
    density: DensityModel | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(da/dt in km/s, de/dt in 1/s) of each orbit at its time (arrays of one length)."""
    density = density or orbit_mean_density
    a_km, e = np.asarray(a_km, float), np.clip(np.asarray(e, float), 0.0, 0.99)
    anomaly = 2.0 * np.pi * (np.arange(_POINTS) + 0.5) / _POINTS
    cos_e = np.cos(anomaly)[None, :]
    altitude = a_km[:, None] * (1.0 - e[:, None] * cos_e) - EARTH_RADIUS_KM
    # the points spread over latitude (by the inclination) and longitude (local time): an orbit's average
    latitude = np.degrees(np.arcsin(np.sin(np.radians(inclination_deg))[:, None] * np.sin(anomaly)[None, :]))
    longitude = np.broadcast_to(np.degrees(anomaly)[None, :] * 7.0 % 360.0 - 180.0, altitude.shape)
    rho = density(
        np.broadcast_to(np.asarray(times, "datetime64[ns]")[:, None], altitude.shape), altitude, latitude, longitude
    )
    plus, minus = 1.0 + e[:, None] * cos_e, 1.0 - e[:, None] * cos_e
    mu_m3_s2, a_m = EARTH_MU_KM3_S2 * 1e9, a_km * 1e3
    b = np.asarray(ballistic_m2_kg, float)
    da_m_s = -b * np.sqrt(mu_m3_s2 * a_m) * np.mean(rho * plus**1.5 / np.sqrt(minus), axis=1)
    de_s = -b * np.sqrt(mu_m3_s2 / a_m) * (1.0 - e**2) * np.mean(rho * cos_e * np.sqrt(plus / minus), axis=1)
    return da_m_s / 1e3, de_s


def fit_ballistic_coefficient(
    times: np.ndarray,
    a_km: np.ndarray,
    e: np.ndarray,
    inclination_deg: np.ndarray,
    da_dt_km_day: np.ndarray,
    density: DensityModel | None = None,
) -> np.ndarray:
    """B (m²/kg) that makes the model's da/dt equal the observed ``da_dt_km_day`` at each orbit; NaN where the
    orbit does not decay (a raise, or drag too weak to measure)."""
    model, _ = decay_rates(times, a_km, e, inclination_deg, np.ones(len(np.atleast_1d(a_km))), density)
    ballistic = np.asarray(da_dt_km_day, float) / 86_400.0 / model
    return np.where((ballistic > 0) & np.isfinite(ballistic), ballistic, np.nan)


def reentry_times(
    start: np.ndarray,
    a_km: np.ndarray,
    e: np.ndarray,
    inclination_deg: np.ndarray,
    ballistic_m2_kg: np.ndarray,
    *,
    horizon_days: float = 3650.0,
    density: DensityModel | None = None,
    stop_perigee_km: float = REENTRY_ALTITUDE_KM,
) -> np.ndarray:
    """When each orbit's perigee falls to ``stop_perigee_km`` (datetime64[ns]; NaT beyond ``horizon_days``).

    Integrated with Heun's method, all orbits at once, each with its own step: 2 % of its time to go at the
    present rate (of the perigee and of the semi-major axis), between one minute and 30 days."""
    start = np.asarray(start, "datetime64[ns]")
    a, ecc = np.array(a_km, float), np.array(e, float)
    inc, b = np.asarray(inclination_deg, float), np.asarray(ballistic_m2_kg, float)
    elapsed_s = np.zeros(len(a))
    done = np.full(len(a), np.datetime64("NaT"), dtype="datetime64[ns]")
    low = a * (1.0 - ecc) - EARTH_RADIUS_KM <= stop_perigee_km
    done[low] = start[low]  # already down to the re-entry perigee
    live = np.isfinite(b) & (b > 0) & ~low
    horizon_s = horizon_days * 86_400.0
    while np.any(live):
        k = np.flatnonzero(live)
        now = start[k] + elapsed_s[k].astype("timedelta64[s]")
        da1, de1 = decay_rates(now, a[k], ecc[k], inc[k], b[k], density)
        perigee_drop = np.maximum(-(da1 * (1.0 - ecc[k]) - a[k] * de1), 1e-12)  # km/s
        to_go = (a[k] * (1.0 - ecc[k]) - EARTH_RADIUS_KM - stop_perigee_km) / perigee_drop
        # an eccentric orbit's apogee falls faster than its perigee: the semi-major axis bounds the step too
        a_to_go = (a[k] - EARTH_RADIUS_KM - stop_perigee_km) / np.maximum(-da1, 1e-12)
        step = np.clip(0.02 * np.minimum(to_go, a_to_go), 60.0, 30 * 86_400.0)
        later = now + step.astype("timedelta64[s]")
        da2, de2 = decay_rates(later, a[k] + da1 * step, np.maximum(ecc[k] + de1 * step, 0.0), inc[k], b[k], density)
        a_next = a[k] + 0.5 * (da1 + da2) * step
        e_next = np.maximum(ecc[k] + 0.5 * (de1 + de2) * step, 0.0)
        perigee_before = a[k] * (1.0 - ecc[k]) - EARTH_RADIUS_KM
        perigee_after = a_next * (1.0 - e_next) - EARTH_RADIUS_KM
        landed = (perigee_after <= stop_perigee_km) | ~np.isfinite(perigee_after)
        share = np.nan_to_num(
            np.clip((perigee_before - stop_perigee_km) / np.maximum(perigee_before - perigee_after, 1e-9), 0, 1)
        )
        done[k[landed]] = start[k[landed]] + (elapsed_s[k[landed]] + share[landed] * step[landed]).astype(
            "timedelta64[s]"
        )
        a[k], ecc[k], elapsed_s[k] = a_next, e_next, elapsed_s[k] + step
        live[k[landed]] = False
        live[k[elapsed_s[k] > horizon_s]] = False
    return done
