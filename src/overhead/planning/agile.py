"""Planning acquisitions of agile satellites: which request to image on which pass, at what time.

Opportunities are access windows of each satellite's field of regard over each request (daylight and a
sunlit satellite by default). A plan picks at most one opportunity per request and an imaging start inside
it, such that on each satellite consecutive images leave time to slew between their roll angles (settling
time + |Δroll| / slew rate), and the images taken between two downlinks fit in the on-board memory (each
downlink over a ground station empties it). CP-SAT optimises the total priority; a greedy pass (by priority,
then time) gives a fast plan for large instances and CP-SAT's first solution.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from overhead.analysis.access import access_windows
from overhead.constants import EARTH_MU_KM3_S2
from overhead.errors import CancelledError, OverheadError
from overhead.geometry.sensors import AccessConstraints, FieldOfRegard
from overhead.geometry.specs import spec_default
from overhead.geometry.targets import TargetSet
from overhead.orbits.states import state_vectors
from overhead.orbits.timescales import format_iso, to_datetime64
from overhead.planning.specs import AgilitySpec

__all__ = [
    "Agility",
    "Plan",
    "check_plan",
    "downlink_windows",
    "explain_unscheduled",
    "make_plan",
    "opportunities",
    "plan_greedy",
    "plan_optimal",
    "repeat_request_ids",
]


def _default(name: str):
    return spec_default(AgilitySpec, name)  # one default per parameter: the request model's


@dataclass(frozen=True)
class Agility:
    """What a satellite can do: field of regard, slewing, imaging time, memory (in images)."""

    max_off_nadir_deg: float = _default("max_off_nadir_deg")
    slew_rate_deg_s: float = _default("slew_rate_deg_s")
    settle_s: float = _default("settle_s")
    imaging_s: float = _default("imaging_s")
    memory_images: int = _default("memory_images")
    min_sun_elevation_deg: float | None = _default("min_sun_elevation_deg")
    slew_acceleration_deg_s2: float | None = None  # None: the rate is reached at once
    time_step_s: float = 1.0  # imaging starts on this grid
    max_imaging_s_per_orbit: float | None = _default("max_imaging_s_per_orbit")  # imaging seconds per revolution
    stereo_separation_s: float = _default("stereo_separation_s")  # fore to aft image of a stereo pair
    # per-satellite differences from the above, by NORAD id: {25544: {"slew_rate_deg_s": 2.0}, ...}
    per_satellite: dict[int, dict[str, Any]] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def from_spec(cls, spec: AgilitySpec) -> Agility:
        """The agility of a request."""
        return cls(**spec.model_dump())

    def __post_init__(self) -> None:
        for norad_id, changes in self.per_satellite.items():
            unknown = set(changes) - set(self.__dataclass_fields__) | ({"time_step_s", "per_satellite"} & set(changes))
            if unknown:
                raise OverheadError(
                    f"satellite {norad_id}: {', '.join(sorted(unknown))} cannot be set per satellite "
                    f"(the time grid is shared)"
                )

    def for_satellite(self, norad_id) -> Agility:
        """The agility of one satellite: these values with its own differences."""
        changes = self.per_satellite.get(int(norad_id))
        return replace(self, per_satellite={}, **changes) if changes else self

    def transition_s(self, roll_a_deg, roll_b_deg):
        """Settling plus the slew between two roll angles: bang-coast-bang when an acceleration is given.
        Arrays or plain numbers (the greedy planner asks about a million single pairs: no arrays for those)."""
        scalar = np.isscalar(roll_a_deg) and np.isscalar(roll_b_deg)
        angle = (
            abs(float(roll_b_deg) - float(roll_a_deg))
            if scalar
            else np.abs(np.asarray(roll_b_deg, dtype=float) - np.asarray(roll_a_deg, dtype=float))
        )
        if not self.slew_acceleration_deg_s2:
            return self.settle_s + angle / self.slew_rate_deg_s
        v, a = self.slew_rate_deg_s, self.slew_acceleration_deg_s2
        if scalar:
            return self.settle_s + (2.0 * math.sqrt(angle / a) if angle <= v * v / a else angle / v + v / a)
        return self.settle_s + np.where(angle <= v * v / a, 2.0 * np.sqrt(angle / a), angle / v + v / a)

    def steps(self, seconds):
        """Whole grid steps covering a duration (an int for a number, an array for an array)."""
        if np.isscalar(seconds):
            return math.ceil(float(np.asarray(seconds, dtype=float)) / self.time_step_s - 1e-9)
        return np.ceil(np.asarray(seconds, dtype=float) / self.time_step_s - 1e-9).astype(int)


@dataclass
class Plan:
    """Chosen acquisitions (one row per image) and the downlink windows that empty the memory."""

    acquisitions: pd.DataFrame  # request, norad_id, start, end, roll_deg, priority
    downlinks: pd.DataFrame  # norad_id, station, start, end
    value: float
    solver: str
    optimal: bool = False
    unscheduled: pd.DataFrame = field(default_factory=pd.DataFrame)  # request, reason
    areas: pd.DataFrame = field(default_factory=pd.DataFrame)  # polygon requests: request, tiles, imaged, fraction
    requested: int = 0  # requests asked for (repeat requests counted once per period)
    opportunities: int = 0

    def to_json(self) -> dict:
        satellites: dict[str, dict] = {}
        out = {"value": self.value, "solver": self.solver, "optimal": self.optimal, "satellites": satellites}
        for norad_id, rows in self.acquisitions.groupby("norad_id"):
            satellites[str(norad_id)] = {
                "acquisitions": [
                    {
                        "request": str(r.request),
                        "start": _iso(r.start),
                        "end": _iso(r.end),
                        "roll_deg": round(float(r.roll_deg), 3),
                        "priority": float(r.priority),
                        "images": int(getattr(r, "images", 1)),
                    }
                    for r in rows.sort_values("start").itertuples()
                ],
                "downlinks": [
                    {"station": str(d.station), "start": _iso(d.start), "end": _iso(d.end)}
                    for d in self.downlinks[self.downlinks.norad_id == norad_id].itertuples()
                ],
            }
        out["unscheduled"] = self.unscheduled.to_dict("records")
        if len(self.areas):
            out["areas"] = self.areas.to_dict("records")
        return out


def _iso(t) -> str:
    return str(format_iso(t, digits=3))


def repeat_request_ids(request_ids, repeat_every_h, start, stop) -> list[str]:
    """The requests a plan answers: each request once, or for a repeat request (``repeat_every_h`` set, NaN
    otherwise) one per period of that many hours from ``start`` — ``ID#1``, ``ID#2``, ... — each wanting one
    image taken in a window that opens within its period."""
    span_h = (to_datetime64(stop) - to_datetime64(start)) / np.timedelta64(1, "h")
    every = np.broadcast_to(
        np.asarray(repeat_every_h if repeat_every_h is not None else np.nan, dtype=float), (len(request_ids),)
    )
    out = []
    for request, hours in zip(request_ids, every, strict=True):
        if np.isfinite(hours) and hours > 0:
            out += [f"{request}#{k + 1}" for k in range(int(np.ceil(span_h / hours - 1e-9)))]
        else:
            out.append(str(request))
    return out


def opportunities(
    catalog,
    requests: TargetSet,
    priorities: np.ndarray,
    start,
    stop,
    agility: Agility,
    *,
    repeat_every_h=None,
    stereo=None,
) -> pd.DataFrame:
    """Every window in which a satellite can image a request, with the signed roll angle at its middle (each
    satellite with its own field of regard, daylight limit and imaging time).

    ``repeat_every_h`` (per request, NaN for a single image) turns a request into one per period (see
    :func:`repeat_request_ids`): a window belongs to the period in which it opens; ``parent`` keeps the
    request's own id. ``stereo`` (per request, bool) asks for a stereo pair: two images of the same pass,
    ``stereo_separation_s`` apart (the satellite pitches from the fore to the aft view, busy throughout), in a
    window long enough for both; such an opportunity takes two images of memory (``images``)."""
    groups: dict[tuple, list[int]] = {}
    for norad_id in catalog.norad_ids.tolist():
        own = agility.for_satellite(norad_id)
        groups.setdefault((own.max_off_nadir_deg, own.min_sun_elevation_deg, own.imaging_s), []).append(norad_id)
    parts = []
    for (off_nadir, sun, imaging_s), ids in groups.items():
        constraints = AccessConstraints(
            sensor=FieldOfRegard(off_nadir), min_sun_elevation_deg=sun, min_duration_s=imaging_s
        )
        members = catalog if len(groups) == 1 else catalog.select(ids)
        found = access_windows(members, requests, start, stop, constraints)
        parts.append(found.assign(duration_s=float(imaging_s)))
    windows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    if windows.empty:
        return windows.assign(request=[], roll_deg=[], priority=[], duration_s=[], images=[])
    index = pd.Index(requests.ids).get_indexer(windows.target)
    images = np.ones(len(windows), dtype=np.int64)
    if stereo is not None:
        pair = np.broadcast_to(np.asarray(stereo, dtype=bool), (len(requests),))[index]
        separation = windows.norad_id.map(lambda n: agility.for_satellite(n).stereo_separation_s).to_numpy(float)
        duration = np.where(pair, 2 * windows.duration_s.to_numpy() + separation, windows.duration_s.to_numpy())
        long_enough = (windows.end - windows.start).dt.total_seconds().to_numpy() >= duration
        windows = windows.assign(duration_s=duration)[long_enough].reset_index(drop=True)
        index, images = index[long_enough], np.where(pair, 2, 1)[long_enough]
        if windows.empty:
            return windows.assign(request=[], roll_deg=[], priority=[], images=[])
    roll = signed_roll(catalog, requests, windows, index)
    period = dict(zip(catalog.norad_ids.tolist(), _periods_s(catalog), strict=True))
    request = windows.target.astype(str).to_numpy(dtype=object)
    if repeat_every_h is not None:
        every = np.broadcast_to(np.asarray(repeat_every_h, dtype=float), (len(requests),))[index]
        repeats = np.isfinite(every) & (every > 0)
        opened_h = (windows.start.to_numpy() - to_datetime64(start)) / np.timedelta64(1, "h")
        slot = np.floor(opened_h[repeats] / every[repeats]).astype(int) + 1
        request[repeats] = [f"{r}#{k}" for r, k in zip(request[repeats], slot, strict=True)]
    return windows.assign(
        request=request,
        parent=windows.target,
        roll_deg=roll,
        priority=np.asarray(priorities)[index],
        images=images,
        orbit_period_s=windows.norad_id.map(period).to_numpy(dtype=float),
    )


def _periods_s(satellites) -> np.ndarray:
    """Orbital period of each satellite (s): from the mean motion of element sets, or a design's axis."""
    if hasattr(satellites, "records"):
        return np.array([86_400.0 / r.mean_motion_rev_per_day for r in satellites.records])
    a = np.asarray(satellites.semi_major_axis_km, dtype=float)
    return 2 * np.pi * np.sqrt(a**3 / EARTH_MU_KM3_S2)


def _images(table: pd.DataFrame) -> np.ndarray:
    """Images each opportunity or acquisition stores (2 for a stereo pair)."""
    return table["images"].to_numpy(dtype=np.int64) if "images" in table else np.ones(len(table), dtype=np.int64)


def _orbit(opps: pd.DataFrame, t0) -> np.ndarray:
    """Revolution (from the plan's start) in which each opportunity's window opens: the unit of the power/duty
    limit. Counted from the window, not the image, so that every solver and the checker agree."""
    if "orbit_period_s" not in opps:
        return np.zeros(len(opps), dtype=np.int64)
    return np.floor(_seconds(opps.start, t0) / opps.orbit_period_s.to_numpy(dtype=float)).astype(np.int64)


def signed_roll(catalog, requests: TargetSet, windows: pd.DataFrame, index: np.ndarray) -> np.ndarray:
    """Off-nadir angle at culmination, positive to the right of the ground track (a roll angle)."""
    roll = np.empty(len(windows))
    for norad_id, rows in windows.groupby("norad_id"):
        times = rows.culmination.to_numpy()
        ds = catalog.select([norad_id]).propagate(times, frame="itrf", workers=1)
        r, v = (array[0] for array in state_vectors(ds))
        look = requests.itrf_km[index[rows.index]] - r
        right = np.cross(v, r)  # -r is down, v forward: v × r points to the right of the track
        side = np.sign(np.einsum("ij,ij->i", look, right))
        roll[rows.index] = side * rows.min_off_nadir_deg.to_numpy()
    return roll


def _seconds(t, t0) -> np.ndarray:
    return (np.asarray(t, dtype="datetime64[ns]") - t0) / np.timedelta64(1, "s")


class _Cycles:
    """Memory cycles of every satellite: the sorted ends of its downlinks, looked up without re-filtering."""

    def __init__(self, downlinks: pd.DataFrame, t0):
        self.ends = {
            norad_id: np.sort(_seconds(group.end.to_numpy(), t0)) for norad_id, group in downlinks.groupby("norad_id")
        }

    def of(self, norad_id, times_s) -> np.ndarray:
        return np.searchsorted(self.ends.get(norad_id, np.zeros(0)), times_s)


def plan_greedy(opps: pd.DataFrame, downlinks: pd.DataFrame, agility: Agility, t0) -> pd.DataFrame:
    """Requests by priority (then earliest window): the earliest feasible start in each of their windows."""
    t0 = to_datetime64(t0)
    chosen: dict = {}  # norad_id -> list of (start_s, duration_s, roll)
    memory: dict = {}
    duty: dict = {}  # (norad_id, orbit) -> imaging seconds
    taken = []
    cycles = _Cycles(downlinks, t0)
    step = agility.time_step_s
    ordered = (
        opps.assign(orbit_index=_orbit(opps, t0), images=_images(opps))
        .sort_values(["priority", "start"], ascending=[False, True])
        .reset_index(drop=True)
    )
    rows = list(
        ordered[["request", "norad_id", "roll_deg", "duration_s", "priority", "images", "orbit_index"]].itertuples(
            index=False
        )
    )
    start_s, end_s = _seconds(ordered.start, t0), _seconds(ordered.end, t0)
    # each request's windows in the order above; requests in the order of their best window
    groups = sorted(ordered.groupby("request", sort=False).indices.values(), key=lambda positions: positions[0])
    for positions in groups:
        for i in positions:
            row = rows[i]
            own = agility.for_satellite(row.norad_id)
            if (
                own.max_imaging_s_per_orbit is not None
                and duty.get((row.norad_id, row.orbit_index), 0.0) + row.duration_s > own.max_imaging_s_per_orbit + 1e-9
            ):
                continue
            # whole grid steps, as in the CP-SAT model, so that a greedy plan is always a valid CP-SAT hint
            s0 = math.ceil(start_s[i] / step - 1e-9) * step
            s1 = math.floor((end_s[i] - agility.steps(row.duration_s) * step) / step + 1e-9) * step
            cycle = int(cycles.of(row.norad_id, s0))
            if memory.get((row.norad_id, cycle), 0) + row.images > own.memory_images:
                continue
            start = _earliest_start(chosen.get(row.norad_id, []), s0, s1, row.roll_deg, row.duration_s, own)
            if start is None:
                continue
            chosen.setdefault(row.norad_id, []).append((start, row.duration_s, row.roll_deg))
            memory[(row.norad_id, cycle)] = memory.get((row.norad_id, cycle), 0) + row.images
            duty[(row.norad_id, row.orbit_index)] = duty.get((row.norad_id, row.orbit_index), 0.0) + row.duration_s
            taken.append((row.request, row.norad_id, start, row.duration_s, row.roll_deg, row.priority, row.images))
            break
    return _acquisitions(taken, t0)


def _gap_s(agility: Agility, roll_a, roll_b, duration_a) -> float:
    """Whole grid steps (in seconds) from one image's start to the next's: imaging, then settling and slewing."""
    return float(
        (agility.steps(duration_a) + agility.steps(agility.transition_s(roll_a, roll_b))) * agility.time_step_s
    )


def _earliest_start(images, s0: float, s1: float, roll: float, duration: float, agility: Agility) -> float | None:
    candidates = [s0] + [a + _gap_s(agility, r, roll, d) for a, d, r in images]
    for start in sorted(c for c in candidates if s0 <= c <= s1):
        if all(
            start + _gap_s(agility, roll, r, duration) <= a or a + _gap_s(agility, r, roll, d) <= start
            for a, d, r in images
        ):
            return start
    return None


def _acquisitions(taken, t0) -> pd.DataFrame:
    table = pd.DataFrame(
        taken, columns=["request", "norad_id", "start_s", "duration_s", "roll_deg", "priority", "images"]
    )
    start_s = table.pop("start_s").to_numpy(dtype=float)
    table["start"] = t0 + np.round(start_s * 1e9).astype("timedelta64[ns]")
    table["end"] = t0 + np.round((start_s + table.pop("duration_s").to_numpy(dtype=float)) * 1e9).astype(
        "timedelta64[ns]"
    )
    return table[["request", "norad_id", "start", "end", "roll_deg", "priority", "images"]].sort_values(
        ["norad_id", "start"], ignore_index=True
    )


@dataclass
class _Terms:
    """The CP-SAT model's arrays and variables per opportunity: window bounds and lengths in grid steps, roll,
    duration (s), images, orbit number, presence and start variables, the greedy plan's start."""

    s0: np.ndarray
    s1: np.ndarray
    d: np.ndarray
    roll: np.ndarray
    duration: np.ndarray
    images: np.ndarray
    orbit: np.ndarray
    present: list
    start: list
    hint_start: np.ndarray


def _greedy_hint(
    rows: pd.DataFrame, greedy: pd.DataFrame, t0, s0: np.ndarray, s1: np.ndarray, step: float
) -> tuple[np.ndarray, np.ndarray]:
    """Presence and start (grid steps) of every opportunity in the greedy plan, as CP-SAT's hint."""
    hinted = {(r.request, r.norad_id): _seconds(r.start, t0) for r in greedy.itertuples()}
    hint_present = np.zeros(len(rows), dtype=bool)
    hint_start = s0.astype(float).copy()
    for k, (request, norad_id) in enumerate(zip(rows.request, rows.norad_id, strict=True)):
        hint = hinted.get((request, norad_id))
        if hint is not None and s0[k] <= hint / step + 1e-6 and hint / step - 1e-6 <= s1[k]:
            hint_present[k], hint_start[k] = True, round(float(hint) / step)
    return hint_present, hint_start


def _add_slews(model: cp_model.CpModel, own: Agility, index: np.ndarray, terms: _Terms, step: float, cancel) -> None:
    """One satellite's images in some order, each pair apart by its slew (``index``: its opportunities sorted by
    start)."""
    s0, s1, d, roll, duration = terms.s0, terms.s1, terms.d, terms.roll, terms.duration
    present, start = terms.present, terms.start
    max_transition = int(own.steps(own.transition_s(0, 2 * own.max_off_nadir_deg)))
    for a_pos, a in enumerate(index):
        _check_cancel(cancel)
        for b in index[a_pos + 1 :]:
            if s0[b] > s1[a] + d[a] + max_transition:
                break  # windows sorted by start: no later one can conflict
            gap_ab = round(_gap_s(own, roll[a], roll[b], duration[a]) / step)
            gap_ba = round(_gap_s(own, roll[b], roll[a], duration[b]) / step)
            a_first = model.new_bool_var(f"o{a}_{b}")
            model.add_hint(a_first, bool(terms.hint_start[a] <= terms.hint_start[b]))
            model.add(start[a] + gap_ab <= start[b]).only_enforce_if([present[a], present[b], a_first])
            model.add(start[b] + gap_ba <= start[a]).only_enforce_if([present[a], present[b], a_first.negated()])


def _add_limits(
    model: cp_model.CpModel, own: Agility, index: np.ndarray, terms: _Terms, step: float, cycles: np.ndarray
) -> None:
    """One satellite's memory per downlink cycle and imaging time per orbit."""
    present, images, orbit = terms.present, terms.images, terms.orbit
    for cycle in np.unique(cycles):
        model.add(sum(int(images[k]) * present[k] for k in index[cycles == cycle]) <= own.memory_images)
    if own.max_imaging_s_per_orbit is not None:
        for revolution in np.unique(orbit[index]):
            members = index[orbit[index] == revolution]
            model.add(
                sum(int(terms.d[k]) * present[k] for k in members)
                <= int(np.floor(own.max_imaging_s_per_orbit / step + 1e-9))
            )


def plan_optimal(
    opps: pd.DataFrame,
    downlinks: pd.DataFrame,
    agility: Agility,
    t0,
    *,
    time_limit_s: float = 60.0,
    workers: int = 2,
    cancel=None,
) -> tuple[pd.DataFrame, bool]:
    """CP-SAT: optional imaging intervals in their windows, at most one per request, slew transitions between
    images of a satellite, memory per downlink cycle; maximise the priority taken. Starts from the greedy plan.
    Returns the acquisitions and whether they are proven optimal. ``cancel`` (an Event): once set, the search
    stops within a moment and :class:`~overhead.errors.CancelledError` is raised."""
    t0 = to_datetime64(t0)
    began = time.perf_counter()
    model = cp_model.CpModel()
    rows = opps.reset_index(drop=True)
    roll = rows.roll_deg.to_numpy(dtype=float)
    duration = rows.duration_s.to_numpy(dtype=float)
    step = agility.time_step_s  # the model counts in grid steps
    d = agility.steps(duration)
    s0 = np.ceil(_seconds(rows.start, t0) / step - 1e-9).astype(int)  # whole steps inside the window
    s1 = np.floor(_seconds(rows.end, t0) / step + 1e-9).astype(int) - d
    orbit = _orbit(rows, t0)
    images = _images(rows)
    memory_cycles = _Cycles(downlinks, t0)
    present = [model.new_bool_var(f"p{k}") for k in range(len(rows))]
    for short in np.flatnonzero(s1 < s0):
        model.add(present[short] == 0)  # too short once whole seconds are taken
    # the greedy plan, as a complete hint (presences, starts and the order of every pair)
    greedy = plan_greedy(rows, downlinks, agility, t0)
    _check_cancel(cancel)  # building the model takes seconds for thousands of opportunities: checked as it goes
    hint_present, hint_start = _greedy_hint(rows, greedy, t0, s0, s1, step)
    start = [model.new_int_var(int(s0[k]), int(max(s0[k], s1[k])), f"s{k}") for k in range(len(rows))]
    for _, group in rows.groupby("request"):
        model.add_at_most_one(present[k] for k in group.index)
    terms = _Terms(s0, s1, d, roll, duration, images, orbit, present, start, hint_start)
    for norad_id, group in rows.groupby("norad_id"):
        own = agility.for_satellite(norad_id)
        index = group.sort_values("start").index.to_numpy()
        _add_slews(model, own, index, terms, step, cancel)
        _add_limits(model, own, index, terms, step, memory_cycles.of(norad_id, s0[index].astype(float) * step))
    scale = 1000
    model.maximize(sum(round(scale * float(p)) * present[k] for k, p in enumerate(rows.priority)))
    for k in range(len(rows)):
        model.add_hint(present[k], bool(hint_present[k]))
        model.add_hint(start[k], round(float(min(max(hint_start[k], s0[k]), max(s0[k], s1[k])))))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(1.0, time_limit_s - (time.perf_counter() - began))
    solver.parameters.num_workers = workers
    status = _solve_cancellable(solver, model, cancel)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return greedy, False
    taken = [
        (
            rows.request[k],
            rows.norad_id[k],
            float(solver.value(start[k])) * step,
            duration[k],
            roll[k],
            rows.priority[k],
            int(images[k]),
        )
        for k in range(len(rows))
        if solver.value(present[k])
    ]
    plan = _acquisitions(taken, t0)
    if plan.priority.sum() < greedy.priority.sum():  # out of time before CP-SAT caught up: keep the better plan
        return greedy, False
    return plan, status == cp_model.OPTIMAL


def _solve_cancellable(solver: cp_model.CpSolver, model: cp_model.CpModel, cancel) -> Any:
    """``solver.solve(model)``, stopped (CpSolver.stop_search, from a watching thread) when ``cancel`` is set."""
    if cancel is None:
        return solver.solve(model)
    import threading

    finished = threading.Event()

    def watch() -> None:
        while not finished.wait(0.1):
            if cancel.is_set():
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, daemon=True, name="overhead-plan-cancel")
    watcher.start()
    try:
        status = solver.solve(model)
    finally:
        finished.set()
        watcher.join()
    _check_cancel(cancel)
    return status


def _check_cancel(cancel) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError("the plan was cancelled")


def _windows_of(acquisitions: pd.DataFrame, opps: pd.DataFrame) -> np.ndarray:
    """Position (in ``opps``) of the window of its satellite and request that each image lies in, -1 where none.
    A millisecond of slack: image times are whole nanoseconds from float seconds."""
    slack = np.timedelta64(1, "ms")
    found = np.full(len(acquisitions), -1, dtype=np.int64)
    for k, row in enumerate(acquisitions.itertuples()):
        inside = np.flatnonzero(
            (
                (opps.request == row.request)
                & (opps.norad_id == row.norad_id)
                & (opps.start <= row.start + slack)
                & (opps.end + slack >= row.end)
            ).to_numpy()
        )
        if inside.size:
            found[k] = inside[0]
    return found


def _imaging_per_orbit(acquisitions: pd.DataFrame, opps: pd.DataFrame, windows: np.ndarray, t0) -> dict:
    """Imaging seconds per (satellite, revolution), each image counted in the revolution its window opens in."""
    orbit = _orbit(opps, t0)
    used: dict = {}
    seconds = _seconds(acquisitions.end, t0) - _seconds(acquisitions.start, t0)
    for norad_id, window, duration in zip(acquisitions.norad_id, windows, seconds, strict=True):
        if window >= 0:
            key = (norad_id, int(orbit[window]))
            used[key] = used.get(key, 0.0) + duration
    return used


def explain_unscheduled(
    request_ids, opps: pd.DataFrame, acquisitions: pd.DataFrame, downlinks: pd.DataFrame, agility: Agility, t0
) -> pd.DataFrame:
    """For each request left out: no opportunity, or which limit stood in the way (memory full in every cycle
    where it could be imaged, else conflicts with the chosen images)."""
    t0 = to_datetime64(t0)
    taken = set(acquisitions.request)
    cycles = _Cycles(downlinks, t0)
    used = (
        acquisitions.assign(
            cycle=[int(cycles.of(r.norad_id, _seconds(r.start, t0))) for r in acquisitions.itertuples()],
            images=_images(acquisitions),
        )
        .groupby(["norad_id", "cycle"])
        .images.sum()
        if len(acquisitions)
        else pd.Series(dtype=int)
    )
    opps = opps.reset_index(drop=True)
    orbit = _orbit(opps, t0)
    duty = _imaging_per_orbit(acquisitions, opps, _windows_of(acquisitions, opps), t0)
    rows = []
    for request in request_ids:
        if request in taken:
            continue
        windows = opps[opps.request == request]
        if windows.empty:
            rows.append({"request": request, "reason": "no opportunity: never in view under the constraints"})
            continue
        full = all(
            used.get((w.norad_id, int(cycles.of(w.norad_id, _seconds(w.start, t0)))), 0) + int(getattr(w, "images", 1))
            > agility.for_satellite(w.norad_id).memory_images
            for w in windows.itertuples()
        )
        limits = [agility.for_satellite(w.norad_id).max_imaging_s_per_orbit for w in windows.itertuples()]
        powered = all(limit is not None for limit in limits) and all(
            duty.get((w.norad_id, revolution), 0.0) + w.duration_s > float(limit or 0.0) + 1e-9
            for w, revolution, limit in zip(windows.itertuples(), orbit[windows.index], limits, strict=True)
        )
        if full:
            reason = "memory full at every opportunity"
        elif powered:
            reason = "power/duty limit reached in every orbit where it could be imaged"
        else:
            reason = "conflicts: the satellites are busy with higher-value images at every opportunity"
        rows.append({"request": request, "reason": reason})
    return pd.DataFrame(rows, columns=["request", "reason"])


def check_plan(acquisitions: pd.DataFrame, opps: pd.DataFrame, downlinks: pd.DataFrame, agility: Agility, t0) -> None:
    """Raise unless every image lies in a real window of its satellite and request, the satellite can slew
    between consecutive images, each request is imaged at most once, memory never overflows, and no
    revolution holds more imaging than the power/duty limit."""
    t0 = to_datetime64(t0)
    if acquisitions.request.duplicated().any():
        raise OverheadError("a request is imaged twice")
    memory_cycles = _Cycles(downlinks, t0)
    windows = _windows_of(acquisitions, opps)
    if (windows < 0).any():
        row = acquisitions.iloc[int(np.flatnonzero(windows < 0)[0])]
        raise OverheadError(f"request {row.request} on {row.norad_id} is not inside an access window")
    for (norad_id, revolution), used in _imaging_per_orbit(acquisitions, opps, windows, t0).items():
        limit = agility.for_satellite(norad_id).max_imaging_s_per_orbit
        if limit is not None and used > limit + 1e-6:
            raise OverheadError(
                f"satellite {norad_id} images {used:.0f} s in revolution {revolution}, over its "
                f"power/duty limit of {limit:g} s per orbit"
            )
    for norad_id, images in acquisitions.groupby("norad_id"):
        images = images.sort_values("start")
        starts, ends = _seconds(images.start, t0), _seconds(images.end, t0)
        rolls = images.roll_deg.to_numpy()
        own = agility.for_satellite(norad_id)
        need = (ends - starts)[:-1] + own.transition_s(rolls[:-1], rolls[1:])  # start to next start
        if np.any(starts[:-1] + need > starts[1:] + 1e-6):
            raise OverheadError(f"satellite {norad_id} cannot slew between two consecutive images")
        cycles = memory_cycles.of(norad_id, starts)
        if len(cycles) and np.bincount(cycles, weights=_images(images)).max() > own.memory_images:
            raise OverheadError(f"satellite {norad_id} fills its memory between two downlinks")


DOWNLINK_COLUMNS = ["norad_id", "station", "start", "end"]


def downlink_windows(
    satellites, stations: TargetSet | None, start, stop, *, min_elevation_deg: float = 5.0
) -> pd.DataFrame:
    """Passes of the satellites over the ground stations (each empties the memory): norad_id, station, start, end."""
    if stations is None or len(stations) == 0:
        return pd.DataFrame(columns=DOWNLINK_COLUMNS)
    windows = access_windows(satellites, stations, start, stop, AccessConstraints(min_elevation_deg=min_elevation_deg))
    return windows.rename(columns={"target": "station"})[DOWNLINK_COLUMNS]


def make_plan(
    satellites,
    requests: TargetSet,
    priorities,
    start,
    stop,
    agility: Agility,
    *,
    stations: TargetSet | None = None,
    solver: str = "cp-sat",
    time_limit_s: float = 60.0,
    repeat_every_h=None,
    stereo=None,
    on_stage=None,
    cancel=None,
) -> Plan:
    """The whole pipeline: opportunities, downlinks, a greedy or CP-SAT plan, checked, with the left-out
    requests explained. ``on_stage(name, fraction)`` hears of its progress; ``cancel`` (an Event) stops it
    between stages and inside the CP-SAT search (:class:`~overhead.errors.CancelledError`)."""

    def report(name: str, fraction: float) -> None:
        _check_cancel(cancel)
        if on_stage is not None:
            on_stage(name, fraction)

    report("opportunities", 0.0)
    opps = opportunities(
        satellites, requests, priorities, start, stop, agility, repeat_every_h=repeat_every_h, stereo=stereo
    )
    report("downlinks", 0.4)
    downlinks = downlink_windows(satellites, stations, start, stop)
    report(f"solving ({solver}) over {len(opps)} opportunities", 0.5)
    if solver == "greedy":
        acquisitions, optimal = plan_greedy(opps, downlinks, agility, start), False
    else:
        acquisitions, optimal = plan_optimal(opps, downlinks, agility, start, time_limit_s=time_limit_s, cancel=cancel)
    report("checking", 0.95)
    check_plan(acquisitions, opps, downlinks, agility, start)
    wanted = repeat_request_ids(requests.ids, repeat_every_h, start, stop)
    return Plan(
        acquisitions,
        downlinks,
        float(acquisitions.priority.sum()),
        solver,
        optimal,
        explain_unscheduled(wanted, opps, acquisitions, downlinks, agility, start),
        requested=len(wanted),
        opportunities=len(opps),
    )
