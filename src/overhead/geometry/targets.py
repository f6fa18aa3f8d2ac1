"""Ground targets and stations: points on the WGS84 ellipsoid, with elevation masks."""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from overhead.errors import OverheadError
from overhead.geometry.topocentric import GroundSite
from overhead.orbits.frames import geodetic_to_itrf
from overhead.readers import csv_rows, read_text_file

__all__ = ["TargetSet", "load_targets"]

# the usual spellings of a site table's columns, in order of preference (matched without regard to case)
LAT_NAMES = ("lat_deg", "lat", "latitude", "latitude_deg")
LON_NAMES = ("lon_deg", "lon", "lng", "longitude", "longitude_deg", "long")
ALT_NAMES = ("alt_m", "altitude_m", "elevation_m", "height_m", "alt", "altitude")  # metres
MASK_NAMES = ("min_elevation_deg", "min_horizon", "min_elevation", "horizon_deg")  # a station's own mask, degrees
ID_NAMES = ("id", "name", "target", "station")


@dataclass
class TargetSet:
    """Points on the ground (arrays of equal length) and, per point, an elevation mask.

    ``min_elevation_deg`` is each point's own mask (a station's horizon, NaN = use the analysis'
    constraint). ``terrain_masks`` maps a point's index to (azimuths_deg, elevations_deg): the minimum
    elevation by azimuth, interpolated linearly and periodically.
    """

    # array-likes in, float (object for ids) numpy arrays once constructed
    ids: Any
    lat_deg: Any
    lon_deg: Any
    alt_m: Any
    min_elevation_deg: Any = None
    terrain_masks: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lat_deg = np.atleast_1d(np.asarray(self.lat_deg, dtype=float))
        self.lon_deg = np.atleast_1d(np.asarray(self.lon_deg, dtype=float))
        n = self.lat_deg.size
        self.alt_m = np.broadcast_to(np.asarray(self.alt_m, dtype=float), (n,)).copy()
        self.ids = np.asarray(self.ids if len(self.ids) else [f"T{k}" for k in range(n)], dtype=object)
        if self.min_elevation_deg is None:
            self.min_elevation_deg = np.full(n, np.nan)
        self.min_elevation_deg = np.broadcast_to(np.asarray(self.min_elevation_deg, dtype=float), (n,)).copy()
        if not (self.lon_deg.size == n == self.ids.size):
            raise OverheadError("targets need as many ids, latitudes and longitudes")
        for what, bad in _coordinate_problems(self.lat_deg, self.lon_deg, self.alt_m):
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise OverheadError(
                    f"target {self.ids[k]!r}: {what}; got lat {self.lat_deg[k]}, "
                    f"lon {self.lon_deg[k]}, alt {self.alt_m[k]} m"
                )

    @classmethod
    def from_sites(cls, sites: Sequence[GroundSite]) -> TargetSet:
        return cls(
            np.array([s.name or f"{s.lat_deg:.4f},{s.lon_deg:.4f}" for s in sites], dtype=object),
            [s.lat_deg for s in sites],
            [s.lon_deg for s in sites],
            [s.alt_m for s in sites],
        )

    @classmethod
    def from_points(cls, lat_deg, lon_deg, alt_m=0.0, *, ids=()) -> TargetSet:
        return cls(np.asarray(ids, dtype=object), lat_deg, lon_deg, alt_m)

    def __len__(self) -> int:
        return self.lat_deg.size

    def subset(self, index) -> TargetSet:
        index = np.asarray(index)
        masks = {int(j): self.terrain_masks[int(i)] for j, i in enumerate(index) if int(i) in self.terrain_masks}
        return TargetSet(
            self.ids[index],
            self.lat_deg[index],
            self.lon_deg[index],
            self.alt_m[index],
            self.min_elevation_deg[index],
            masks,
        )

    @property
    def itrf_km(self) -> np.ndarray:
        return geodetic_to_itrf(self.lat_deg, self.lon_deg, self.alt_m / 1000.0)

    def up_unit(self) -> np.ndarray:
        """Geodetic vertical unit vectors (n, 3)."""
        lat, lon = np.radians(self.lat_deg), np.radians(self.lon_deg)
        return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)

    def north_unit(self) -> np.ndarray:
        lat, lon = np.radians(self.lat_deg), np.radians(self.lon_deg)
        return np.stack([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)], -1)

    def east_unit(self) -> np.ndarray:
        lon = np.radians(self.lon_deg)
        return np.stack([-np.sin(lon), np.cos(lon), np.zeros_like(lon)], -1)


def _coordinate_problems(lat, lon, alt_m) -> list[tuple[str, np.ndarray]]:
    """(what is wrong, which targets) for coordinates out of their ranges."""
    lat, lon, alt_m = (np.asarray(x, dtype=float) for x in (lat, lon, alt_m))
    return [
        ("latitude must be -90..90 deg", ~((lat >= -90) & (lat <= 90))),
        ("longitude must be -180..360 deg", ~((lon >= -180) & (lon <= 360))),
        ("height must be -500..9000 m (heights are in metres)", ~((alt_m >= -500) & (alt_m <= 9000))),
    ]


def _required_column(header: list[str], names: tuple[str, ...], path: str) -> int:
    found = _column(header, names, path)
    assert found is not None  # _column raises for a required column it cannot find
    return found


def _column(header: list[str], names: tuple[str, ...], path: str, required: bool = True) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    if required:
        raise OverheadError(f"{path}: no column named {' or '.join(names)} (columns: {', '.join(header)})")
    return None


def load_targets(path: str | Path) -> TargetSet:
    """Targets (sites, stations, points) from a file, in file order: CSV with latitude and longitude columns in
    any usual spelling (:data:`LAT_NAMES`, :data:`LON_NAMES`; optional id/name, altitude in m,
    ``min_elevation_deg``), GeoJSON points, or a JSON list of stations (SatNOGS: ``lat``, ``lng``, ``altitude``,
    ``name``/``id``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no targets file at {path}")
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise OverheadError(f"{path}: not JSON ({exc})") from None
        return _from_records(data, path) if isinstance(data, list) else _load_geojson(data, path)
    rows = csv_rows(
        read_text_file(path, "a targets file (CSV or GeoJSON)"),
        str(path),
        "a targets file (CSV with latitude and longitude columns)",
    )
    if not rows:
        raise OverheadError(f"{path}: empty targets file")
    header, body = rows[0], [r for r in rows[1:] if r and any(c.strip() for c in r)]
    lat_i, lon_i = _required_column(header, LAT_NAMES, str(path)), _required_column(header, LON_NAMES, str(path))
    alt_i = _column(header, ALT_NAMES, str(path), required=False)
    id_i = _column(header, ID_NAMES, str(path), required=False)
    mask_i = _column(header, MASK_NAMES, str(path), required=False)
    try:
        lat = [float(r[lat_i]) for r in body]
        lon = [float(r[lon_i]) for r in body]
        alt = [float(r[alt_i]) if alt_i is not None and r[alt_i].strip() else 0.0 for r in body]
        masks = [float(r[mask_i]) if mask_i is not None and r[mask_i].strip() else np.nan for r in body]
    except (ValueError, IndexError) as exc:
        raise OverheadError(f"{path}: a row has a missing or non-numeric coordinate ({exc})") from None
    ids = [r[id_i] for r in body] if id_i is not None else [str(k) for k in range(len(body))]
    return TargetSet(np.array(ids, dtype=object), lat, lon, alt, np.array(masks))


def _from_records(rows: list, path: Path) -> TargetSet:
    """A JSON list of objects with latitude and longitude keys (SatNOGS' station list, for one)."""
    if not rows or not all(isinstance(r, dict) for r in rows):
        raise OverheadError(f"{path}: a JSON list of targets must hold objects with lat and lon keys")
    keys = [str(k) for k in rows[0]]  # the keys play the CSV header's part: the same spellings, the same lookup
    lat_key = keys[_required_column(keys, LAT_NAMES, str(path))]
    lon_key = keys[_required_column(keys, LON_NAMES, str(path))]
    alt_i, id_i, mask_i = (
        _column(keys, names, str(path), required=False) for names in (ALT_NAMES, ID_NAMES, MASK_NAMES)
    )
    alt_key = keys[alt_i] if alt_i is not None else None
    id_key = keys[id_i] if id_i is not None else None
    mask_key = keys[mask_i] if mask_i is not None else None  # SatNOGS' min_horizon: the station's own mask
    try:
        lat = [float(r[lat_key]) for r in rows]
        lon = [float(r[lon_key]) for r in rows]
        alt = [float(r.get(alt_key) or 0.0) if alt_key else 0.0 for r in rows]
        mask = [float(r[mask_key]) if mask_key and r.get(mask_key) is not None else np.nan for r in rows]
    except (TypeError, ValueError, KeyError) as exc:
        raise OverheadError(f"{path}: a target has a missing or non-numeric coordinate or mask ({exc})") from None
    ids = [str(r.get(id_key, k)) if id_key else str(k) for k, r in enumerate(rows)]
    wrong = np.zeros(len(rows), bool)
    for _, bad in _coordinate_problems(lat, lon, alt):
        wrong |= bad
    mask_array = np.asarray(mask, dtype=float)
    wrong |= ~np.isnan(mask_array) & ~((mask_array >= -90.0) & (mask_array < 90.0))
    good = np.flatnonzero(~wrong).tolist()
    if len(good) < len(rows):  # one bad record is one reject: SatNOGS' own list has stations at latitude 501,120
        left_out = [ids[k] for k in range(len(rows)) if k not in set(good)]
        warnings.warn(
            f"{path}: {len(left_out)} targets left out, their coordinates or masks are out of range "
            f"({', '.join(left_out[:5])}{', ...' if len(left_out) > 5 else ''})",
            stacklevel=3,
        )
    return TargetSet(
        np.array([ids[k] for k in good], dtype=object),
        [lat[k] for k in good],
        [lon[k] for k in good],
        [alt[k] for k in good],
        min_elevation_deg=mask_array[good],
    )


def _load_geojson(data: dict, path: Path) -> TargetSet:
    if not isinstance(data, dict):
        raise OverheadError(f"{path}: not GeoJSON (a FeatureCollection or Feature of Points)")
    features = data.get("features", [data] if data.get("type") == "Feature" else [])
    ids, lat, lon, alt = [], [], [], []
    for k, feature in enumerate(features):
        geometry = feature.get("geometry") or {}
        if geometry.get("type") != "Point":
            raise OverheadError(f"{path}: feature {k} is a {geometry.get('type')}; targets are Points")
        x, y, *z = geometry["coordinates"]
        props = feature.get("properties") or {}
        ids.append(str(props.get("id", props.get("name", k))))
        lon.append(float(x))
        lat.append(float(y))
        alt.append(float(z[0]) if z else float(props.get("alt_m", 0.0)))
    return TargetSet(np.array(ids, dtype=object), lat, lon, alt)
