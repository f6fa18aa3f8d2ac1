"""Space-Track's public conjunction summaries (cdm_public JSON): read as given, one bad record one reject."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overhead.analysis.conjunctions.cdm_public import looks_like_cdm_public, read_cdm_public
from overhead.cli.main import main
from overhead.errors import MessageError

# records as Space-Track's cdm_public class answers (its documented fields; values of its published examples)
RECORDS = [
    {
        "CDM_ID": "280352437",
        "CREATED": "2022-04-29 00:45:12.000000",
        "EMERGENCY_REPORTABLE": "Y",
        "TCA": "2022-04-29T22:03:26.595000",
        "MIN_RNG": "4",
        "PC": "0.1663616",
        "SAT_1_ID": "22487",
        "SAT_1_NAME": "COSMOS 2233",
        "SAT1_OBJECT_TYPE": "PAYLOAD",
        "SAT1_RCS": "LARGE",
        "SAT_1_EXCL_VOL": "5.00",
        "SAT_2_ID": "5758",
        "SAT_2_NAME": "THORAD AGENA D DEB",
        "SAT2_OBJECT_TYPE": "DEBRIS",
        "SAT2_RCS": "SMALL",
        "SAT_2_EXCL_VOL": "5.00",
    },
    {
        "CDM_ID": "280352438",
        "CREATED": "2022-04-29 01:10:00.000000",
        "EMERGENCY_REPORTABLE": "N",
        "TCA": "2022-04-30T03:10:00.000000",
        "MIN_RNG": "181",
        "PC": None,
        "SAT_1_ID": "25544",
        "SAT_1_NAME": "ISS (ZARYA)",
        "SAT1_OBJECT_TYPE": "PAYLOAD",
        "SAT1_RCS": "LARGE",
        "SAT_1_EXCL_VOL": "1.00",
        "SAT_2_ID": "48274",
        "SAT_2_NAME": "CSS (TIANHE)",
        "SAT2_OBJECT_TYPE": "PAYLOAD",
        "SAT2_RCS": "LARGE",
        "SAT_2_EXCL_VOL": "1.00",
    },
]


def test_records_are_read_as_given():
    records, rejects = read_cdm_public(json.dumps(RECORDS), source="answer.json")
    assert rejects == []
    first, second = records
    assert str(first.tca) == "2022-04-29T22:03:26.595000000" and first.min_range_m == 4.0
    assert first.pc == pytest.approx(0.1663616) and first.emergency_reportable
    assert (first.object1.norad_id, first.object2.norad_id) == (22487, 5758)
    assert first.object2.object_type == "DEBRIS" and first.object1.rcs_size == "LARGE"
    assert second.pc is None and not second.emergency_reportable


def test_one_bad_record_is_one_reject_with_its_place():
    bad = [
        RECORDS[0],
        dict(RECORDS[1], TCA="yesterday"),
        dict(RECORDS[1], SAT_2_ID="-3"),
        7,
        dict(RECORDS[1], PC="1.5"),
    ]
    records, rejects = read_cdm_public(json.dumps(bad), source="answer.json")
    assert len(records) == 1 and len(rejects) == 4
    assert "record 1" in rejects[0] and "TCA" in rejects[0]
    assert "record 2" in rejects[1] and "SAT_2_ID" in rejects[1]
    assert "record 3" in rejects[2] and "record 4" in rejects[3] and "over 1" in rejects[3]


def test_what_is_not_a_list_of_records_is_refused_whole():
    with pytest.raises(MessageError, match="not JSON"):
        read_cdm_public("[{", source="x")
    with pytest.raises(MessageError, match="list"):
        read_cdm_public('{"CDM_ID": "1"}', source="x")
    assert looks_like_cdm_public(json.dumps(RECORDS)) and not looks_like_cdm_public("CCSDS_CDM_VERS = 1.0")


_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_values, st.dictionaries(st.sampled_from(sorted(RECORDS[0])), _values)), max_size=6))
def test_any_json_gives_records_and_rejects_never_a_crash(items):
    records, rejects = read_cdm_public(json.dumps(items), source="fuzz")
    assert len(records) + len(rejects) == len(items)
    for record in records:
        assert record.min_range_m >= 0 and (record.pc is None or 0 <= record.pc <= 1)


def test_the_cli_lists_them_with_their_published_probability(tmp_path, capsys):
    path = tmp_path / "cdm_public.json"
    path.write_text(json.dumps([*RECORDS, dict(RECORDS[0], MIN_RNG="far")]))
    assert main(["conjunctions", "pc", str(path), "--format", "json"]) == 2  # one record is a reject
    out, err = capsys.readouterr()
    rows = json.loads(out)
    assert [r.get("pc_given") for r in rows[:2]] == [pytest.approx(0.1663616), None]
    assert rows[0]["tca"] == "2022-04-29T22:03:26.595000Z" and rows[0]["recommended"] == "given"
    assert "MIN_RNG" in rows[2]["error"]
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert main(["conjunctions", "pc", str(path)]) == 2
    assert "0.166362 (given)" in capsys.readouterr().out
