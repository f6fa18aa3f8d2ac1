"""The compiled core of the screening: every pair that may pass under the threshold near each fine time.

One call per batch of fine times (:func:`search_batch`, without the GIL). At each, the states are interpolated
(cubic Hermite) from the two SGP4 samples around it and sorted by cubic cell (x, then y, then z: the cell
indices packed into keys with as many bits per axis as the occupied cells span, then radix-sorted); each occupied
cell is compared with itself and its 13 forward neighbours (so each pair is seen once). The neighbours lie in 5
runs of the sorted cells — (0, 0, +1) and the columns (0, +1, *), (+1, -1, *), (+1, 0, *), (+1, +1, *) — whose
keys are the home cell's key plus a constant, so 5 pointers move forward through the cells with the home cell:
no search, and the objects of a cell are contiguous.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from overhead.orbits.hermite import hermite_weights

__all__ = ["pack_keys", "pairs_near", "radix_argsort", "search_batch"]

# the forward runs: (dx, dy, first dz, last dz)
_RUNS = np.array([(0, 0, 1, 1), (0, 1, -1, 1), (1, -1, -1, 1), (1, 0, -1, 1), (1, 1, -1, 1)], dtype=np.int64)
_INVALID = np.iinfo(np.int64).max  # the key of an object without a state: sorted last


@numba.njit(cache=True, nogil=True)
def _fill_states(
    r0: np.ndarray,
    v0: np.ndarray,
    r1: np.ndarray,
    v1: np.ndarray,
    h_s: float,
    fraction: float,
    cell_km: float,
    pos: np.ndarray,
    vel: np.ndarray,
    cells: np.ndarray,
    valid: np.ndarray,
    base: int,
) -> None:
    """Hermite positions and velocities (km, km/s) at ``fraction`` of the interval between two samples ``h_s``
    apart (states r0, v0 and r1, v1; NaN where SGP4 failed), each object's cell indices and whether its state is
    finite, into rows ``base`` onwards of ``pos``, ``vel``, ``cells`` and ``valid``."""
    a, b = hermite_weights(fraction, h_s)
    for n in range(r0.shape[0]):
        i = base + n
        ok = True
        for k in range(3):
            pos[i, k] = a[0] * r0[n, k] + a[1] * v0[n, k] + a[2] * r1[n, k] + a[3] * v1[n, k]
            vel[i, k] = b[0] * r0[n, k] + b[1] * v0[n, k] + b[2] * r1[n, k] + b[3] * v1[n, k]
            if not math.isfinite(pos[i, k]) or not math.isfinite(vel[i, k]):
                ok = False
        valid[i] = ok
        if ok:
            for k in range(3):
                cells[i, k] = np.int64(math.floor(pos[i, k] / cell_km))


@numba.njit(cache=True, nogil=True)
def radix_argsort(keys: np.ndarray) -> np.ndarray:
    """The order that sorts non-negative int64 keys (stable): least-significant-digit radix sort, 11 bits a pass,
    skipping the digits every key shares (several times numba's own argsort on a catalogue)."""
    n = keys.shape[0]
    order = np.arange(n)
    if n < 2:
        return order
    varying = np.int64(0)
    for i in range(n):
        varying |= keys[i] ^ keys[0]
    scratch = np.empty(n, dtype=np.int64)
    counts = np.empty(2049, dtype=np.int64)
    for shift in range(0, 64, 11):
        if (varying >> shift) & 2047 == 0:
            continue
        counts[:] = 0
        for a in range(n):
            counts[((keys[order[a]] >> shift) & 2047) + 1] += 1
        for d in range(2048):
            counts[d + 1] += counts[d]
        for a in range(n):
            digit = (keys[order[a]] >> shift) & 2047
            scratch[counts[digit]] = order[a]
            counts[digit] += 1
        order, scratch = scratch, order
    return order


@numba.njit(cache=True, nogil=True)
def pack_keys(cells: np.ndarray, valid: np.ndarray, keys: np.ndarray) -> tuple[int, int]:
    """Pack each valid object's cell indices (x, y, z) into ``keys``, with as many bits per axis as the occupied
    cells span (so that the radix sort has a few digits to sort), the largest int64 for the others; returns the
    y and x fields' shifts."""
    lo = np.full(3, np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(3, np.iinfo(np.int64).min, dtype=np.int64)
    for i in range(cells.shape[0]):
        if valid[i]:
            for axis in range(3):
                lo[axis] = min(lo[axis], cells[i, axis])
                hi[axis] = max(hi[axis], cells[i, axis])
    bits = np.ones(3, dtype=np.int64)
    for axis in range(3):
        while hi[axis] >= lo[axis] and (np.int64(1) << bits[axis]) <= hi[axis] - lo[axis] + 2:
            bits[axis] += 1  # room for the cells one either side of the occupied span
    y_shift, x_shift = bits[2], bits[1] + bits[2]
    for i in range(cells.shape[0]):
        if valid[i]:
            keys[i] = (
                ((cells[i, 0] - lo[0] + 1) << x_shift)
                | ((cells[i, 1] - lo[1] + 1) << y_shift)
                | (cells[i, 2] - lo[2] + 1)
            )
        else:
            keys[i] = _INVALID
    return y_shift, x_shift


@numba.njit(cache=True, nogil=True)
def _grown(array: np.ndarray, count: int, size: int) -> np.ndarray:
    """``array``'s first ``count`` values in a new array of ``size``."""
    out = np.empty(size, dtype=array.dtype)
    out[:count] = array[:count]
    return out


@numba.njit(cache=True, nogil=True)
def search_batch(
    rs,
    vs,
    offsets,
    fine_times: np.ndarray,
    cell_km: float,
    primary: np.ndarray,
    threshold_km: float,
    half_step_s: float,
    margin_km: float,
    step_s: float,
    limit_km: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`pairs_near` at each of ``fine_times`` (s from the start) in one call, without the GIL: the states
    of each sample group g (``rs[g]``, ``vs[g]``: (samples, objects, 3); ``offsets[g]``: the samples' times, s)
    interpolated to each time, the groups' objects one after the other. Returns (time index, i, j)."""
    n = 0
    for g in range(len(rs)):
        n += rs[g].shape[1]
    pos = np.empty((n, 3))
    vel = np.empty((n, 3))
    cells = np.empty((n, 3), dtype=np.int64)
    valid = np.empty(n, dtype=np.bool_)
    keys = np.empty(n, dtype=np.int64)
    out_k = np.empty(256, dtype=np.int64)
    out_i = np.empty(256, dtype=np.int64)
    out_j = np.empty(256, dtype=np.int64)
    count = 0
    for b in range(fine_times.shape[0]):
        t = fine_times[b]
        base = 0
        for g in range(len(rs)):
            r, v, off = rs[g], vs[g], offsets[g]
            if r.shape[1] == 0:
                continue
            a = min(max(np.searchsorted(off, t, side="right") - 1, 0), off.shape[0] - 2)
            h = off[a + 1] - off[a]
            _fill_states(r[a], v[a], r[a + 1], v[a + 1], h, (t - off[a]) / h, cell_km, pos, vel, cells, valid, base)
            base += r.shape[1]
        y_shift, x_shift = pack_keys(cells, valid, keys)
        i_idx, j_idx = pairs_near(
            pos,
            vel,
            keys,
            radix_argsort(keys),
            primary,
            threshold_km,
            half_step_s,
            margin_km,
            step_s,
            limit_km,
            y_shift,
            x_shift,
        )
        if count + i_idx.shape[0] > out_k.shape[0]:
            size = max(2 * out_k.shape[0], count + i_idx.shape[0])
            out_k, out_i, out_j = _grown(out_k, count, size), _grown(out_i, count, size), _grown(out_j, count, size)
        for m in range(i_idx.shape[0]):
            out_k[count], out_i[count], out_j[count] = b, i_idx[m], j_idx[m]
            count += 1
    return out_k[:count], out_i[:count], out_j[:count]


@numba.njit(cache=True, nogil=True)
def pairs_near(
    pos: np.ndarray,
    vel: np.ndarray,
    keys: np.ndarray,
    order: np.ndarray,
    primary: np.ndarray,
    threshold_km: float,
    half_step_s: float,
    margin_km: float,
    step_s: float,
    limit_km: float,
    y_shift: int,
    x_shift: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) that may pass under the threshold within ``step_s`` of this time, from the states, the cell
    keys of :func:`pack_keys` (the y and x fields at ``y_shift`` and ``x_shift``) and their order by cell
    (``order``, an argsort of ``keys``).

    A pair is kept when it is within threshold + |Δv|·half_step + margin (no closer approach can hide between two
    fine times) and the linear motion's miss within ±``step_s`` is under ``limit_km``.
    """
    n = pos.shape[0]
    # the valid objects in cell order, contiguous: the pair loops below read memory in sequence
    n_valid = 0
    while n_valid < n and keys[order[n_valid]] != _INVALID:
        n_valid += 1
    sp = np.empty((n_valid, 3))
    sv = np.empty((n_valid, 3))
    sid = order[:n_valid].copy()
    is_primary = np.empty(n_valid, dtype=np.bool_)
    cell_key = np.empty(n_valid + 1, dtype=np.int64)
    cell_start = np.empty(n_valid + 1, dtype=np.int64)
    m = 0
    for a in range(n_valid):
        i = sid[a]
        for k in range(3):
            sp[a, k] = pos[i, k]
            sv[a, k] = vel[i, k]
        is_primary[a] = primary[i]
        if a == 0 or keys[i] != cell_key[m - 1]:
            cell_key[m] = keys[i]
            cell_start[m] = a
            m += 1
    cell_start[m] = n_valid
    cell_key[m] = _INVALID  # a sentinel: every run's scan stops there
    any_primary = primary.any()
    out_i = np.empty(1024, dtype=np.int64)
    out_j = np.empty(1024, dtype=np.int64)
    count = 0
    n_runs = _RUNS.shape[0]
    first_delta = np.empty(n_runs, dtype=np.int64)
    last_delta = np.empty(n_runs, dtype=np.int64)
    for q in range(n_runs):
        base = (_RUNS[q, 0] << x_shift) + (_RUNS[q, 1] << y_shift)
        first_delta[q] = base + _RUNS[q, 2]
        last_delta[q] = base + _RUNS[q, 3]
    pointer = np.zeros(n_runs, dtype=np.int64)
    for c in range(m):
        key = cell_key[c]
        for q in range(n_runs + 1):
            if q == 0:
                lo, hi = c, c + 1
            else:
                first, last = key + first_delta[q - 1], key + last_delta[q - 1]
                p = pointer[q - 1]
                while cell_key[p] < first:
                    p += 1
                pointer[q - 1] = p
                hi = p
                while cell_key[hi] <= last:
                    hi += 1
                lo = p
                if lo == hi:
                    continue
            for a in range(cell_start[c], cell_start[c + 1]):
                b_first = a + 1 if q == 0 else cell_start[lo]
                for b in range(b_first, cell_start[hi]):
                    if any_primary and not (is_primary[a] or is_primary[b]):
                        continue
                    dx, dy, dz = sp[b, 0] - sp[a, 0], sp[b, 1] - sp[a, 1], sp[b, 2] - sp[a, 2]
                    ux, uy, uz = sv[b, 0] - sv[a, 0], sv[b, 1] - sv[a, 1], sv[b, 2] - sv[a, 2]
                    dv2 = ux * ux + uy * uy + uz * uz
                    reach = threshold_km + math.sqrt(dv2) * half_step_s + margin_km
                    if dx * dx + dy * dy + dz * dz > reach * reach:
                        continue
                    t_lin = -(dx * ux + dy * uy + dz * uz) / max(dv2, 1e-30)
                    t_lin = min(max(t_lin, -step_s), step_s)
                    mx, my, mz = dx + t_lin * ux, dy + t_lin * uy, dz + t_lin * uz
                    if mx * mx + my * my + mz * mz > limit_km * limit_km:
                        continue
                    if count == out_i.shape[0]:
                        out_i, out_j = _grown(out_i, count, 2 * count), _grown(out_j, count, 2 * count)
                    i, j = sid[a], sid[b]
                    out_i[count] = min(i, j)
                    out_j[count] = max(i, j)
                    count += 1
    return out_i[:count], out_j[:count]
