"""Ground targets and stations: points on the WGS84 ellipsoid, with elevation masks."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from overhead.errors import OverheadError
from overhead.geometry.topocentric import GroundSite
from overhead.orbits.frames import geodetic_to_itrf

__all__ = ["TargetSet", "load_targets"]

LAT_NAMES = ("lat_deg", "lat", "latitude")
LON_NAMES = ("lon_deg", "lon", "lng", "longitude")
ALT_NAMES = ("alt_m", "altitude_m", "elevation_m", "height_m")
ID_NAMES = ("id", "name", "target", "station")


@dataclass
class TargetSet:
    """Points on the ground (arrays of equal length) and, per point, an elevation mask.

    ``min_elevation_deg`` is each point's own mask (a station's horizon, NaN = use the analysis'
    constraint). ``terrain_masks`` maps a point's index to (azimuths_deg, elevations_deg): the minimum
    elevation by azimuth, interpolated linearly and periodically.
    """

    ids: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray
    min_elevation_deg: np.ndarray | None = None
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
        bad_lat = np.flatnonzero(~((self.lat_deg >= -90) & (self.lat_deg <= 90)))
        bad_lon = np.flatnonzero(~((self.lon_deg >= -180) & (self.lon_deg <= 360)))
        bad_alt = np.flatnonzero(~((self.alt_m >= -500) & (self.alt_m <= 9000)))
        for index, what in ((bad_lat, "latitude must be -90..90 deg"), (bad_lon, "longitude must be -180..360 deg"),
                            (bad_alt, "height must be -500..9000 m (heights are in metres)")):
            if index.size:
                k = int(index[0])
                raise OverheadError(f"target {self.ids[k]!r}: {what}; got lat {self.lat_deg[k]}, "
                                    f"lon {self.lon_deg[k]}, alt {self.alt_m[k]} m")

    @classmethod
    def from_sites(cls, sites: Sequence[GroundSite]) -> TargetSet:
        return cls(np.array([s.name or f"{s.lat_deg:.4f},{s.lon_deg:.4f}" for s in sites], dtype=object),
                   [s.lat_deg for s in sites], [s.lon_deg for s in sites], [s.alt_m for s in sites])

    @classmethod
    def from_points(cls, lat_deg, lon_deg, alt_m=0.0, *, ids=()) -> TargetSet:
        return cls(np.asarray(ids, dtype=object), lat_deg, lon_deg, alt_m)

    def __len__(self) -> int:
        return self.lat_deg.size

    def subset(self, index) -> TargetSet:
        index = np.asarray(index)
        masks = {int(j): self.terrain_masks[int(i)] for j, i in enumerate(index) if int(i) in self.terrain_masks}
        return TargetSet(self.ids[index], self.lat_deg[index], self.lon_deg[index], self.alt_m[index],
                         self.min_elevation_deg[index], masks)

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


def _column(header: list[str], names: tuple[str, ...], path: str, required: bool = True) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    if required:
        raise OverheadError(f"{path}: no column named {' or '.join(names)} (columns: {', '.join(header)})")
    return None


def load_targets(path: str | Path) -> TargetSet:
    """Targets from CSV (columns lat/lon, optional id/name and alt_m, min_elevation_deg) or GeoJSON points."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no targets file at {path}")
    if path.suffix.lower() in (".geojson", ".json"):
        return _load_geojson(path)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise OverheadError(f"{path}: empty targets file")
    header, body = rows[0], [r for r in rows[1:] if r and any(c.strip() for c in r)]
    lat_i, lon_i = _column(header, LAT_NAMES, str(path)), _column(header, LON_NAMES, str(path))
    alt_i = _column(header, ALT_NAMES, str(path), required=False)
    id_i = _column(header, ID_NAMES, str(path), required=False)
    mask_i = _column(header, ("min_elevation_deg",), str(path), required=False)
    try:
        lat = [float(r[lat_i]) for r in body]
        lon = [float(r[lon_i]) for r in body]
        alt = [float(r[alt_i]) if alt_i is not None and r[alt_i].strip() else 0.0 for r in body]
        masks = [float(r[mask_i]) if mask_i is not None and r[mask_i].strip() else np.nan for r in body]
    except (ValueError, IndexError) as exc:
        raise OverheadError(f"{path}: a row has a missing or non-numeric coordinate ({exc})") from None
    ids = [r[id_i] for r in body] if id_i is not None else [str(k) for k in range(len(body))]
    return TargetSet(np.array(ids, dtype=object), lat, lon, alt, np.array(masks))


def _load_geojson(path: Path) -> TargetSet:
    data = json.loads(path.read_text(encoding="utf-8"))
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
