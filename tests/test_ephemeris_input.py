"""An operator's ephemeris (CCSDS OEM) as the satellites of propagate, passes and access: states interpolated as
the OEM says, checked against python-sgp4 between the tabulated times, and passes against those of the TLE."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sgp4.api import Satrec, jday

import overhead
from overhead.cli.main import main
from overhead.errors import OverheadError
from overhead.exports import oem_document
from overhead.orbits.ephemeris import read_oem

ISS = 25544
NODES = np.datetime64("2026-05-30T00:00:00", "ns") + np.arange(0, 6 * 3600 + 1, 60) * np.timedelta64(1, "s")
BETWEEN = NODES[:-1] + np.timedelta64(30_500, "ms")  # every query half-way between two tabulated states


def _sgp4_teme(times) -> tuple[np.ndarray, np.ndarray]:
    line1, line2 = overhead.sample_catalog().select([ISS]).to_tle(names=False).splitlines()
    satrec = Satrec.twoline2rv(line1, line2)
    r, v = [], []
    for t in np.asarray(times).astype("datetime64[us]").tolist():
        _, position, velocity = satrec.sgp4(
            *jday(t.year, t.month, t.day, t.hour, t.minute, t.second + t.microsecond / 1e6)
        )
        r.append(position)
        v.append(velocity)
    return np.array(r), np.array(v)


@pytest.mark.parametrize("frame", ["teme", "itrf"])
def test_states_between_the_oems_epochs_are_python_sgp4s(frame):
    """Lagrange of degree 7 (the default) between states 60 s apart, in the OEM's TEME or ITRF: within 1 m and
    1 mm/s of python-sgp4 half-way between the tabulated times."""
    iss = overhead.sample_catalog().select([ISS])
    orbits = read_oem(oem_document(iss.propagate(NODES, frame=frame)))
    assert list(orbits.norad_ids) == [ISS] and list(orbits.object_ids) == ["1998-067A"]
    ds = orbits.propagate(BETWEEN, frame="teme")
    r, v = _sgp4_teme(BETWEEN)
    ours = np.stack([ds.x_km.values[0], ds.y_km.values[0], ds.z_km.values[0]], -1)
    velocity = np.stack([ds.vx_km_s.values[0], ds.vy_km_s.values[0], ds.vz_km_s.values[0]], -1)
    assert np.abs(ours - r).max() < 1e-3
    assert np.abs(velocity - v).max() < 1e-6


def test_outside_the_ephemeris_the_states_are_missing_with_a_code():
    orbits = read_oem(oem_document(overhead.sample_catalog().select([ISS]).propagate(NODES, frame="teme")))
    ds = orbits.propagate([NODES[0] - np.timedelta64(1, "m"), NODES[5]], frame="itrf")
    assert np.isnan(ds.x_km.values[0, 0]) and ds.error.values[0, 0] == 8 and ds.error.values[0, 1] == 0


def test_passes_and_access_from_an_oem_are_the_tles(tmp_path):
    """The CLI reads an OEM where it reads element sets: the passes over a site equal the TLE's within 0.1 s."""
    iss = overhead.sample_catalog().select([ISS])
    oem = tmp_path / "iss.oem"
    oem.write_text(oem_document(iss.propagate(NODES, frame="itrf")))
    tle = tmp_path / "iss.tle"
    tle.write_text(iss.to_tle())
    span = [
        "--start",
        "2026-05-30T00:30:00Z",
        "--stop",
        "2026-05-30T05:30:00Z",
        "--site",
        "-33.9,18.4",
        "--min-elevation-deg",
        "0",
    ]
    for source, out in ((oem, "from_oem.csv"), (tle, "from_tle.csv")):
        assert main(["passes", str(source), *span, "-o", str(tmp_path / out)]) == 0
    from_oem, from_tle = pd.read_csv(tmp_path / "from_oem.csv"), pd.read_csv(tmp_path / "from_tle.csv")
    assert len(from_oem) == len(from_tle) >= 1
    for column in ("rise", "culmination", "set"):
        gap = pd.to_datetime(from_oem[column]) - pd.to_datetime(from_tle[column])
        assert gap.abs().max() < pd.Timedelta(milliseconds=100)
    assert main(["access", str(oem), *span[:4], "--site", "43.6,1.44", "-o", str(tmp_path / "w.csv")]) == 0


def test_a_bad_oem_is_one_located_line(tmp_path, capsys):
    good = oem_document(overhead.sample_catalog().select([ISS]).propagate(NODES[:5], frame="teme"))
    for bad, said in (
        (good.replace("REF_FRAME = TEME", "REF_FRAME = MOD"), "REF_FRAME 'MOD'"),
        (good.replace("TIME_SYSTEM = UTC", "TIME_SYSTEM = TAI"), "only UTC"),
        ("\n".join(good.splitlines()[:-3]) + "\n2026-05-30T00:09:00.000000 1 2\n", "6 numbers"),
    ):
        with pytest.raises(OverheadError, match=said):
            read_oem(bad)
        path = tmp_path / "bad.oem"
        path.write_text(bad)
        assert main(["passes", str(path), "--site", "1,2", "--start", "2026-05-30T00:00:00Z"]) == 2
        assert said.split("'")[0] in capsys.readouterr().err
