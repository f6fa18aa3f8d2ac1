"""Pass times against Orekit's elevation and elevation-extremum detectors (IERS 2010, same EOP table):
rise, culmination and set within 0.1 s. Test-only dependency."""

from __future__ import annotations

import numpy as np
import pytest

import overhead
from overhead.analysis.passes import passes_over_site
from overhead.geometry.topocentric import GroundSite

pytestmark = pytest.mark.slow  # a browser / a JVM: outside the fast subset (pytest -m 'not slow')

TENTH_OF_A_SECOND = 0.1
SITES = [GroundSite(43.6047, 1.4442, 150, "Toulouse"), GroundSite(-33.8688, 151.2093, 30, "Sydney")]


def _orekit_passes(lines, site, start, seconds, mask_deg):
    from org.orekit.bodies import GeodeticPoint, OneAxisEllipsoid
    from org.orekit.frames import FramesFactory, TopocentricFrame
    from org.orekit.propagation.analytical.tle import TLE, TLEPropagator
    from org.orekit.propagation.events import ElevationDetector, ElevationExtremumDetector, EventsLogger
    from org.orekit.propagation.events.handlers import ContinueOnEvent
    from org.orekit.time import AbsoluteDate, TimeScalesFactory
    from org.orekit.utils import Constants, IERSConventions

    utc = TimeScalesFactory.getUTC()
    itrf = FramesFactory.getITRF(IERSConventions.IERS_2010, True)
    earth = OneAxisEllipsoid(Constants.WGS84_EARTH_EQUATORIAL_RADIUS, Constants.WGS84_EARTH_FLATTENING, itrf)
    point = GeodeticPoint(np.radians(site.lat_deg), np.radians(site.lon_deg), site.alt_m)
    frame = TopocentricFrame(earth, point, site.name)
    t = start.astype("datetime64[us]").item()
    t0 = AbsoluteDate(t.year, t.month, t.day, t.hour, t.minute, t.second + t.microsecond / 1e6, utc)
    propagator = TLEPropagator.selectExtrapolator(TLE(*lines))
    logger = EventsLogger()
    elevation = (
        ElevationDetector(frame)
        .withConstantElevation(np.radians(mask_deg))
        .withMaxCheck(30.0)
        .withThreshold(1e-6)
        .withHandler(ContinueOnEvent())
    )
    extremum = ElevationExtremumDetector(frame).withMaxCheck(30.0).withThreshold(1e-6).withHandler(ContinueOnEvent())
    propagator.addEventDetector(logger.monitorDetector(elevation))
    propagator.addEventDetector(logger.monitorDetector(extremum))
    propagator.propagate(t0, t0.shiftedBy(float(seconds)))
    rises, sets, peaks = [], [], []
    for event in logger.getLoggedEvents():
        when = event.getState().getDate().durationFrom(t0)
        if event.getEventDetector() is not None and "Extremum" in str(event.getEventDetector().getClass()):
            if not event.isIncreasing():
                peaks.append(when)
        else:
            (rises if event.isIncreasing() else sets).append(when)
    return np.array(rises), np.array(peaks), np.array(sets)


def test_passes_within_a_tenth_of_a_second_of_orekit(orekit_eop):
    catalog = overhead.sample_catalog()[::24]
    start = np.datetime64("2026-05-30T00:00:00", "ns")
    lines = catalog.to_tle(names=False).splitlines()
    compared, worst = 0, 0.0
    for site in SITES:
        ours = passes_over_site(catalog, site, start, start + np.timedelta64(1, "D"), min_elevation_deg=10.0)
        ours = ours[~ours.truncated]
        for i, norad_id in enumerate(catalog.norad_ids):
            rises, peaks, sets = _orekit_passes((lines[2 * i], lines[2 * i + 1]), site, start, 86_400, 10.0)
            mine = ours[ours.norad_id == norad_id]
            seconds = {c: (mine[c] - start).dt.total_seconds().to_numpy() for c in ("rise", "culmination", "set")}
            full = [(r, s) for r in rises for s in sets if s > r and not any(r < x < s for x in rises)]
            assert len(full) == len(mine), f"{norad_id} over {site.name}"
            for (rise, set_), a, c, b in zip(
                full, seconds["rise"], seconds["culmination"], seconds["set"], strict=True
            ):
                peak = peaks[(peaks > rise) & (peaks < set_)]
                assert abs(a - rise) < TENTH_OF_A_SECOND and abs(b - set_) < TENTH_OF_A_SECOND
                assert peak.size == 1 and abs(c - peak[0]) < TENTH_OF_A_SECOND
                compared += 1
                worst = max(worst, abs(a - rise), abs(b - set_), abs(c - peak[0]))
    print(f"{compared} passes compared with Orekit, largest difference {worst * 1e3:.2f} ms")
    assert compared >= 10
