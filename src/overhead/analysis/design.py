"""Constellation design sweeps: evaluate many candidate designs against a monitoring requirement.

A sweep is a YAML (or dict) spec: where (region), when (start, days), what the sensor and constraints are,
the design families with their parameter ranges (each list is swept), the requirement, and a cost proxy.
Each design is one Dask task; finished designs are cached on disk by a hash of everything that determines
their result, so a re-run (or a run after an interruption) reuses them.

Example spec::

    name: europe
    where: {country: France, resolution: 3}
    start: 2026-03-21T00:00:00Z
    days: 2
    sensor: {half_angle_deg: [20, 30]}
    constraints: {min_sun_elevation_deg: 10}
    designs:
      - walker: {total: [6, 12, 24], planes: [3, 6], phasing: [1], inclination_deg: [53, 97.6], altitude_km: [600]}
      - sso: {planes: [1, 2], per_plane: [1, 2, 4], altitude_km: [700], ltan_h: [10.5], plane_spread_h: [3]}
      - repeat: {revolutions: [233], repeat_days: [16], per_plane: [1, 2], ltan_h: [10.0]}
    requirement:
      - {every_h: 12, percentile_area: 95}   # max_gap_s <= 12 h: the gaps at both ends count
    cost: {per_satellite: 1.0, per_plane: 0.5}
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from overhead.analysis.coverage import SHARED, coverage, run_tasks
from overhead.analysis.revisit import FIGURES_OF_MERIT, weights_of
from overhead.errors import OverheadError
from overhead.geometry.grids import AnalysisGrid
from overhead.geometry.sensors import AccessConstraints
from overhead.geometry.specs import ConstraintsSpec, GridFileSpec, validated
from overhead.orbits.constellations import repeat_ground_track_altitude_km, sun_synchronous_inclination_deg, walker
from overhead.orbits.j2 import DesignedOrbits
from overhead.orbits.sun import sun_position_teme_km
from overhead.orbits.timescales import format_iso, to_datetime64
from overhead.readers import read_yaml_file

__all__ = [
    "DesignSpec",
    "Requirement",
    "best_design",
    "build_design",
    "design_from_row",
    "load_spec",
    "pareto_front",
    "sweep",
]

FAMILIES = ("walker", "sso", "repeat", "mix")


@dataclass(frozen=True)
class Requirement:
    """A threshold on a figure of merit over a share of the area: e.g. max revisit ≤ 6 h over 95 % of it.

    ``percentile_area`` = 95 means the value that 95 % of the area (area-weighted) does not exceed; a point
    where the metric is undefined (never seen, or seen once for revisits) counts as failing.
    """

    metric: str
    max: float
    percentile_area: float = 100.0

    def __post_init__(self) -> None:
        if self.metric not in FIGURES_OF_MERIT:
            raise OverheadError(f"unknown metric {self.metric!r}; use one of {', '.join(FIGURES_OF_MERIT)}")

    @property
    def column(self) -> str:
        return f"{self.metric}_p{self.percentile_area:g}"

    @classmethod
    def from_mapping(cls, data: dict) -> Requirement:
        """A requirement of a spec: ``{metric, max, percentile_area}``, or "at least once every T" as
        ``{every_h: 24, percentile_area: 95}`` (or ``every_s``), which is ``max_gap_s <= T``: the longest gap
        over the whole interval, the gaps before the first and after the last access included."""
        data = dict(data)
        every = [k for k in ("every_h", "every_s") if k in data]
        if every:
            if "metric" in data or "max" in data or len(every) > 1:
                raise OverheadError(f"requirement {data}: give either every_h / every_s, or metric and max")
            value = float(data.pop(every[0]))
            seconds = value * 3600.0 if every[0] == "every_h" else value
            if not seconds > 0:
                raise OverheadError(f"requirement {every[0]} must be positive, not {value}")
            return cls(metric="max_gap_s", max=seconds, **data)
        unknown = set(data) - {"metric", "max", "percentile_area"}
        if unknown or "metric" not in data or "max" not in data:
            raise OverheadError(
                f"requirement {data}: needs metric and max (and optionally percentile_area), or "
                "every_h; unknown keys: " + ", ".join(sorted(unknown))
            )
        return cls(**data)


@dataclass
class DesignSpec:
    """A parsed sweep specification."""

    name: str
    where: dict
    start: np.datetime64
    days: float
    sensor: dict
    constraints: dict
    designs: list[dict]
    requirement: list[Requirement]
    cost: dict = field(default_factory=lambda: {"per_satellite": 1.0, "per_plane": 0.0})

    def grid(self) -> AnalysisGrid:
        return AnalysisGrid.from_spec(_where_grid(self.where))

    def candidates(self) -> Iterator[dict]:
        """Every design of the spec as a flat dict of parameters (family, sensor and orbit values).

        A ``mix`` block lists family blocks; its designs are every combination of one design of each
        (e.g. a polar plane plus inclined planes), recorded as JSON in the ``parts`` column.
        """
        sensor_grid = _product(self.sensor)
        for block in self.designs:
            family, params = _family_block(block)
            if family == "mix":
                orbits = [
                    {"family": "mix", "parts": json.dumps(combo)}
                    for combo in itertools.product(*[list(_orbit_candidates(sub)) for sub in params])
                ]
            else:
                orbits = list(_orbit_candidates(block))
            for orbit in orbits:
                for sensor in sensor_grid:
                    yield {**orbit, **sensor}


def _family_block(block: dict) -> tuple[str, dict | list]:
    if not isinstance(block, dict) or len(block) != 1 or next(iter(block)) not in FAMILIES:
        raise OverheadError(f"each design block needs one family key of {', '.join(FAMILIES)}: {block}")
    return next(iter(block.items()))


def _orbit_candidates(block: dict) -> Iterator[dict]:
    """The orbit designs of one family block (no sensor), skipping invalid Walker patterns."""
    family, params = _family_block(block)
    if family == "mix":
        raise OverheadError("a mix cannot contain another mix")
    if not isinstance(params, dict):
        raise OverheadError(f"a {family} block holds parameters (a mapping), not {type(params).__name__}")
    for values in _product(params):
        candidate = {"family": family, **values}
        if family == "walker" and (
            candidate["total"] % candidate["planes"] or not 0 <= candidate.get("phasing", 0) < candidate["planes"]
        ):
            continue  # not a valid Walker pattern
        yield candidate


def _product(params: dict) -> list[dict]:
    keys = list(params)
    lists = [v if isinstance(v, list) else [v] for v in params.values()]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*lists)]


def _where_grid(where: dict) -> GridFileSpec:
    """A sweep's ``where`` (one of country, band, geojson, points or global: true; resolution) as the grid spec
    the command line and the service use."""
    w = dict(where)
    unknown = set(w) - {"country", "band", "geojson", "points", "global", "resolution"}
    if unknown:
        raise OverheadError(
            f"where: unknown key {', '.join(sorted(unknown))}; give one of country, band, geojson, "
            f"points or global: true, and optionally resolution"
        )
    return GridFileSpec.from_choice(
        points=w.get("points"),
        region=w.get("geojson"),
        country=w.get("country"),
        globe=bool(w.get("global")),
        band=w.get("band"),
        resolution=w.get("resolution"),
        names={"points": "points", "region": "geojson", "country": "country", "globe": "global: true", "band": "band"},
    )


def _constraints_spec(constraints: dict, half_angle_deg: float | None = None) -> ConstraintsSpec:
    """A sweep's ``constraints`` (and the sensor's cone) validated by the request model."""
    if "half_angle_deg" in constraints:
        raise OverheadError("constraints: give the cone half-angle under sensor (half_angle_deg), where it is swept")
    return validated(ConstraintsSpec, {**constraints, "half_angle_deg": half_angle_deg}, where="constraints")


def load_spec(path_or_dict) -> DesignSpec:
    """Read a sweep spec from a YAML file or a dict."""
    data = path_or_dict
    if not isinstance(data, dict):
        data = read_yaml_file(path_or_dict, "a sweep spec (YAML)")
        if not isinstance(data, dict):
            raise OverheadError(
                f"{path_or_dict}: a sweep spec is a mapping of where, start, days, designs and "
                f"requirement (see examples/sweep_france.yaml)"
            )
    missing = [k for k in ("where", "start", "days", "designs", "requirement") if k not in data]
    if missing:
        raise OverheadError(f"the sweep spec lacks {', '.join(missing)}")
    for key in ("where", "sensor", "constraints", "cost"):
        if key in data and not isinstance(data[key], dict):
            raise OverheadError(f"the sweep spec's {key} is a mapping (key: value), not {data[key]!r:.60}")
    if not isinstance(data["designs"], list) or not isinstance(data["requirement"], list):
        raise OverheadError("the sweep spec's designs and requirement are lists (- item)")
    requirement = [Requirement.from_mapping(r) for r in data["requirement"]]
    _where_grid(dict(data["where"]))  # refused here, before any design runs, when it does not make sense
    constraints = dict(data.get("constraints", {}))
    sensor = dict(data.get("sensor", {"half_angle_deg": 30.0}))
    unknown = sorted(set(sensor) - {"half_angle_deg"})
    if unknown:
        raise OverheadError(
            f"sensor: unknown key {', '.join(map(str, unknown))}: a sweep's sensor has "
            f"half_angle_deg (the nadir cone, degrees: one value or a list)"
        )
    for cone in _product(sensor):  # every swept cone, with the constraints, as the request model accepts them
        _constraints_spec(constraints, cone.get("half_angle_deg"))
    return DesignSpec(
        name=str(data.get("name", "sweep")),
        where=dict(data["where"]),
        start=to_datetime64(str(data["start"])),
        days=float(data["days"]),
        sensor=sensor,
        constraints=constraints,
        designs=list(data["designs"]),
        requirement=requirement,
        cost=dict(data.get("cost", {"per_satellite": 1.0})),
    )


def _raan_for_ltan(ltan_h: float, epoch: np.datetime64) -> float:
    """RAAN (deg) putting the ascending node at local time ``ltan_h`` at the epoch (mean Sun: apparent Sun's
    right ascension, within the 16-minute equation of time)."""
    sun = sun_position_teme_km(np.array([epoch]))[0]
    sun_ra = np.degrees(np.arctan2(sun[1], sun[0]))
    return float((sun_ra + (ltan_h - 12.0) * 15.0) % 360.0)


def build_design(candidate: dict, epoch: np.datetime64) -> DesignedOrbits:
    """The satellites of one candidate design."""
    family = candidate["family"]
    if family == "mix":
        return DesignedOrbits.concatenate([build_design(part, epoch) for part in json.loads(candidate["parts"])])
    if family == "walker":
        return walker(
            int(candidate["total"]),
            int(candidate["planes"]),
            int(candidate.get("phasing", 0)),
            inclination_deg=float(candidate["inclination_deg"]),
            altitude_km=float(candidate["altitude_km"]),
            pattern=candidate.get("pattern", "delta"),
            epoch=epoch,
        )
    if family in ("sso", "repeat"):
        if family == "repeat":
            altitude = repeat_ground_track_altitude_km(int(candidate["revolutions"]), float(candidate["repeat_days"]))
        else:
            altitude = float(candidate["altitude_km"])
        planes, per_plane = int(candidate.get("planes", 1)), int(candidate.get("per_plane", 1))
        inclination = float(sun_synchronous_inclination_deg(altitude))
        raan0 = _raan_for_ltan(float(candidate.get("ltan_h", 10.5)), epoch)
        # SSO planes share a local time when they share a node: spread them in local time over 12 h at most
        spread = float(candidate.get("plane_spread_h", 0.0))
        raan = np.repeat(raan0 + np.arange(planes) * spread * 15.0, per_plane)
        anomaly = np.tile(np.arange(per_plane) * 360.0 / per_plane, planes)
        return DesignedOrbits.from_altitude(
            altitude, inclination, raan_deg=raan % 360.0, mean_anomaly_deg=anomaly, epoch=epoch
        )
    raise OverheadError(f"unknown design family {family!r}")


def _planes(candidate: dict) -> int:
    if candidate["family"] == "mix":
        return sum(_planes(part) for part in json.loads(candidate["parts"]))
    return int(candidate.get("planes", 1))


def _cost(candidate: dict, n_satellites: int, cost: dict) -> float:
    return float(cost.get("per_satellite", 1.0)) * n_satellites + float(cost.get("per_plane", 0.0)) * _planes(candidate)


def area_percentile(values: np.ndarray, area: np.ndarray, percentile: float) -> float:
    """The value that ``percentile`` % of the area does not exceed; undefined values count as infinite."""
    values = np.where(np.isfinite(values), values, np.inf)
    order = np.argsort(values)
    cumulative = np.cumsum(area[order]) / area.sum()
    index = min(int(np.searchsorted(cumulative, percentile / 100.0 - 1e-12)), values.size - 1)
    return float(values[order][index])


def evaluate(candidate: dict, spec: DesignSpec, grid: AnalysisGrid) -> dict:
    """Coverage figures of one design: global means, the requirement's percentiles, feasibility."""
    design = build_design(candidate, spec.start)
    constraints = AccessConstraints.from_spec(_constraints_spec(spec.constraints, float(candidate["half_angle_deg"])))
    stop = spec.start + np.timedelta64(round(spec.days * 86_400), "s")
    result = coverage(design, grid, spec.start, stop, constraints, scheduler="none", keep_windows=False)
    row = dict(candidate)
    row["epoch"] = str(format_iso(spec.start, digits=0))
    row["satellites"] = len(design)
    row["cost"] = _cost(candidate, len(design), spec.cost)
    for name in FIGURES_OF_MERIT:
        row[f"global_{name}"] = float(result.summary[f"global_{name}"])
    row["global_percent_points_observed"] = float(result.summary.global_percent_points_observed)
    area = weights_of(result.stats.area_km2.to_numpy())
    feasible = True
    for requirement in spec.requirement:
        value = area_percentile(result.stats[requirement.metric].to_numpy(), area, requirement.percentile_area)
        row[requirement.column] = value
        feasible &= value <= requirement.max
    row["feasible"] = bool(feasible)
    return row


def _evaluate_batch(batch: list[tuple[str, dict]], spec: DesignSpec, grid: AnalysisGrid) -> list[tuple[str, dict]]:
    return [(key, evaluate(candidate, spec, grid)) for key, candidate in batch]


def _key(candidate: dict, spec: DesignSpec) -> str:
    payload = {
        "candidate": candidate,
        "where": spec.where,
        "start": str(spec.start),
        "days": spec.days,
        "constraints": spec.constraints,
        "requirement": [r.__dict__ for r in spec.requirement],
        "cost": spec.cost,
        "version": 2,
    }  # 2: gap figures over the whole interval
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:20]


def sweep(
    spec: DesignSpec, *, scheduler: str | None = None, cache_dir: str | Path | None = None, progress: bool = False
) -> pd.DataFrame:
    """Evaluate every candidate design of ``spec``; a table with one row per design.

    Designs found in ``cache_dir`` (default ``.overhead-cache/<name>``) are read back instead of recomputed;
    each finished design is written there at once, so an interrupted sweep resumes where it stopped.
    """
    grid = spec.grid()
    cache = Path(cache_dir or Path(".overhead-cache") / spec.name)
    cache.mkdir(parents=True, exist_ok=True)
    candidates = list(spec.candidates())
    if not candidates:
        raise OverheadError("the spec describes no valid design")
    rows: dict[str, dict] = {}
    todo = []
    for candidate in candidates:
        key = _key(candidate, spec)
        path = cache / f"{key}.json"
        if path.exists():
            rows[key] = json.loads(path.read_text())
        else:
            todo.append((key, candidate))

    def store(key: str, row: dict) -> None:
        rows[key] = row
        tmp = cache / f"{key}.json.part"
        tmp.write_text(json.dumps(row, default=float))
        tmp.replace(cache / f"{key}.json")  # atomic: a cached design is whole or absent

    if todo:
        # a few designs per task: one design is tens of milliseconds, a task's round trip a few
        size = 1 if scheduler in ("none", "serial") else max(1, min(16, len(todo) // 16))
        batches = [todo[k : k + size] for k in range(0, len(todo), size)]

        def stored(_index: int, results: list[tuple[str, dict]]) -> None:
            for key, row in results:
                store(key, row)

        run_tasks(
            _evaluate_batch,
            [(batch, spec, SHARED) for batch in batches],
            scheduler=scheduler,
            shared=grid,
            progress=progress,
            description=f"sweep {spec.name}",
            on_result=stored,
        )
    table = pd.DataFrame([rows[_key(c, spec)] for c in candidates])
    objective = spec.requirement[0].column
    table["pareto"] = pareto_front(table["cost"].to_numpy(), table[objective].to_numpy())
    return table


def pareto_front(cost: np.ndarray, objective: np.ndarray) -> np.ndarray:
    """Designs no other design beats on both cost and objective (both minimised)."""
    objective = np.where(np.isfinite(objective), objective, np.inf)
    order = np.lexsort((objective, cost))
    on_front = np.zeros(cost.size, dtype=bool)
    best = np.inf
    for i in order:
        if objective[i] < best:
            on_front[i] = True
            best = objective[i]
    return on_front


def best_design(table: pd.DataFrame) -> pd.Series:
    """The cheapest feasible design (ties broken by the first requirement's value, the column after
    ``feasible``'s requirement columns)."""
    if "feasible" not in table:
        raise OverheadError("the table has no feasible column: is it a sweep's results?")
    if not pd.api.types.is_bool_dtype(table.feasible):  # a results file cut short, or edited by hand
        raise OverheadError("the feasible column holds more than true/false: is it a whole sweep's results?")
    feasible = table[table.feasible]
    if feasible.empty:
        raise OverheadError("no design meets the requirement; widen the sweep or relax the requirement")
    objective = next((c for c in table.columns if "_p" in c and c.split("_p")[0] in FIGURES_OF_MERIT), None)
    if objective is None:
        raise OverheadError("the table has no requirement column (such as max_gap_s_p95): is it a sweep's results?")
    return feasible.sort_values(["cost", objective]).iloc[0]


def design_from_row(row: pd.Series) -> DesignedOrbits:
    """Rebuild the satellites of a design from its row of a sweep's results."""
    candidate = {k: v for k, v in row.items() if not (isinstance(v, float) and np.isnan(v))}
    try:
        return build_design(candidate, to_datetime64(str(row["epoch"])))
    except (KeyError, TypeError) as exc:  # a row of another table, or one edited by hand
        raise OverheadError(f"the row is not a design of a sweep's results (no usable {exc})") from None
