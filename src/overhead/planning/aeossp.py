"""The AEOSSP standard cases of the astro-reason benchmark: real Earth-observation satellites (frozen TLEs, slew
and sensor models) and time-windowed city tasks, planned with overhead's agile planner.

What is modelled: field of regard per satellite, sensor type (visible / infrared) per task, task windows,
exact imaging durations on the action grid, slew time with the benchmark's bang-coast-bang model (the most
conservative satellite's rates for all, over the difference of roll angles). Not modelled: the battery
(the benchmark's power model) — plans may fail its verifier there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from overhead.analysis.access import access_windows
from overhead.errors import OverheadError
from overhead.geometry.sensors import AccessConstraints, FieldOfRegard
from overhead.geometry.targets import TargetSet
from overhead.orbits.catalog import Catalog
from overhead.orbits.records import ElementRecord
from overhead.orbits.timescales import format_iso, to_datetime64
from overhead.orbits.tle import parse_tle_pair
from overhead.planning.agile import Agility, signed_roll

__all__ = ["AeosspCase", "read_aeossp"]


@dataclass
class AeosspCase:
    """One case: satellites (catalog + per-satellite table), tasks, horizon, action grid."""

    name: str
    catalog: Catalog
    satellites: pd.DataFrame  # norad_id, satellite_id, sensor_type, max_off_nadir_deg, slew..., settling_s
    tasks: pd.DataFrame  # task_id, lat, lon, alt_m, release, due, duration_s, sensor_type, weight
    start: np.datetime64
    stop: np.datetime64
    step_s: float

    def agility(self) -> Agility:
        """One agility for every satellite: the slowest slew and longest settling of the fleet (conservative)."""
        s = self.satellites
        return Agility(
            max_off_nadir_deg=float(s.max_off_nadir_deg.max()),
            slew_rate_deg_s=float(s.max_slew_velocity_deg_per_s.min()),
            slew_acceleration_deg_s2=float(s.max_slew_acceleration_deg_per_s2.min()),
            settle_s=float(s.settling_time_s.max()),
            imaging_s=float(self.tasks.duration_s.max()),
            memory_images=10**6,
            min_sun_elevation_deg=None,
            time_step_s=self.step_s,
        )

    def opportunities(self) -> pd.DataFrame:
        """Windows in which a satellite of the right sensor can image a task for its whole duration, clipped to
        the task's window, each satellite within its own field of regard."""
        targets = TargetSet(self.tasks.task_id.to_numpy(dtype=object), self.tasks.lat, self.tasks.lon, self.tasks.alt_m)
        parts = []
        for off_nadir, sats in self.satellites.groupby("max_off_nadir_deg"):
            catalog = self.catalog.select(sats.norad_id.tolist())
            windows = access_windows(
                catalog, targets, self.start, self.stop, AccessConstraints(sensor=FieldOfRegard(float(off_nadir)))
            )
            parts.append((catalog, windows))
        rows = []
        tasks = self.tasks.set_index("task_id")
        sensor_of = dict(zip(self.satellites.norad_id, self.satellites.sensor_type, strict=True))
        for catalog, windows in parts:
            if windows.empty:
                continue
            task = tasks.loc[windows.target.to_numpy()]
            start = np.maximum(windows.start.to_numpy(), task.release.to_numpy())
            end = np.minimum(windows.end.to_numpy(), task.due.to_numpy())
            keep = ((end - start) / np.timedelta64(1, "s") >= task.duration_s.to_numpy()) & (
                windows.norad_id.map(sensor_of).to_numpy() == task.sensor_type.to_numpy()
            )
            kept = windows[keep].assign(start=start[keep], end=end[keep]).reset_index(drop=True)
            index = pd.Index(targets.ids).get_indexer(kept.target)
            kept["roll_deg"] = signed_roll(catalog, targets, kept, index)
            kept["request"] = kept.target
            kept["priority"] = task.weight.to_numpy()[keep]
            kept["duration_s"] = task.duration_s.to_numpy(dtype=float)[keep]
            rows.append(kept)
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

    def solution(self, acquisitions: pd.DataFrame) -> dict:
        """The benchmark's solution object: one observation action per acquisition."""
        satellite_id = dict(zip(self.satellites.norad_id, self.satellites.satellite_id, strict=True))

        return {
            "actions": [
                {
                    "type": "observation",
                    "satellite_id": satellite_id[r.norad_id],
                    "task_id": r.request,
                    "start_time": str(format_iso(r.start, digits=0)),
                    "end_time": str(format_iso(r.end, digits=0)),
                }
                for r in acquisitions.sort_values("start").itertuples()
            ]
        }


def read_aeossp(case_dir: str | Path) -> AeosspCase:
    """Read mission.yaml, satellites.yaml and tasks.yaml of one case."""
    folder = Path(case_dir)
    try:
        mission = yaml.safe_load((folder / "mission.yaml").read_text())["mission"]
        satellites = yaml.safe_load((folder / "satellites.yaml").read_text())["satellites"]
        tasks = yaml.safe_load((folder / "tasks.yaml").read_text())["tasks"]
    except (OSError, KeyError, TypeError) as exc:
        raise OverheadError(f"{folder}: not an AEOSSP case ({exc})") from None
    records, rows = [], []
    for sat in satellites:
        record = parse_tle_pair(sat["tle_line1"], sat["tle_line2"], source=str(folder / "satellites.yaml"))
        records.append(ElementRecord(**{**record.__dict__, "name": sat["satellite_id"]}))
        rows.append(
            {
                "norad_id": record.norad_id,
                "satellite_id": sat["satellite_id"],
                "sensor_type": sat["sensor"]["sensor_type"],
                **sat["attitude_model"],
            }
        )
    table = pd.DataFrame(
        [
            {
                "task_id": t["task_id"],
                "lat": t["latitude_deg"],
                "lon": t["longitude_deg"],
                "alt_m": t.get("altitude_m", 0.0),
                "release": to_datetime64(t["release_time"]),
                "due": to_datetime64(t["due_time"]),
                "duration_s": float(t["required_duration_s"]),
                "sensor_type": t["required_sensor_type"],
                "weight": float(t["weight"]),
            }
            for t in tasks
        ]
    )
    return AeosspCase(
        folder.name,
        Catalog.from_records(records, from_tle=True),
        pd.DataFrame(rows),
        table,
        to_datetime64(mission["horizon_start"]),
        to_datetime64(mission["horizon_end"]),
        float(mission["action_time_step_s"]),
    )
