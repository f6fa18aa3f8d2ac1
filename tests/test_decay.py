"""Drag decay and re-entry: the integrator against a quadrature of the same drag law, the space-weather reader
against the file's own rows, and NRLMSIS's density in its published range."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from overhead.constants import EARTH_MU_KM3_S2
from overhead.errors import OverheadError
from overhead.orbits.decay import EARTH_RADIUS_KM, fit_ballistic_coefficient, msis_density, reentry_times
from overhead.orbits.space_weather import parse_space_weather, space_weather

RHO0_KG_M3, H0_KM, SCALE_KM = 3e-12, 400.0, 60.0


def exponential_atmosphere(times, altitude_km, latitude_deg, longitude_deg):
    return RHO0_KG_M3 * np.exp(-(np.asarray(altitude_km) - H0_KM) / SCALE_KM)


@pytest.mark.parametrize(("altitude_km", "ballistic_m2_kg"), [(400.0, 0.01), (350.0, 0.005), (500.0, 0.02)])
def test_the_lifetime_of_a_circular_orbit_equals_the_quadrature_of_the_same_drag(altitude_km, ballistic_m2_kg):
    """da/dt = -B ρ(a) √(μ a) on a circular orbit: the time to fall from a₀ to the re-entry altitude is
    ∫ da / (B ρ √(μ a)), integrated here by quadrature; the integrator must agree within 5 %."""
    mu_m3_s2 = EARTH_MU_KM3_S2 * 1e9

    def seconds_per_metre(a_m):
        return 1.0 / (
            ballistic_m2_kg * exponential_atmosphere(None, a_m / 1e3 - EARTH_RADIUS_KM, 0, 0) * np.sqrt(mu_m3_s2 * a_m)
        )

    a0_m, stop_m = (EARTH_RADIUS_KM + altitude_km) * 1e3, (EARTH_RADIUS_KM + 120.0) * 1e3
    expected_s, _ = quad(seconds_per_metre, stop_m, a0_m, limit=200)
    start = np.array(["2026-01-01T00:00:00"], dtype="datetime64[ns]")
    landed = reentry_times(
        start,
        [EARTH_RADIUS_KM + altitude_km],
        [0.0],
        [51.6],
        [ballistic_m2_kg],
        density=exponential_atmosphere,
        horizon_days=50 * 365,
    )
    got_s = (landed[0] - start[0]) / np.timedelta64(1, "s")
    assert got_s == pytest.approx(expected_s, rel=0.05)
    assert got_s == pytest.approx(expected_s, rel=0.01)  # in fact much closer (Heun, 2 % steps)


def test_the_fitted_ballistic_coefficient_gives_back_the_decay_it_was_fitted_to():
    times = np.array(["2025-10-10T00:00:00"] * 3, dtype="datetime64[ns]")
    a_km = EARTH_RADIUS_KM + np.array([300.0, 400.0, 500.0])
    b = fit_ballistic_coefficient(
        times, a_km, np.zeros(3), np.full(3, 51.6), np.array([-1.0, -0.1, -0.01]), density=exponential_atmosphere
    )
    mu_m3_s2 = EARTH_MU_KM3_S2 * 1e9
    rho = exponential_atmosphere(None, a_km - EARTH_RADIUS_KM, 0, 0)
    da_dt_km_day = -b * rho * np.sqrt(mu_m3_s2 * a_km * 1e3) / 1e3 * 86_400
    assert da_dt_km_day == pytest.approx([-1.0, -0.1, -0.01], rel=1e-9)
    assert np.isnan(fit_ballistic_coefficient(times[:1], a_km[:1], [0.0], [51.6], [0.2]))[0]  # a raise


def test_msis_densities_are_in_the_published_range_and_follow_the_sun():
    """NRLMSIS at 400 km: ~1e-12 kg/m³ at moderate activity, a few times more at solar maximum."""
    quiet = msis_density(
        np.array(["2019-12-15T12:00"], dtype="datetime64[ns]"), np.array([400.0]), np.array([0.0]), np.array([0.0])
    )[0]
    active = msis_density(
        np.array(["2024-08-15T12:00"], dtype="datetime64[ns]"), np.array([400.0]), np.array([0.0]), np.array([0.0])
    )[0]
    assert 5e-14 < quiet < 2e-12 and 1e-12 < active < 2e-11 and active > 3 * quiet


def test_the_shipped_space_weather_reads_its_rows_and_predictions():
    sw = space_weather()
    assert sw.days[0] == np.datetime64("1990-01-01") and sw.days[-1] >= np.datetime64("2041-01-01")
    # daily rows, but for the days between CelesTrak's 45 daily predictions and its first monthly one (each such
    # day holds the last daily prediction)
    assert np.diff(sw.days).max() <= np.timedelta64(31, "D") and np.median(np.diff(sw.days)) == np.timedelta64(1, "D")
    f107, mean, ap = sw.at(np.array(["1957-10-01", "2026-08-01"], dtype="datetime64[ns]"))
    assert np.all((f107 > 60) & (f107 < 400)) and np.all((mean > 60) & (mean < 300)) and np.all(ap >= 0)


ROW = (
    "2026 08 01 2631 17 10 13 17 20 13 10  7 10 100   4   5   6   7   5   4   3   4   5 0.2 1 120 150.0 0 "
    "140.0 135.0 151.0 141.0 136.0"
)


def test_a_space_weather_row_is_read_by_its_columns():
    sw = parse_space_weather(f"BEGIN OBSERVED\n{ROW}\n{ROW.replace('08 01', '08 02')}\nEND OBSERVED\n")
    f107, mean, ap = sw.at(np.array(["2026-08-02T12:00"], dtype="datetime64[ns]"))
    assert (f107[0], mean[0], ap[0]) == (151.0, 141.0, 5.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="ascii"), max_size=140), max_size=6))
def test_any_text_is_a_table_or_one_error_naming_the_line(lines):
    try:
        sw = parse_space_weather("BEGIN OBSERVED\n" + "\n".join(lines) + "\nEND OBSERVED\n", source="fuzz")
    except OverheadError as error:
        assert str(error).startswith("fuzz") and "\n" not in str(error)
    else:
        assert len(sw.days) >= 1 and np.all(np.isfinite(sw.f107_sfu))
