"""An operator's ephemeris as satellites: a CCSDS OEM (KVN) read into states that the analyses interpolate.

``load_ephemeris(path)`` gives :class:`EphemerisOrbits`, which propagates like a :class:`~overhead.Catalog` (the
same Dataset, the same ``state_arrays``): passes, access, coverage and exports can use an operator's own orbit
instead of a TLE. States are interpolated as the OEM says (``INTERPOLATION = LAGRANGE`` or ``HERMITE`` of
``INTERPOLATION_DEGREE``; Lagrange of degree 7 when it says nothing) and are NaN, with error code
:data:`OUTSIDE_EPHEMERIS`, outside the ephemeris' span. Frames read: TEME; ITRF (any realisation: ITRF2000,
ITRF2014, ITRF2020, ITRF-93, ...); EME2000 (frame bias applied), GCRF and ICRF as the GCRS. Time system UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import erfa
import numpy as np
import xarray as xr

from overhead.errors import ElementSetError, OverheadError
from overhead.orbits.frames import gcrs_to_itrf, itrf_to_teme
from overhead.orbits.states import OUTSIDE_EPHEMERIS, StateBuffers, dataset_from_buffers, rotation_for
from overhead.orbits.timescales import to_datetime64

__all__ = ["OUTSIDE_EPHEMERIS", "EphemerisOrbits", "is_oem", "load_ephemeris", "read_oem"]

MU_KM3_S2 = 398_600.4418
DEFAULT_DEGREE = 7
_ITRF = re.compile(r"^ITRF(-?\d{2,4})?$")
_NORAD_COMMENT = re.compile(r"^COMMENT\s+NORAD_CAT_ID\s*=?\s*(\d{1,9})\s*$")  # as overhead's OEM writer says it


@dataclass
class EphemerisOrbits:
    """Satellites given by tabulated TEME states (one table per object), interpolated when asked."""

    norad_ids: np.ndarray
    names: np.ndarray
    object_ids: np.ndarray
    times: list[np.ndarray]  # per satellite, datetime64[ns], increasing
    r_teme_km: list[np.ndarray]  # per satellite, (n, 3)
    v_teme_km_s: list[np.ndarray]
    methods: list[tuple[str, int]]  # per satellite: (LAGRANGE | HERMITE, degree)
    source: str = ""
    rejects: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.times)

    def __getitem__(self, index) -> EphemerisOrbits:
        positions = np.atleast_1d(np.arange(len(self))[index])
        return EphemerisOrbits(
            self.norad_ids[positions],
            self.names[positions],
            self.object_ids[positions],
            [self.times[k] for k in positions],
            [self.r_teme_km[k] for k in positions],
            [self.v_teme_km_s[k] for k in positions],
            [self.methods[k] for k in positions],
            self.source,
        )

    def select(self, norad_ids) -> EphemerisOrbits:
        wanted = [int(n) for n in norad_ids]
        missing = [n for n in wanted if n not in set(self.norad_ids.tolist())]
        if missing:
            raise OverheadError(f"NORAD ids not in this ephemeris: {', '.join(map(str, missing[:10]))}")
        where = {int(n): k for k, n in enumerate(self.norad_ids)}
        return self[[where[n] for n in wanted]]

    @property
    def epochs(self) -> np.ndarray:
        """Each ephemeris' first time (its 'epoch' for tables that count minutes from one)."""
        return np.array([t[0] for t in self.times], dtype="datetime64[ns]")

    @property
    def spans(self) -> tuple[np.ndarray, np.ndarray]:
        return self.epochs, np.array([t[-1] for t in self.times], dtype="datetime64[ns]")

    def median_epoch(self) -> np.datetime64:
        """The median of the ephemerides' first times: where commands that start at the elements' epoch start
        (an ephemeris holds states from its first time on)."""
        return np.datetime64(int(np.median(self.epochs.astype(np.int64))), "ns")

    @property
    def semi_major_axis_km(self) -> np.ndarray:
        """From each table's first state (vis-viva): the access search's sampling step follows the period."""
        r = np.array([np.linalg.norm(x[0]) for x in self.r_teme_km])
        v = np.array([np.linalg.norm(x[0]) for x in self.v_teme_km_s])
        return 1.0 / (2.0 / r - v * v / MU_KM3_S2)

    def age_days(self, times) -> np.ndarray:
        """Days outside each ephemeris' span (0 inside it): the analyses' staleness rules read this as an age."""
        t = np.atleast_1d(to_datetime64(times))
        first, last = self.spans
        before = (first[:, None] - t[None, :]) / np.timedelta64(1, "D")
        after = (t[None, :] - last[:, None]) / np.timedelta64(1, "D")
        return np.maximum(np.maximum(before, after), 0.0).max(axis=1)

    def teme_states(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions (km), velocities (km/s), shape (satellite, time, 3), and error codes (satellite, time)."""
        t = np.atleast_1d(to_datetime64(times))
        r = np.full((len(self), t.size, 3), np.nan)
        v = np.full((len(self), t.size, 3), np.nan)
        error = np.full((len(self), t.size), OUTSIDE_EPHEMERIS, np.int8)
        for k in range(len(self)):
            inside = (t >= self.times[k][0]) & (t <= self.times[k][-1])
            if inside.any():
                r[k, inside], v[k, inside] = _interpolate(
                    self.times[k], self.r_teme_km[k], self.v_teme_km_s[k], t[inside], *self.methods[k]
                )
                error[k, inside] = 0
        return r, v, error

    def _buffers(self, t: np.ndarray, frame: str, earth_model: str) -> StateBuffers:
        buffers = StateBuffers.allocate(frame, len(self), t.size, shared=False)
        r, v, error = self.teme_states(t)
        buffers.store(slice(0, len(self)), r, v, error, rotation_for(frame, t, model=earth_model))
        return buffers

    def state_arrays(self, times, frame: str = "itrf") -> tuple[np.ndarray, np.ndarray]:
        buffers = self._buffers(np.atleast_1d(to_datetime64(times)), frame, "iers2010")
        return buffers.position, buffers.velocity

    def propagate(
        self,
        times=None,
        *,
        frame: str = "teme",
        earth_model: str = "iers2010",
        workers: int | None = None,
        progress: bool = False,
        minutes_since_epoch=None,
    ) -> xr.Dataset:
        """The Dataset of :meth:`overhead.Catalog.propagate`, interpolated from the ephemeris."""
        if times is None or minutes_since_epoch is not None:
            raise OverheadError("an ephemeris is propagated to UTC times (--start/--stop), not minutes since epoch")
        t = np.atleast_1d(to_datetime64(times))
        buffers = self._buffers(t, frame, earth_model)
        ds = dataset_from_buffers(
            buffers,
            norad_id=self.norad_ids,
            name=self.names,
            time_coord={"time": ("time", t)},
            attrs={"source": self.source or "ephemeris (OEM)"},
        )
        return ds.assign_coords(
            element_age_days=("satellite", self.age_days(t)),
            epoch=("satellite", self.epochs),
            object_id=("satellite", self.object_ids),
        )


def _interpolate(
    nodes: np.ndarray, r: np.ndarray, v: np.ndarray, t: np.ndarray, method: str, degree: int
) -> tuple[np.ndarray, np.ndarray]:
    """States at times ``t`` (inside the nodes' span) by the OEM's interpolation."""
    x = (nodes - nodes[0]) / np.timedelta64(1, "ns") / 1e9
    xq = (t - nodes[0]) / np.timedelta64(1, "ns") / 1e9
    if method == "HERMITE" and len(x) >= 2:
        from scipy.interpolate import CubicHermiteSpline  # positions and velocities: cubic between the nodes

        spline = CubicHermiteSpline(x, r, v, axis=0)
        return spline(xq), spline.derivative()(xq)
    return _lagrange(x, r, xq, degree + 1), _lagrange(x, v, xq, degree + 1)


def _lagrange(x: np.ndarray, y: np.ndarray, xq: np.ndarray, points: int) -> np.ndarray:
    """Lagrange interpolation on ``points`` nodes centred on each query (fewer at the table's ends if short)."""
    points = max(1, min(points, len(x)))
    start = np.clip(np.searchsorted(x, xq) - points // 2, 0, len(x) - points)
    window = start[:, None] + np.arange(points)
    xw = x[window]  # (query, points)
    offsets = xq[:, None] - xw
    spread = xw[:, :, None] - xw[:, None, :]
    eye = np.eye(points, dtype=bool)
    numerator = np.where(eye, 1.0, np.broadcast_to(offsets[:, None, :], spread.shape))
    weights = np.prod(numerator / np.where(eye, 1.0, spread), axis=2)
    return np.einsum("qp,qpk->qk", weights, y[window])


def is_oem(text: str) -> bool:
    """Whether a text is a CCSDS OEM in KVN (its first keyword line is CCSDS_OEM_VERS)."""
    for line in text.lstrip("\ufeff").splitlines()[:20]:
        if line.strip() and not line.strip().startswith("COMMENT"):
            return line.split("=")[0].strip() == "CCSDS_OEM_VERS"
    return False


def load_ephemeris(path: str | Path) -> EphemerisOrbits:
    """Read a CCSDS OEM (KVN) file: its objects as :class:`EphemerisOrbits`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OverheadError(f"{path}: cannot read it as OEM text ({exc})") from None
    return read_oem(text, source=str(path))


def read_oem(text: str, *, source: str = "OEM") -> EphemerisOrbits:
    """Parse OEM KVN text; every error names the line and what was expected."""
    segments: list[dict] = []
    meta: dict[str, str] | None = None
    rows: list[tuple[int, str]] = []
    in_covariance = False
    lines = text.lstrip("\ufeff").splitlines()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if line.startswith("COMMENT"):
            found = _NORAD_COMMENT.match(line)
            if found and meta is not None and not rows:
                meta["NORAD_CAT_ID"] = found[1]
            continue
        if not line:
            continue
        if line == "META_START":
            if meta is not None and rows:
                segments.append({"meta": meta, "rows": rows})
            meta, rows = {}, []
            continue
        if line == "META_STOP":
            continue
        if line in ("COVARIANCE_START", "COVARIANCE_STOP"):
            in_covariance = line == "COVARIANCE_START"
            continue
        if in_covariance:
            continue
        if "=" in line:
            key, _, value = line.partition("=")
            if meta is not None and not rows:
                meta[key.strip()] = value.strip()
            continue
        if meta is None:
            raise ElementSetError("a state before any META_START block", source=source, line=number)
        rows.append((number, line))
    if meta is not None and rows:
        segments.append({"meta": meta, "rows": rows})
    if not segments:
        raise ElementSetError(
            "no OEM segment with states (META_START … META_STOP, then epoch x y z vx vy vz)", source=source
        )
    return _orbits_of(segments, source)


def _orbits_of(segments: list[dict], source: str) -> EphemerisOrbits:
    """One table per object (its segments joined in time order), converted to TEME."""
    by_object: dict[str, dict] = {}
    for segment in segments:
        meta = segment["meta"]
        for key in ("OBJECT_NAME", "OBJECT_ID", "CENTER_NAME", "REF_FRAME", "TIME_SYSTEM"):
            if key not in meta:
                raise ElementSetError(
                    f"an OEM segment's metadata has no {key}", source=source, line=segment["rows"][0][0]
                )
        if meta["CENTER_NAME"].upper() != "EARTH":
            raise ElementSetError(
                f"CENTER_NAME {meta['CENTER_NAME']!r}: only Earth-centred ephemerides are read",
                source=source,
                line=segment["rows"][0][0],
            )
        if meta["TIME_SYSTEM"].upper() != "UTC":
            raise ElementSetError(
                f"TIME_SYSTEM {meta['TIME_SYSTEM']!r}: only UTC ephemerides are read",
                source=source,
                line=segment["rows"][0][0],
            )
        times, r, v = _states(segment["rows"], source)
        r, v = _to_teme(meta["REF_FRAME"].upper(), times, r, v, source, segment["rows"][0][0])
        entry = by_object.setdefault(
            meta["OBJECT_ID"],
            {
                "name": meta["OBJECT_NAME"],
                "parts": [],
                "method": _method(meta, source),
                "norad_id": meta.get("NORAD_CAT_ID"),
            },
        )
        entry["parts"].append((times, r, v))
    norad_ids, names, object_ids, all_times, all_r, all_v, methods = [], [], [], [], [], [], []
    for k, (object_id, entry) in enumerate(by_object.items()):
        times = np.concatenate([p[0] for p in entry["parts"]])
        order = np.argsort(times, kind="stable")
        keep = np.r_[True, np.diff(times[order]) > np.timedelta64(0, "ns")]  # a segment boundary's repeated time
        all_times.append(times[order][keep])
        all_r.append(np.concatenate([p[1] for p in entry["parts"]])[order][keep])
        all_v.append(np.concatenate([p[2] for p in entry["parts"]])[order][keep])
        number = entry["norad_id"] or (object_id if object_id.isdigit() else None)
        norad_ids.append(int(number) if number else 900_000 + k)  # no NORAD number: a stand-in
        names.append(entry["name"])
        object_ids.append("" if object_id.isdigit() else object_id)
        methods.append(entry["method"])
    return EphemerisOrbits(
        np.array(norad_ids, dtype=np.int64),
        np.array(names, dtype=object),
        np.array(object_ids, dtype=object),
        all_times,
        all_r,
        all_v,
        methods,
        source,
    )


def _method(meta: dict[str, str], source: str) -> tuple[str, int]:
    method = meta.get("INTERPOLATION", "LAGRANGE").upper()
    if method not in ("LAGRANGE", "HERMITE"):
        raise ElementSetError(f"INTERPOLATION {method!r}: LAGRANGE or HERMITE are read", source=source)
    text = meta.get("INTERPOLATION_DEGREE", str(DEFAULT_DEGREE))
    if not text.isdigit() or not 1 <= int(text) <= 15:
        raise ElementSetError(f"INTERPOLATION_DEGREE {text!r}: a whole number from 1 to 15", source=source)
    return method, int(text)


def _states(rows: list[tuple[int, str]], source: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    times, values = [], []
    for number, line in rows:
        parts = line.split()
        if len(parts) not in (7, 10):
            raise ElementSetError(
                f"a state is an epoch and 6 numbers (or 9, with accelerations), got {len(parts)} fields",
                source=source,
                line=number,
            )
        try:
            times.append(to_datetime64(parts[0]))
            numbers = [float(x) for x in parts[1:7]]
        except (OverheadError, ValueError) as exc:
            raise ElementSetError(str(exc), source=source, line=number) from None
        if not np.all(np.isfinite(numbers)):
            raise ElementSetError("a state must be finite numbers", source=source, line=number)
        values.append(numbers)
    t = np.array(times, dtype="datetime64[ns]")
    if np.any(np.diff(t) <= np.timedelta64(0, "ns")):
        k = int(np.flatnonzero(np.diff(t) <= np.timedelta64(0, "ns"))[0]) + 1
        raise ElementSetError("the states' epochs must increase", source=source, line=rows[k][0])
    states = np.array(values)
    return t, states[:, :3], states[:, 3:]


def _to_teme(
    frame: str, t: np.ndarray, r: np.ndarray, v: np.ndarray, source: str, line: int
) -> tuple[np.ndarray, np.ndarray]:
    if frame == "TEME":
        return r, v
    if frame in ("EME2000", "J2000", "GCRF", "ICRF"):
        if frame in ("EME2000", "J2000"):  # the frame bias (~23 mas) from the mean J2000 frame to the GCRS
            bias = erfa.bp06(2451545.0, 0.0)[0]  # GCRS → mean J2000
            r, v = r @ bias, v @ bias  # (bias^T applied to row vectors): J2000 → GCRS
        r, v = gcrs_to_itrf(t, r, v)
        frame = "ITRF"
    if _ITRF.match(frame):
        return itrf_to_teme(t, r, v)
    raise ElementSetError(f"REF_FRAME {frame!r}: TEME, ITRF…, EME2000, GCRF or ICRF are read", source=source, line=line)
