"""Reading element-set files of any usual format into records, keeping the bad ones as rejects."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

from overhead.errors import ElementSetError, OverheadError
from overhead.orbits.omm import iter_omm, record_from_omm
from overhead.orbits.records import ElementRecord, name_problem
from overhead.orbits.tle import parse_tle_pair

__all__ = ["detect_format", "last_record_rejected", "read_records"]

FORMATS = ("tle", "omm-json", "omm-csv", "omm-xml", "omm-kvn")


def detect_format(text: str) -> str:
    """Guess the format of element-set text: one of :data:`FORMATS`."""
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if head.startswith("<"):
        return "omm-xml"
    if head.startswith(("[", "{")):
        return "omm-json"
    if "CCSDS_OMM_VERS" in head and "=" in head:
        return "omm-kvn"
    first = head.splitlines()[0] if head else ""
    if "," in first and ("NORAD_CAT_ID" in first.upper() or "OBJECT_NAME" in first.upper()):
        return "omm-csv"
    return "tle"


_TLE_LINE_START = {"1": re.compile(r"^1 [ 0-9A-Z]{5}[A-Z ] "), "2": re.compile(r"^2 [ 0-9A-Z]{5} ")}


def _is_tle_line(line: str, number: str) -> bool:
    """Whether a line starts like TLE line 1 or 2 (its length and fields are checked when parsed)."""
    return bool(_TLE_LINE_START[number].match(line))


def _iter_tle_text(text: str, source: str | None) -> Iterator[ElementRecord | ElementSetError]:
    """Pair up TLE lines (2-line or 3-line, mixed), yielding records or the error of each bad one."""
    lines = text.splitlines()
    name, name_line = "", None
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r\n")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        if _is_tle_line(line, "1"):
            if i + 1 < len(lines) and _is_tle_line(lines[i + 1], "2"):
                try:
                    record = parse_tle_pair(
                        line, lines[i + 1].rstrip("\r\n"), source=source, line_numbers=(i + 1, i + 2)
                    )
                    problem = name_problem(name)
                    if problem:  # the OMM readers' rule: one reject, its object named (never gone for it)
                        yield ElementSetError(
                            f"name {name[:40]!r} {problem}",
                            source=source,
                            line=name_line,
                            field="name",
                            norad_id=record.norad_id,
                        )
                    else:
                        yield dataclasses.replace(record, name=name)
                except ElementSetError as exc:
                    yield exc
                i += 2
            else:
                yield ElementSetError(
                    "line 1 of a TLE is not followed by its line 2", source=source, line=i + 1, field="line_number"
                )
                i += 1
            name, name_line = "", None
            continue
        if _is_tle_line(line, "2"):
            yield ElementSetError("line 2 of a TLE without its line 1", source=source, line=i + 1, field="line_number")
        else:
            if name_line is not None:
                yield ElementSetError(
                    f"{name!r} is neither a TLE line nor followed by one", source=source, line=name_line, field="name"
                )
            name = stripped[2:].strip() if stripped.startswith("0 ") else stripped
            name_line = i + 1
        i += 1
    if name_line is not None:
        yield ElementSetError(
            f"{name!r} is a name with no element set after it", source=source, line=name_line, field="name"
        )


def read_records(
    text: str, *, source: str | None = None, fmt: str | None = None
) -> tuple[list[ElementRecord], list[ElementSetError], str]:
    """Parse element-set text: (records, rejects, format). A broken file raises; a bad record is a reject."""
    fmt = fmt or detect_format(text)
    if fmt not in FORMATS:
        raise OverheadError(f"unknown element-set format {fmt!r}; use one of {', '.join(FORMATS)}")
    records: list[ElementRecord] = []
    rejects: list[ElementSetError] = []
    if fmt == "tle":
        for item in _iter_tle_text(text, source):
            if isinstance(item, ElementSetError):
                rejects.append(item)
            else:
                records.append(item)
        return records, rejects, fmt
    for number, fields in iter_omm(text, fmt.removeprefix("omm-"), source=source):
        if isinstance(fields, ElementSetError):
            rejects.append(fields)
            continue
        if isinstance(fields, Exception):
            rejects.append(ElementSetError(str(fields), source=source, record=number))
            continue
        try:
            records.append(record_from_omm(fields, source=source, record=number))
        except ElementSetError as exc:
            rejects.append(exc)
    return records, rejects, fmt


TRUNCATION_FIELDS = ("line_length", "line_number", "name")  # what a TLE file cut short leaves at its end


def last_record_rejected(text: str, fmt: str, n_records: int, rejects: list[ElementSetError]) -> bool:
    """Whether a file looks cut short: its last record was rejected as incomplete (a short line, a line 1 with
    no line 2, a name with no element set; in OMM a missing field), the mark of a truncated download."""
    if fmt == "tle":
        numbered = [k for k, line in enumerate(text.splitlines(), start=1) if line.strip()]
        last_line = numbered[-1] if numbered else 0
        return any(r.line is not None and r.line >= last_line - 1 and r.field in TRUNCATION_FIELDS for r in rejects)
    last = n_records + len(rejects)
    return any((r.record is None or r.record >= last) and "missing" in r.reason for r in rejects)


def read_text(path_or_text: str | Path) -> tuple[str, str | None]:
    """(text, source name) from a path, or from literal element-set text."""
    if isinstance(path_or_text, Path):
        return path_or_text.read_text(encoding="utf-8", errors="replace"), str(path_or_text)
    text = str(path_or_text)
    if "\n" not in text and len(text) < 4096:
        path = Path(text)
        if path.exists():
            return path.read_text(encoding="utf-8", errors="replace"), str(path)
        raise FileNotFoundError(f"no element-set file at {text!r}; pass a path to TLE/OMM data or the text itself")
    return text, None
