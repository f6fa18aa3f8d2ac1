"""Two-line element sets: parse with validation, and write back exactly.

Column layout (1-based, inclusive) from the Space-Track/CelesTrak TLE definition. Lines may carry text
after column 69 (Vallado's verification file does); it is ignored, as python-sgp4 ignores it.
"""

from __future__ import annotations

import math
import re

import numpy as np
from sgp4.alpha5 import from_alpha5, to_alpha5

from overhead.errors import ElementSetError
from overhead.orbits.records import ElementRecord

__all__ = ["checksum", "format_tle", "parse_tle_pair"]

# (field, first column, last column) for each line, 1-based inclusive
LINE1_FIELDS = (
    ("satellite_number", 3, 7), ("classification", 8, 8), ("international_designator", 10, 17),
    ("epoch_year", 19, 20), ("epoch_day", 21, 32), ("mean_motion_dot", 34, 43),
    ("mean_motion_ddot", 45, 52), ("bstar", 54, 61), ("ephemeris_type", 63, 63),
    ("element_set_number", 65, 68), ("checksum", 69, 69),
)
LINE2_FIELDS = (
    ("satellite_number", 3, 7), ("inclination", 9, 16), ("right_ascension", 18, 25),
    ("eccentricity", 27, 33), ("argument_of_perigee", 35, 42), ("mean_anomaly", 44, 51),
    ("mean_motion", 53, 63), ("revolution_number", 64, 68), ("checksum", 69, 69),
)
_EXPONENT_FIELD = re.compile(r"^([+-]?)(\d{1,5})([+-]\d)$")
_DECIMAL_FIELD = re.compile(r"^[ +-]?\d*\.\d+$")
MAX_MEAN_MOTION_REV_DAY = 20.0  # above this a "satellite" would orbit inside the Earth


def checksum(line: str) -> int:
    """The modulo-10 checksum of columns 1-68: digits count their value, '-' counts 1."""
    return sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in line[:68]) % 10


def _field(line: str, spec: tuple[str, int, int]) -> str:
    return line[spec[1] - 1:spec[2]]


class _Locator:
    """Builds errors that say where: source, line number, field."""

    def __init__(self, source: str | None, line_numbers: tuple[int, int], norad_id: int | None = None):
        self.source, self.line_numbers, self.norad_id = source, line_numbers, norad_id

    def error(self, which: int, field: str | None, message: str) -> ElementSetError:
        return ElementSetError(message, source=self.source, line=self.line_numbers[which - 1],
                               field=field, norad_id=self.norad_id)


def _float(text: str, where: _Locator, which: int, field: str) -> float:
    stripped = text.strip()
    if not stripped:
        raise where.error(which, field, f"{field} is blank")
    try:
        return float(stripped)
    except ValueError:
        raise where.error(which, field, f"{field} {text!r} is not a number") from None


def _int(text: str, where: _Locator, which: int, field: str, *, blank: int | None = None) -> int:
    stripped = text.strip()
    if not stripped and blank is not None:
        return blank
    if not stripped.isdigit():
        raise where.error(which, field, f"{field} {text!r} is not a whole number")
    return int(stripped)


def _exponent_field(text: str, where: _Locator, field: str) -> float:
    """Read the TLE's implied-decimal exponent form: ' 12345-4' means 0.12345e-4."""
    match = _EXPONENT_FIELD.match(text.strip())
    if not match:
        raise where.error(1, field, f"{field} {text!r} is not in the TLE's ' 12345-4' exponent form")
    sign, mantissa, exponent = match.groups()
    value = float(f"0.{mantissa.rjust(5, '0')}e{exponent}")
    return -value if sign == "-" else value


def _satellite_number(text: str, where: _Locator, which: int) -> int:
    stripped = text.strip()
    try:
        if not stripped or (not stripped.isdigit() and not (stripped[0].isalpha()
                                                          and stripped[1:].isdigit() and len(stripped) == 5)):
            raise ValueError
        return from_alpha5(stripped.rjust(5, "0") if stripped.isdigit() else stripped)
    except (ValueError, KeyError, IndexError):
        raise where.error(which, "satellite_number",
                          f"satellite number {text!r} is neither 5 digits nor Alpha-5 (a letter and 4 "
                          f"digits)") from None


def _epoch(year_text: str, day_text: str, where: _Locator) -> np.datetime64:
    year2 = _int(year_text, where, 1, "epoch_year")
    day = _float(day_text, where, 1, "epoch_day")
    if not 1.0 <= day < 367.0:
        raise where.error(1, "epoch_day", f"epoch day {day} is outside 1 to 366.99999999")
    year = 1900 + year2 if year2 >= 57 else 2000 + year2
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
    return f"{year}-{text[2:5]}{text[5:]}"


def parse_tle_pair(line1: str, line2: str, *, source: str | None = None,
                   line_numbers: tuple[int, int] = (1, 2)) -> ElementRecord:
    """Validate and read one TLE; raise :class:`ElementSetError` naming line and field."""
    where = _Locator(source, line_numbers)
    for which, line in ((1, line1), (2, line2)):
        if not line.startswith(str(which)):
            raise where.error(which, "line_number", f"line {which} of a TLE must start with '{which}', "
                                                    f"got {line[:1]!r}")
        if len(line.rstrip()) < 69:
            raise where.error(which, None, f"line {which} has {len(line.rstrip())} characters; a TLE line "
                                           f"has 69 (is it truncated or missing its checksum?)")
        expected = checksum(line)
        if line[68] != str(expected):
            raise where.error(which, "checksum", f"checksum is {line[68]!r} but the line sums to "
                                                 f"{expected}; the line is corrupted")
    norad_id = _satellite_number(_field(line1, LINE1_FIELDS[0]), where, 1)
    where.norad_id = norad_id
    if _satellite_number(_field(line2, LINE2_FIELDS[0]), where, 2) != norad_id:
        raise where.error(2, "satellite_number", f"line 2 is for satellite {_field(line2, LINE2_FIELDS[0])!r} "
                                                 f"but line 1 for {_field(line1, LINE1_FIELDS[0])!r}")
    f1 = {name: _field(line1, (name, a, b)) for name, a, b in LINE1_FIELDS}
    f2 = {name: _field(line2, (name, a, b)) for name, a, b in LINE2_FIELDS}
    ndot_text = f1["mean_motion_dot"]
    if not _DECIMAL_FIELD.match(ndot_text.strip() or "x"):
        raise where.error(1, "mean_motion_dot", f"mean_motion_dot {ndot_text!r} is not a decimal number")
    ecc_text = f2["eccentricity"]
    if not ecc_text.strip().isdigit():
        raise where.error(2, "eccentricity", f"eccentricity {ecc_text!r} must be 7 digits with an implied "
                                             f"leading decimal point")
    record = ElementRecord(
        norad_id=norad_id,
        classification=f1["classification"].strip() or "U",
        object_id=_object_id(f1["international_designator"]),
        epoch=_epoch(f1["epoch_year"], f1["epoch_day"], where),
        mean_motion_dot=float(ndot_text),
        mean_motion_ddot=_exponent_field(f1["mean_motion_ddot"], where, "mean_motion_ddot"),
        bstar=_exponent_field(f1["bstar"], where, "bstar"),
        ephemeris_type=_int(f1["ephemeris_type"], where, 1, "ephemeris_type", blank=0),
        element_set_no=_int(f1["element_set_number"], where, 1, "element_set_number", blank=0),
        inclination_deg=_float(f2["inclination"], where, 2, "inclination"),
        raan_deg=_float(f2["right_ascension"], where, 2, "right_ascension"),
        eccentricity=float("0." + ecc_text.strip()),
        arg_of_pericenter_deg=_float(f2["argument_of_perigee"], where, 2, "argument_of_perigee"),
        mean_anomaly_deg=_float(f2["mean_anomaly"], where, 2, "mean_anomaly"),
        mean_motion_rev_per_day=_float(f2["mean_motion"], where, 2, "mean_motion"),
        rev_at_epoch=_int(f2["revolution_number"], where, 2, "revolution_number", blank=0),
    )
    _check_ranges(record, where)
    return record


def _check_ranges(r: ElementRecord, where: _Locator) -> None:
    checks = (
        (2, "inclination", 0.0 <= r.inclination_deg <= 180.0, "inclination must be 0 to 180 deg"),
        (2, "right_ascension", 0.0 <= r.raan_deg <= 360.0, "right ascension must be 0 to 360 deg"),
        (2, "argument_of_perigee", 0.0 <= r.arg_of_pericenter_deg <= 360.0,
         "argument of perigee must be 0 to 360 deg"),
        (2, "mean_anomaly", 0.0 <= r.mean_anomaly_deg <= 360.0, "mean anomaly must be 0 to 360 deg"),
        (2, "mean_motion", 0.0 < r.mean_motion_rev_per_day <= MAX_MEAN_MOTION_REV_DAY,
         f"mean motion must be above 0 and at most {MAX_MEAN_MOTION_REV_DAY:g} rev/day"),
    )
    for which, field, ok, message in checks:
        if not ok:
            value = getattr(r, {"inclination": "inclination_deg", "right_ascension": "raan_deg",
                                "argument_of_perigee": "arg_of_pericenter_deg",
                                "mean_anomaly": "mean_anomaly_deg",
                                "mean_motion": "mean_motion_rev_per_day"}[field])
            raise where.error(which, field, f"{message}, got {value}")


def _format_exponent(value: float) -> str:
    """0.28098e-4 → ' 28098-4'; zero → ' 00000+0' (CelesTrak's form)."""
    if value == 0.0 or not math.isfinite(value):
        return " 00000+0"
    sign = "-" if value < 0 else " "
    magnitude = abs(value)
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
    if len(object_id) >= 9 and object_id[4] == "-":
        return object_id[2:4] + object_id[5:]
    return object_id


def _epoch_fields(epoch: np.datetime64) -> str:
    epoch = np.datetime64(epoch, "ns")
    year = int(str(epoch.astype("datetime64[Y]")))
    start = np.datetime64(f"{year:04d}-01-01", "ns")
    day = 1.0 + (epoch - start).astype(np.int64) / 86_400e9
    return f"{year % 100:02d}{day:012.8f}"


def format_tle(r: ElementRecord) -> tuple[str, str]:
    """The two lines of a TLE record, with checksums; the inverse of :func:`parse_tle_pair`."""
    satnum = to_alpha5(r.norad_id)
    line1 = (f"1 {satnum:>5}{r.classification or 'U'} {_tle_designator(r.object_id):<8} "
             f"{_epoch_fields(r.epoch)} {_format_decimal_fraction(r.mean_motion_dot)} "
             f"{_format_exponent(r.mean_motion_ddot)} {_format_exponent(r.bstar)} "
             f"{r.ephemeris_type:1d} {r.element_set_no % 10000:>4d}")
    line2 = (f"2 {satnum:>5} {r.inclination_deg:8.4f} {r.raan_deg:8.4f} "
             f"{round(r.eccentricity * 1e7):07d} {r.arg_of_pericenter_deg:8.4f} "
             f"{r.mean_anomaly_deg:8.4f} {r.mean_motion_rev_per_day:11.8f}{r.rev_at_epoch % 100000:>5d}")
    return line1 + str(checksum(line1)), line2 + str(checksum(line2))
