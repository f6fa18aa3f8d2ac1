"""The bundled catalog over a day against Skyfield (an independent SGP4 wrapper and frame library)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

import overhead
from overhead import data_path
from overhead.orbits.sun import is_sunlit, sun_position_teme_km

skyfield_api = pytest.importorskip("skyfield.api")
from skyfield.api import EarthSatellite, Loader, wgs84  # noqa: E402
from skyfield.sgp4lib import TEME  # noqa: E402

ONE_MILLIMETRE_KM = 1e-6
ONE_METRE_KM = 1e-3


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    # Skyfield reads the same IERS table as overhead, so that both use the same UT1
    folder = tmp_path_factory.mktemp("skyfield")
    (folder / "finals2000A.all").write_bytes(gzip.decompress(data_path("finals2000A.all.gz").read_bytes()))
    catalog = overhead.sample_catalog()
    times = np.datetime64("2026-05-30T00:00:00", "ns") + np.arange(0, 86_400, 600) * np.timedelta64(1, "s")
    lines = catalog.to_tle(names=False).splitlines()
    ts = Loader(str(folder), verbose=False).timescale(builtin=False)
    t = ts.from_datetimes([x.astype("datetime64[us]").item().replace(tzinfo=__import__("datetime").UTC) for x in times])
    sats = [EarthSatellite(lines[2 * i], lines[2 * i + 1], ts=ts) for i in range(len(catalog))]
    return catalog, times, t, sats


def test_teme_positions_within_a_millimetre(day):
    catalog, times, t, sats = day
    ds = catalog.propagate(times, frame="teme")
    ours = np.stack([ds.x_km, ds.y_km, ds.z_km], -1)
    for i, sat in enumerate(sats):
        ref = sat.at(t).frame_xyz(TEME).km.T
        ok = ds.error.values[i] == 0
        np.testing.assert_allclose(ours[i, ok], ref[ok], atol=ONE_MILLIMETRE_KM, rtol=0)


def test_geodetic_within_a_metre_with_the_gmst82_model(day):
    """Skyfield's SGP4 positions go TEME → PEF by GMST 1982 at UT1, without polar motion."""
    catalog, times, t, sats = day
    ds = catalog.propagate(times, frame="geodetic", earth_model="gmst82")
    worst = 0.0
    for i, sat in enumerate(sats):
        ref = wgs84.geographic_position_of(sat.at(t))
        dlat = np.radians(ds.lat_deg.values[i] - ref.latitude.degrees) * 6371.0
        dlon = (
            np.radians((ds.lon_deg.values[i] - ref.longitude.degrees + 180) % 360 - 180)
            * 6371.0
            * np.cos(np.radians(ref.latitude.degrees))
        )
        horizontal = np.hypot(dlat, dlon)
        worst = max(worst, float(np.nanmax(horizontal)))
        np.testing.assert_allclose(ds.alt_km.values[i], ref.elevation.km, atol=ONE_METRE_KM)
    assert worst < ONE_METRE_KM


def test_sun_direction_and_shadow_match_skyfield(day):
    catalog, times, t, sats = day
    pytest.importorskip("skyfield_data")
    from skyfield_data import get_skyfield_data_path

    eph = Loader(get_skyfield_data_path(), verbose=False)("de421.bsp")
    earth, sun = eph["earth"], eph["sun"]
    ours = sun_position_teme_km(times)
    ref = earth.at(t).observe(sun).apparent().frame_xyz(TEME).km.T
    cos_angle = np.sum(ours * ref, -1) / np.linalg.norm(ours, axis=-1) / np.linalg.norm(ref, axis=-1)
    assert np.degrees(np.arccos(np.clip(cos_angle, -1, 1))).max() < 0.01
    ds = catalog[:40].propagate(times, frame="teme")
    r = np.stack([ds.x_km, ds.y_km, ds.z_km], -1)
    lit = is_sunlit(r, ours[None])
    ref_lit = np.stack([s.at(t).is_sunlit(eph) for s in sats[:40]])
    assert (lit == ref_lit).mean() > 0.995  # differing only within seconds of the shadow's edge
