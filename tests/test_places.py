"""Places typed by a person: every usual notation of a position reads back to the same degrees; any other text
is a city search or nothing, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overhead.errors import OverheadError
from overhead.geometry.places import find_places, parse_coordinates
from overhead.geometry.topocentric import GroundSite


def _dms(value: float, positive: str, negative: str, marks: tuple[str, str, str]) -> str:
    letter = positive if value >= 0 else negative
    seconds = round(abs(value) * 3600)
    d, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{d}{marks[0]}{m}{marks[1]}{s}{marks[2]}{letter}"


latitudes = st.floats(-90, 90, allow_nan=False).map(lambda x: round(x, 4))
longitudes = st.floats(-180, 180, allow_nan=False).map(lambda x: round(x, 4))


@settings(max_examples=300, deadline=None)
@given(
    latitudes,
    longitudes,
    st.sampled_from(["signed", "comma", "letters", "letters-first", "dms", "dms-unicode", "lon-first"]),
)
def test_every_usual_notation_reads_back(lat, lon, form):
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    text = {
        "signed": f"{lat} {lon}",
        "comma": f"{lat}, {lon}",
        "letters": f"{abs(lat)}{ns} {abs(lon)}{ew}",
        "letters-first": f"{ns}{abs(lat)} {ew}{abs(lon)}",
        "dms": f"{_dms(lat, 'N', 'S', ('°', chr(39), chr(34)))} {_dms(lon, 'E', 'W', ('°', chr(39), chr(34)))}",
        "dms-unicode": f"{_dms(lat, 'N', 'S', ('°', '′', '″'))}, {_dms(lon, 'E', 'W', ('°', '′', '″'))}",
        "lon-first": f"{abs(lon)}{ew} {abs(lat)}{ns}",
    }[form]
    got = parse_coordinates(text)
    assert got is not None, text
    tolerance = 1 / 3600 if form.startswith("dms") else 1e-9
    assert got[0] == pytest.approx(lat, abs=tolerance)
    if abs(lon) < 180:  # -180 and 180 are one meridian
        assert got[1] == pytest.approx(lon, abs=tolerance)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_a_position_a_search_or_a_clear_refusal(text):
    try:
        position = parse_coordinates(text)
    except OverheadError as exc:
        assert "beyond" in str(exc)
        return
    if position is not None:
        assert -90 <= position[0] <= 90 and -180 <= position[1] <= 180
    assert isinstance(find_places(text), list)


def test_off_the_earth_and_ambiguous_positions():
    with pytest.raises(OverheadError, match="beyond ±90°"):
        parse_coordinates("95.0, 10.0")
    assert parse_coordinates("33 61 S 18 24 E") is None  # 61 minutes
    assert parse_coordinates("33N 18N") is None  # two latitudes
    assert parse_coordinates("-33 S, 18 E") is None  # south said twice
    assert parse_coordinates("Toulouse") is None


def test_a_site_may_be_a_city_or_any_notation():
    assert GroundSite.from_text("43.6,1.44,150").alt_m == 150.0
    south = GroundSite.from_text("33°54'S 18°24'E")
    assert (south.lat_deg, south.lon_deg) == pytest.approx((-33.9, 18.4))
    town = GroundSite.from_text("Cape Town")
    assert town.name == "Cape Town" and town.lat_deg == pytest.approx(-33.93, abs=0.05)
    with pytest.raises(OverheadError, match="LAT,LON"):
        GroundSite.from_text("Atlantis 12")
