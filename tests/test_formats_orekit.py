"""overhead's CCSDS files as Orekit reads them (OMM KVN and XML, OEM), values against python-sgp4 (test-only JVM)."""

from __future__ import annotations

import numpy as np
import pytest
from sgp4.api import Satrec, jday

import overhead
from overhead.exports import oem_document
from overhead.orbits.timescales import format_iso

pytestmark = pytest.mark.slow  # a JVM: outside the fast subset (pytest -m 'not slow')

orekit_jpype = pytest.importorskip("orekit_jpype")


def _parse(parser, path):
    from org.orekit.data import DataSource

    return parser.parseMessage(DataSource(str(path)))


def _omm_values(omm) -> tuple:
    """(NORAD id, object id, n rev/day, e, i deg, epoch ISO) from an Orekit Omm."""
    import math

    keplerian = omm.getData().getKeplerianElementsBlock()
    n_rev_day = keplerian.getMeanMotion() * 86_400 / (2 * math.pi)
    tle_block = omm.getData().getTLEBlock()
    return (
        tle_block.getNoradID(),
        str(omm.getMetadata().getObjectID()),
        n_rev_day,
        keplerian.getE(),
        math.degrees(keplerian.getI()),
        str(keplerian.getEpoch())[:19],
    )


def _ours(record) -> tuple:
    return (
        record.norad_id,
        record.object_id,
        record.mean_motion_rev_per_day,
        record.eccentricity,
        record.inclination_deg,
        str(np.datetime64(record.epoch, "s")),
    )


def test_omm_kvn_messages_and_the_ndm_xml_read_in_orekit(orekit, tmp_path):
    """Issue #29: Orekit refused the XML (no CREATION_DATE) and stopped at the second KVN message. Each KVN message
    (one per object, each from CCSDS_OMM_VERS) reads in Orekit's OMM parser, the XML in its NDM parser, and both
    give the element sets' values."""
    from org.orekit.files.ccsds.ndm import ParserBuilder

    catalog = overhead.sample_catalog()[::40]
    kvn = catalog.to_omm("kvn")
    messages = ["CCSDS_OMM_VERS" + m for m in kvn.split("CCSDS_OMM_VERS")[1:]]
    assert len(messages) == len(catalog)
    for k, (message, record) in enumerate(zip(messages, catalog.records, strict=True)):
        path = tmp_path / f"m{k}.kvn"
        path.write_text(message)
        values = _omm_values(_parse(ParserBuilder().buildOmmParser(), path))
        assert values[:2] == _ours(record)[:2] and values[5] == _ours(record)[5]
        np.testing.assert_allclose(values[2:5], _ours(record)[2:5], rtol=1e-12)
    path = tmp_path / "all.xml"
    path.write_text(catalog.to_omm("xml"))
    ndm = _parse(ParserBuilder().buildNdmParser(), path)
    read = [_omm_values(c) for c in ndm.getConstituents()]
    assert [r[:2] for r in read] == [_ours(r)[:2] for r in catalog.records]
    np.testing.assert_allclose([r[2:5] for r in read], [_ours(r)[2:5] for r in catalog.records], rtol=1e-12)


def test_oem_reads_in_orekit_with_the_designator_and_python_sgp4s_states(orekit, tmp_path):
    """The OEM's OBJECT_ID is the international designator (it was the NORAD number), and the states Orekit reads
    are python-sgp4's TEME states within a millimetre and a micrometre per second."""
    from org.orekit.files.ccsds.ndm import ParserBuilder

    catalog = overhead.sample_catalog()[::60]
    times = np.datetime64("2026-05-30T00:00:00", "ns") + np.arange(0, 3600, 300) * np.timedelta64(1, "s")
    path = tmp_path / "states.oem"
    path.write_text(oem_document(catalog.propagate(times, frame="teme")))
    oem = _parse(ParserBuilder().buildOemParser(), path)
    satellites = oem.getSatellites()
    assert sorted(str(k) for k in satellites.keySet()) == sorted(catalog.object_ids.tolist())
    lines = catalog.to_tle(names=False).splitlines()
    for k, record in enumerate(catalog.records):
        satrec = Satrec.twoline2rv(lines[2 * k], lines[2 * k + 1])
        segment = satellites.get(record.object_id).getSegments().get(0)
        assert str(segment.getMetadata().getReferenceFrame().getName()) == "TEME"
        states = list(segment.getCoordinates())
        assert len(states) == len(times)
        for t, state in zip(times.astype("datetime64[us]").tolist(), states, strict=True):
            jd, fr = jday(t.year, t.month, t.day, t.hour, t.minute, t.second + t.microsecond / 1e6)
            _, r_km, v_km_s = satrec.sgp4(jd, fr)
            p, v = state.getPosition(), state.getVelocity()
            assert np.linalg.norm(np.array([p.getX(), p.getY(), p.getZ()]) / 1e3 - r_km) < 1e-6
            assert np.linalg.norm(np.array([v.getX(), v.getY(), v.getZ()]) / 1e3 - v_km_s) < 1e-9


def test_an_eme2000_oem_of_orekits_states_reads_to_orekits_itrf_positions(orekit_eop):
    """An operator's OEM in EME2000 (states from Orekit's TLE propagator, every 60 s, Hermite): read by overhead,
    interpolated half-way between the states and turned into ITRF, within 2 m of Orekit's own ITRF positions
    (the frame bias, the IAU 2006/2000A chain and the interpolation all in the loop)."""
    from org.orekit.frames import FramesFactory
    from org.orekit.propagation.analytical.tle import TLE, TLEPropagator
    from org.orekit.time import AbsoluteDate, TimeScalesFactory
    from org.orekit.utils import IERSConventions

    from overhead.orbits.ephemeris import read_oem

    utc = TimeScalesFactory.getUTC()
    eme2000, itrf = FramesFactory.getEME2000(), FramesFactory.getITRF(IERSConventions.IERS_2010, True)
    line1, line2 = overhead.sample_catalog().select([25544]).to_tle(names=False).splitlines()
    propagator = TLEPropagator.selectExtrapolator(TLE(line1, line2))

    def date(t):
        t = t.astype("datetime64[us]").item()
        return AbsoluteDate(t.year, t.month, t.day, t.hour, t.minute, t.second + t.microsecond / 1e6, utc)

    nodes = np.datetime64("2026-05-30T00:00:00", "ns") + np.arange(0, 7201, 60) * np.timedelta64(1, "s")
    lines = [
        "CCSDS_OEM_VERS = 2.0",
        "CREATION_DATE = 2026-05-30T00:00:00",
        "ORIGINATOR = OREKIT TEST",
        "",
        "META_START",
        "OBJECT_NAME = ISS (ZARYA)",
        "OBJECT_ID = 1998-067A",
        "CENTER_NAME = EARTH",
        "REF_FRAME = EME2000",
        "TIME_SYSTEM = UTC",
        f"START_TIME = {str(nodes[0])[:23]}",
        f"STOP_TIME = {str(nodes[-1])[:23]}",
        "INTERPOLATION = HERMITE",
        "INTERPOLATION_DEGREE = 3",
        "META_STOP",
        "",
    ]
    for t in nodes:
        pv = propagator.getPVCoordinates(date(t), eme2000)
        p, v = pv.getPosition(), pv.getVelocity()
        lines.append(
            f"{str(t)[:23]} {p.getX() / 1e3:.9f} {p.getY() / 1e3:.9f} {p.getZ() / 1e3:.9f} "
            f"{v.getX() / 1e3:.12f} {v.getY() / 1e3:.12f} {v.getZ() / 1e3:.12f}"
        )
    orbits = read_oem("\n".join(lines) + "\n")
    between = nodes[:-1] + np.timedelta64(30, "s")
    ds = orbits.propagate(between, frame="itrf")
    errors = []
    for j, t in enumerate(between):
        p = propagator.getPVCoordinates(date(t), itrf).getPosition()
        ours = np.array([ds.x_km.values[0, j], ds.y_km.values[0, j], ds.z_km.values[0, j]])
        errors.append(np.linalg.norm(ours - np.array([p.getX(), p.getY(), p.getZ()]) / 1e3))
    assert max(errors) < 2e-3  # km


def test_screening_cdms_read_in_orekit_with_the_full_covariance_designators_and_radius(orekit, tmp_path):
    """Issue #25: the screening's CDMs held only the 3x3 position covariance, so Orekit's CDM parser refused every
    one ("value for key CRDOT_R has not been initialized"); they had no hard-body radius and UNKNOWN designators.
    Each one (KVN and XML) reads in Orekit with the screening's TCA, miss distance, relative speed, RTN miss
    vector and states (their distance the miss), the catalogue's
    international designators, a positive-definite 6x6 covariance and each object's radius summing to the
    screening's; overhead's reader takes the radius from the file (no --hbr-m) and gives the screening's Pc."""
    from org.orekit.files.ccsds.ndm import ParserBuilder

    from overhead.analysis.conjunctions import assess, read_cdm
    from overhead.analysis.conjunctions.cdm import write_cdm_kvn, write_cdm_xml
    from overhead.analysis.conjunctions.screening import screen, screening_messages

    catalog = overhead.sample_catalog()
    start = catalog.median_epoch()
    table = screen(catalog, start, start + np.timedelta64(6, "h"), threshold_km=25.0, hbr_m=12.0).conjunctions
    assert len(table) >= 3
    designators = dict(zip(catalog.norad_ids.tolist(), catalog.object_ids.tolist(), strict=True))
    for k, message in enumerate(screening_messages(catalog, table, hbr_m=12.0)):
        row = table.iloc[k]
        for writer, suffix in ((write_cdm_kvn, "cdm"), (write_cdm_xml, "xml")):
            path = tmp_path / f"c{k}.{suffix}"
            path.write_text(writer(message))
            cdm = _parse(ParserBuilder().buildCdmParser(), path)
            relative = cdm.getRelativeMetadata()
            assert str(relative.getTca())[:23] == format_iso(row.tca)[:23]
            assert abs(relative.getMissDistance() - row.min_range_km * 1e3) < 1e-3
            assert abs(relative.getRelativeSpeed() - row.relative_speed_km_s * 1e3) < 1e-6
            miss_rtn = relative.getRelativePosition()
            np.testing.assert_allclose(
                [miss_rtn.getX(), miss_rtn.getY(), miss_rtn.getZ()],
                [row.radial_km * 1e3, row.in_track_km * 1e3, row.cross_track_km * 1e3],
                atol=1e-3,
            )
            positions = [
                data.getStateVectorBlock().getPositionVector() for data in (cdm.getDataObject1(), cdm.getDataObject2())
            ]
            apart = positions[1].subtract(positions[0]).getNorm()
            assert abs(apart - row.min_range_km * 1e3) < 1e-2  # the states are the screening's (ITRF)
            radii = 0.0
            for data, metadata, nid in (
                (cdm.getDataObject1(), cdm.getMetadataObject1(), row.norad_id_1),
                (cdm.getDataObject2(), cdm.getMetadataObject2(), row.norad_id_2),
            ):
                assert str(metadata.getObjectDesignator()) == str(nid)
                assert str(metadata.getInternationalDes()) == designators[nid]
                matrix = data.getRTNCovarianceBlock().getRTNCovarianceMatrix()
                cov = np.array([[matrix.getEntry(i, j) for j in range(6)] for i in range(6)])
                assert np.isfinite(cov).all() and np.linalg.eigvalsh(cov).min() > 0
                np.testing.assert_allclose(np.sqrt(np.diag(cov)[:3]), [100.0, 300.0, 100.0])
                radii += data.getAdditionalParametersBlock().getHbr()
            assert radii == pytest.approx(12.0)
            ours = read_cdm(path)
            assert ours.hbr_m == pytest.approx(12.0)
            if np.isfinite(row.assumed_cov_pc) and row.assumed_cov_pc > 1e-30:
                assert assess(ours, methods="2d").pc2d == pytest.approx(row.assumed_cov_pc, rel=1e-4)
