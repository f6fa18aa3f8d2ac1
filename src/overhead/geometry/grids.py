"""Analysis grids: H3 cells over the globe, a latitude band, a region or a country; or a list of points.

Every grid point carries the area it stands for (``area_km2``), so that statistics over a grid are
area-weighted: H3 cells are near-equal-area (±~30 % at one resolution), Fibonacci points exactly so.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import h3
import numpy as np
from shapely.geometry import box, shape

from overhead._resources import data_path
from overhead.errors import OverheadError, WorkTooLargeError
from overhead.geometry.specs import DEFAULT_RESOLUTION, GridFileSpec, GridSpec
from overhead.geometry.targets import TargetSet

__all__ = ["AnalysisGrid", "country_names"]

EARTH_AREA_KM2 = 510_065_622.0
MAX_CELLS = 2_000_000


@dataclass
class AnalysisGrid:
    """Points to analyse: ids, WGS84 latitude/longitude (deg), represented area (km²)."""

    ids: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    area_km2: np.ndarray
    kind: str
    resolution: int | None = None

    def __len__(self) -> int:
        return self.ids.size

    def to_targets(self) -> TargetSet:
        return TargetSet(self.ids, self.lat_deg, self.lon_deg, np.zeros(len(self)))

    @classmethod
    def from_spec(cls, spec: GridSpec) -> AnalysisGrid:
        """The grid of a request, its size checked before it is built (:meth:`from_request`); a
        :class:`GridFileSpec` may also name a region file or a points file."""
        if isinstance(spec, GridFileSpec):
            if spec.kind == "points" and spec.points_file is not None:
                return cls.from_request("points", points=spec.points_file)
            if spec.kind == "region":
                return cls.from_request("region", resolution=spec.resolution, region=spec.region)
        if spec.kind == "points":
            if not spec.points:
                raise OverheadError("a points grid needs its points")
            return cls.points(
                [p.lat_deg for p in spec.points],
                [p.lon_deg for p in spec.points],
                ids=[p.id or f"point-{k + 1}" for k, p in enumerate(spec.points)],
            )
        return cls.from_request(
            spec.kind,
            resolution=spec.resolution,
            country=spec.country,
            band=(spec.min_lat_deg, spec.max_lat_deg) if spec.kind == "band" else None,
        )

    # ------------------------------------------------------------------ H3 constructors
    @classmethod
    def from_cells(cls, cells, *, kind: str, resolution: int) -> AnalysisGrid:
        cells = sorted(cells)
        if len(cells) > MAX_CELLS:
            raise OverheadError(
                f"{len(cells):,} cells at H3 resolution {resolution}: more than {MAX_CELLS:,}; use a coarser resolution"
            )
        if not cells:
            raise OverheadError(
                f"no H3 cell of resolution {resolution} has its centre in this area; use a finer resolution"
            )
        centres = np.array([h3.cell_to_latlng(c) for c in cells])
        areas = np.array([h3.cell_area(c, unit="km^2") for c in cells])
        return cls(np.array(cells, dtype=object), centres[:, 0], centres[:, 1], areas, kind, resolution)

    @classmethod
    def global_grid(cls, resolution: int = 2) -> AnalysisGrid:
        """Every H3 cell of a resolution (2: 5,882 cells of ~86,700 km²; 3: 41,162 of ~12,400 km²)."""
        _check_resolution(resolution)
        cells = [child for base in h3.get_res0_cells() for child in h3.cell_to_children(base, resolution)]
        return cls.from_cells(cells, kind="global", resolution=resolution)

    @classmethod
    def latitude_band(cls, min_lat_deg: float, max_lat_deg: float, resolution: int = 2) -> AnalysisGrid:
        if not -90 <= min_lat_deg < max_lat_deg <= 90:
            raise OverheadError("a latitude band needs -90 <= min < max <= 90")
        grid = cls.global_grid(resolution)
        keep = (grid.lat_deg >= min_lat_deg) & (grid.lat_deg <= max_lat_deg)
        return grid._subset(keep, f"latitude band {min_lat_deg:g}..{max_lat_deg:g}")

    @classmethod
    def region(cls, geometry: dict, resolution: int = 4, *, name: str = "region") -> AnalysisGrid:
        """Cells whose centres fall in a GeoJSON Polygon/MultiPolygon (a geometry, Feature or collection)."""
        _check_resolution(resolution)
        cells = set()
        for polygon in _polygons(geometry):
            cells.update(h3.geo_to_cells(polygon, resolution))
        return cls.from_cells(cells, kind=name, resolution=resolution)

    @classmethod
    def from_geojson_file(cls, path: str | Path, resolution: int = 4) -> AnalysisGrid:
        from overhead.readers import read_json_file

        path = Path(path)
        data = read_json_file(path, "a GeoJSON region (Polygon, MultiPolygon, Feature or FeatureCollection)")
        try:
            return cls.region(data, resolution, name=path.stem)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            if isinstance(exc, OverheadError):
                raise
            raise OverheadError(f"{path}: not a GeoJSON region of polygons ({type(exc).__name__}: {exc})") from None

    @classmethod
    def country(cls, name: str, resolution: int = 4) -> AnalysisGrid:
        """Cells of a country of the bundled Natural Earth 1:110m map, by name, long name or ISO A3 code."""
        feature = _country_features().get(name.strip().lower())
        if feature is None:
            close = difflib.get_close_matches(name.strip(), country_names(), n=5, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else "; see overhead.geometry.grids.country_names()"
            raise OverheadError(f"no country named {name!r} in the bundled Natural Earth map{hint}")
        return cls.region(feature["geometry"], resolution, name=feature["properties"]["name"])

    # ------------------------------------------------------------------ point constructors
    @classmethod
    def points(cls, lat_deg, lon_deg, *, ids=None, area_km2=None) -> AnalysisGrid:
        lat, lon = np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float)
        ids = np.asarray(ids if ids is not None else [str(k) for k in range(lat.size)], dtype=object)
        # a list of points stands for no area unless told: NaN (statistics then weigh the points equally)
        area = np.full(lat.size, np.nan) if area_km2 is None else np.asarray(area_km2, dtype=float)
        TargetSet(ids, lat, lon, np.zeros(lat.size))  # validates the coordinates
        return cls(ids, lat, lon, area, "points")

    @classmethod
    def fibonacci(cls, count: int) -> AnalysisGrid:
        """``count`` equal-area points on the sphere (a Fibonacci lattice, as TAT-C generates)."""
        k = np.arange(count)
        golden = (1 + 5**0.5) / 2
        lat = np.degrees(np.arcsin(np.clip(2 * (k + 0.5) / count - 1, -1, 1)))
        lon = (np.degrees(2 * np.pi * k / golden) + 180.0) % 360.0 - 180.0
        return cls.points(lat, lon, area_km2=np.full(count, EARTH_AREA_KM2 / count))

    @classmethod
    def from_request(
        cls,
        kind: str,
        *,
        resolution: int | None = None,
        country: str | None = None,
        band: tuple[float, float] | None = None,
        region: str | Path | None = None,
        points: str | Path | None = None,
    ) -> AnalysisGrid:
        """The grid a user asked for, by kind (``global``, ``band``, ``country``, ``region``, ``points``), with one
        default H3 resolution per kind (:data:`DEFAULT_RESOLUTION`) and the size checked before it is built
        (:data:`MAX_GRID_CELLS`): the command line, the service and sweep specs all build their grids here."""
        if kind not in DEFAULT_RESOLUTION and kind != "points":
            raise OverheadError(f"unknown grid kind {kind!r}: use global, band, country, region or points")
        if kind == "points":
            if points is None:
                raise OverheadError("a points grid needs a site table (CSV, GeoJSON points or a station list)")
            return cls.from_csv(points)
        level = DEFAULT_RESOLUTION[kind] if resolution is None else int(resolution)
        if not 0 <= level <= 15:
            raise OverheadError(f"H3 resolution {level} is outside 0 to 15")
        share = 1.0
        if kind == "band":
            if band is None or len(band) != 2:
                raise OverheadError("a band needs its latitudes MIN,MAX in degrees, e.g. -60,60")
            low, high = (float(x) for x in band)
            share = max((np.sin(np.radians(min(high, 90))) - np.sin(np.radians(max(low, -90)))) / 2, 0.0)
        cells = (2 + 120 * 7**level) * share  # H3 cells on the sphere at this resolution
        if kind in ("global", "band") and cells > MAX_GRID_CELLS:
            raise WorkTooLargeError(
                f"H3 resolution {level} gives about {cells:,.0f} cells, more than "
                f"{MAX_GRID_CELLS:,}: choose a coarser resolution or a smaller region"
            )
        if kind == "global":
            return cls.global_grid(level)
        if kind == "band":
            assert band is not None
            return cls.latitude_band(float(band[0]), float(band[1]), level)
        if kind == "country":
            if not country:
                raise OverheadError("a country grid needs the country's name, e.g. France")
            return cls.country(country, level)
        if region is None:
            raise OverheadError("a region grid needs a GeoJSON polygon file")
        return cls.from_geojson_file(region, level)

    @classmethod
    def from_csv(cls, path: str | Path) -> AnalysisGrid:
        """Points from a site table (CSV, GeoJSON points or a JSON station list; the column spellings of
        :func:`overhead.geometry.targets.load_targets`), in file order."""
        from overhead.geometry.targets import load_targets

        targets = load_targets(path)
        if len(targets) == 0:
            raise OverheadError(f"{path}: no points")
        return cls.points(targets.lat_deg, targets.lon_deg, ids=[str(i) for i in targets.ids])

    def _subset(self, keep: np.ndarray, kind: str) -> AnalysisGrid:
        return AnalysisGrid(
            self.ids[keep], self.lat_deg[keep], self.lon_deg[keep], self.area_km2[keep], kind, self.resolution
        )

    def cell_boundaries(self) -> list[np.ndarray]:
        """Each cell's boundary as (n, 2) lon/lat (H3 grids only)."""
        if self.resolution is None:
            raise OverheadError("only H3 grids have cell boundaries")
        return [np.array(h3.cell_to_boundary(c))[:, ::-1] for c in self.ids]


def _check_resolution(resolution: int) -> None:
    if not 0 <= resolution <= 15:
        raise OverheadError(f"H3 resolution must be 0..15, got {resolution}")


def _polygons(geometry: dict):
    """Shapely polygons of a GeoJSON geometry, Feature or FeatureCollection, split at the antimeridian."""
    if geometry.get("type") == "FeatureCollection":
        for feature in geometry["features"]:
            yield from _polygons(feature)
        return
    if geometry.get("type") == "Feature":
        yield from _polygons(geometry["geometry"])
        return
    if geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise OverheadError(f"a region must be a Polygon or MultiPolygon, got {geometry.get('type')}")
    area = shape(geometry)
    for half in (box(-180, -90, 0, 90), box(0, -90, 180, 90)):  # H3 needs polygons under 180° wide
        piece = area.intersection(half)
        parts = [piece] if piece.geom_type == "Polygon" else getattr(piece, "geoms", [])
        yield from (p for p in parts if p.geom_type == "Polygon" and not p.is_empty)


MAX_GRID_CELLS = 2_000_000


@lru_cache(maxsize=1)
def _country_features() -> dict[str, dict]:
    data = json.loads(data_path("ne_110m_countries.geojson").read_text(encoding="utf-8"))
    index: dict[str, dict] = {}
    for feature in data["features"]:
        for key in ("name", "name_long", "iso_a3", "admin"):
            value = feature["properties"].get(key)
            if value and value != "-99":
                index.setdefault(str(value).lower(), feature)
    return index


def country_names() -> list[str]:
    """Names of the countries in the bundled map."""
    return sorted({f["properties"]["name"] for f in _country_features().values()})
