"""Eclipses against Skyfield's is_sunlit sampled at 1 s and Orekit's EclipseDetector (test-only dependencies)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import overhead
from overhead.analysis.eclipses import eclipses
from overhead.cli.main import main
from tests.conftest import skyfield_with_ephemeris

DAY = ("2026-05-30T00:00:00Z", "2026-05-31T00:00:00Z")


def _catalog():
    catalog = overhead.sample_catalog(("stations", "resource"))
    return catalog[list(range(0, len(catalog), max(1, len(catalog) // 8)))]


def _seconds(table: pd.DataFrame, column: str) -> np.ndarray:
    return (table[column] - pd.Timestamp(DAY[0].rstrip("Z"))).dt.total_seconds().to_numpy()


@pytest.mark.slow
def test_point_sun_shadow_changes_where_skyfield_says_the_satellite_is_sunlit_or_not():
    skyfield, eph, ts = skyfield_with_ephemeris()
    catalog = _catalog()
    ours = eclipses(catalog, *DAY, model="point")
    seconds = np.arange(0, 86_401)
    times = ts.utc(2026, 5, 30, 0, 0, seconds)
    lines = catalog.to_tle(names=False).splitlines()
    checked = 0
    for k, norad_id in enumerate(catalog.norad_ids):
        satellite = skyfield.EarthSatellite(lines[2 * k], lines[2 * k + 1], ts=ts)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lit = satellite.at(times).is_sunlit(eph)
        changes = np.flatnonzero(np.diff(lit.astype(int)))  # between second c and c + 1
        mine = ours[(ours.norad_id == norad_id) & (ours.kind == "umbra")]
        events = np.sort(np.r_[_seconds(mine[~mine.cut_start], "start"), _seconds(mine[~mine.cut_end], "end")])
        assert len(events) == len(changes), norad_id
        assert np.all((events >= changes - 0.05) & (events <= changes + 1.05)), norad_id  # in that second
        checked += len(events)
    assert checked > 100


def test_conical_umbra_lies_inside_penumbra_and_around_the_point_sun_boundary():
    catalog = _catalog()
    conical = eclipses(catalog, *DAY)
    point = eclipses(catalog, *DAY, model="point")
    assert set(conical.kind) == {"umbra", "penumbra"}
    for norad_id in catalog.norad_ids:
        umbra = conical[
            (conical.norad_id == norad_id) & (conical.kind == "umbra") & ~conical.cut_start & ~conical.cut_end
        ]
        penumbra = conical[(conical.norad_id == norad_id) & (conical.kind == "penumbra")]
        middle = point[(point.norad_id == norad_id)]
        for row in umbra.itertuples():
            outer = penumbra[(penumbra.start <= row.start) & (penumbra.end >= row.end)]
            inner = middle[(middle.start <= row.start) & (middle.end >= row.end)]
            assert len(outer) == 1 and len(inner) == 1
            assert outer.duration_s.iloc[0] > inner.duration_s.iloc[0] > row.duration_s


@pytest.mark.slow
def test_conical_entries_and_exits_match_orekit(orekit_eop):
    from org.orekit.bodies import CelestialBodyFactory, OneAxisEllipsoid
    from org.orekit.frames import FramesFactory
    from org.orekit.propagation.analytical.tle import TLE, TLEPropagator
    from org.orekit.propagation.events import EclipseDetector, EventsLogger
    from org.orekit.propagation.events.handlers import ContinueOnEvent
    from org.orekit.time import AbsoluteDate, TimeScalesFactory
    from org.orekit.utils import Constants, IERSConventions

    utc = TimeScalesFactory.getUTC()
    itrf = FramesFactory.getITRF(IERSConventions.IERS_2010, True)
    earth = OneAxisEllipsoid(Constants.WGS84_EARTH_EQUATORIAL_RADIUS, 0.0, itrf)  # a sphere, as ours
    sun = CelestialBodyFactory.getSun()
    catalog = _catalog()[:4]
    ours = eclipses(catalog, *DAY)
    lines = catalog.to_tle(names=False).splitlines()
    start = AbsoluteDate(2026, 5, 30, 0, 0, 0.0, utc)
    worst = 0.0
    for k, norad_id in enumerate(catalog.norad_ids):
        for kind in ("umbra", "penumbra"):
            propagator = TLEPropagator.selectExtrapolator(TLE(lines[2 * k], lines[2 * k + 1]))
            detector = (
                EclipseDetector(sun, 695_700_000.0, earth)
                .withMaxCheck(30.0)
                .withThreshold(1e-6)
                .withHandler(ContinueOnEvent())
            )
            detector = detector.withUmbra() if kind == "umbra" else detector.withPenumbra()
            logger = EventsLogger()
            propagator.addEventDetector(logger.monitorDetector(detector))
            propagator.propagate(start, start.shiftedBy(86_400.0))
            theirs = np.sort([e.getState().getDate().durationFrom(start) for e in logger.getLoggedEvents()])
            mine = ours[(ours.norad_id == norad_id) & (ours.kind == kind)]
            events = np.sort(np.r_[_seconds(mine[~mine.cut_start], "start"), _seconds(mine[~mine.cut_end], "end")])
            assert len(events) == len(theirs), (norad_id, kind)
            worst = max(worst, float(np.abs(events - theirs).max()) if len(events) else 0.0)
    print(f"orekit worst {worst:.4f} s")
    assert worst < 0.1, worst


def test_cli_eclipses_writes_the_table(tmp_path, capsys):
    out = tmp_path / "e.csv"
    norad_id = int(overhead.sample_catalog(("resource",)).norad_ids[0])  # the default elements: the bundled sample
    code = main(
        ["eclipses", "--ids", str(norad_id), "--start", DAY[0], "--stop", "2026-05-30T06:00:00Z", "-o", str(out)]
    )
    assert code == 0
    table = pd.read_csv(out)
    assert list(table.columns[:6]) == ["norad_id", "name", "kind", "start", "end", "duration_s"]
    assert set(table.kind) == {"umbra", "penumbra"} and table.start.str.endswith("Z").all()
    assert "wrote" in capsys.readouterr().err


def test_cli_eclipses_bad_model_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["eclipses", "--model", "banana"])
    assert stop.value.code == 2


@pytest.mark.slow
def test_beta_angle_against_skyfield_positions():
    from overhead.analysis.eclipses import beta_angles

    skyfield, eph, ts = skyfield_with_ephemeris()
    catalog = _catalog()[:4]
    hours = np.arange(0, 24 * 7, 12)
    ours = beta_angles(catalog, np.datetime64("2026-05-30T00:00:00", "ns") + hours * np.timedelta64(1, "h"))
    times = ts.utc(2026, 5, 30, hours)
    lines = catalog.to_tle(names=False).splitlines()
    sun = (eph["sun"] - eph["earth"]).at(times).position.km.T
    for k, norad_id in enumerate(catalog.norad_ids):
        at = skyfield.EarthSatellite(lines[2 * k], lines[2 * k + 1], ts=ts).at(times)
        h = np.cross(at.position.km.T, at.velocity.km_per_s.T)
        expected = np.degrees(
            np.arcsin(np.einsum("ij,ij->i", h, sun) / np.linalg.norm(h, axis=1) / np.linalg.norm(sun, axis=1))
        )
        mine = ours[ours.norad_id == norad_id].beta_deg.to_numpy()
        assert np.abs(mine - expected).max() < 0.02, norad_id  # the Sun of date to 0.01°, TEME vs GCRS axes
