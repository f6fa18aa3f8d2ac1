"""Solar and geomagnetic activity, the drivers of the thermosphere's density: CelesTrak's space-weather file
(``CssiSpaceWeather`` v1.2, celestrak.org/SpaceData/SpaceWx-format.php) — daily observed F10.7 with its 81-day
centred mean and the daily Ap, then CelesTrak's daily and monthly predictions.

The shipped copy (``overhead/data/space_weather.txt.gz``) covers 1990 to the predictions' end (2041); a newer one
is read from the path in ``$OVERHEAD_SPACE_WEATHER``.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from overhead._resources import data_path
from overhead.errors import OverheadError

__all__ = ["SpaceWeather", "parse_space_weather", "space_weather"]

ENV = "OVERHEAD_SPACE_WEATHER"
QUIET_AP = 15.0  # the monthly predictions carry no Ap: a moderate, typical day


@dataclass(frozen=True)
class SpaceWeather:
    """Daily values, one row per UTC day (``days``, datetime64[D], increasing): observed F10.7 (sfu), its 81-day
    centred mean (sfu) and the day's Ap."""

    days: np.ndarray
    f107_sfu: np.ndarray
    f107_81day_sfu: np.ndarray
    ap: np.ndarray
    source: str = ""
    daily_until: np.datetime64 | None = None  # the last day of daily values; monthly predictions after it

    def at(self, times) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(the previous day's F10.7, the 81-day mean, the day's Ap) for each time, as NRLMSIS takes them; times
        beyond the table hold its last values, before it its first."""
        day = np.asarray(times, dtype="datetime64[ns]").astype("datetime64[D]")
        index = np.clip(np.searchsorted(self.days, day, side="right") - 1, 0, len(self.days) - 1)
        previous = np.clip(index - 1, 0, len(self.days) - 1)
        return self.f107_sfu[previous], self.f107_81day_sfu[index], self.ap[index]


def _number(line: str, start: int, stop: int) -> float:
    text = line[start:stop].strip()
    return float(text) if text else np.nan


def parse_space_weather(text: str, *, source: str = "space weather") -> SpaceWeather:
    """Read the observed, daily-predicted and monthly-predicted sections (monthly rows are spread over their
    month). Raises :class:`OverheadError` naming the line when a row cannot be read."""
    rows: list[tuple[np.datetime64, float, float, float]] = []
    daily: list[np.datetime64] = []
    section = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("BEGIN "):
            section = line.split()[1]
            continue
        if line.startswith("END "):
            section = ""
            continue
        if not section or not line.strip():
            continue
        try:
            day = np.datetime64(f"{line[0:4]}-{line[5:7]}-{line[8:10]}", "D")
            ap = _number(line, 78, 82)
            f107, f107_81 = _number(line, 112, 118), _number(line, 118, 124)
        except ValueError:
            raise OverheadError(
                f"{source}, line {number}: not a space-weather row ({line[:40]!r}); see "
                "celestrak.org/SpaceData/SpaceWx-format.php"
            ) from None
        if section == "MONTHLY_PREDICTED":
            following = (day.astype("datetime64[M]") + 1).astype("datetime64[D]")
            rows += [(d, f107, f107_81, QUIET_AP) for d in np.arange(day, following)]
        else:
            rows.append((day, f107, f107_81, ap))
            daily.append(day)
    if not rows:
        raise OverheadError(f"{source}: no space-weather rows (a CelesTrak SW file has BEGIN OBSERVED … END OBSERVED)")
    rows.sort(key=lambda r: r[0])
    days = np.array([r[0] for r in rows], dtype="datetime64[D]")
    keep = np.r_[days[1:] != days[:-1], True]  # a day in two sections: the later section's row
    values = np.array([r[1:] for r in rows], dtype=float)[keep]
    for column in range(3):  # a blank value (a gap in an old record): the nearest earlier one
        missing = np.isnan(values[:, column])
        if missing.all():
            raise OverheadError(f"{source}: a column of F10.7 or Ap is empty")
        filled = np.maximum.accumulate(np.where(missing, 0, np.arange(len(missing))))
        values[:, column] = values[filled, column]
        values[np.isnan(values[:, column]), column] = np.nanmean(values[:, column])
    return SpaceWeather(days[keep], values[:, 0], values[:, 1], values[:, 2], source, max(daily) if daily else None)


@lru_cache(maxsize=1)
def space_weather() -> SpaceWeather:
    """The table in use: ``$OVERHEAD_SPACE_WEATHER`` if set, else the shipped one."""
    path = Path(os.environ[ENV]) if os.environ.get(ENV) else data_path("space_weather.txt.gz")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise OverheadError(f"space weather {path}: {exc.strerror or exc}; set ${ENV} to a CelesTrak SW file") from None
    text = gzip.decompress(raw).decode("ascii", "replace") if raw[:2] == b"\x1f\x8b" else raw.decode("ascii", "replace")
    return parse_space_weather(text, source=str(path))
