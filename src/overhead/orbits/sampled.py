"""A catalogue ephemeris: every object's SGP4 states sampled once, read by interpolation many times.

A service answers many questions about the same catalogue at nearby times: what is above each place, the
positions for the map, the passes over a place. Each question used to run SGP4 for every object again.
:class:`CatalogEphemeris` samples SGP4 once per catalogue version — Earth-fixed (ITRF) states every
``step_s`` (60 s) in blocks of ``block_s`` (one hour) aligned on the clock — and answers any time inside a
block by cubic Hermite interpolation (:mod:`overhead.orbits.hermite`): within 1 m of SGP4 for every object of
a real catalogue (tested), a few nanoseconds a state instead of SGP4's ~330 ns and the frame rotation's ~70 ns.

Blocks are built when asked for (``prepare``, or a large request), kept least recently used first out within
``budget_bytes``; a small request (a few objects over a long span, cheaper with SGP4 itself) is answered by
SGP4 while a background thread builds its blocks for the requests that follow. Where SGP4 failed at a sample
used (decay, eccentricity out of range) the states are NaN, as SGP4's own failed states are, and
:meth:`CatalogEphemeris.errors` gives the code.

:class:`SampledCatalog` is a :class:`~overhead.orbits.catalog.Catalog` whose Earth-fixed ``state_arrays`` read
the ephemeris where its blocks are built: every analysis that takes a catalogue takes it unchanged.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from overhead.orbits.catalog import Catalog
from overhead.orbits.hermite import hermite_at, hermite_weights
from overhead.orbits.sgp4_propagation import propagate_shared_times
from overhead.orbits.timescales import to_datetime64

__all__ = ["DEFAULT_BLOCK_S", "DEFAULT_STEP_S", "CatalogEphemeris", "EphemerisBlock", "SampledCatalog"]

DEFAULT_STEP_S = 60.0  # Hermite error under 1 m in the lowest orbits (h⁴ω⁴r/384, the Earth's rotation added)
DEFAULT_BLOCK_S = 3600.0
NS = 1_000_000_000
GATHERED_BYTES = 64 << 20  # states gathered for a span, kept for the next request about the same objects and times
SMALL_REQUEST_SHARE = 0.25  # fewer objects than this share: SGP4 answers, their blocks are built in the background


@dataclass(frozen=True)
class EphemerisBlock:
    """ITRF states of every object of the catalogue at ``start + k × step_s``, k = 0 … n (both ends held)."""

    start: np.datetime64
    step_s: float
    r_km: np.ndarray  # (object, sample, 3)
    v_km_s: np.ndarray
    error: np.ndarray  # (object, sample) int8: SGP4's code, 0 = fine

    @property
    def nbytes(self) -> int:
        return int(self.r_km.nbytes + self.v_km_s.nbytes + self.error.nbytes)


@njit(cache=True, nogil=True)
def _interpolate(r, v, error, rows, t_s, h, out_r, out_v, out_error, columns, needed):
    """States of ``rows`` at ``t_s`` (s from the block's start) into ``out_*[:, columns]``: the basis of each
    time computed once, then object by object (each object's samples are contiguous, and so are its outputs).
    Where ``needed`` (row, output column) is given (not empty) and False, the state is NaN, not computed."""
    n = t_s.size
    steps = np.empty(n, np.int64)
    weights = np.empty((n, 8))
    for j in range(n):
        k = min(max(int(t_s[j] // h), 0), r.shape[1] - 2)
        steps[j] = k
        a, b = hermite_weights(t_s[j] / h - k, h)
        weights[j, 0], weights[j, 1], weights[j, 2], weights[j, 3] = a
        weights[j, 4], weights[j, 5], weights[j, 6], weights[j, 7] = b
    for i in range(rows.size):
        row = rows[i]
        for j in range(n):
            k, c, w = steps[j], columns[j], weights[j]
            if needed.shape[0] and not needed[i, c]:
                for x in range(3):
                    out_r[i, c, x], out_v[i, c, x] = np.nan, np.nan
                out_error[i, c] = 0
                continue
            for x in range(3):
                r0, v0, r1, v1 = r[row, k, x], v[row, k, x], r[row, k + 1, x], v[row, k + 1, x]
                out_r[i, c, x] = w[0] * r0 + w[1] * v0 + w[2] * r1 + w[3] * v1
                out_v[i, c, x] = w[4] * r0 + w[5] * v0 + w[6] * r1 + w[7] * v1
            out_error[i, c] = max(error[row, k], error[row, k + 1])


@njit(cache=True, nogil=True)
def _positions(r, v, rows, t_s, h, out):
    """Positions of ``rows`` at one time ``t_s`` (s from the block's start) into ``out`` (row, 3)."""
    for i in range(rows.size):
        p, _ = hermite_at(r, v, rows[i], t_s, h)
        out[i, 0], out[i, 1], out[i, 2] = p


class CatalogEphemeris:
    """Sampled ITRF states of every object of ``catalog``, in clock-aligned blocks built on demand and kept
    within ``budget_bytes`` (least recently used out first)."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        budget_bytes: int = 1 << 30,
        step_s: float = DEFAULT_STEP_S,
        block_s: float = DEFAULT_BLOCK_S,
    ) -> None:
        if block_s % step_s:
            raise ValueError("block_s must be a whole number of steps")
        self.catalog, self.step_s, self.block_s = catalog, float(step_s), float(block_s)
        self.budget_bytes = int(budget_bytes)
        self._blocks: OrderedDict[int, EphemerisBlock] = OrderedDict()
        self._building: dict[int, threading.Lock] = {}
        self._lock = threading.Lock()
        self._background: threading.Thread | None = None
        self._gathered: OrderedDict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()

    @property
    def block_bytes(self) -> int:
        """Memory one block takes: positions, velocities (float64) and error codes."""
        samples = round(self.block_s / self.step_s) + 1
        return len(self.catalog) * samples * (6 * 8 + 1)

    @property
    def max_blocks(self) -> int:
        return self.budget_bytes // max(self.block_bytes, 1)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(b.nbytes for b in self._blocks.values())

    def summary(self) -> dict:
        """What is held: the blocks' starts (UTC ISO-8601 Z), their bytes, the budget and the step."""
        from overhead.orbits.timescales import format_iso

        with self._lock:
            blocks = sorted(self._blocks.values(), key=lambda b: b.start)
            gathered = self.gathered_bytes
        return {
            "blocks": [format_iso(b.start, digits=0) for b in blocks],
            "block_s": self.block_s,
            "step_s": self.step_s,
            "bytes": sum(b.nbytes for b in blocks),
            "budget_bytes": self.budget_bytes,
            "gathered_bytes": gathered,  # spans of states kept for requests asked again (≤ GATHERED_BYTES)
        }

    @property
    def gathered_bytes(self) -> int:
        """Memory of the gathered spans kept (call with the lock held)."""
        return sum(sum(a.nbytes for a in kept) for kept in self._gathered.values())

    def block_indices(self, times) -> np.ndarray:
        """The block of each time: block k holds (k × block_s, (k + 1) × block_s] from 1970, so a time on a
        boundary is read from the earlier block."""
        ns = np.atleast_1d(to_datetime64(times)).astype(np.int64)
        return -((-ns) // round(self.block_s * NS)) - 1

    def held(self, indices) -> bool:
        with self._lock:
            return all(int(i) in self._blocks for i in np.unique(indices))

    def prepare(self, start, stop) -> bool:
        """Build the blocks covering [start, stop]; False (nothing built) if they would not fit the budget."""
        t = np.array([to_datetime64(start), to_datetime64(stop)], dtype="datetime64[ns]")
        first, last = self.block_indices(t)
        if last - first + 1 > self.max_blocks:
            return False
        for index in range(int(first), int(last) + 1):
            self._block(index)
        return True

    def _block(self, index: int) -> EphemerisBlock:
        with self._lock:
            block = self._blocks.get(index)
            if block is not None:
                self._blocks.move_to_end(index)
                return block
            building = self._building.setdefault(index, threading.Lock())
        with building:  # one thread builds a block; the others asking for it wait for that one
            with self._lock:
                if index in self._blocks:
                    return self._blocks[index]
            block = self._sample(index)
            with self._lock:
                self._blocks[index] = block
                self._building.pop(index, None)
                while len(self._blocks) > max(self.max_blocks, 1):
                    self._blocks.popitem(last=False)
            return block

    def _sample(self, index: int) -> EphemerisBlock:
        start = np.datetime64(round(index * self.block_s * NS), "ns")
        n = round(self.block_s / self.step_s)
        # two samples beyond each end, for the velocities' differences
        times = start + (np.arange(-2, n + 3) * round(self.step_s * NS)).astype("timedelta64[ns]")
        buffers = propagate_shared_times(self.catalog.satrecs, times, "itrf", workers=1)
        r = buffers.position
        # SGP4's velocity is not the derivative of its position where drag is strong (4 m/s apart for a
        # satellite at 16.2 rev/day, which puts a Hermite step 24 m off): the velocities interpolated are
        # the positions' fourth-order central differences (error ~ (ωh)⁴ωr/30, under 1 cm/s)
        v = (r[:, :-4] - 8.0 * r[:, 1:-3] + 8.0 * r[:, 3:-1] - r[:, 4:]) / (12.0 * self.step_s)
        error = np.maximum.reduce([buffers.error[:, k : k + n + 1] for k in range(5)])
        return EphemerisBlock(start, self.step_s, np.ascontiguousarray(r[:, 2:-2]), v, error)

    def states(
        self, rows: np.ndarray, times, needed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions (km), velocities (km/s) ITRF (row, time, 3) and error codes (row, time) of the objects at
        positions ``rows`` of the catalogue, building the blocks the times need; only where ``needed`` (row, time)
        is True when it is given (NaN elsewhere)."""
        t = np.atleast_1d(to_datetime64(times))
        rows = np.asarray(rows, dtype=np.int64)
        key = self._gathered_key(rows, t) if needed is None else None
        if key is not None:
            with self._lock:
                kept = self._gathered.get(key)
                if kept is not None:
                    self._gathered.move_to_end(key)
                    return kept
        out = self._states(rows, t, needed)
        if key is not None:
            for array in out:
                array.setflags(write=False)  # shared by the requests that ask the same again
            with self._lock:
                self._gathered[key] = out
                while self.gathered_bytes > GATHERED_BYTES:
                    self._gathered.popitem(last=False)
        return out

    def _gathered_key(self, rows: np.ndarray, t: np.ndarray) -> tuple | None:
        """The key under which the states of ``rows`` at ``t`` are kept: spans (a pass search, a track) of a
        watch list asked again and again — the same satellites over the same day from another place — not single
        times or anything over a sixth of the cache."""
        if t.size < 60 or rows.size * t.size * (6 * 8 + 1) > GATHERED_BYTES // 6:
            return None
        return (rows.tobytes(), t.astype("datetime64[ns]").tobytes())

    def _states(self, rows: np.ndarray, t: np.ndarray, needed: np.ndarray | None):
        needed = np.zeros((0, 0), bool) if needed is None else np.ascontiguousarray(needed, dtype=bool)
        out_r = np.empty((rows.size, t.size, 3))
        out_v = np.empty((rows.size, t.size, 3))
        out_error = np.empty((rows.size, t.size), np.int8)
        blocks = self.block_indices(t)
        for index in np.unique(blocks):
            block = self._block(int(index))
            columns = np.flatnonzero(blocks == index)
            t_s = (t[columns] - block.start) / np.timedelta64(1, "ns") / NS
            _interpolate(
                block.r_km, block.v_km_s, block.error, rows, t_s, block.step_s, out_r, out_v, out_error, columns, needed
            )
        return out_r, out_v, out_error

    def positions_at(self, rows: np.ndarray, when) -> np.ndarray:
        """ITRF positions (km), (row, 3), of the objects at positions ``rows`` of the catalogue at one time
        (NaN where SGP4 failed): what is above a place, the map's dots."""
        t = to_datetime64(when)
        block = self._block(int(self.block_indices(t)[0]))
        out = np.empty((len(rows), 3))
        t_s = float((t - block.start) / np.timedelta64(1, "ns")) / NS
        _positions(block.r_km, block.v_km_s, rows, t_s, block.step_s, out)
        return out

    def errors(self, rows: np.ndarray, times) -> np.ndarray:
        """SGP4's error code (row, time): the worse of the samples around each time (0 = fine)."""
        return self.states(rows, times)[2]

    def worth_using(self, n_rows: int, times) -> bool:
        """Whether ``n_rows`` objects at ``times`` should read the ephemeris: its blocks are held, or the request
        is large enough to be worth building them now (they fit the budget). A small request whose blocks fit
        is answered by SGP4 while a background thread builds them for the requests that follow."""
        blocks = np.unique(self.block_indices(times))
        if self.held(blocks):
            return True
        if blocks.size > self.max_blocks:
            return False
        if n_rows >= SMALL_REQUEST_SHARE * len(self.catalog):
            return True
        self._build_later(blocks)
        return False

    def wait(self, timeout_s: float | None = None) -> None:
        """Wait for the blocks being built in the background (if any) to be held."""
        background = self._background
        if background is not None:
            background.join(timeout_s)

    def _build_later(self, blocks: np.ndarray) -> None:
        with self._lock:
            if self._background is not None and self._background.is_alive():
                return  # one builder at a time: the next small request asks again
            self._background = threading.Thread(
                target=lambda: [self._block(int(b)) for b in blocks], name="ephemeris", daemon=True
            )
            self._background.start()


@dataclass
class SampledCatalog(Catalog):
    """A catalogue whose Earth-fixed states come from a :class:`CatalogEphemeris` of a larger one (positions
    ``rows`` of it) where that is worth it, and from SGP4 otherwise."""

    ephemeris: CatalogEphemeris | None = None
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def over(cls, catalog: Catalog, ephemeris: CatalogEphemeris) -> SampledCatalog:
        """The whole of ``catalog`` (the ephemeris' own) read through ``ephemeris``."""
        return cls(
            catalog.records,
            catalog.satrecs,
            catalog.rejects,
            catalog.source,
            catalog.from_tle,
            ephemeris,
            np.arange(len(catalog), dtype=np.int64),
        )

    def __getitem__(self, index) -> SampledCatalog:
        if isinstance(index, int | np.integer):
            index = [int(index)]
        positions = np.arange(len(self))[index] if isinstance(index, slice) else np.asarray(index, dtype=np.int64)
        base = Catalog.__getitem__(self, positions.tolist())
        return SampledCatalog(
            base.records, base.satrecs, [], self.source, self.from_tle, self.ephemeris, self.rows[positions]
        )

    def __reduce__(self):  # a worker process gets the plain catalogue, not the ephemeris
        return _plain_catalog, (Catalog.__getstate__(self),)

    def positions_itrf_km(self, when) -> np.ndarray:
        """Earth-fixed positions (km), (satellite, 3), at one UTC time: from the ephemeris where worth it."""
        t = np.atleast_1d(to_datetime64(when))[:1]
        if self.ephemeris is None or not self.ephemeris.worth_using(len(self), t):
            return Catalog.positions_itrf_km(self, t)
        return self.ephemeris.positions_at(self.rows, t[0])

    def state_arrays(self, times, frame: str = "itrf") -> tuple[np.ndarray, np.ndarray]:
        t = np.atleast_1d(to_datetime64(times))
        if frame != "itrf" or self.ephemeris is None or not self.ephemeris.worth_using(len(self), t):
            return Catalog.state_arrays(self, t, frame)
        r, v, _ = self.ephemeris.states(self.rows, t)
        return r, v

    def reads_ephemeris(self, times) -> bool:
        """Whether ITRF states at ``times`` come from the ephemeris (a few nanoseconds each), not from SGP4."""
        t = np.atleast_1d(to_datetime64(times))
        return self.ephemeris is not None and self.ephemeris.worth_using(len(self), t)

    def state_arrays_where(self, times, needed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ITRF states (satellite, time, 3) where ``needed`` (satellite, time) is True, NaN elsewhere: from the
        ephemeris where worth it."""
        t = np.atleast_1d(to_datetime64(times))
        if self.ephemeris is None or not self.ephemeris.worth_using(len(self), t):
            return Catalog.state_arrays_where(self, t, needed)
        r, v, _ = self.ephemeris.states(self.rows, t, needed)
        return r, v


def _plain_catalog(state: dict) -> Catalog:
    """The :class:`Catalog` a pickled :class:`SampledCatalog` becomes."""
    catalog = Catalog.__new__(Catalog)
    catalog.__setstate__(state)
    return catalog
