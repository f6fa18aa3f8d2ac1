"""Earth orientation parameters (UT1 − UTC, polar motion) from the IERS ``finals2000A`` table.

The package ships a copy (finals to 2026-08, predictions to 2027-08); ``overhead iers update`` saves a
newer one in the user's data directory, which then takes precedence. Beyond the table's last row the
last values are held, with a warning once the gap exceeds :data:`STALE_AFTER_DAYS`.
"""

from __future__ import annotations

import gzip
import urllib.request
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from overhead._resources import data_path, user_data_dir
from overhead.errors import TimeError
from overhead.orbits.timescales import mjd_utc, tai_minus_utc_s

__all__ = ["EarthOrientation", "earth_orientation", "update_iers"]

ARCSEC_TO_RAD = np.pi / (180.0 * 3600.0)
STALE_AFTER_DAYS = 30.0
IERS_FINALS_URL = "https://datacenter.iers.org/data/9/finals2000A.all"
USER_FILE_NAME = "finals2000A.all"
_SAID_BEYOND: set[str] = set()  # the tables a time beyond the end has been warned of


@dataclass(frozen=True, eq=False)
class EarthOrientation:
    """Daily EOP rows: UTC MJD, polar motion x/y (arcsec), UT1 − UTC (s), predicted flag."""

    mjd: np.ndarray
    x_arcsec: np.ndarray
    y_arcsec: np.ndarray
    ut1_utc_s: np.ndarray
    predicted: np.ndarray
    source: str
    ut1_tai_s: np.ndarray  # UT1 − TAI, smooth across leap seconds, for interpolation

    @property
    def last_mjd(self) -> float:
        return float(self.mjd[-1])

    def _check_span(self, mjd: np.ndarray) -> None:
        if mjd.size == 0:
            return
        if np.nanmin(mjd) < self.mjd[0]:
            raise TimeError(
                f"time before the first Earth-orientation row (MJD {self.mjd[0]:.0f}, "
                f"1973-01-02) in {self.source}; UT1 is unknown there"
            )
        beyond = np.nanmax(mjd) - self.last_mjd
        if beyond > STALE_AFTER_DAYS and self.source not in _SAID_BEYOND:
            _SAID_BEYOND.add(self.source)  # said once a table: a long computation asks chunk after chunk
            warnings.warn(
                f"time is {beyond:.0f} days beyond the Earth-orientation table "
                f"({self.source}); UT1 − UTC and polar motion are held at their last values. "
                f"Run `overhead iers update` for a newer table.",
                stacklevel=3,
            )

    def ut1_minus_utc_s(self, times) -> np.ndarray:
        """UT1 − UTC in seconds, interpolated linearly in UT1 − TAI (smooth across leap seconds)."""
        mjd = mjd_utc(times)
        self._check_span(np.atleast_1d(mjd))
        return np.interp(mjd, self.mjd, self.ut1_tai_s) + tai_minus_utc_s(times)

    def polar_motion_rad(self, times) -> tuple[np.ndarray, np.ndarray]:
        """Pole coordinates (x_p, y_p) in radians, interpolated linearly."""
        mjd = mjd_utc(times)
        self._check_span(np.atleast_1d(mjd))
        return (
            np.interp(mjd, self.mjd, self.x_arcsec) * ARCSEC_TO_RAD,
            np.interp(mjd, self.mjd, self.y_arcsec) * ARCSEC_TO_RAD,
        )


def parse_finals(text: str, *, source: str = "finals2000A") -> EarthOrientation:
    """Read the fixed-column IERS ``finals2000A`` format (Bulletin A columns)."""
    mjd, x, y, dut1, predicted = [], [], [], [], []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if len(line) < 68 or not line[58:68].strip():
            continue  # rows past the prediction horizon have no UT1 − UTC
        try:
            mjd.append(float(line[7:15]))
            x.append(float(line[18:27]))
            y.append(float(line[37:46]))
            dut1.append(float(line[58:68]))
        except ValueError as exc:
            raise TimeError(f"{source}, line {lineno}: not a finals2000A row ({exc})") from exc
        predicted.append(line[57] == "P")
    if len(mjd) < 2:
        raise TimeError(f"{source}: no Earth-orientation rows found; is this a finals2000A file?")
    mjd_array, dut1_array = np.array(mjd), np.array(dut1)
    row_times = np.round((mjd_array - 40587.0) * 86_400e9).astype(np.int64).astype("datetime64[ns]")
    return EarthOrientation(
        mjd_array,
        np.array(x),
        np.array(y),
        dut1_array,
        np.array(predicted),
        source,
        dut1_array - tai_minus_utc_s(row_times),
    )


def _read_text(path: Path) -> str:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="ascii") as handle:
            return handle.read()
    return path.read_text(encoding="ascii")


@lru_cache(maxsize=1)
def earth_orientation() -> EarthOrientation:
    """The EOP table in use: the user's updated copy if there is one, else the shipped one."""
    user_file = user_data_dir() / USER_FILE_NAME
    path = user_file if user_file.exists() else data_path("finals2000A.all.gz")
    return parse_finals(_read_text(path), source=str(path))


def update_iers(source: str | None = None) -> Path:
    """Install a newer ``finals2000A`` table from a file path or URL (default: the IERS data centre).

    The table is parsed and checked before it replaces the current one. Returns the installed path.
    """
    source = source or IERS_FINALS_URL
    try:
        if "://" in source:
            with urllib.request.urlopen(source, timeout=60) as response:
                raw = response.read()
        else:
            raw = Path(source).read_bytes()
    except (OSError, ValueError) as exc:  # URLError and time-outs are OSErrors
        raise TimeError(
            f"could not read {source}: {getattr(exc, 'reason', exc)}; offline? download finals2000A.all "
            f"elsewhere and give its path: overhead iers update FILE"
        ) from None
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    parse_finals(raw.decode("ascii"), source=source)
    target_dir = user_data_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    tmp = target_dir / (USER_FILE_NAME + ".part")
    tmp.write_bytes(raw)
    final = target_dir / USER_FILE_NAME
    tmp.replace(final)  # atomic: a reader sees the old table or the new one
    earth_orientation.cache_clear()
    return final
