"""Space-Track's public conjunction summaries (``basicspacedata/query/class/cdm_public``, JSON).

What 18 SDS publishes to every registered user is a summary, not a CDM: the pair, TCA, the minimum range and the
probability it computed, with no states or covariances, so nothing can be recomputed from it. This reads it as
given: ``CDM_ID``, ``CREATED``, ``EMERGENCY_REPORTABLE`` (Y/N), ``TCA`` (UTC, ``YYYY-MM-DDThh:mm:ss.ffffff``),
``MIN_RNG`` (metres), ``PC``, and per object ``SAT_n_ID``, ``SAT_n_NAME``, ``SATn_OBJECT_TYPE``, ``SATn_RCS``
(SMALL/MEDIUM/LARGE) and ``SAT_n_EXCL_VOL`` (as written). A record that cannot be read is one reject with its
reason and position; the others are kept.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from overhead.analysis.conjunctions.cdm import parse_cdm_time
from overhead.errors import MessageError

__all__ = ["PublicConjunction", "looks_like_cdm_public", "read_cdm_public"]

MAX_RECORDS = 100_000  # one query's answer is capped far below this by Space-Track


@dataclass(frozen=True)
class PublicObject:
    norad_id: int
    name: str
    object_type: str
    rcs_size: str
    exclusion_volume: str


@dataclass(frozen=True)
class PublicConjunction:
    """One ``cdm_public`` record: the pair, TCA (UTC), minimum range (m) and the probability as published."""

    cdm_id: str
    created: np.datetime64 | None
    tca: np.datetime64
    min_range_m: float
    pc: float | None  # as 18 SDS gives it; None where it gives none
    emergency_reportable: bool
    object1: PublicObject
    object2: PublicObject


def looks_like_cdm_public(text: str) -> bool:
    """Whether a file's text is a JSON list of ``cdm_public`` records (rather than a CDM)."""
    head = text.lstrip()[:2000]
    return head.startswith("[") and '"CDM_ID"' in head


def read_cdm_public(text: str, *, source: str | None = None) -> tuple[list[PublicConjunction], list[str]]:
    """The records of a ``cdm_public`` JSON answer, and one reason per record that could not be read."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MessageError(f"not JSON ({exc.msg} at line {exc.lineno})", source=source) from exc
    if not isinstance(data, list):
        raise MessageError("a cdm_public answer is a JSON list of records", source=source)
    if len(data) > MAX_RECORDS:
        raise MessageError(f"{len(data):,} records, over the {MAX_RECORDS:,} this reader takes", source=source)
    records: list[PublicConjunction] = []
    rejects: list[str] = []
    for index, item in enumerate(data):
        try:
            records.append(_record(item, source, index))
        except MessageError as exc:
            rejects.append(str(exc))
    return records, rejects


def _record(item: object, source: str | None, index: int) -> PublicConjunction:
    where = f"{source or 'cdm_public'} record {index}"
    if not isinstance(item, dict):
        raise MessageError("not a JSON object", source=where)

    def text(key: str, required: bool = False) -> str:
        value = item.get(key)
        if value is None or str(value).strip() == "":
            if required:
                raise MessageError("missing", source=where, keyword=key)
            return ""
        return str(value).strip()[:200]

    def number(key: str, required: bool = False) -> float | None:
        raw = text(key, required)
        if raw == "":
            return None
        try:
            value = float(raw)
        except ValueError:
            raise MessageError(f"{raw[:40]!r} is not a number", source=where, keyword=key) from None
        if not math.isfinite(value) or value < 0:
            raise MessageError(f"{raw[:40]!r} is not a non-negative number", source=where, keyword=key)
        return value

    pc = number("PC")
    if pc is not None and pc > 1:
        raise MessageError(f"probability {pc} is over 1", source=where, keyword="PC")
    created = text("CREATED").replace(" ", "T", 1)  # Space-Track writes CREATED with a space
    return PublicConjunction(
        cdm_id=text("CDM_ID", required=True),
        created=parse_cdm_time(created, source=where, keyword="CREATED") if created else None,
        tca=parse_cdm_time(text("TCA", required=True).replace(" ", "T", 1), source=where, keyword="TCA"),
        min_range_m=float(number("MIN_RNG", required=True) or 0.0),
        pc=pc,
        emergency_reportable=text("EMERGENCY_REPORTABLE").upper() == "Y",
        object1=_object(item, 1, where),
        object2=_object(item, 2, where),
    )


def _object(item: dict, k: int, where: str) -> PublicObject:
    raw = str(item.get(f"SAT_{k}_ID", "") or "").strip()
    if not raw.isdigit() or not 0 < int(raw) < 1_000_000_000:
        raise MessageError(f"{raw[:20]!r} is not a catalogue number", source=where, keyword=f"SAT_{k}_ID")

    def text(key: str) -> str:
        return str(item.get(key, "") or "").strip()[:200]

    return PublicObject(
        norad_id=int(raw),
        name=text(f"SAT_{k}_NAME"),
        object_type=text(f"SAT{k}_OBJECT_TYPE"),
        rcs_size=text(f"SAT{k}_RCS"),
        exclusion_volume=text(f"SAT_{k}_EXCL_VOL"),
    )
