"""Re-entry predictions from element sets: against a quadrature and an independent integration of the same drag
(an exponential atmosphere), and through the watch rule ``decay_predicted``, the CLI and the store."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad, solve_ivp

import overhead
from overhead.catalog.reentry import predict_reentries, reentries_from
from overhead.catalog.store import CatalogStore
from overhead.constants import EARTH_MU_KM3_S2
from overhead.orbits.decay import EARTH_RADIUS_KM, REENTRY_ALTITUDE_KM
from tests.test_decay import exponential_atmosphere

MU_M3_S2 = EARTH_MU_KM3_S2 * 1e9
EPOCH = pd.Timestamp("2026-01-10T00:00:00")
STATIONS = str(overhead.sample_path("stations"))


def _da_dt_km_day(a_km: float, ballistic_m2_kg: float) -> float:
    """da/dt of a circular orbit under the exponential atmosphere (km/day)."""
    rho = exponential_atmosphere(None, a_km - EARTH_RADIUS_KM, 0, 0)
    return -ballistic_m2_kg * rho * np.sqrt(MU_M3_S2 * a_km * 1e3) / 1e3 * 86_400


def _lifetime_days(a_km: float, ballistic_m2_kg: float) -> float:
    """Days from a circular orbit at ``a_km`` to the re-entry altitude, by quadrature of dt = da / (da/dt)."""
    days, _ = quad(
        lambda a: -1.0 / _da_dt_km_day(a, ballistic_m2_kg), EARTH_RADIUS_KM + REENTRY_ALTITUDE_KM, a_km, limit=200
    )
    return days


def _mean_motion_rev_day(a_km):
    return np.sqrt(EARTH_MU_KM3_S2 / np.asarray(a_km) ** 3) * 86_400 / (2 * np.pi)


@pytest.mark.parametrize(("altitude_km", "ballistic_m2_kg"), [(300.0, 0.01), (420.0, 0.02)])
def test_one_element_set_with_its_mean_motion_derivative_gives_the_lifetime_of_its_drag(altitude_km, ballistic_m2_kg):
    """A set whose ṅ/2 is the decay of B in the atmosphere: the fitted B is that B, and the re-entry is the
    quadrature's lifetime (within 1 %), with a window of ±20 % of the time to go around it."""
    a_km = EARTH_RADIUS_KM + altitude_km
    n = float(_mean_motion_rev_day(a_km))
    n_dot = -1.5 * n / a_km * _da_dt_km_day(a_km, ballistic_m2_kg)  # rev/day²
    history = pd.DataFrame(
        {
            "norad_id": [90001],
            "epoch": [EPOCH],
            "mean_motion_rev_per_day": [n],
            "eccentricity": [0.0],
            "inclination_deg": [51.6],
            "mean_motion_dot": [n_dot / 2],
        }
    )
    found = predict_reentries(history, density=exponential_atmosphere, horizon_days=20 * 365)
    assert len(found) == 1
    row = found.iloc[0]
    assert row.ballistic_m2_kg == pytest.approx(ballistic_m2_kg, rel=1e-6) and row.rate_from == "element set"
    to_go_days = (row.reentry - EPOCH) / pd.Timedelta(days=1)
    assert to_go_days == pytest.approx(_lifetime_days(a_km, ballistic_m2_kg), rel=0.01)
    assert (row.window_end - row.reentry) / pd.Timedelta(days=1) == pytest.approx(0.2 * to_go_days, rel=1e-3)
    assert (row.reentry - row.window_start) / pd.Timedelta(days=1) == pytest.approx(0.2 * to_go_days, rel=1e-3)


def test_a_decaying_history_gives_the_re_entry_of_its_latest_orbit():
    """Thirty days of sets from an independent integration (scipy's solve_ivp) of the decay: the line through
    them gives the rate, and the re-entry is the lifetime from the latest orbit within 5 %."""
    ballistic, a0 = 0.01, EARTH_RADIUS_KM + 380.0
    days = np.linspace(0.0, 30.0, 16)
    solved = solve_ivp(lambda t, a: [_da_dt_km_day(a[0], ballistic)], (0.0, 30.0), [a0], t_eval=days, rtol=1e-10)
    a_km = solved.y[0]
    history = pd.DataFrame(
        {
            "norad_id": 90002,
            "epoch": EPOCH + pd.to_timedelta(days, unit="D"),
            "mean_motion_rev_per_day": _mean_motion_rev_day(a_km),
            "eccentricity": 0.0,
            "inclination_deg": 97.4,
            "mean_motion_dot": 0.0,
        }
    )
    found = predict_reentries(history, density=exponential_atmosphere, horizon_days=20 * 365)
    row = found.iloc[0]
    assert row.rate_from == "history" and row.ballistic_m2_kg == pytest.approx(ballistic, rel=0.05)
    to_go_days = (row.reentry - history.epoch.iloc[-1]) / pd.Timedelta(days=1)
    assert to_go_days == pytest.approx(_lifetime_days(a_km[-1], ballistic), rel=0.05)


def test_raised_high_or_eccentric_objects_get_no_wrong_prediction():
    """A raise (the mean motion falling) is no decay; an orbit at 1,200 km is above the drag the model is for; a
    Molniya orbit with a 600 km perigee decays too slowly to re-enter within the horizon."""
    raised = pd.DataFrame(
        {
            "norad_id": 1,
            "epoch": EPOCH + pd.to_timedelta(np.arange(5.0), unit="D"),
            "mean_motion_rev_per_day": 15.5 - 0.01 * np.arange(5.0),
            "eccentricity": 0.0005,
            "inclination_deg": 51.6,
            "mean_motion_dot": 0.0,
        }
    )
    high = pd.DataFrame(
        {
            "norad_id": [2],
            "epoch": [EPOCH],
            "mean_motion_rev_per_day": [13.0],
            "eccentricity": [0.001],
            "inclination_deg": [99.0],
            "mean_motion_dot": [1e-6],
        }
    )
    molniya = pd.DataFrame(
        {
            "norad_id": [3],
            "epoch": [EPOCH],
            "mean_motion_rev_per_day": [2.006],
            "eccentricity": [0.72],
            "inclination_deg": [63.4],
            "mean_motion_dot": [1e-8],
        }
    )
    found = predict_reentries(pd.concat([raised, high, molniya], ignore_index=True), horizon_days=365)
    assert found.empty


def test_a_stored_set_reads_its_mean_motion_derivative_from_line_one():
    """The store keeps the lines, not ṅ: the TLE's columns 34-43 give it (ISS OBJECT XY of the bundled stations
    group decays by its ṅ of the 2026-05-28 set)."""
    elements = overhead.load_elements(STATIONS).elements
    one = elements[elements.norad_id == 66912]
    lines = overhead.load_elements(STATIONS).select([66912]).to_tle(names=False).splitlines()
    from_lines = one.drop(columns=["mean_motion_dot"]).assign(line1=lines[0])
    assert predict_reentries(from_lines).reentry.iloc[0] == predict_reentries(one).reentry.iloc[0]


def test_the_decay_predicted_rule_alerts_each_object_once(tmp_path):
    """The bundled stations group at its epoch: the objects the drag model brings down within 60 days are
    alerted, once each (a second round adds none); a rule for another group alerts none of them."""
    from overhead.catalog.watch import alerts_table, load_rules, watch_round

    store = CatalogStore(f"sqlite:///{tmp_path / 'c.sqlite'}")
    store.ingest([STATIONS], group="stations")
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "sources: []\nalerts:\n  - {name: down-soon, when: decay_predicted, within_days: 60}\n"
        "  - {name: resource-down, when: decay_predicted, within_days: 60, group: resource}\n"
    )
    now = datetime(2026, 5, 30)
    report = watch_round(store, load_rules(rules), now=now)
    expected = reentries_from(overhead.load_elements(STATIONS).elements, at=now, within_days=60)
    assert len(expected) >= 1 and report.new_alerts == len(expected)
    table = alerts_table(store)
    assert set(table.rule) == {"down-soon"} and table.kind.eq("decay_predicted").all()
    assert sorted(int(n.strip("[]")) for n in table.norad_ids) == sorted(expected.norad_id)
    assert all("re-entry predicted" in d and "window" in d for d in table.detail)
    assert watch_round(store, load_rules(rules), now=now).new_alerts == 0


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ("{name: d, when: decay_predicted, within_days: 0}", "within_days"),
        ("{name: d, when: decay_predicted, within_days: soon}", "within_days"),
        ("{name: d, when: decay_predicted, within_hours: 3}", "within_hours: unknown parameter"),
        ("{name: d, when: decay_predicted, min_confidence: 0.5}", "min_confidence"),
    ],
)
def test_a_bad_decay_predicted_rule_is_one_line_naming_it(tmp_path, entry, said):
    from overhead.catalog.watch import load_rules
    from overhead.errors import OverheadError

    rules = tmp_path / "rules.yaml"
    rules.write_text(f"sources: []\nalerts:\n  - {entry}\n")
    with pytest.raises(OverheadError) as error:
        load_rules(rules)
    assert said in str(error.value) and "\n" not in str(error.value)


def test_catalog_reentries_from_a_file_and_from_the_store(tmp_path, capsys):
    from overhead.cli.main import main

    out = tmp_path / "reentries.csv"
    main(["catalog", "reentries", STATIONS, "--time", "2026-05-30T00:00:00Z", "--within-days", "60", "-o", str(out)])
    from_file = pd.read_csv(out)
    assert len(from_file) >= 1 and from_file.reentry.str.endswith("Z").all()
    assert (from_file.window_start < from_file.reentry).all() and (from_file.reentry < from_file.window_end).all()
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    CatalogStore(db).ingest([STATIONS], group="stations")
    stored = tmp_path / "stored.csv"
    main(
        ["catalog", "reentries", "--db", db, "--time", "2026-05-30T00:00:00Z", "--within-days", "60", "-o", str(stored)]
    )
    pd.testing.assert_frame_equal(pd.read_csv(stored), from_file)
    capsys.readouterr()
    assert main(["catalog", "reentries", STATIONS, "--within-days", "-3"]) == 2
    said = capsys.readouterr().err
    assert "within_days" in said and "Traceback" not in said and len(said.strip().splitlines()) == 1
