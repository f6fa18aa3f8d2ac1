"""Hypothesis fuzzing of the element-set readers: any input gives a catalog or a clear error."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import overhead
from overhead.orbits.tle import format_tle, parse_tle_pair

SAMPLE = overhead.sample_path("stations").read_text().splitlines()
LINE1, LINE2 = SAMPLE[1], SAMPLE[2]
TLE_ALPHABET = st.sampled_from(list("0123456789 .-+ABCUXZ"))


def _load(text: str):
    try:
        return overhead.load_elements(text + "\n")
    except overhead.ElementSetError as exc:
        assert str(exc)  # the message says something
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes(text):
    catalog = _load(text)
    if catalog is not None:
        assert len(catalog) >= 1


@settings(max_examples=400, deadline=None)
@given(which=st.integers(0, 1), position=st.integers(0, 68), char=TLE_ALPHABET)
def test_mutated_tle_is_rejected_or_consistent(which, position, char):
    lines = [LINE1, LINE2]
    lines[which] = lines[which][:position] + char + lines[which][position + 1 :]
    catalog = _load("\n".join(lines))
    if catalog is None:
        return
    for reject in catalog.rejects:
        assert reject.line in (1, 2)
    for record in catalog.records:
        # whatever was accepted reads back to the same values: no silent corruption on the way
        assert parse_tle_pair(*format_tle(record)) == record


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "EPOCH",
                "MEAN_MOTION",
                "ECCENTRICITY",
                "INCLINATION",
                "RA_OF_ASC_NODE",
                "ARG_OF_PERICENTER",
                "MEAN_ANOMALY",
                "NORAD_CAT_ID",
                "BSTAR",
                "OBJECT_NAME",
            ]
        ),
        st.one_of(st.text(max_size=20), st.floats(allow_nan=True), st.integers(), st.booleans(), st.none()),
    )
)
def test_omm_json_with_any_values(fields):
    catalog = _load(json.dumps([fields]))
    if catalog is not None:
        r = catalog.records[0]
        assert 0 <= r.eccentricity < 1 and 0 < r.mean_motion_rev_per_day <= 20
