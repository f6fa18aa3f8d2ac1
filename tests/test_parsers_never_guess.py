"""The element-set parsers never guess: each finding of the fuzzing campaign is a clear reject naming its line
(or record) and field, and whatever is accepted writes back and reads again to the same values — checked
against python-sgp4's own reader of the same lines, an independent implementation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sgp4.api import Satrec

import overhead
from overhead.errors import ElementSetError, OverheadError, TimeError
from overhead.orbits.omm import record_from_omm, record_to_omm
from overhead.orbits.timescales import to_datetime64
from overhead.orbits.tle import checksum, format_tle, parse_tle_pair

SAMPLE = overhead.sample_path("stations").read_text().splitlines()
NAME, LINE1, LINE2 = SAMPLE[0], SAMPLE[1], SAMPLE[2]


def _with_checksum(line: str) -> str:
    return line[:68] + str(checksum(line))


def _edit(line: str, column: int, text: str) -> str:
    """Replace characters from 1-based ``column`` and fix the checksum (so only the field's format can tell)."""
    return _with_checksum(line[: column - 1] + text + line[column - 1 + len(text) :])


def _reject(line1: str, line2: str) -> ElementSetError:
    with pytest.raises(ElementSetError) as info:
        parse_tle_pair(line1, line2)
    assert info.value.line in (1, 2) and info.value.field
    return info.value


def test_a_unicode_digit_is_one_reject_and_the_good_record_beside_it_is_kept():
    bad2 = LINE2[:60] + "¹" + LINE2[61:]  # '¹'.isdigit() is True; int('¹') raises
    catalog = overhead.load_elements("\n".join([NAME, LINE1, bad2, *SAMPLE[3:6]]) + "\n")
    assert len(catalog) == 1 and len(catalog.rejects) == 1
    assert catalog.rejects[0].line == 3 and catalog.rejects[0].field == "mean_motion"


@pytest.mark.parametrize(
    ("line", "column", "text", "field"),
    [
        (2, 27, " 001729", "eccentricity"),  # python-sgp4 reads blanks as zeros: 0.0001729
        (1, 34, "1", "mean_motion_dot"),  # '1.00000155' for '-.00000155' passes the checksum
        (1, 54, " 1e-04  ", "bstar"),  # an exponent where the TLE form is expected
        (2, 9, "\u00a051.6", "inclination"),  # a no-break space
        (2, 53, "\t", "mean_motion"),  # a tab
        (1, 3, "I0001", "satellite_number"),  # Alpha-5 has no I and no O
        (1, 3, "O0001", "satellite_number"),
        (1, 3, "a0001", "satellite_number"),  # capitals only
        (1, 21, "１", "epoch_day"),  # a full-width digit
        (2, 35, "1_0", "argument_of_perigee"),  # float() would accept the underscore
    ],
)
def test_fuzz_findings_are_rejected_by_field(line, column, text, field):
    lines = [LINE1, LINE2]
    edited = _edit(lines[line - 1], column, text)
    if line == 1 and column == 3:  # the satellite number is on both lines
        lines = [_edit(LINE1, 3, text), _edit(LINE2, 3, text)]
    else:
        lines[line - 1] = edited
    error = _reject(*lines)
    assert error.field == field, str(error)


def test_values_the_parser_accepts_can_be_written_back():
    base = record_to_omm(parse_tle_pair(LINE1, LINE2))
    for key, value in (("BSTAR", 1e308), ("MEAN_MOTION_DOT", 1.5), ("MEAN_MOTION_DDOT", -2e12)):
        with pytest.raises(ElementSetError, match=key):
            record_from_omm({**base, key: value})
    with pytest.raises(ElementSetError, match="EPOCH"):
        record_from_omm({**base, "EPOCH": "2600-01-01T00:00:00"})  # was stored as 2015-06-13
    with pytest.raises(ElementSetError, match="OBJECT_NAME"):
        record_from_omm({**base, "OBJECT_NAME": "ISS\n1 25544U 98067A"})  # would inject TLE lines
    for text in ("[NaN]", '[{"BSTAR": Infinity}]', "[" * 100_000 + "]" * 100_000):
        with pytest.raises(ElementSetError):
            overhead.load_elements(text + "\n")


@pytest.mark.parametrize(
    "text",
    ["1234567890", "2600-01-01T00:00:00Z", "12:00", "2026-05-30T12:00:00+25:00", "2026-05-30-02:00", "２０２６-05-30"],
)
def test_times_are_iso_8601_only(text):
    with pytest.raises(TimeError):
        to_datetime64(text)


def test_an_iso_8601_offset_is_converted_to_utc():
    """ISO-8601 offsets name one instant: converted (they were refused), as a datetime with its zone would be."""
    import datetime as dt

    aware = dt.datetime(2026, 5, 30, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert to_datetime64("2026-05-30T14:00:00+02:00") == to_datetime64(aware)
    assert to_datetime64("2026-05-30T06:30-0530") == to_datetime64("2026-05-30T12:00:00Z")


# ------------------------------------------------------------------------------------- property-based
TLE_CHARS = st.sampled_from(list("0123456789 .-+ABCUIOXZae¹\u00a0\t_"))


def _same_as_python_sgp4(record, line1: str, line2: str) -> None:
    satrec = Satrec.twoline2rv(line1, line2)
    assert satrec.satnum == record.norad_id
    assert math.isclose(satrec.ecco, record.eccentricity, rel_tol=1e-12, abs_tol=1e-15)
    for ours, theirs in (
        (record.inclination_deg, satrec.inclo),
        (record.raan_deg, satrec.nodeo),
        (record.arg_of_pericenter_deg, satrec.argpo),
        (record.mean_anomaly_deg, satrec.mo),
    ):
        assert math.isclose(math.radians(ours), theirs, rel_tol=1e-12, abs_tol=1e-12)
    assert math.isclose(record.mean_motion_rev_per_day * 2 * math.pi / 1440, satrec.no_kozai, rel_tol=1e-12)
    assert math.isclose(record.bstar, satrec.bstar, rel_tol=1e-12, abs_tol=1e-20)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, 1),
    edits=st.lists(st.tuples(st.integers(0, 68), TLE_CHARS), min_size=1, max_size=3),
    fix_checksum=st.booleans(),
)
def test_any_tle_edit_is_a_located_reject_or_reads_as_python_sgp4_reads_it(which, edits, fix_checksum):
    lines = [LINE1, LINE2]
    for position, char in edits:
        lines[which] = lines[which][:position] + char + lines[which][position + 1 :]
    if fix_checksum and lines[which][:68].isascii():
        lines[which] = _with_checksum(lines[which])
    try:
        record = parse_tle_pair(*lines)
    except ElementSetError as exc:
        assert exc.line in (1, 2) and exc.field, str(exc)
        return
    _same_as_python_sgp4(record, *lines)
    canonical = format_tle(record)
    again = parse_tle_pair(*canonical)
    assert again == record and format_tle(again) == canonical


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**12), 10**12),
    st.text(alphabet="0123456789.eE+-_ ¹１", max_size=12),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
OMM_KEYS = [
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "NORAD_CAT_ID",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
    "ELEMENT_SET_NO",
    "REV_AT_EPOCH",
    "EPHEMERIS_TYPE",
]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.dictionaries(
        st.sampled_from([*OMM_KEYS, "OBJECT_NAME", "OBJECT_ID", "CLASSIFICATION_TYPE"]),
        st.one_of(NUMBERS, st.text(max_size=30)),
        max_size=4,
    ),
    epoch=st.one_of(st.none(), st.datetimes().map(lambda d: d.isoformat()), st.text(max_size=30)),
)
def test_any_omm_is_a_located_reject_or_writes_back_to_the_same_values(changes, epoch):
    fields = {**record_to_omm(parse_tle_pair(LINE1, LINE2)), **changes}
    if epoch is not None:
        fields["EPOCH"] = epoch
    text = json.dumps([fields])
    try:
        catalog = overhead.load_elements(text + "\n")
    except ElementSetError as exc:
        assert str(exc)
        return
    except OverheadError as exc:
        raise AssertionError(f"not an ElementSetError: {exc!r}") from exc
    for reject in catalog.rejects:
        assert reject.record == 1 and reject.field, str(reject)
    for record in catalog.records:
        assert record_from_omm(record_to_omm(record)) == record  # OMM back to the same values
        assert record_from_omm(json.loads(json.dumps(record_to_omm(record)))) == record
        lines = format_tle(record)  # and every accepted record can be written as a TLE
        tle = parse_tle_pair(*lines)
        assert tle.norad_id == record.norad_id and abs(tle.epoch - record.epoch) < np.timedelta64(1, "ms")


@settings(max_examples=300, deadline=None)
@given(line=st.text(max_size=80))
def test_the_checksum_is_the_standard_one_for_any_text(line):
    """The TLE checksum (a table lookup) against its definition written out: digits their value, '-' one, every
    other character (letters, '+', spaces, anything outside ASCII) nothing; modulo 10, columns 1-68."""
    assert checksum(line) == sum(int(c) if c in "0123456789" else c == "-" for c in line[:68]) % 10
