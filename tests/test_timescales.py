"""Time scales against published values."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from overhead.errors import TimeError
from overhead.orbits.iers import earth_orientation
from overhead.orbits.timescales import format_iso, tai_minus_utc_s, to_datetime64, tt_julian_date


def test_leap_seconds_published_steps():
    assert tai_minus_utc_s(["2016-12-31T23:59:59", "2017-01-01T00:00:00"]).tolist() == [36.0, 37.0]
    assert tai_minus_utc_s(["1999-01-01T00:00:00"]).tolist() == [32.0]
    with pytest.raises(TimeError, match="1972"):
        tai_minus_utc_s(["1960-01-01"])


def test_tt_is_utc_plus_69_184_s_today():
    whole, fraction = tt_julian_date(["2026-05-30T00:00:00Z"])
    assert (fraction[0] * 86400.0) == pytest.approx(69.184, abs=1e-6)
    assert whole[0] == 2461190.5


def test_ut1_minus_utc_matches_the_iers_rows():
    # finals2000A, MJD 60676 (2025-01-01): UT1-UTC = 0.0458... s (Bulletin A); interpolation hits rows
    eop = earth_orientation()
    row = np.searchsorted(eop.mjd, 60676.0)
    value = eop.ut1_minus_utc_s(["2025-01-01T00:00:00Z"])[0]
    assert value == pytest.approx(eop.ut1_utc_s[row], abs=1e-9)
    assert -0.9 < value < 0.9


def test_far_future_warns_about_stale_earth_orientation():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        earth_orientation().ut1_minus_utc_s(["2031-01-01T00:00:00Z"])
    assert any("iers update" in str(w.message) for w in caught)


def test_time_inputs_and_iso_output():
    t = to_datetime64(["2026-05-30T12:00:00Z", "2026-05-30T12:00:00.5+00:00"])
    assert format_iso(t, digits=3).tolist() == ["2026-05-30T12:00:00.000Z", "2026-05-30T12:00:00.500Z"]
    with pytest.raises(TimeError, match="ISO-8601"):
        to_datetime64("yesterday")


def test_geodetic_conversion_inverts_exactly_from_ground_to_geo():
    from overhead.orbits.frames import geodetic_to_itrf, itrf_to_geodetic

    rng = np.random.default_rng(5)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 20_000)))
    lon = rng.uniform(-180, 180, 20_000)
    for alt_km in (-0.4, 0.0, 500.0, 20_200.0, 35_786.0):
        back_lat, back_lon, back_alt = itrf_to_geodetic(geodetic_to_itrf(lat, lon, alt_km))
        assert np.abs(back_lat - lat).max() * 111_000 < 1e-6  # metres
        assert np.abs((back_lon - lon + 180) % 360 - 180).max() * 111_000 < 1e-6
        assert np.abs(back_alt - alt_km).max() < 1e-9  # km
