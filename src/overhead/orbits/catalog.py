"""A catalog of SGP4 element sets: loading, selecting, writing, propagating."""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from sgp4 import omm as sgp4_omm
from sgp4.api import WGS72, Satrec

from overhead.constants import (
    EARTH_MU_KM3_S2,
    EARTH_RADIUS_KM,
    LEO_MIN_MEAN_MOTION_REV_DAY,
    SECONDS_PER_DAY,
    STALE_ELEMENTS_DAYS,
)
from overhead.errors import ElementSetError, OverheadError
from overhead.orbits.elements import read_records, read_text
from overhead.orbits.omm import format_omm, record_to_omm
from overhead.orbits.records import ELEMENT_COLUMNS, ElementRecord
from overhead.orbits.sgp4_propagation import propagate_minutes_since_epoch, propagate_shared_times, propagate_where
from overhead.orbits.states import dataset_from_buffers
from overhead.orbits.timescales import format_iso, to_datetime64
from overhead.orbits.tle import format_tle

__all__ = ["Catalog", "ElementAgeWarning", "check_element_age", "element_age_said", "load_elements", "warn_if_stale"]

# SGP4 along-track errors grow by roughly 1-3 km per day from the epoch in LEO (Vallado & Cefola 2012,
# "Two-line element sets – practice and use", IAC-12.C1.6.12); beyond this age we warn.


def _read_only(array: np.ndarray) -> np.ndarray:
    """An array a catalogue keeps (its records do not change): callers may not write into it."""
    array.flags.writeable = False
    return array


class ElementAgeWarning(UserWarning):
    """Propagation far from the element sets' epochs: positions may be off by many kilometres."""


def _satrec(record: ElementRecord, tle_lines: tuple[str, str] | None) -> Satrec:
    if tle_lines is not None:
        return Satrec.twoline2rv(tle_lines[0][:69], tle_lines[1][:69], WGS72)
    sat = Satrec()
    sgp4_omm.initialize(sat, {k: str(v) for k, v in record_to_omm(record).items()})
    return sat


@dataclass
class Catalog:
    """Element sets of many satellites, SGP4-ready.

    ``elements`` is a table with one row per element set (columns of :class:`ElementRecord`);
    ``rejects`` lists the records that could not be read, each saying where and why.
    """

    records: list[ElementRecord]
    satrecs: list[Satrec]
    rejects: list[ElementSetError] = field(default_factory=list)
    source: str | None = None
    from_tle: bool = False

    def __getstate__(self) -> dict:
        # Satrec objects do not pickle: ship the records and rebuild SGP4's state on arrival (Dask workers)
        return {"records": self.records, "rejects": self.rejects, "source": self.source, "from_tle": self.from_tle}

    def __setstate__(self, state: dict) -> None:
        rebuilt = Catalog.from_records(state["records"], source=state["source"], from_tle=state["from_tle"])
        self.__dict__.update(rebuilt.__dict__, rejects=state["rejects"])

    @classmethod
    def from_records(
        cls,
        records: Sequence[ElementRecord],
        *,
        rejects: Sequence[ElementSetError] = (),
        source: str | None = None,
        from_tle: bool = False,
    ) -> Catalog:
        """A catalog of records; ``from_tle`` initialises SGP4 from TLE lines as Vallado's code reads them
        (bit-identical to python-sgp4's ``twoline2rv``), otherwise from the OMM values (``sgp4init``)."""
        satrecs, kept, bad = [], [], list(rejects)
        for record in records:
            try:
                lines = format_tle(record) if from_tle else None
                satrecs.append(_satrec(record, lines))
                kept.append(record)
            except (ValueError, KeyError) as exc:
                bad.append(
                    ElementSetError(
                        f"SGP4 cannot initialise these elements: {exc}", source=source, norad_id=record.norad_id
                    )
                )
        return cls(kept, satrecs, bad, source, from_tle)

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        span = ""
        if self.records:
            epochs = self.epochs
            span = f", epochs {format_iso(epochs.min(), digits=0)} … {format_iso(epochs.max(), digits=0)}"
        return f"<Catalog {len(self)} element sets{span}, {len(self.rejects)} rejected>"

    @property
    def elements(self) -> pd.DataFrame:
        """One row per element set, columns as in :class:`ElementRecord`."""
        return pd.DataFrame(
            [[getattr(r, c) for c in ELEMENT_COLUMNS] for r in self.records], columns=list(ELEMENT_COLUMNS)
        )

    @cached_property
    def norad_ids(self) -> np.ndarray:
        return _read_only(np.array([r.norad_id for r in self.records], dtype=np.int64))

    @cached_property
    def names(self) -> np.ndarray:
        return _read_only(np.array([r.name for r in self.records], dtype=object))

    @property
    def object_ids(self) -> np.ndarray:
        """International designators (COSPAR, ``1998-067A``; '' where the element set has none)."""
        return np.array([r.object_id or "" for r in self.records], dtype=object)

    @cached_property
    def epochs(self) -> np.ndarray:
        return _read_only(np.array([r.epoch for r in self.records], dtype="datetime64[ns]"))

    def __getitem__(self, index: int | slice | Sequence[int]) -> Catalog:
        """The sub-catalog at positions ``index`` (an int, a slice or a list of positions)."""
        if isinstance(index, int | np.integer):
            index = [int(index)]
        positions = range(len(self))[index] if isinstance(index, slice) else [int(i) for i in index]
        return Catalog(
            [self.records[i] for i in positions], [self.satrecs[i] for i in positions], [], self.source, self.from_tle
        )

    def select(self, norad_ids: Iterable[int] | None = None, *, names: Iterable[str] | None = None) -> Catalog:
        """The sub-catalog of the given NORAD ids (in that order) or of names containing the given text."""
        if norad_ids is not None:
            wanted = [int(n) for n in norad_ids]
            missing = self.missing_ids(wanted)
            if missing:
                raise OverheadError(f"NORAD ids not in this catalog: {', '.join(map(str, missing[:10]))}")
            index = [i for n in wanted for i in self._positions_by_id[n]]
        else:
            needles = [n.upper() for n in (names or [])]
            index = [i for i, r in enumerate(self.records) if any(n in r.name.upper() for n in needles)]
        return self[index]

    @cached_property
    def _positions_by_id(self) -> dict[int, list[int]]:
        by_id: dict[int, list[int]] = {}
        for i, r in enumerate(self.records):
            by_id.setdefault(r.norad_id, []).append(i)
        return by_id

    def missing_ids(self, norad_ids: Iterable[int]) -> list[int]:
        """The NORAD ids of ``norad_ids`` that this catalog has no element set of, sorted."""
        by_id = self._positions_by_id
        return sorted({int(n) for n in norad_ids if int(n) not in by_id})

    def age_days(self, times, rows: np.ndarray | None = None) -> np.ndarray:
        """For each element set (or those at positions ``rows``), the largest |time − epoch| in days over
        ``times``."""
        t = np.atleast_1d(to_datetime64(times)).astype(np.int64)
        epochs = (self.epochs if rows is None else self.epochs[rows]).astype(np.int64)
        return np.maximum(np.abs(t.max() - epochs), np.abs(t.min() - epochs)) / 86_400e9

    def state_arrays(self, times, frame: str = "itrf") -> tuple[np.ndarray, np.ndarray]:
        """Positions (km) and velocities (km/s), (satellite, time, 3), NaN where SGP4 failed: what
        :meth:`propagate` computes, without building its labelled Dataset (the analyses' inner loops)."""
        t = np.atleast_1d(to_datetime64(times))
        buffers = propagate_shared_times(self.satrecs, t, frame, workers=1)
        return buffers.position, buffers.velocity

    def reads_ephemeris(self, times) -> bool:
        """Whether ITRF states at ``times`` come from a sampled ephemeris (a few nanoseconds each): not here, SGP4
        answers (see :class:`~overhead.orbits.sampled.SampledCatalog`)."""
        return False

    def state_arrays_where(self, times, needed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ITRF states (satellite, time, 3) where ``needed`` (satellite, time) is True, NaN elsewhere (and where
        SGP4 failed): SGP4 run for those states only (a search that knows where to look)."""
        t = np.atleast_1d(to_datetime64(times))
        buffers = propagate_where(self.satrecs, t, np.asarray(needed, dtype=bool))
        return buffers.position, buffers.velocity

    def positions_itrf_km(self, when) -> np.ndarray:
        """Earth-fixed positions (km), (satellite, 3), at one UTC time; NaN where SGP4 failed."""
        return self.state_arrays(np.atleast_1d(to_datetime64(when))[:1], "itrf")[0][:, 0]

    def median_epoch(self) -> np.datetime64:
        """The element sets' median epoch, to the minute: the time a report of old elements is made for."""
        median_ns = int(np.median(self.epochs.astype(np.int64)))
        return np.datetime64(median_ns // 60_000_000_000 * 60, "s").astype("datetime64[ns]")

    def orbits(self) -> pd.DataFrame:
        """Per element set: norad_id, epoch, period_min, inclination_deg, perigee_km, apogee_km and regime."""
        e = self.elements
        n = e.mean_motion_rev_per_day.to_numpy(float)
        a_km = np.cbrt(EARTH_MU_KM3_S2 / (n * 2 * np.pi / SECONDS_PER_DAY) ** 2)
        ecc = e.eccentricity.to_numpy(float)
        return pd.DataFrame(
            {
                "norad_id": e.norad_id.to_numpy(int),
                "epoch": e.epoch.values,
                "period_min": 1440.0 / n,
                "inclination_deg": e.inclination_deg.to_numpy(float),
                "perigee_km": a_km * (1 - ecc) - EARTH_RADIUS_KM,
                "apogee_km": a_km * (1 + ecc) - EARTH_RADIUS_KM,
                "regime": [orbit_regime(x, y) for x, y in zip(n, ecc, strict=True)],
            }
        )

    def within_age(self, times, max_age_days: float) -> Catalog:
        """The element sets no further than ``max_age_days`` from any of ``times`` (the others left out)."""
        within = self.age_days(times) <= max_age_days
        return self if within.all() else self[np.flatnonzero(within).tolist()]

    # ----------------------------------------------------------------------------- writing
    def to_tle(self, *, names: bool = True) -> str:
        """The catalog as TLE text (3-line when ``names``)."""
        out = []
        for r in self.records:
            if names:
                out.append(r.name.ljust(24))  # CelesTrak pads names to 24 characters
            out.extend(format_tle(r))
        return "\n".join(out) + "\n"

    def to_omm(self, fmt: str = "json") -> str:
        """The catalog as OMM text: ``json``, ``csv``, ``xml`` or ``kvn``."""
        return format_omm(self.records, fmt)

    # ----------------------------------------------------------------------------- propagation
    def propagate(
        self,
        times=None,
        *,
        minutes_since_epoch=None,
        frame: str = "teme",
        workers: int | None = None,
        progress: bool = False,
        earth_model: str = "iers2010",
    ) -> xr.Dataset:
        """Positions and velocities (or geodetic coordinates) of every satellite at every time.

        Parameters
        ----------
        times : UTC times (``datetime64``, ISO strings), 1-D, shared by all satellites.
        minutes_since_epoch : instead of ``times``, minutes after each satellite's own epoch.
        frame : ``"teme"`` (SGP4's frame), ``"itrf"`` (Earth-fixed, with UT1 and polar motion) or
            ``"geodetic"`` (WGS84 ``lat_deg``, ``lon_deg``, ``alt_km``).
        workers : processes to use (default: all cores for large jobs).

        Returns
        -------
        ``xarray.Dataset`` with dims (satellite, time): ``x_km, y_km, z_km, vx_km_s, vy_km_s, vz_km_s`` or
        ``lat_deg, lon_deg, alt_km``, and ``error`` (SGP4's code, 0 = fine; failed states are NaN).
        Coordinates ``norad_id``, ``name``, ``object_id`` (international designator), ``epoch`` and
        ``element_age_days`` (satellite), ``time`` (UTC).

        Examples
        --------
        >>> import overhead
        >>> cat = overhead.sample_catalog().select([25544])
        >>> ds = cat.propagate(["2026-05-30T12:00:00Z"], frame="geodetic")
        >>> float(ds.alt_km[0, 0]) > 300
        True
        """
        if (times is None) == (minutes_since_epoch is None):
            raise OverheadError("give either times (UTC) or minutes_since_epoch, not both or neither")
        attrs = {"source": self.source or ""}
        time_coord: dict[str, Any]
        if times is not None:
            t = np.atleast_1d(to_datetime64(times))
            if t.ndim != 1:
                raise OverheadError("times must be one-dimensional")
            buffers = propagate_shared_times(
                self.satrecs, t, frame, workers=workers, progress=progress, earth_model=earth_model
            )
            age = self.age_days(t) if len(self) else np.zeros(0)
            time_coord = {"time": ("time", t)}
        else:
            minutes = np.atleast_1d(np.asarray(minutes_since_epoch, dtype=float))
            buffers, t2 = propagate_minutes_since_epoch(self.satrecs, minutes, frame, earth_model=earth_model)
            age = np.abs(minutes).max() / 1440.0 * np.ones(len(self)) if minutes.size else np.zeros(len(self))
            time_coord = {"minutes_since_epoch": ("time", minutes), "utc": (("satellite", "time"), t2)}
        warn_if_stale(age)
        ds = dataset_from_buffers(buffers, norad_id=self.norad_ids, name=self.names, time_coord=time_coord, attrs=attrs)
        ds = ds.assign_coords(
            element_age_days=("satellite", age),
            epoch=("satellite", self.epochs),
            object_id=("satellite", self.object_ids),
        )
        return ds


def orbit_regime(mean_motion_rev_per_day: float, eccentricity: float) -> str:
    """LEO (period under ~128 min), GEO (near-circular, one revolution a sidereal day), HEO (e > 0.25), else MEO."""
    if not math.isfinite(mean_motion_rev_per_day):
        return "unknown"
    if eccentricity > 0.25:
        return "HEO"
    if mean_motion_rev_per_day > LEO_MIN_MEAN_MOTION_REV_DAY:
        return "LEO"
    if 0.98 < mean_motion_rev_per_day < 1.02 and eccentricity < 0.01:
        return "GEO"
    return "MEO"


def _outside_caller_level() -> int:
    """For a ``warnings.warn`` in the function calling this one: the ``stacklevel`` of the first frame outside
    the overhead package, so that the warning points at the user's line however deep in the library it arose."""
    package = str(Path(__file__).resolve().parents[1])
    frame: FrameType | None = sys._getframe(2)
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


_AGE_SAID: ContextVar[bool] = ContextVar("overhead_element_age_said", default=False)


@contextmanager
def element_age_said() -> Iterator[None]:
    """Within: no :class:`ElementAgeWarning` (the caller says it, once). Unlike ``warnings.catch_warnings`` it
    changes nothing global, so it is safe in the threads of a server or a Dask worker: a thread's
    ``catch_warnings`` restores, on leaving, the warning hooks another thread installed meanwhile."""
    token = _AGE_SAID.set(True)
    try:
        yield
    finally:
        _AGE_SAID.reset(token)


def check_element_age(satellites, start, stop, max_age_days: float | None) -> None:
    """Refuse, before any work, to propagate element sets further than ``max_age_days`` from their epochs over
    [start, stop] (None: no limit). Designed orbits (no ``age_days``) have no limit."""
    if max_age_days is None or not hasattr(satellites, "age_days") or len(satellites) == 0:
        return
    age = satellites.age_days(np.array([to_datetime64(start), to_datetime64(stop)], dtype="datetime64[ns]"))
    if age.max() > max_age_days:
        raise OverheadError(
            f"{int((age > max_age_days).sum())} satellites would be propagated up to {age.max():.0f} "
            f"days from their element epochs, beyond the {max_age_days:g} days SGP4 supports usefully; "
            f"use newer elements or times nearer their epochs (library: max_element_age_days=None accepts the "
            f"error)"
        )


def warn_if_stale(age_days: np.ndarray) -> None:
    """Warn (once, at the user's line that led here) when element sets are used far from their epochs."""
    stale = age_days > STALE_ELEMENTS_DAYS
    if stale.any() and not _AGE_SAID.get():
        warnings.warn(
            f"{int(stale.sum())} of {age_days.size} element sets are used up to {age_days.max():.1f} days "
            f"from their epochs; SGP4 errors grow by kilometres per day of age in low Earth orbit. Use "
            f"newer elements, or times nearer the epochs (see the element_age_days coordinate).",
            ElementAgeWarning,
            stacklevel=_outside_caller_level(),
        )


def load_elements(path_or_text: str | Path, *, fmt: str | None = None) -> Catalog:
    """Read TLE (2- or 3-line) or OMM (CSV, JSON, XML, KVN) from a path or from text.

    The format is detected unless ``fmt`` names it. Bad records are skipped and listed in
    ``Catalog.rejects``; a file with no readable record at all raises :class:`ElementSetError`.

    >>> import overhead
    >>> cat = overhead.load_elements(overhead.sample_path("stations"))
    >>> len(cat) > 10, cat.rejects
    (True, [])
    """
    text, source = read_text(path_or_text)
    records, rejects, fmt = read_records(text, source=source, fmt=fmt)
    if not records and rejects:
        first = rejects[0]
        raise ElementSetError(
            f"no readable element set among {len(rejects)} record(s); the first problem: {first.reason}",
            source=first.source,
            line=first.line,
            record=first.record,
            field=first.field,
            norad_id=first.norad_id,
        )
    if not records:
        raise ElementSetError("no element set found: expected TLE lines or OMM (CSV, JSON, XML, KVN)", source=source)
    return Catalog.from_records(records, rejects=rejects, source=source, from_tle=fmt == "tle")
