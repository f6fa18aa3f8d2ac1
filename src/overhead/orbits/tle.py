"""Two-line element sets: parse with validation, and write back exactly.

Column layout (1-based, inclusive) from the Space-Track/CelesTrak TLE definition. Lines may carry text
after column 69 (Vallado's verification file does); it is ignored, as python-sgp4 ignores it.

The parser never guesses: every field is checked character by character against its column format before it
is read (ASCII digits only, blanks only where the format allows them, the separator columns blank), so a
damaged line is a reject naming its line and field rather than a plausible wrong value. In particular:

- eccentricity is exactly 7 digits: ``' 001729'`` is refused (python-sgp4 would read blanks as zeros; a blank
  in an implied-decimal field is more often a shifted column than a zero);
- the mean-motion derivative is a sign (blank, ``+`` or ``-``), a point and 8 digits: ``1.00000155`` is
  refused (a ``1`` in the sign column passes the checksum, since ``-`` also counts 1);
- the second derivative and B* are a sign, 5 digits, an exponent sign and 1 digit (``' 12345-4'``);
- Alpha-5 satellite numbers are a capital letter other than I and O and 4 digits, as defined by Space-Track.
"""

from __future__ import annotations

import datetime
import functools
import math
import re

import numpy as np
from sgp4.alpha5 import from_alpha5, to_alpha5

from overhead.errors import ElementSetError
from overhead.orbits.records import ElementRecord

__all__ = ["checksum", "format_tle", "parse_tle_pair"]

# (field, first column, last column) for each line, 1-based inclusive
LINE1_FIELDS = (
    ("satellite_number", 3, 7),
    ("classification", 8, 8),
    ("international_designator", 10, 17),
    ("epoch_year", 19, 20),
    ("epoch_day", 21, 32),
    ("mean_motion_dot", 34, 43),
    ("mean_motion_ddot", 45, 52),
    ("bstar", 54, 61),
    ("ephemeris_type", 63, 63),
    ("element_set_number", 65, 68),
    ("checksum", 69, 69),
)
LINE2_FIELDS = (
    ("satellite_number", 3, 7),
    ("inclination", 9, 16),
    ("right_ascension", 18, 25),
    ("eccentricity", 27, 33),
    ("argument_of_perigee", 35, 42),
    ("mean_anomaly", 44, 51),
    ("mean_motion", 53, 63),
    ("revolution_number", 64, 68),
    ("checksum", 69, 69),
)
_EXPONENT_FIELD = re.compile(r"^([ +-])([0-9]{5})([+-][0-9])$")
# the exact column formats (ASCII only); a field that does not match is rejected before it is read
_ANGLE = r"^ *[0-9]{1,3}\.[0-9]{1,7}$"
FIELD_FORMATS = {
    "satellite_number": (
        re.compile(r"^( *[0-9]{1,5}|[A-HJ-NP-Z][0-9]{4})$"),
        "5 digits, or Alpha-5: a capital letter other than I and O, then 4 digits",
    ),
    "classification": (re.compile(r"^[UCS ]$"), "U, C, S or blank"),
    "international_designator": (
        re.compile(r"^([0-9]{5}[A-Z ]{3}| {8})$"),
        "YYNNNPPP: 2-digit year, 3-digit launch number, up to 3 capital letters",
    ),
    "epoch_year": (re.compile(r"^[0-9]{2}$"), "2 digits"),
    "epoch_day": (re.compile(r"^[0-9]{3}\.[0-9]{8}$"), "DDD.DDDDDDDD (day of the year with 8 decimals)"),
    "mean_motion_dot": (re.compile(r"^[ +-]\.[0-9]{8}$"), "a sign (blank, + or -), a point and 8 digits"),
    "mean_motion_ddot": (_EXPONENT_FIELD, "the ' 12345-4' exponent form (sign, 5 digits, exponent sign, digit)"),
    "bstar": (_EXPONENT_FIELD, "the ' 12345-4' exponent form (sign, 5 digits, exponent sign, digit)"),
    "ephemeris_type": (re.compile(r"^[0-9 ]$"), "one digit or blank"),
    "element_set_number": (re.compile(r"^ *[0-9]{0,4}$"), "up to 4 digits, right-aligned"),
    "inclination": (re.compile(_ANGLE), "degrees as DDD.DDDD"),
    "right_ascension": (re.compile(_ANGLE), "degrees as DDD.DDDD"),
    "eccentricity": (re.compile(r"^[0-9]{7}$"), "7 digits with an implied leading decimal point"),
    "argument_of_perigee": (re.compile(_ANGLE), "degrees as DDD.DDDD"),
    "mean_anomaly": (re.compile(_ANGLE), "degrees as DDD.DDDD"),
    "mean_motion": (re.compile(r"^ *[0-9]{1,2}\.[0-9]{1,10}$"), "revolutions per day as NN.NNNNNNNN"),
    "revolution_number": (re.compile(r"^ *[0-9]{0,5}$"), "up to 5 digits, right-aligned"),
    "checksum": (re.compile(r"^[0-9]$"), "one digit"),
}
# columns (1-based) that must be blank between the fields
LINE1_BLANKS = (2, 9, 18, 33, 44, 53, 62, 64)
LINE2_BLANKS = (2, 8, 17, 26, 34, 43, 52)
# the largest magnitudes a TLE's fields write: the exponent form ' 99999+9' and the decimal '.99999999'
MAX_EXPONENT_FIELD = 0.99999e9
MAX_DECIMAL_FIELD = 0.99999999
MAX_MEAN_MOTION_REV_DAY = 20.0  # above this a "satellite" would orbit inside the Earth
MIN_MEAN_MOTION_REV_DAY = 0.001  # below this its orbit reaches ~10 Earth-Moon distances: not an Earth orbit


# each byte's weight in the checksum: ASCII digits their value, '-' 1, anything else 0 (as bytes.translate reads it:
# a table lookup in C, 10x faster than a Python loop over the characters; a catalogue's TLEs are checked by the
# tens of thousands when the service starts)
_CHECKSUM_WEIGHTS = bytes(b - 48 if 48 <= b <= 57 else 1 if b == 45 else 0 for b in range(256))


def checksum(line: str) -> int:
    """The modulo-10 checksum of columns 1-68: ASCII digits count their value, '-' counts 1."""
    return sum(line[:68].encode("latin-1", "replace").translate(_CHECKSUM_WEIGHTS)) % 10


def _field(line: str, spec: tuple[str, int, int]) -> str:
    return line[spec[1] - 1 : spec[2]]


class _Locator:
    """Builds errors that say where: source, line number, field."""

    def __init__(self, source: str | None, line_numbers: tuple[int, int], norad_id: int | None = None):
        self.source, self.line_numbers, self.norad_id = source, line_numbers, norad_id

    def error(self, which: int, field: str | None, message: str) -> ElementSetError:
        return ElementSetError(
            message, source=self.source, line=self.line_numbers[which - 1], field=field, norad_id=self.norad_id
        )


def _field_at(which: int, column: int) -> str:
    """The name of the field of line ``which`` holding ``column`` (1-based)."""
    for name, first, last in LINE1_FIELDS if which == 1 else LINE2_FIELDS:
        if first <= column <= last:
            return name
    return f"column {column}"


def _checked(fields: dict[str, str], name: str, where: _Locator, which: int) -> str:
    """A field's text after checking it against its column format."""
    text = fields[name]
    pattern, form = FIELD_FORMATS[name]
    if not pattern.match(text):
        raise where.error(which, name, f"{name} {text!r} is not in its column format: {form}")
    return text


def _exponent_field(text: str) -> float:
    """The TLE's implied-decimal exponent form: ' 12345-4' means 0.12345e-4 (already format-checked)."""
    sign, mantissa, exponent = _EXPONENT_FIELD.match(text).groups()  # type: ignore[union-attr]
    value = float(f"0.{mantissa}e{exponent}")
    return -value if sign == "-" else value


def _satellite_number(text: str) -> int:
    """Digits or Alpha-5 (already format-checked)."""
    stripped = text.strip()
    return int(stripped) if stripped.isdigit() else from_alpha5(stripped)


def _satellite_number_or_none(line1: str, line2: str) -> int | None:
    """The satellite number both lines agree on, before anything else is checked (to name a reject's object)."""
    pattern = FIELD_FORMATS["satellite_number"][0]
    a, b = line1[2:7], line2[2:7]
    if pattern.match(a) and a == b:
        return _satellite_number(a)
    return None


def _epoch(year_text: str, day_text: str, where: _Locator) -> np.datetime64:
    year2 = int(year_text)
    day = float(day_text)
    year = 1900 + year2 if year2 >= 57 else 2000 + year2
    days_in_year = 366 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 365
    if not 1.0 <= day < days_in_year + 1:
        raise where.error(1, "epoch_day", f"epoch day {day} is outside 1 to {days_in_year}.99999999 of {year}")
    # the field resolves 0.864 ms; whole microseconds keep OMM's EPOCH (6 decimals) exact
    microseconds = round((day - 1.0) * 86_400e6)
    return np.datetime64(f"{year:04d}-01-01", "ns") + np.timedelta64(microseconds, "us")


def _object_id(text: str) -> str:
    """'98067A  ' → '1998-067A' (blank stays blank)."""
    text = text.strip()
    if len(text) < 5 or not text[:5].isdigit():
        return text
    year2 = int(text[:2])
    year = 1900 + year2 if year2 >= 57 else 2000 + year2
    return f"{year}-{text[2:5]}{text[5:].replace(' ', '')}"  # old sets write '92052  A'


def parse_tle_pair(
    line1: str, line2: str, *, source: str | None = None, line_numbers: tuple[int, int] = (1, 2)
) -> ElementRecord:
    """Validate and read one TLE; raise :class:`ElementSetError` naming line and field."""
    where = _Locator(source, line_numbers, _satellite_number_or_none(line1, line2))
    for which, line, blanks in ((1, line1, LINE1_BLANKS), (2, line2, LINE2_BLANKS)):
        if not line.startswith(str(which)):
            raise where.error(
                which, "line_number", f"line {which} of a TLE must start with '{which}', got {line[:1]!r}"
            )
        if len(line.rstrip()) < 69:
            raise where.error(
                which,
                "line_length",
                f"line {which} has {len(line.rstrip())} characters; a TLE "
                f"line has 69 (is it truncated or missing its checksum?)",
            )
        bad = next((k for k, c in enumerate(line[:69]) if not (" " <= c <= "~")), None)
        if bad is not None:
            raise where.error(
                which,
                _field_at(which, bad + 1),
                f"column {bad + 1} of line {which} holds {line[bad]!r}, not printable ASCII (tabs, "
                f"no-break spaces and other Unicode are not TLE)",
            )
        for column in blanks:
            if line[column - 1] != " ":
                raise where.error(
                    which,
                    f"column {column}",
                    f"column {column} of line {which} must be blank (it "
                    f"separates two fields), got {line[column - 1]!r}: is "
                    f"a column shifted?",
                )
        if not "0" <= line[68] <= "9":
            raise where.error(which, "checksum", f"checksum {line[68]!r} is not a digit")
        expected = checksum(line)
        if line[68] != str(expected):
            raise where.error(
                which, "checksum", f"checksum is {line[68]!r} but the line sums to {expected}; the line is corrupted"
            )
    f1 = {name: _field(line1, (name, a, b)) for name, a, b in LINE1_FIELDS}
    f2 = {name: _field(line2, (name, a, b)) for name, a, b in LINE2_FIELDS}
    norad_id = _satellite_number(_checked(f1, "satellite_number", where, 1))
    where.norad_id = norad_id
    if _satellite_number(_checked(f2, "satellite_number", where, 2)) != norad_id:
        raise where.error(
            2,
            "satellite_number",
            f"line 2 is for satellite {f2['satellite_number']!r} but line 1 for {f1['satellite_number']!r}",
        )
    c1 = {name: _checked(f1, name, where, 1) for name in f1 if name != "satellite_number"}
    c2 = {name: _checked(f2, name, where, 2) for name in f2 if name != "satellite_number"}
    record = ElementRecord(
        norad_id=norad_id,
        classification=c1["classification"].strip() or "U",
        object_id=_object_id(c1["international_designator"]),
        epoch=_epoch(c1["epoch_year"], c1["epoch_day"], where),
        mean_motion_dot=float(c1["mean_motion_dot"]),
        mean_motion_ddot=_exponent_field(c1["mean_motion_ddot"]),
        bstar=_exponent_field(c1["bstar"]),
        ephemeris_type=int(c1["ephemeris_type"].strip() or 0),
        element_set_no=int(c1["element_set_number"].strip() or 0),
        inclination_deg=float(c2["inclination"]),
        raan_deg=float(c2["right_ascension"]),
        eccentricity=float("0." + c2["eccentricity"]),
        arg_of_pericenter_deg=float(c2["argument_of_perigee"]),
        mean_anomaly_deg=float(c2["mean_anomaly"]),
        mean_motion_rev_per_day=float(c2["mean_motion"]),
        rev_at_epoch=int(c2["revolution_number"].strip() or 0),
    )
    _check_ranges(record, where)
    return record


def _check_ranges(r: ElementRecord, where: _Locator) -> None:
    checks = (
        (2, "inclination", 0.0 <= r.inclination_deg <= 180.0, "inclination must be 0 to 180 deg"),
        (2, "right_ascension", 0.0 <= r.raan_deg <= 360.0, "right ascension must be 0 to 360 deg"),
        (2, "argument_of_perigee", 0.0 <= r.arg_of_pericenter_deg <= 360.0, "argument of perigee must be 0 to 360 deg"),
        (2, "mean_anomaly", 0.0 <= r.mean_anomaly_deg <= 360.0, "mean anomaly must be 0 to 360 deg"),
        (
            2,
            "mean_motion",
            MIN_MEAN_MOTION_REV_DAY <= r.mean_motion_rev_per_day <= MAX_MEAN_MOTION_REV_DAY,
            f"mean motion must be {MIN_MEAN_MOTION_REV_DAY:g} to {MAX_MEAN_MOTION_REV_DAY:g} rev/day",
        ),
    )
    for which, field, ok, message in checks:
        if not ok:
            value = getattr(
                r,
                {
                    "inclination": "inclination_deg",
                    "right_ascension": "raan_deg",
                    "argument_of_perigee": "arg_of_pericenter_deg",
                    "mean_anomaly": "mean_anomaly_deg",
                    "mean_motion": "mean_motion_rev_per_day",
                }[field],
            )
            raise where.error(which, field, f"{message}, got {value}")


def _format_exponent(value: float) -> str:
    """0.28098e-4 → ' 28098-4'; zero → ' 00000+0' (CelesTrak's form)."""
    if not math.isfinite(value):
        raise ValueError(f"{value!r} does not fit the TLE exponent field")
    if value == 0.0:
        return " 00000+0"
    sign = "-" if value < 0 else " "
    magnitude = abs(value)
    if magnitude >= 0.999995e9:  # rounds to 1.00000e9: past MAX_EXPONENT_FIELD
        raise ValueError(f"{value!r} does not fit the TLE exponent field (|value| < 1e9)")
    if magnitude < 0.5e-14:  # rounds to zero in 5 digits with exponent -9
        return " 00000+0"
    exponent = math.floor(math.log10(magnitude)) + 1
    mantissa = round(magnitude / 10.0**exponent * 1e5)
    if mantissa >= 100_000:
        mantissa //= 10
        exponent += 1
    if mantissa < 10_000:  # log10 rounding put us one decade too high
        exponent -= 1
        mantissa = round(magnitude / 10.0**exponent * 1e5)
    if not -9 <= exponent <= 9:
        raise ValueError(f"{value!r} does not fit the TLE exponent field")
    return f"{sign}{mantissa:05d}{'-' if exponent < 0 else '+'}{abs(exponent)}"


def _format_decimal_fraction(value: float) -> str:
    """0.00000023 → ' .00000023', −0.00000084 → '-.00000084'."""
    text = f"{abs(value):.8f}"
    if not text.startswith("0."):
        raise ValueError(f"mean_motion_dot {value!r} does not fit the TLE field (|value| < 1)")
    return ("-" if value < 0 and text != "0.00000000" else " ") + text[1:]


def _tle_designator(object_id: str) -> str:
    if len(object_id) >= 8 and object_id[4] == "-":
        return object_id[2:4] + object_id[5:]
    return object_id


_UNIX_EPOCH = datetime.datetime(1970, 1, 1)


@functools.cache
def _year_start_ns(year: int) -> int:
    return int(np.datetime64(f"{year:04d}-01-01", "ns").astype(np.int64))


def _epoch_fields(when: np.datetime64) -> str:
    # integers, not numpy datetime arithmetic per record: a catalogue's TLEs are written in one go (/api/sky)
    ns = int(np.asarray(when).astype("datetime64[ns]").astype(np.int64))
    year = (_UNIX_EPOCH + datetime.timedelta(seconds=ns // 1_000_000_000)).year
    day = 1.0 + (ns - _year_start_ns(year)) / 86_400e9
    return f"{year % 100:02d}{day:012.8f}"


def format_tle(r: ElementRecord) -> tuple[str, str]:
    """The two lines of a TLE record, with checksums; the inverse of :func:`parse_tle_pair`."""
    satnum = to_alpha5(r.norad_id)
    line1 = (
        f"1 {satnum:>5}{r.classification or 'U'} {_tle_designator(r.object_id):<8} "
        f"{_epoch_fields(r.epoch)} {_format_decimal_fraction(r.mean_motion_dot)} "
        f"{_format_exponent(r.mean_motion_ddot)} {_format_exponent(r.bstar)} "
        f"{r.ephemeris_type:1d} {r.element_set_no % 10000:>4d}"
    )
    line2 = (
        f"2 {satnum:>5} {r.inclination_deg:8.4f} {r.raan_deg:8.4f} "
        f"{round(r.eccentricity * 1e7):07d} {r.arg_of_pericenter_deg:8.4f} "
        f"{r.mean_anomaly_deg:8.4f} {r.mean_motion_rev_per_day:11.8f}{r.rev_at_epoch % 100000:>5d}"
    )
    return line1 + str(checksum(line1)), line2 + str(checksum(line2))
