"""Reading and writing element sets: field values, validation errors, formats, round trips."""

from __future__ import annotations

import json

import numpy as np
import pytest

import overhead
from overhead.orbits.elements import detect_format
from overhead.orbits.tle import checksum, format_tle, parse_tle_pair
from tests.conftest import shared_file

# ISS (ZARYA) as printed in CelesTrak's 2008 example (Space-Track documentation)
ISS_1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927"
ISS_2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"


def _with_checksum(line: str) -> str:
    return line[:68] + str(checksum(line))


def test_tle_fields_are_read_as_published():
    r = parse_tle_pair(ISS_1, ISS_2)
    assert r.norad_id == 25544 and r.object_id == "1998-067A" and r.classification == "U"
    assert r.epoch == np.datetime64("2008-09-20T12:25:40.104192", "ns")
    assert r.mean_motion_dot == -0.00002182 and r.bstar == pytest.approx(-0.11606e-4, rel=1e-12)
    assert r.inclination_deg == 51.6416 and r.eccentricity == pytest.approx(0.0006703)
    assert r.mean_motion_rev_per_day == 15.72125391 and r.rev_at_epoch == 56353
    # written back in CelesTrak's canonical form (zero exponent field ' 00000+0'), same values
    line1, line2 = format_tle(r)
    assert line2 == ISS_2 and line1[:44] + line1[52:68] == ISS_1[:44] + ISS_1[52:68]
    assert parse_tle_pair(line1, line2) == r


def test_alpha5_catalog_numbers_and_blank_designator():
    line1 = _with_checksum("1 A0001U          24001.50000000  .00000000  00000+0  00000+0 0  9990")
    line2 = _with_checksum("2 A0001  97.5000  10.0000 0001000  90.0000 270.0000 15.00000000    10")
    catalog = overhead.load_elements(f"{line1}\n{line2}\n")
    assert catalog.norad_ids.tolist() == [100001] and catalog.records[0].object_id == ""
    assert format_tle(catalog.records[0]) == (line1, line2)


@pytest.mark.parametrize(
    ("line", "field", "text"),
    [
        (1, "checksum", ISS_1[:68] + "0"),
        (1, None, ISS_1[:60]),
        (1, "bstar", _with_checksum(ISS_1[:53] + " 1160x-4" + ISS_1[61:])),
        (2, "eccentricity", _with_checksum(ISS_2[:26] + "00.6703" + ISS_2[33:])),
        (2, "inclination", _with_checksum(ISS_2[:8] + " 191.000" + ISS_2[16:])),
        (2, "mean_motion", _with_checksum(ISS_2[:52] + " 0.00000000" + ISS_2[63:])),
    ],
)
def test_bad_fields_are_named_with_their_line(line, field, text):
    lines = [ISS_1, ISS_2]
    lines[line - 1] = text
    catalog_text = "ISS (ZARYA)\n" + "\n".join(lines) + "\n"
    with pytest.raises(overhead.ElementSetError) as info:
        overhead.load_elements(catalog_text)
    assert f"line {line + 1}" in str(info.value)
    if field:
        assert f"field {field}" in str(info.value)


def test_one_bad_record_among_many_is_skipped_and_reported():
    good = overhead.sample_path("stations").read_text().splitlines()
    bad = good[:3]
    bad[2] = bad[2][:68] + str((int(bad[2][68]) + 1) % 10)
    catalog = overhead.load_elements("\n".join(good + bad + good[3:6]) + "\n")
    assert len(catalog) == len(good) // 3 + 1
    assert len(catalog.rejects) == 1
    assert catalog.rejects[0].line == len(good) + 3 and catalog.rejects[0].field == "checksum"


def test_two_line_and_three_line_mixed():
    text = f"{ISS_1}\n{ISS_2}\nISS (ZARYA)\n{ISS_1}\n{ISS_2}\n0 ISS COPY\n{ISS_1}\n{ISS_2}\n"
    catalog = overhead.load_elements(text)
    assert catalog.names.tolist() == ["", "ISS (ZARYA)", "ISS COPY"]


def test_bundled_sample_round_trips_exactly():
    text = overhead.sample_path("resource").read_text()
    catalog = overhead.load_elements(text)
    assert not catalog.rejects
    assert catalog.to_tle() == text


def test_real_active_catalog_round_trips_and_rejects_nothing():
    path = shared_file("catalog", "celestrak_active_2026-03-19", "active.tle")
    text = path.read_text()
    catalog = overhead.load_elements(path)
    assert len(catalog) == 14_710 and not catalog.rejects
    assert [line.rstrip() for line in catalog.to_tle().splitlines()] == [line.rstrip() for line in text.splitlines()]


@pytest.mark.parametrize("fmt", ["json", "csv", "xml", "kvn"])
def test_omm_round_trips_values_exactly(fmt):
    catalog = overhead.sample_catalog()
    text = catalog.to_omm(fmt)
    assert detect_format(text) == f"omm-{fmt}"
    again = overhead.load_elements(text)
    assert again.records == catalog.records


def test_omm_and_tle_of_the_same_elements_propagate_alike():
    catalog = overhead.sample_catalog()[:20]
    from_omm = overhead.load_elements(catalog.to_omm("json"))
    times = np.datetime64("2026-05-30T00:00") + np.arange(0, 1440, 60) * np.timedelta64(1, "m")
    a, b = catalog.propagate(times), from_omm.propagate(times)
    # sgp4init from OMM and twoline2rv differ only by the epoch's rounding in a float64 day count
    np.testing.assert_allclose(a.x_km, b.x_km, atol=1e-5)


def test_python_sgp4_omm_samples_in_every_format():
    records = []
    for name in ("sample_omm.csv", "sample_omm.json", "sample_omm.xml"):
        catalog = overhead.load_elements(shared_file("catalog", "omm_samples_python-sgp4", name))
        assert not catalog.rejects
        records.append(catalog.records[0])
    csv_record, json_record, xml_record = records
    assert csv_record == xml_record  # the same 2020 Vanguard 1 elements, in two formats
    assert csv_record.eccentricity == 0.1845686 and csv_record.bstar == -0.22483e-4
    assert json_record.norad_id == 5 and json_record.epoch == np.datetime64("2025-02-14T14:36:48.662784")


def test_celestrak_json_numbers_and_space_track_strings():
    path = shared_file("catalog", "celestrak_omm_json_2025-05-24", "stations.json")
    numbers = json.loads(path.read_text())
    strings = [{k: str(v) for k, v in row.items()} for row in numbers]
    a = overhead.load_elements(json.dumps(numbers) + "\n")
    b = overhead.load_elements(json.dumps(strings) + "\n")
    assert a.records == b.records and len(a) == len(numbers)


def test_real_omm_csv_catalog():
    catalog = overhead.load_elements(shared_file("catalog", "celestrak_active_omm_csv_2026-07-10", "active.csv"))
    assert len(catalog) + len(catalog.rejects) == 15_985
    assert len(catalog.rejects) < 5
    again = overhead.load_elements(catalog.to_omm("csv"))
    assert again.records == catalog.records


def test_omm_errors_name_record_and_field():
    rows = json.loads(overhead.sample_catalog()[:3].to_omm("json"))
    rows[1]["ECCENTRICITY"] = 1.5
    del rows[2]["EPOCH"]
    catalog = overhead.load_elements(json.dumps(rows) + "\n")
    assert len(catalog) == 1
    messages = sorted(str(r) for r in catalog.rejects)
    assert "record 2, field ECCENTRICITY" in messages[0] and "record 3, field EPOCH" in messages[1]


def test_empty_and_missing_inputs_say_what_to_do():
    with pytest.raises(FileNotFoundError, match="no element-set file"):
        overhead.load_elements("/nonexistent/catalog.tle")
    with pytest.raises(overhead.ElementSetError, match="neither a TLE line"):
        overhead.load_elements("hello\nworld\n")
    with pytest.raises(overhead.ElementSetError, match="no element set found"):
        overhead.load_elements("\n\n")
