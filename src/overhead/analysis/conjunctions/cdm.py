"""CCSDS Conjunction Data Messages (CDM 1.0, CCSDS 508.0-B-1): read and write KVN and XML.

A message holds the time of closest approach (TCA), the miss vector in the primary's RTN frame and, for each of
the two objects, its state at TCA (km, km/s; EME2000, GCRF or ITRF) and its covariance in RTN (m², m²/s,
m²/s²; the 21 terms of the 6x6 lower triangle, or only the 6 position terms). The hard-body radius is not a
CDM 1.0 keyword: it is read from ``HBR`` or from a comment as CARA writes it (``COMMENT HBR = 15 [m]``).

Values carry their unit in brackets; the units of the standard are assumed where a file omits them, and
``[km]`` / ``[m]`` alternatives of lengths are converted. A malformed message raises
:class:`~overhead.errors.MessageError` naming the file, line and keyword.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from overhead.errors import MessageError

__all__ = [
    "COVARIANCE_KEYWORDS",
    "CdmObject",
    "ConjunctionMessage",
    "read_cdm",
    "read_cdm_text",
    "rtn_to_inertial_matrix",
    "write_cdm_kvn",
    "write_cdm_xml",
]

# the 6x6 RTN covariance, lower triangle row by row (CCSDS 508.0-B-1 table 3-5)
COVARIANCE_KEYWORDS = (
    "CR_R",
    "CT_R",
    "CT_T",
    "CN_R",
    "CN_T",
    "CN_N",
    "CRDOT_R",
    "CRDOT_T",
    "CRDOT_N",
    "CRDOT_RDOT",
    "CTDOT_R",
    "CTDOT_T",
    "CTDOT_N",
    "CTDOT_RDOT",
    "CTDOT_TDOT",
    "CNDOT_R",
    "CNDOT_T",
    "CNDOT_N",
    "CNDOT_RDOT",
    "CNDOT_TDOT",
    "CNDOT_NDOT",
)
_COV_INDEX = {}
for _k, _name in enumerate(COVARIANCE_KEYWORDS):
    _row = int((math.isqrt(8 * _k + 1) - 1) // 2)
    _COV_INDEX[_name] = (_row, _k - _row * (_row + 1) // 2)

STATE_KEYWORDS = ("X", "Y", "Z", "X_DOT", "Y_DOT", "Z_DOT")
HEADER_KEYWORDS = ("CCSDS_CDM_VERS", "CREATION_DATE", "ORIGINATOR", "MESSAGE_FOR", "MESSAGE_ID")
RELATIVE_KEYWORDS = (
    "TCA",
    "MISS_DISTANCE",
    "RELATIVE_SPEED",
    "RELATIVE_POSITION_R",
    "RELATIVE_POSITION_T",
    "RELATIVE_POSITION_N",
    "RELATIVE_VELOCITY_R",
    "RELATIVE_VELOCITY_T",
    "RELATIVE_VELOCITY_N",
    "START_SCREEN_PERIOD",
    "STOP_SCREEN_PERIOD",
    "SCREEN_VOLUME_FRAME",
    "SCREEN_VOLUME_SHAPE",
    "SCREEN_VOLUME_X",
    "SCREEN_VOLUME_Y",
    "SCREEN_VOLUME_Z",
    "SCREEN_ENTRY_TIME",
    "SCREEN_EXIT_TIME",
    "COLLISION_PROBABILITY",
    "COLLISION_PROBABILITY_METHOD",
)
OBJECT_METADATA_KEYWORDS = (
    "OBJECT",
    "OBJECT_DESIGNATOR",
    "CATALOG_NAME",
    "OBJECT_NAME",
    "INTERNATIONAL_DESIGNATOR",
    "OBJECT_TYPE",
    "OPERATOR_CONTACT_POSITION",
    "OPERATOR_ORGANIZATION",
    "OPERATOR_PHONE",
    "OPERATOR_EMAIL",
    "EPHEMERIS_NAME",
    "COVARIANCE_METHOD",
    "MANEUVERABLE",
    "ORBIT_CENTER",
    "REF_FRAME",
    "GRAVITY_MODEL",
    "ATMOSPHERIC_MODEL",
    "N_BODY_PERTURBATIONS",
    "SOLAR_RAD_PRESSURE",
    "EARTH_TIDES",
    "INTRACK_THRUST",
)
FRAMES = ("EME2000", "GCRF", "ITRF")

# the unit of the standard for each numeric keyword, and factors from accepted alternatives to it
_LENGTH_M = {"m": 1.0, "km": 1000.0}
_SPEED_M_S = {"m/s": 1.0, "km/s": 1000.0}
_UNITS: dict[str, tuple[str, dict[str, float]]] = {
    "MISS_DISTANCE": ("m", _LENGTH_M),
    "RELATIVE_SPEED": ("m/s", _SPEED_M_S),
    **{f"RELATIVE_POSITION_{c}": ("m", _LENGTH_M) for c in "RTN"},
    **{f"RELATIVE_VELOCITY_{c}": ("m/s", _SPEED_M_S) for c in "RTN"},
    **{k: ("km", {"km": 1.0, "m": 1e-3}) for k in ("X", "Y", "Z")},
    **{k: ("km/s", {"km/s": 1.0, "m/s": 1e-3}) for k in ("X_DOT", "Y_DOT", "Z_DOT")},
    "HBR": ("m", _LENGTH_M),
}
_LINE = re.compile(r"^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$")
_VALUE_UNIT = re.compile(r"^(.*?)\s*\[([^\]]*)\]\s*$")
_HBR_COMMENT = re.compile(r"^\s*HBR\s*=?\s*([-+0-9.eE]+)\s*(?:\[([^\]]*)\])?", re.IGNORECASE)
_TIME = re.compile(r"^(\d{4})-(?:(\d{2})-(\d{2})|(\d{3}))T(\d{2}):(\d{2}):(\d{2}(?:\.\d+)?)Z?$")


@dataclass(frozen=True)
class CdmObject:
    """One object of a conjunction: its state at TCA and its RTN covariance."""

    designator: str
    name: str
    international_designator: str
    ref_frame: str
    position_km: np.ndarray  # (3,) in ref_frame
    velocity_km_s: np.ndarray  # (3,)
    covariance_rtn: np.ndarray  # (6, 6) m, m/s; NaN where the message gives no velocity terms
    keywords: dict[str, str] = field(default_factory=dict)  # every keyword of the object, as written
    comments: tuple[str, ...] = ()
    hbr_m: float | None = None  # the object's own hard-body radius (CDM 2.0's HBR, among additional parameters)

    @property
    def has_velocity_covariance(self) -> bool:
        return bool(np.isfinite(self.covariance_rtn[3:, :]).all())


@dataclass(frozen=True)
class ConjunctionMessage:
    """A CDM: header, relative metadata at TCA, and two objects."""

    tca: np.datetime64  # UTC, datetime64[ns]
    object1: CdmObject
    object2: CdmObject
    miss_distance_m: float
    relative_speed_m_s: float
    relative_position_rtn_m: np.ndarray  # (3,) R, T, N; NaN where not given
    relative_velocity_rtn_m_s: np.ndarray
    hbr_m: float | None
    collision_probability: float | None = None
    collision_probability_method: str | None = None
    header: dict[str, str] = field(default_factory=dict)
    relative: dict[str, str] = field(default_factory=dict)  # every relative-metadata keyword, as written
    comments: tuple[str, ...] = ()
    source: str | None = None

    @property
    def message_id(self) -> str:
        return self.header.get("MESSAGE_ID", "")

    def states_m(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(r1, v1, C1, r2, v2, C2) in metres and m/s in the objects' inertial frame, covariances 6x6.

        Both objects must be in the same frame; ITRF states are rotated to GCRF first.
        """
        r1, v1 = _inertial_state_m(self.object1, self.tca, self.source)
        r2, v2 = _inertial_state_m(self.object2, self.tca, self.source)
        c1 = _covariance_in_frame(self.object1, r1, v1)
        c2 = _covariance_in_frame(self.object2, r2, v2)
        return r1, v1, c1, r2, v2, c2


def rtn_to_inertial_matrix(position, velocity) -> np.ndarray:
    """The 3x3 rotation whose columns are the R, T, N unit vectors in the inertial frame; states (..., 3) give
    rotations (..., 3, 3)."""
    r = np.asarray(position, dtype=float)
    v = np.asarray(velocity, dtype=float)
    h = np.cross(r, v)
    r_hat = r / np.linalg.norm(r, axis=-1, keepdims=True)
    n_hat = h / np.linalg.norm(h, axis=-1, keepdims=True)
    t_hat = np.cross(n_hat, r_hat)
    return np.stack([r_hat, t_hat, n_hat], axis=-1)


def _inertial_state_m(obj: CdmObject, tca: np.datetime64, source: str | None) -> tuple[np.ndarray, np.ndarray]:
    r = obj.position_km * 1e3
    v = obj.velocity_km_s * 1e3
    if obj.ref_frame == "ITRF":
        from overhead.orbits.frames import itrf_to_gcrs

        r_g, v_g = itrf_to_gcrs(np.array([tca]), r[None, :] / 1e3, v[None, :] / 1e3)
        return r_g[0] * 1e3, v_g[0] * 1e3
    return r, v


def _covariance_in_frame(obj: CdmObject, r_m: np.ndarray, v_m: np.ndarray) -> np.ndarray:
    # RTN is defined by the inertial state, so an ITRF state's covariance is rotated with its GCRF state
    rotation = rtn_to_inertial_matrix(r_m, v_m)
    block = np.zeros((6, 6))
    block[:3, :3] = rotation
    block[3:, 3:] = rotation
    cov = obj.covariance_rtn
    has_vel = obj.has_velocity_covariance
    out = block @ (cov if has_vel else np.nan_to_num(cov)) @ block.T
    out = 0.5 * (out + out.T)
    if not has_vel:
        out[3:, :] = np.nan
        out[:, 3:] = np.nan
    return out


# --- reading -------------------------------------------------------------------------------------------------


def read_cdm(path: str | Path) -> ConjunctionMessage:
    """Read one CDM file, KVN or XML (recognised by its first non-blank character)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MessageError(f"cannot read the file ({exc.strerror or exc})", source=str(path)) from exc
    if len(raw) > 10 * 1024 * 1024:
        raise MessageError("larger than 10 MiB: not a CDM", source=str(path))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MessageError(f"not UTF-8 text (byte {exc.start})", source=str(path)) from exc
    return read_cdm_text(text, source=str(path))


def read_cdm_text(text: str, *, source: str | None = None) -> ConjunctionMessage:
    """Read a CDM from its text, KVN or XML."""
    if text.lstrip().startswith("<"):
        return _build(_xml_entries(text, source), source)
    message = _build(_kvn_entries(text, source), source)  # a structural fault (an object missing) is named first
    _refuse_cut_last_line(text, source)
    return message


# an entry: (line number, keyword, value text, unit or None); OBJECT entries start each object's section
_Entry = tuple[int | None, str, str, str | None]


def _kvn_entries(text: str, source: str | None) -> list[_Entry]:
    entries: list[_Entry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("COMMENT"):
            entries.append((number, "COMMENT", stripped[7:].strip(), None))
            continue
        match = _LINE.match(line)
        if not match:
            raise MessageError(f"not 'KEYWORD = value': {stripped[:60]!r}", source=source, line=number)
        keyword, value = match.group(1), match.group(2)
        unit = None
        vu = _VALUE_UNIT.match(value)
        if vu:
            value, unit = vu.group(1).strip(), vu.group(2).strip()
        entries.append((number, keyword, value, unit))
    return entries


def _refuse_cut_last_line(text: str, source: str | None) -> None:
    """A KVN message's lines end with line breaks: a last value with none after it may be a number cut short
    (``2.78626838503`` of ``2.78626838503e+01`` was once read as it stood), so it is refused, located."""
    stripped = text.rstrip(" \t")
    if not stripped or stripped.endswith(("\n", "\r")):
        return
    lines = stripped.splitlines()
    match = _LINE.match(lines[-1])
    if match is not None:
        raise MessageError(
            f"the message ends inside its last line ({lines[-1].strip()[:60]!r}, no line break "
            f"after it): cut short? Fetch it again; a whole message ends with a line break",
            source=source,
            line=len(lines),
            keyword=match.group(1),
        )


def _xml_entries(text: str, source: str | None) -> list[_Entry]:
    import defusedxml.ElementTree as SafeET  # refuses entity expansion and external references

    try:
        root = SafeET.fromstring(text)
    except Exception as exc:  # ParseError, or defusedxml's refusal of entities
        raise MessageError(f"not well-formed XML ({exc})", source=source) from exc
    entries: list[_Entry] = [(None, "CCSDS_CDM_VERS", root.get("version", ""), None)] if root.get("version") else []

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    for element in root.iter():
        name = local(element.tag)
        if name == "segment":
            entries.append((None, "SEGMENT", "", None))
            continue
        if len(element) or element.text is None:
            continue
        value = element.text.strip()
        if name == "COMMENT":
            entries.append((None, "COMMENT", value, None))
        elif name.isupper():
            entries.append((None, name, value, element.get("units")))
    # in XML the OBJECT keyword sits inside each segment's metadata; segments mark the objects
    out: list[_Entry] = []
    for entry in entries:
        if entry[1] == "SEGMENT":
            continue
        out.append(entry)
    return out


def _number(entry: _Entry, source: str | None) -> float:
    line, keyword, value, unit = entry
    try:
        number = float(value)
    except ValueError as exc:
        raise MessageError(f"{value[:40]!r} is not a number", source=source, line=line, keyword=keyword) from exc
    if not math.isfinite(number):
        raise MessageError(f"{value!r} is not a finite number", source=source, line=line, keyword=keyword)
    if keyword in _UNITS and unit:
        _standard, factors = _UNITS[keyword]
        factor = factors.get(unit.strip().lower())
        if factor is not None:
            number *= factor
        # files in the wild label some values with the wrong unit (Alfano's test cases write velocities as
        # [m]); a unit that is not a length/speed alternative is read as the standard's
    return number


CDM_YEARS = (1900, 2200)  # inside numpy's nanosecond range (1678-2262) and the store's, with room to spare


def parse_cdm_time(
    text: str, *, source: str | None = None, line: int | None = None, keyword: str = "TCA"
) -> np.datetime64:
    """A CCSDS time (``YYYY-MM-DDThh:mm:ss.fff`` or day of year ``YYYY-DDDThh:mm:ss``) as datetime64[ns].

    Years outside :data:`CDM_YEARS` are refused (a nanosecond clock wraps outside 1678-2262: year 9999 once came
    back as 1816). A leap second (``23:59:60.5`` at the end of a day that has one in the IERS table) is read as
    POSIX and numpy count time, folded into the first second of the next day (``00:00:00.5``)."""
    match = _TIME.match(text.strip())
    if not match:
        raise MessageError(
            f"{text[:40]!r} is not a CCSDS time (YYYY-MM-DDThh:mm:ss[.d])", source=source, line=line, keyword=keyword
        )
    year, month, day, doy, hour, minute, second = match.groups()
    if not CDM_YEARS[0] <= int(year) <= CDM_YEARS[1]:
        raise MessageError(
            f"{text[:40]!r}: year {year} is outside {CDM_YEARS[0]}-{CDM_YEARS[1]}, the times this "
            f"store and its clock hold",
            source=source,
            line=line,
            keyword=keyword,
        )
    try:
        if doy is not None:
            date = dt.date(int(year), 1, 1) + dt.timedelta(days=int(doy) - 1)
            if date.year != int(year):
                raise ValueError("day of year out of range")
        else:
            date = dt.date(int(year), int(month), int(day))
        if int(hour) > 23 or int(minute) > 59 or float(second) >= 61:
            raise ValueError("time of day out of range")
        if float(second) >= 60 and not (int(hour) == 23 and int(minute) == 59 and _leap_second_after(date)):
            raise ValueError("second 60 is only the leap second at 23:59:60 of a day that has one (IERS)")
    except ValueError as exc:
        raise MessageError(f"{text!r}: {exc}", source=source, line=line, keyword=keyword) from exc
    whole = float(second)
    ns = round((whole - int(whole)) * 1e9)
    base = np.datetime64(f"{date.isoformat()}T{int(hour):02d}:{int(minute):02d}:{min(int(whole), 59):02d}", "ns")
    return base + np.timedelta64(int(whole) - min(int(whole), 59), "s") + np.timedelta64(ns, "ns")


def _leap_second_after(date: dt.date) -> bool:
    """Whether UTC inserted a leap second at the end of ``date`` (the bundled IERS table)."""
    from overhead.orbits.timescales import tai_minus_utc_s

    midnight = np.datetime64(date + dt.timedelta(days=1), "ns")
    before, after = tai_minus_utc_s(np.array([midnight - np.timedelta64(1, "s"), midnight]))
    return bool(after > before)


def _build(entries: list[_Entry], source: str | None) -> ConjunctionMessage:
    sections: list[list[_Entry]] = [[]]
    for entry in entries:
        if entry[1] == "OBJECT":
            sections.append([])
        sections[-1].append(entry)
    if len(sections) != 3:
        raise MessageError(
            f"expected two OBJECT sections (OBJECT1, OBJECT2), found {len(sections) - 1}",
            source=source,
            keyword="OBJECT",
        )
    head = sections[0]
    keys = {e[1]: e for e in head}
    for required in ("CCSDS_CDM_VERS", "TCA", "MISS_DISTANCE"):
        if required not in keys:
            raise MessageError("required keyword missing", source=source, keyword=required)
    tca_entry = keys["TCA"]
    tca = parse_cdm_time(tca_entry[2], source=source, line=tca_entry[0])
    comments = tuple(e[2] for e in head if e[1] == "COMMENT")
    hbr = _number(keys["HBR"], source) if "HBR" in keys else _hbr_from_comments(head, source)
    if hbr is not None and hbr < 0:
        raise MessageError(f"hard-body radius {hbr} m is negative", source=source, keyword="HBR")

    def optional(name: str) -> float:
        return _number(keys[name], source) if name in keys else math.nan

    pc = keys.get("COLLISION_PROBABILITY")
    objects = [_build_object(section, source) for section in sections[1:]]
    if hbr is None and objects[0].hbr_m is not None and objects[1].hbr_m is not None:
        hbr = objects[0].hbr_m + objects[1].hbr_m  # CDM 2.0: each object's radius; the combined is their sum
    labels = [o.keywords.get("OBJECT", "") for o in objects]
    if labels != ["OBJECT1", "OBJECT2"]:
        raise MessageError(f"objects must be OBJECT1 then OBJECT2, found {labels}", source=source, keyword="OBJECT")
    speed = optional("RELATIVE_SPEED")
    return ConjunctionMessage(
        tca=tca,
        object1=objects[0],
        object2=objects[1],
        miss_distance_m=_number(keys["MISS_DISTANCE"], source),
        relative_speed_m_s=speed,
        relative_position_rtn_m=np.array([optional(f"RELATIVE_POSITION_{c}") for c in "RTN"]),
        relative_velocity_rtn_m_s=np.array([optional(f"RELATIVE_VELOCITY_{c}") for c in "RTN"]),
        hbr_m=hbr,
        collision_probability=_number(pc, source) if pc is not None and pc[2] else None,
        collision_probability_method=keys["COLLISION_PROBABILITY_METHOD"][2]
        if "COLLISION_PROBABILITY_METHOD" in keys
        else None,
        header={k: keys[k][2] for k in HEADER_KEYWORDS if k in keys},
        relative={e[1]: e[2] for e in head if e[1] not in HEADER_KEYWORDS and e[1] != "COMMENT"},
        comments=comments,
        source=source,
    )


def _hbr_from_comments(head: Iterable[_Entry], source: str | None) -> float | None:
    for line, keyword, value, unit in head:
        if keyword != "COMMENT":
            continue
        match = _HBR_COMMENT.match(value)
        if match:
            number_unit = match.group(2) or unit or "m"
            return _number((line, "HBR", match.group(1), number_unit), source)
    return None


def _build_object(section: list[_Entry], source: str | None) -> CdmObject:
    keys: dict[str, _Entry] = {}
    for entry in section:
        if entry[1] != "COMMENT":
            keys[entry[1]] = entry
    label = keys["OBJECT"][2]
    for required in ("OBJECT_DESIGNATOR", "REF_FRAME", *STATE_KEYWORDS, *COVARIANCE_KEYWORDS[:6]):
        if required not in keys:
            raise MessageError(
                f"{label}: required keyword missing", source=source, keyword=required, line=keys["OBJECT"][0]
            )
    frame = keys["REF_FRAME"][2].strip().upper()
    if frame not in FRAMES:
        raise MessageError(
            f"{label}: reference frame {frame!r} is not one of {', '.join(FRAMES)}",
            source=source,
            line=keys["REF_FRAME"][0],
            keyword="REF_FRAME",
        )
    state = np.array([_number(keys[k], source) for k in STATE_KEYWORDS])
    if not 6_000.0 / 10 < np.linalg.norm(state[:3]) < 1e7:
        raise MessageError(
            f"{label}: position {np.linalg.norm(state[:3]):.6g} km from the Earth's centre is not "
            "an orbit (positions are in km)",
            source=source,
            line=keys["X"][0],
            keyword="X",
        )
    cov = np.full((6, 6), np.nan)
    for name in COVARIANCE_KEYWORDS:
        if name in keys:
            i, j = _COV_INDEX[name]
            cov[i, j] = cov[j, i] = _number(keys[name], source)
    if not np.isfinite(cov[:3, :3]).all():
        raise MessageError(f"{label}: position covariance incomplete", source=source, keyword="CR_R")
    for i, axis in enumerate(("CR_R", "CT_T", "CN_N")):
        if cov[i, i] < 0:
            raise MessageError(
                f"{label}: variance {cov[i, i]:.6g} m² is negative", source=source, line=keys[axis][0], keyword=axis
            )
    hbr = _number(keys["HBR"], source) if "HBR" in keys else None
    if hbr is not None and not hbr >= 0:
        raise MessageError(
            f"{label}: hard-body radius {hbr} m is negative", source=source, line=keys["HBR"][0], keyword="HBR"
        )
    return CdmObject(
        designator=keys["OBJECT_DESIGNATOR"][2],
        name=keys["OBJECT_NAME"][2] if "OBJECT_NAME" in keys else "",
        international_designator=keys["INTERNATIONAL_DESIGNATOR"][2] if "INTERNATIONAL_DESIGNATOR" in keys else "",
        ref_frame=frame,
        position_km=state[:3],
        velocity_km_s=state[3:],
        covariance_rtn=cov,
        keywords={k: e[2] for k, e in keys.items()},
        comments=tuple(e[2] for e in section if e[1] == "COMMENT"),
        hbr_m=hbr,
    )


# --- writing -------------------------------------------------------------------------------------------------


def _format_time(value: np.datetime64) -> str:
    return str(np.datetime_as_string(value.astype("datetime64[ms]"), unit="ms"))


def _relative_values(message: ConjunctionMessage) -> list[tuple[str, str, str | None]]:
    values: list[tuple[str, str, str | None]] = [
        ("TCA", _format_time(message.tca), None),
        ("MISS_DISTANCE", f"{message.miss_distance_m:.6f}", "m"),
    ]
    if math.isfinite(message.relative_speed_m_s):
        values.append(("RELATIVE_SPEED", f"{message.relative_speed_m_s:.6f}", "m/s"))
    for c, x in zip("RTN", message.relative_position_rtn_m, strict=True):
        if math.isfinite(x):
            values.append((f"RELATIVE_POSITION_{c}", f"{x:.6f}", "m"))
    for c, x in zip("RTN", message.relative_velocity_rtn_m_s, strict=True):
        if math.isfinite(x):
            values.append((f"RELATIVE_VELOCITY_{c}", f"{x:.6f}", "m/s"))
    if message.collision_probability is not None:
        values.append(("COLLISION_PROBABILITY", f"{message.collision_probability:.6e}", None))
    if message.collision_probability_method:
        values.append(("COLLISION_PROBABILITY_METHOD", message.collision_probability_method, None))
    return values


def _object_values(obj: CdmObject, label: str) -> list[tuple[str, str, str | None]]:
    values: list[tuple[str, str, str | None]] = [("OBJECT", label, None), ("OBJECT_DESIGNATOR", obj.designator, None)]
    for key, text in (
        ("CATALOG_NAME", obj.keywords.get("CATALOG_NAME", "SATCAT")),
        ("OBJECT_NAME", obj.name),
        ("INTERNATIONAL_DESIGNATOR", obj.international_designator),
    ):
        values.append((key, text or "UNKNOWN", None))
    for key in ("OBJECT_TYPE", "EPHEMERIS_NAME", "COVARIANCE_METHOD", "MANEUVERABLE"):
        values.append(
            (
                key,
                obj.keywords.get(
                    key,
                    {
                        "EPHEMERIS_NAME": "NONE",
                        "COVARIANCE_METHOD": "DEFAULT",
                        "MANEUVERABLE": "N/A",
                        "OBJECT_TYPE": "UNKNOWN",
                    }[key],
                ),
                None,
            )
        )
    values.append(("REF_FRAME", obj.ref_frame, None))
    if obj.hbr_m is not None:  # an additional parameter (CDM 2.0; Orekit reads it in 1.0 messages too)
        values.append(("HBR", f"{obj.hbr_m:g}", "m"))
    for key, x in zip(STATE_KEYWORDS[:3], obj.position_km, strict=True):
        values.append((key, f"{x:.9f}", "km"))
    for key, x in zip(STATE_KEYWORDS[3:], obj.velocity_km_s, strict=True):
        values.append((key, f"{x:.12f}", "km/s"))
    for name in COVARIANCE_KEYWORDS:
        i, j = _COV_INDEX[name]
        x = obj.covariance_rtn[i, j]
        if math.isfinite(x):
            unit = "m**2" if i < 3 else ("m**2/s" if j < 3 else "m**2/s**2")
            values.append((name, f"{x:.16e}", unit))
    return values


def _header_values(message: ConjunctionMessage) -> list[tuple[str, str, str | None]]:
    now = _format_time(np.datetime64(dt.datetime.now(dt.UTC).replace(tzinfo=None), "ms"))
    header = {"CCSDS_CDM_VERS": "1.0", "CREATION_DATE": now, "ORIGINATOR": "OVERHEAD", **message.header}
    header["CCSDS_CDM_VERS"] = "1.0"
    if "MESSAGE_ID" not in header:
        header["MESSAGE_ID"] = (
            f"{message.object1.designator}_conj_{message.object2.designator}_"
            f"{_format_time(message.tca).replace('-', '').replace(':', '').replace('T', '_')}"
        )
    return [(k, header[k], None) for k in HEADER_KEYWORDS if k in header]


def write_cdm_kvn(message: ConjunctionMessage) -> str:
    """The message as CDM 1.0 KVN text (the hard-body radius as CARA's ``COMMENT HBR = … [m]``)."""
    lines: list[str] = []

    def put(key: str, value: str, unit: str | None) -> None:
        lines.append(f"{key:<36}= {value}" + (f" [{unit}]" if unit else ""))

    for key, value, unit in _header_values(message):
        put(key, value, unit)
    for key, value, unit in _relative_values(message):
        put(key, value, unit)
    if message.hbr_m is not None:
        lines.append(f"COMMENT HBR = {message.hbr_m:g} [m]")
    for obj, label in ((message.object1, "OBJECT1"), (message.object2, "OBJECT2")):
        for key, value, unit in _object_values(obj, label):
            put(key, value, unit)
    return "\n".join(lines) + "\n"


def write_cdm_xml(message: ConjunctionMessage) -> str:
    """The message as CDM 1.0 XML (``<cdm>``, CCSDS 508.0-B-1 annex; NDM/XML schema element names)."""
    from xml.sax.saxutils import escape, quoteattr

    def element(key: str, value: str, unit: str | None, indent: str) -> str:
        units = f" units={quoteattr(unit)}" if unit else ""
        return f"{indent}<{key}{units}>{escape(value)}</{key}>"

    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<cdm id="CCSDS_CDM_VERS" version="1.0">', "  <header>"]
    out += [element(k, v, u, "    ") for k, v, u in _header_values(message) if k != "CCSDS_CDM_VERS"]
    out += ["  </header>", "  <body>", "    <relativeMetadataData>"]
    if message.hbr_m is not None:
        out.append(f"      <COMMENT>HBR = {message.hbr_m:g} [m]</COMMENT>")
    out += [element(k, v, u, "      ") for k, v, u in _relative_values(message)]
    out.append("    </relativeMetadataData>")
    for obj, label in ((message.object1, "OBJECT1"), (message.object2, "OBJECT2")):
        values = _object_values(obj, label)
        meta = [v for v in values if v[0] in OBJECT_METADATA_KEYWORDS]
        state = [v for v in values if v[0] in STATE_KEYWORDS]
        cov = [v for v in values if v[0] in COVARIANCE_KEYWORDS]
        extra = [v for v in values if v[0] == "HBR"]
        out += ["    <segment>", "      <metadata>"]
        out += [element(k, v, u, "        ") for k, v, u in meta]
        out += ["      </metadata>", "      <data>"]
        if extra:
            out += [
                "        <additionalParameters>",
                *(element(k, v, u, "          ") for k, v, u in extra),
                "        </additionalParameters>",
            ]
        out += ["        <stateVector>"]
        out += [element(k, v, u, "          ") for k, v, u in state]
        out += ["        </stateVector>", "        <covarianceMatrix>"]
        out += [element(k, v, u, "          ") for k, v, u in cov]
        out += ["        </covarianceMatrix>", "      </data>", "    </segment>"]
    out += ["  </body>", "</cdm>"]
    return "\n".join(out) + "\n"
