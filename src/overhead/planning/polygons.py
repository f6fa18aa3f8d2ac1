"""Area requests: a small polygon imaged as tiles, one image each, and how much of it a plan covers.

A polygon is cut into square tiles of about one image's footprint (``tile_km`` on a side, a local
equirectangular grid); each tile whose centre lies inside the polygon becomes a point request ``ID/k`` worth an
equal share of the polygon's priority (a polygon smaller than a tile is one request at a point inside it).
The planners then treat tiles like any request; :func:`polygon_coverage` adds the tiles back up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from shapely.geometry import Point, Polygon, shape

from overhead.errors import OverheadError
from overhead.geometry.targets import TargetSet

__all__ = ["PolygonTiles", "polygon_coverage", "polygon_requests", "read_polygon_requests"]

KM_PER_DEG = 111.32


@dataclass
class PolygonTiles:
    """Tile requests of polygons: the targets, their priorities, and the polygon each belongs to."""

    targets: TargetSet
    priority: np.ndarray
    parent: np.ndarray  # polygon id of each tile
    tiles_per_polygon: dict[str, int]


def _tile_centres(polygon: Polygon, tile_km: float) -> np.ndarray:
    lon0, lat0, lon1, lat1 = polygon.bounds
    dlat = tile_km / KM_PER_DEG
    dlon = tile_km / (KM_PER_DEG * max(np.cos(np.radians((lat0 + lat1) / 2)), 0.05))
    lats = np.arange(lat0 + dlat / 2, lat1, dlat)
    lons = np.arange(lon0 + dlon / 2, lon1, dlon)
    centres = [(lon, lat) for lat in lats for lon in lons if polygon.contains(Point(lon, lat))]
    if not centres:
        inside = polygon.representative_point()
        centres = [(inside.x, inside.y)]
    return np.array(centres)


def polygon_requests(
    polygons: dict[str, Polygon], priorities: dict[str, float], *, tile_km: float = 10.0
) -> PolygonTiles:
    """Tile requests of each polygon (lon/lat degrees, no crossing of the antimeridian)."""
    if tile_km <= 0:
        raise OverheadError("tile_km must be positive")
    ids, lats, lons, priority, parent, counts = [], [], [], [], [], {}
    for name, polygon in polygons.items():
        if polygon.is_empty or not polygon.is_valid:
            raise OverheadError(f"request {name}: the polygon is empty or invalid (self-intersecting?)")
        if polygon.bounds[2] - polygon.bounds[0] > 180:
            raise OverheadError(f"request {name}: split polygons that cross the antimeridian")
        centres = _tile_centres(polygon, tile_km)
        counts[name] = len(centres)
        for k, (lon, lat) in enumerate(centres):
            ids.append(f"{name}/{k + 1}" if len(centres) > 1 else str(name))
            lats.append(lat)
            lons.append(lon)
            priority.append(priorities.get(name, 1.0) / len(centres))
            parent.append(name)
    return PolygonTiles(
        TargetSet.from_points(lats, lons, ids=ids), np.array(priority), np.array(parent, dtype=object), counts
    )


def read_polygon_requests(path, *, tile_km: float = 10.0) -> PolygonTiles:
    """Polygon requests from a GeoJSON FeatureCollection (properties ``id`` and optional ``priority``)."""
    from overhead.readers import read_json_file

    data = read_json_file(path, "polygon requests (a GeoJSON FeatureCollection)")
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise OverheadError(f"{path}: not a GeoJSON FeatureCollection (no 'features' list)")
    polygons, priorities = {}, {}
    for k, feature in enumerate(features):
        if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
            raise OverheadError(f"{path}: feature {k + 1} has no geometry; polygon requests need Polygons")
        try:
            geometry = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise OverheadError(f"{path}: feature {k + 1}: not a GeoJSON geometry ({exc})") from None
        if geometry.geom_type != "Polygon":
            raise OverheadError(f"{path}: feature {k + 1} is a {geometry.geom_type}; polygon requests need Polygons")
        name = str((feature.get("properties") or {}).get("id", f"area-{k + 1}"))
        polygons[name] = geometry
        try:
            priorities[name] = float((feature.get("properties") or {}).get("priority", 1.0))
        except (TypeError, ValueError):
            raise OverheadError(f"{path}: feature {k + 1}: priority is not a number") from None
    if not polygons:
        raise OverheadError(f"{path}: no polygon features")
    return polygon_requests(polygons, priorities, tile_km=tile_km)


def polygon_coverage(acquisitions: pd.DataFrame, tiles: PolygonTiles) -> pd.DataFrame:
    """Per polygon: tiles, tiles imaged, and the fraction of the polygon's tiles the plan images."""
    parent_of = dict(zip(tiles.targets.ids, tiles.parent, strict=True))
    imaged = pd.Series([parent_of[r] for r in acquisitions.request if r in parent_of], dtype=object)
    counts = imaged.value_counts()
    rows = [
        {"request": name, "tiles": n, "imaged": int(counts.get(name, 0)), "fraction": int(counts.get(name, 0)) / n}
        for name, n in tiles.tiles_per_polygon.items()
    ]
    return pd.DataFrame(rows, columns=["request", "tiles", "imaged", "fraction"])
