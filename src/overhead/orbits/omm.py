"""CCSDS Orbit Mean-elements Messages (OMM) in CSV, JSON, XML and KVN.

CelesTrak's JSON gives numbers, Space-Track's gives strings; both are read. Keys follow CCSDS 502.0-B-3.

Every record accepted can be written back, as OMM and as a TLE: numbers are ASCII decimal (no Unicode digits,
underscores or non-finite values), within their physical ranges and within what the TLE's fields hold (|n-dot|
< 1 rev/day², n-double-dot and B* under 1e9 in magnitude); the epoch is ISO-8601 (calendar or day-of-year
form) from 1957 to 2056 (the TLE's two-digit year); names have no control characters and at most 64
characters; designators are ``YYYY-NNNP[PP]`` (launch years 1957-2056, as a TLE writes them) or blank.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from overhead.errors import ElementSetError, OverheadError
from overhead.orbits.records import ElementRecord, name_problem
from overhead.orbits.tle import MAX_DECIMAL_FIELD, MAX_EXPONENT_FIELD

__all__ = ["OMM_KEYS", "format_omm", "iter_omm", "record_from_omm", "record_to_omm"]

# CelesTrak's column order
OMM_KEYS = (
    "OBJECT_NAME",
    "OBJECT_ID",
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "EPHEMERIS_TYPE",
    "CLASSIFICATION_TYPE",
    "NORAD_CAT_ID",
    "ELEMENT_SET_NO",
    "REV_AT_EPOCH",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
)
REQUIRED = (
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "NORAD_CAT_ID",
    "BSTAR",
)
# key → (record field, kind, allowed range as (low, high, inclusive high))
NUMERIC = {
    "MEAN_MOTION": ("mean_motion_rev_per_day", float, (0.001, 20.0)),  # as the TLE reader's limits
    "ECCENTRICITY": ("eccentricity", float, (0.0, 0.99999995)),  # 7 digits in a TLE
    "INCLINATION": ("inclination_deg", float, (0.0, 180.0)),
    "RA_OF_ASC_NODE": ("raan_deg", float, (0.0, 360.0)),
    "ARG_OF_PERICENTER": ("arg_of_pericenter_deg", float, (0.0, 360.0)),
    "MEAN_ANOMALY": ("mean_anomaly_deg", float, (0.0, 360.0)),
    "BSTAR": ("bstar", float, None),
    "MEAN_MOTION_DOT": ("mean_motion_dot", float, None),
    "MEAN_MOTION_DDOT": ("mean_motion_ddot", float, None),
    "NORAD_CAT_ID": ("norad_id", int, (0, 339_999)),
    "EPHEMERIS_TYPE": ("ephemeris_type", int, (0, 9)),
    "ELEMENT_SET_NO": ("element_set_no", int, (0, 9999)),
    "REV_AT_EPOCH": ("rev_at_epoch", int, (0, 10**7)),
}
DEFAULTS = {
    "MEAN_MOTION_DOT": 0.0,
    "MEAN_MOTION_DDOT": 0.0,
    "EPHEMERIS_TYPE": 0,
    "ELEMENT_SET_NO": 0,
    "REV_AT_EPOCH": 0,
}


_NUMBER_TEXT = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$")
_EPOCH_TEXT = re.compile(
    r"^([0-9]{4})-(?:([0-9]{2})-([0-9]{2})|([0-9]{3}))"
    r"T([0-9]{2}):([0-9]{2}):([0-9]{2}(?:\.[0-9]{1,9})?)$"
)
_OBJECT_ID_TEXT = re.compile(r"^(195[7-9]|19[6-9][0-9]|20[0-4][0-9]|205[0-6])-[0-9]{3}[A-Z]{0,3}$")
# a TLE's two-digit year holds 1957-2056, and the store keeps every element set as a TLE
EPOCH_RANGE = (np.datetime64("1957-01-01", "us"), np.datetime64("2057-01-01", "us"))
# what a TLE's fields can hold (the store keeps every element set as a TLE)
TLE_LIMITS = {"MEAN_MOTION_DOT": MAX_DECIMAL_FIELD, "MEAN_MOTION_DDOT": MAX_EXPONENT_FIELD, "BSTAR": MAX_EXPONENT_FIELD}


def _number(value, kind, key: str, where: dict):
    if isinstance(value, bool):
        raise ElementSetError(f"{key} is a boolean, expected a number", field=key, **where)
    if isinstance(value, str) and not _NUMBER_TEXT.match(value.strip()):
        raise ElementSetError(f"{key} {value[:40]!r} is not a decimal number", field=key, **where)
    if not isinstance(value, str | int | float):
        raise ElementSetError(f"{key} is a {type(value).__name__}, expected a number", field=key, **where)
    try:
        if kind is int:
            number = float(value)
            if not number.is_integer():
                raise ValueError
            return int(number)
        number = float(value)
    except (TypeError, ValueError):
        raise ElementSetError(
            f"{key} {str(value)[:40]!r} is not a {'whole ' if kind is int else ''}number", field=key, **where
        ) from None
    if not math.isfinite(number):
        raise ElementSetError(f"{key} {value!r} is not finite", field=key, **where)
    return number


def _epoch(value, where: dict) -> np.datetime64:
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1]
    match = _EPOCH_TEXT.match(text)
    try:
        if not match:
            raise ValueError
        year, month, day, day_of_year, hour, minute, second = match.groups()
        if day_of_year is not None:
            date = np.datetime64(f"{year}-01-01", "us") + np.timedelta64(int(day_of_year) - 1, "D")
            if int(day_of_year) < 1 or str(date.astype("datetime64[Y]")) != year:
                raise ValueError
        else:
            date = np.datetime64(f"{year}-{month}-{day}", "us")
        if int(hour) > 23 or int(minute) > 59 or float(second) >= 60:
            raise ValueError
        epoch = date + np.timedelta64(round((int(hour) * 3600 + int(minute) * 60 + float(second)) * 1e6), "us")
    except ValueError:
        raise ElementSetError(
            f"EPOCH {str(value)[:40]!r} is not an ISO-8601 time like 2026-05-30T12:00:00.000000", field="EPOCH", **where
        ) from None
    if not EPOCH_RANGE[0] <= epoch < EPOCH_RANGE[1]:
        raise ElementSetError(
            f"EPOCH {str(value)[:40]!r} is outside 1957 to 2056 (what a TLE can hold)", field="EPOCH", **where
        )
    return epoch.astype("datetime64[ns]")


def _text_field(upper: dict, key: str, where: dict, *, pattern: re.Pattern | None = None, form: str = "") -> str:
    text = str(upper.get(key) or "").strip()
    problem = name_problem(text)
    if problem:
        raise ElementSetError(f"{key} {text[:40]!r} {problem}", field=key, **where)
    if pattern is not None and text and not pattern.match(text):
        raise ElementSetError(f"{key} {text[:40]!r} is not {form}", field=key, **where)
    return text


def record_from_omm(
    fields: Mapping[str, object], *, source: str | None = None, record: int | None = None
) -> ElementRecord:
    """Validate one OMM (a mapping of CCSDS keys) into an :class:`ElementRecord`."""
    where: dict[str, Any] = {"source": source, "record": record}
    upper = {str(k).strip().upper(): v for k, v in fields.items()}
    for key in REQUIRED:
        if upper.get(key) in (None, ""):
            raise ElementSetError(f"{key} is missing", field=key, **where)
    values: dict[str, Any] = {}
    for key, (name, kind, bounds) in NUMERIC.items():
        raw = upper.get(key)
        value = DEFAULTS[key] if raw in (None, "") else _number(raw, kind, key, where)
        value = value + 0  # -0.0 is 0.0: a TLE has no negative zero
        if bounds is not None:
            low, high = bounds
            inside = low <= value < high if key == "ECCENTRICITY" else low <= value <= high
            if not inside:
                raise ElementSetError(
                    f"{key} {value} is outside its valid range {low} to {high}",
                    field=key,
                    norad_id=values.get("norad_id"),
                    **where,
                )
        if key in TLE_LIMITS and abs(value) > TLE_LIMITS[key]:
            raise ElementSetError(
                f"{key} {value} is larger in magnitude than a TLE can hold ({TLE_LIMITS[key]:g})",
                field=key,
                norad_id=values.get("norad_id"),
                **where,
            )
        values[name] = value
    classification = (
        _text_field(upper, "CLASSIFICATION_TYPE", where, pattern=re.compile("^[UCS]$"), form="U, C or S") or "U"
    )
    return ElementRecord(
        classification=classification,
        object_id=_text_field(
            upper,
            "OBJECT_ID",
            where,
            pattern=_OBJECT_ID_TEXT,
            form="an international designator like 1998-067A (launch years 1957-2056)",
        ),
        epoch=_epoch(upper["EPOCH"], where),
        name=_text_field(upper, "OBJECT_NAME", where),
        **values,
    )


def record_to_omm(r: ElementRecord, *, numbers: bool = True) -> dict[str, object]:
    """The OMM mapping of a record (CelesTrak's keys and order; numbers as numbers or strings)."""
    epoch = str(np.asarray(r.epoch).astype("datetime64[us]"))
    data: dict[str, object] = {
        "OBJECT_NAME": r.name,
        "OBJECT_ID": r.object_id,
        "EPOCH": epoch,
        "MEAN_MOTION": r.mean_motion_rev_per_day,
        "ECCENTRICITY": r.eccentricity,
        "INCLINATION": r.inclination_deg,
        "RA_OF_ASC_NODE": r.raan_deg,
        "ARG_OF_PERICENTER": r.arg_of_pericenter_deg,
        "MEAN_ANOMALY": r.mean_anomaly_deg,
        "EPHEMERIS_TYPE": r.ephemeris_type,
        "CLASSIFICATION_TYPE": r.classification,
        "NORAD_CAT_ID": r.norad_id,
        "ELEMENT_SET_NO": r.element_set_no,
        "REV_AT_EPOCH": r.rev_at_epoch,
        "BSTAR": r.bstar,
        "MEAN_MOTION_DOT": r.mean_motion_dot,
        "MEAN_MOTION_DDOT": r.mean_motion_ddot,
    }
    if not numbers:
        data = {k: (v if isinstance(v, str) else repr(v)) for k, v in data.items()}
    return data


def format_omm(records: list[ElementRecord], fmt: str, *, created: str | None = None) -> str:
    """Write records as OMM ``json``, ``csv``, ``xml`` or ``kvn`` text.

    XML is one NDM combined instrument (``<ndm>`` holding an ``<omm>`` per object, as CelesTrak writes it); KVN,
    which has no container, is one message per object one after another, each from its ``CCSDS_OMM_VERS`` line
    (a reader of single messages such as Orekit's takes them one at a time). Both carry ``CREATION_DATE``
    (``created``, UTC, default now) and ``ORIGINATOR``.
    """
    rows = [record_to_omm(r) for r in records]
    created = created or _now_utc()
    if fmt == "json":
        return json.dumps(rows, indent=1) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=OMM_KEYS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            {
                k: (repr(v) if isinstance(v, float) else _csv_text(v) if k == "OBJECT_NAME" else v)
                for k, v in row.items()
            }
            for row in rows
        )
        return out.getvalue()
    if fmt == "kvn":
        return "".join(_kvn_message(row, created) for row in rows)
    if fmt == "xml":
        return _xml_document(rows, created)
    raise OverheadError(f"unknown OMM format {fmt!r}; use json, csv, xml or kvn")


CSV_FORMULA_STARTS = ("=", "+", "-", "@")  # a spreadsheet runs a cell starting so (OWASP)


def _csv_text(value: object) -> object:
    """A name a spreadsheet would run as a formula (=HYPERLINK(...) quoted by a leading apostrophe; the OMM CSV
    reader takes it off, so the name reads back as it was."""
    return f"'{value}" if isinstance(value, str) and value[:1] in CSV_FORMULA_STARTS else value


def _text(value: object) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _now_utc() -> str:
    """Now as a CCSDS time (UTC, ISO-8601 without the zone letter), to the millisecond."""
    return str(np.datetime64("now", "ms"))


def _kvn_message(row: dict[str, object], created: str) -> str:
    lines = [
        "CCSDS_OMM_VERS = 2.0",
        f"CREATION_DATE = {created}",
        "ORIGINATOR = overhead",
        f"OBJECT_NAME = {row['OBJECT_NAME']}",
        f"OBJECT_ID = {row['OBJECT_ID']}",
        "CENTER_NAME = EARTH",
        "REF_FRAME = TEME",
        "TIME_SYSTEM = UTC",
        "MEAN_ELEMENT_THEORY = SGP4",
    ]
    lines += [f"{k} = {_text(row[k])}" for k in OMM_KEYS if k not in ("OBJECT_NAME", "OBJECT_ID")]
    return "\n".join(lines) + "\n\n"


_XML_GROUPS = {
    "metadata": ("OBJECT_NAME", "OBJECT_ID"),
    "meanElements": (
        "EPOCH",
        "MEAN_MOTION",
        "ECCENTRICITY",
        "INCLINATION",
        "RA_OF_ASC_NODE",
        "ARG_OF_PERICENTER",
        "MEAN_ANOMALY",
    ),
    "tleParameters": (
        "EPHEMERIS_TYPE",
        "CLASSIFICATION_TYPE",
        "NORAD_CAT_ID",
        "ELEMENT_SET_NO",
        "REV_AT_EPOCH",
        "BSTAR",
        "MEAN_MOTION_DOT",
        "MEAN_MOTION_DDOT",
    ),
}


NDM_SCHEMA = "https://sanaregistry.org/r/ndmxml_unqualified/ndmxml-2.0.0-master-2.0.xsd"


def _xml_document(rows: list[dict[str, object]], created: str) -> str:
    ndm = ET.Element(
        "ndm", {"xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "xsi:noNamespaceSchemaLocation": NDM_SCHEMA}
    )
    for row in rows:
        omm = ET.SubElement(ndm, "omm", id="CCSDS_OMM_VERS", version="2.0")
        header = ET.SubElement(omm, "header")
        ET.SubElement(header, "CREATION_DATE").text = created
        ET.SubElement(header, "ORIGINATOR").text = "overhead"
        segment = ET.SubElement(ET.SubElement(omm, "body"), "segment")
        metadata = ET.SubElement(segment, "metadata")
        data = ET.SubElement(segment, "data")
        for group, keys in _XML_GROUPS.items():
            parent = metadata if group == "metadata" else ET.SubElement(data, group)
            for key in keys:
                ET.SubElement(parent, key).text = _text(row[key])
            if group == "metadata":
                for key, value in (
                    ("CENTER_NAME", "EARTH"),
                    ("REF_FRAME", "TEME"),
                    ("TIME_SYSTEM", "UTC"),
                    ("MEAN_ELEMENT_THEORY", "SGP4"),
                ):
                    ET.SubElement(metadata, key).text = value
    ET.indent(ndm)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(ndm, encoding="unicode") + "\n"


def iter_omm(text: str, fmt: str, *, source: str | None = None) -> Iterator[tuple[int, Mapping | Exception]]:
    """Yield (record number, OMM mapping or the error reading it) from OMM text of a given format."""
    if fmt == "json":
        yield from _iter_json(text, source)
    elif fmt == "csv":
        for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=1):
            name = row.get("OBJECT_NAME")
            if isinstance(name, str) and name[:1] == "'" and name[1:2] in CSV_FORMULA_STARTS:
                row["OBJECT_NAME"] = name[1:]  # the writer's formula guard, taken off again
            yield number, row
    elif fmt == "xml":
        yield from _iter_xml(text, source)
    elif fmt == "kvn":
        yield from _iter_kvn(text)
    else:
        raise OverheadError(f"unknown OMM format {fmt!r}")


def _iter_json(text: str, source: str | None):
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ElementSetError(f"not valid JSON: {exc.msg}", source=source, line=exc.lineno) from None
    except RecursionError:
        raise ElementSetError("JSON nested too deeply for an OMM (a list of flat objects)", source=source) from None
    except ValueError as exc:
        raise ElementSetError(f"not valid JSON: {exc}", source=source) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ElementSetError("OMM JSON must be an object or a list of objects", source=source)
    for number, item in enumerate(data, start=1):
        if isinstance(item, dict):
            yield number, item
        else:
            yield (
                number,
                ElementSetError(f"record is a {type(item).__name__}, expected an object", source=source, record=number),
            )


def _refuse_constant(name: str):
    raise OverheadError(f"{name} is not a JSON number")


def _iter_xml(text: str, source: str | None):
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ElementSetError(f"not well-formed XML: {exc}", source=source) from None
    omms = [root] if _local(root.tag) == "omm" else [e for e in root.iter() if _local(e.tag) == "omm"]
    for number, omm in enumerate(omms, start=1):
        fields = {_local(e.tag).upper(): (e.text or "").strip() for e in omm.iter() if len(e) == 0}
        yield number, fields


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _iter_kvn(text: str):
    current: dict[str, str] = {}
    number = 0
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("COMMENT"):
            continue
        key, sep, value = stripped.partition("=")
        if not sep:
            continue
        key = key.strip().upper()
        if key == "CCSDS_OMM_VERS" and current:
            number += 1
            yield number, current
            current = {}
        current[key] = value.strip().split(" [")[0]
    if current:
        yield number + 1, current
