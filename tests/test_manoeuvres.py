"""Manoeuvre detection: analytic histories with a known burn (a step, a ramp, a slow climb, an inclination
change, a lone bad element set) and the operators' own manoeuvre records for Sentinel-3A and Jason-2
(Shorten et al. 2023 benchmark, ±1 day)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import overhead
from overhead.catalog.manoeuvres import detect_manoeuvres, manoeuvre_evidence
from tests.conftest import shared_file

MU_KM3_S2 = 398600.4418
START = np.datetime64("2026-01-01T00:00")


def _history(a_km: np.ndarray, inc_deg: np.ndarray | float = 66.04, *, days: np.ndarray | None = None):
    days = np.arange(len(a_km), dtype=float) if days is None else days
    mean_motion = np.sqrt(MU_KM3_S2 / a_km**3) * 86_400 / (2 * np.pi)
    epoch = START + (days * 86_400e3).astype("timedelta64[ms]")
    return pd.DataFrame({"norad_id": 7, "epoch": epoch, "mean_motion_rev_per_day": mean_motion,
                         "inclination_deg": np.broadcast_to(inc_deg, a_km.shape)})


def _quiet_orbit(n_sets: int = 90, seed: int = 3, noise_km: float = 0.0003):
    """Daily element sets of a 1,336 km orbit decaying by 0.1 m/day, with 0.3 m of element-set noise."""
    rng = np.random.default_rng(seed)
    days = np.arange(n_sets, dtype=float) + rng.uniform(-0.2, 0.2, n_sets)
    return days, 7714.0 - 1e-4 * days + rng.normal(0.0, noise_km, n_sets)


def _day(found: pd.DataFrame, k: int = 0) -> float:
    return float((found.time.iloc[k] - pd.Timestamp(START)) / pd.Timedelta(days=1))


def test_a_burn_spread_over_several_element_sets_is_one_manoeuvre_at_its_start():
    # older element sets fit tracking that straddles the burn: a +10 m raise at day 40.5 shows over 4 sets
    days, a_km = _quiet_orbit()
    a_km = a_km + 0.010 * np.clip((days - 40.5) / 4.0, 0.0, 1.0)
    found = detect_manoeuvres(_history(a_km, days=days))
    assert len(found) == 1
    assert _day(found) == pytest.approx(40.5, abs=1.0)
    assert found.delta_a_km.iloc[0] == pytest.approx(0.010, abs=0.003)
    assert 0.0 < found.confidence.iloc[0] <= 1.0


def test_the_evidence_peaks_at_the_burn_and_stays_below_threshold_elsewhere():
    days, a_km = _quiet_orbit()
    a_km = a_km + np.where(days > 60.5, 0.010, 0.0)
    evidence = manoeuvre_evidence(_history(a_km, days=days))
    assert len(evidence) == len(days) and list(evidence.columns) == [
        "norad_id", "epoch", "jump_score", "step_score", "slope_change_score"]
    first_after = int(np.argmax(days > 60.5))
    assert evidence.jump_score.iloc[first_after] > 1.0
    assert evidence.step_score.iloc[first_after - 4:first_after + 1].max() > 1.0  # a change within 4 sets
    quiet = np.abs(days - 60.5) > 8
    assert (evidence[["jump_score", "step_score", "slope_change_score"]][quiet] < 1.0).all().all()


def test_a_slow_climb_after_a_burn_is_found_where_it_starts_not_where_it_ends():
    # element sets fitted over long spans turn a burn into a 10-day climb of 10 m (Jason-1 in 2002)
    days, a_km = _quiet_orbit(noise_km=0.0002)
    a_km = a_km + 0.010 * np.clip((days - 45.3) / 10.0, 0.0, 1.0)
    found = detect_manoeuvres(_history(a_km, days=days))
    assert len(found) == 1
    assert _day(found) == pytest.approx(45.3, abs=1.0)


def test_a_lone_bad_element_set_is_not_a_manoeuvre():
    days, a_km = _quiet_orbit()
    a_km[50] += 0.050
    assert detect_manoeuvres(_history(a_km, days=days)).empty


def test_an_inclination_manoeuvre_is_found_with_its_size():
    days, a_km = _quiet_orbit()
    inc_deg = 66.04 + np.where(days > 30.6, 0.020, 0.0) + np.random.default_rng(5).normal(0, 0.0002, len(days))
    found = detect_manoeuvres(_history(a_km, inc_deg, days=days))
    assert len(found) == 1
    assert _day(found) == pytest.approx(30.6, abs=1.0)
    assert found.delta_i_deg.iloc[0] == pytest.approx(0.020, abs=0.002)


def test_objects_are_judged_separately():
    days, a_km = _quiet_orbit()
    raised = _history(a_km + np.where(days > 20.5, 0.010, 0.0), days=days)
    quiet = _history(_quiet_orbit(seed=9)[1], days=days).assign(norad_id=8)
    found = detect_manoeuvres(pd.concat([quiet, raised]))
    assert found.norad_id.tolist() == [7]


def test_a_table_of_many_objects_gives_what_each_gives_alone():
    # all objects are tested in one pass; none may borrow its neighbours' noise or windows
    tables, alone = [], []
    for norad_id in range(5):
        days, a_km = _quiet_orbit(n_sets=40 + 15 * norad_id, seed=norad_id)
        a_km = a_km + np.where(days > 20.5 + norad_id, 0.002 * (norad_id + 1), 0.0)
        tables.append(_history(a_km, days=days).assign(norad_id=norad_id))
        alone.append(detect_manoeuvres(tables[-1]))
    tables.append(_history(np.full(3, 7000.0)).assign(norad_id=99))  # too short to judge
    together = detect_manoeuvres(pd.concat(tables[::-1]))
    expected = pd.concat(alone, ignore_index=True)
    assert len(expected) >= 3 and together.norad_id.tolist() == expected.norad_id.tolist()
    assert (np.abs(together.time - expected.time) <= pd.Timedelta(milliseconds=1)).all()
    assert np.allclose(together.confidence, expected.confidence)
    assert detect_manoeuvres(tables[-1]).empty and manoeuvre_evidence(tables[-1]).empty


@pytest.mark.parametrize(("satellite", "precision", "recall"), [("Sentinel-3A", 0.9, 0.85), ("Jason-2", 0.75, 0.6)])
def test_manoeuvres_match_the_operators_record(satellite, precision, recall):
    folder = ("tle_history", "manoeuvre_benchmark_shorten2023")
    elements = overhead.load_elements(shared_file(*folder, f"{satellite}.tle")).elements
    truth_file = yaml.safe_load(shared_file(*folder, f"manoeuvres_{satellite}.yaml").read_text())
    truth = pd.to_datetime([str(t) for t in truth_file["manoeuvre_timestamps"]]).to_numpy()
    epochs = pd.to_datetime(elements.epoch).to_numpy()
    truth = truth[(truth >= epochs.min()) & (truth <= epochs.max())]
    found = detect_manoeuvres(elements).time.to_numpy()
    day = np.timedelta64(1, "D")
    assert np.mean([np.any(np.abs(truth - t) <= day) for t in found]) >= precision
    assert np.mean([np.any(np.abs(found - t) <= day) for t in truth]) >= recall


def _sentinel_3a():
    folder = ("tle_history", "manoeuvre_benchmark_shorten2023")
    return overhead.load_elements(shared_file(*folder, "Sentinel-3A.tle"))


def test_an_ingest_reports_the_manoeuvre_its_new_element_sets_show(tmp_path):
    from overhead.catalog.store import CatalogStore

    history = _sentinel_3a()
    burn = np.datetime64("2017-02-24T09:40")  # in the operator's record
    epochs = history.epochs
    store = CatalogStore(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    before = np.flatnonzero((epochs > burn - np.timedelta64(90, "D")) & (epochs < burn - np.timedelta64(1, "D")))
    store.ingest_text(history[before.tolist()].to_tle(names=False))
    after = np.flatnonzero((epochs >= burn - np.timedelta64(1, "D")) & (epochs < burn + np.timedelta64(3, "D")))
    report = store.ingest_text(history[after.tolist()].to_tle(names=False))
    found = report.changes[report.changes.change == "manoeuvre"]
    assert len(found) == 1
    assert abs(pd.Timestamp(found.time.iloc[0]) - pd.Timestamp(burn)) <= pd.Timedelta(days=1)


def test_cli_lists_and_plots_manoeuvres_of_a_history_file(tmp_path):
    from overhead.cli.main import main

    history = _sentinel_3a()
    source = tmp_path / "s3a.tle"
    source.write_text(history[:400].to_tle(names=False))
    out, chart = tmp_path / "manoeuvres.csv", tmp_path / "manoeuvres.png"
    assert main(["catalog", "manoeuvres", str(source), "-o", str(out), "--plot", str(chart)]) == 0
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 20_000
    table = pd.read_csv(out)
    from overhead.catalog.manoeuvres import MANOEUVRE_COLUMNS, MANOEUVRE_KINDS

    assert list(table.columns) == list(MANOEUVRE_COLUMNS)
    assert len(table) > 3 and (table.norad_id == 41335).all() and table.time.str.endswith("Z").all()
    assert table.confidence.between(0, 1).all() and table.kind.isin(MANOEUVRE_KINDS).all()
    assert ((table.tier == "high") == (table.confidence >= 0.9)).all()
    sure = tmp_path / "sure.csv"
    assert main(["catalog", "manoeuvres", str(source), "-o", str(sure), "--min-confidence", "0.9"]) == 0
    high = pd.read_csv(sure)
    assert len(high) == (table.confidence >= 0.9).sum() and (high.tier == "high").all()


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan"])
def test_a_confidence_that_is_not_a_probability_is_one_line_and_exit_2(tmp_path, capsys, value):
    from overhead.cli.main import main

    source = tmp_path / "s3a.tle"
    source.write_text(_sentinel_3a()[:60].to_tle(names=False))
    try:
        code = main(["catalog", "manoeuvres", str(source), "--min-confidence", value])
    except SystemExit as exit_:  # argparse's own refusal of a value that is not a number
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert ("min_confidence" in err or "--min-confidence" in err) and "Traceback" not in err
    assert len(err.splitlines()) <= 2
