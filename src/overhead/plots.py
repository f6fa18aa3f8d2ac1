"""Maps and charts drawn with matplotlib (Agg) over the bundled Natural Earth land polygons."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import matplotlib
import matplotlib.dates
import matplotlib.patches

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.collections import LineCollection, PolyCollection

from overhead._resources import data_path
from overhead.errors import OverheadError
from overhead.files import atomic_path

__all__ = ["coverage_map", "ground_track_map", "land_polygons", "parameter_chart", "pareto_chart", "plan_timeline"]


@lru_cache(maxsize=1)
def land_polygons() -> list[np.ndarray]:
    """Outer rings of the Natural Earth 1:110m land polygons, as (n, 2) lon/lat arrays."""
    data = json.loads(data_path("ne_110m_land.geojson").read_text())
    rings: list[np.ndarray] = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        rings.extend(np.asarray(polygon[0]) for polygon in polygons)
    return rings


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    fig.tight_layout()
    try:
        with atomic_path(path) as temporary:
            fig.savefig(temporary)
    finally:
        plt.close(fig)
    return path


def _finish_chart(ax, *, xlabel: str, ylabel: str, title: str, threshold: float | None, scale: float) -> None:
    if threshold is not None:
        ax.axhline(threshold / scale, color="crimson", linestyle="--", linewidth=1, label="requirement")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def _split_at_antimeridian(lon: np.ndarray, lat: np.ndarray) -> list[np.ndarray]:
    jumps = np.flatnonzero(np.abs(np.diff(lon)) > 180.0) + 1
    pieces = np.split(np.column_stack([lon, lat]), jumps)
    return [p for p in pieces if len(p) > 1 and np.isfinite(p).all()]


def _base_map(title: str):
    fig, ax = plt.subplots(figsize=(14, 7.6), dpi=100)
    ax.set_facecolor("#dbe9f4")
    ax.add_collection(PolyCollection(land_polygons(), facecolor="#f3efe4", edgecolor="#9a9384", linewidth=0.5))
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_aspect("equal")
    ax.set_xticks(range(-180, 181, 30))
    ax.set_yticks(range(-90, 91, 30))
    ax.grid(color="white", linewidth=0.5)
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    ax.set_title(title)
    return fig, ax


def ground_track_map(
    tracks: xr.Dataset,
    path: str | Path,
    *,
    title: str,
    now_index: int = 0,
    site: tuple[float, float, str] | None = None,
    highlight: int = 12,
) -> Path:
    """Draw ground tracks (a geodetic Dataset, dims satellite × time) and positions at ``now_index``.

    The first ``highlight`` satellites are coloured and labelled; the rest are drawn thin and grey.
    """
    fig, ax = _base_map(title)
    lat, lon = tracks.lat_deg.values, tracks.lon_deg.values
    colours = plt.get_cmap("tab20")(np.linspace(0, 1, max(highlight, 1)))
    grey = []
    for i in range(lat.shape[0]):
        pieces = _split_at_antimeridian(lon[i], lat[i])
        if i < highlight:
            ax.add_collection(LineCollection(pieces, colors=[colours[i]], linewidths=1.6))
            x, y = lon[i, now_index], lat[i, now_index]
            if np.isfinite(x):
                ax.plot(x, y, "o", color=colours[i], markeredgecolor="black", markersize=7, zorder=5)
                ax.annotate(
                    str(tracks.name.values[i]),
                    (x, y),
                    xytext=(5, 4),
                    textcoords="offset points",
                    fontsize=8,
                    zorder=6,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.7, "lw": 0},
                )
        else:
            grey.extend(pieces)
            if np.isfinite(lon[i, now_index]):
                ax.plot(lon[i, now_index], lat[i, now_index], ".", color="#555555", markersize=3, zorder=4)
    ax.add_collection(LineCollection(grey, colors="#8899aa", linewidths=0.35, alpha=0.6, zorder=2))
    if site is not None:
        ax.plot(site[1], site[0], "*", color="crimson", markersize=16, markeredgecolor="black", zorder=7)
        ax.annotate(
            site[2],
            (site[1], site[0]),
            xytext=(7, -12),
            textcoords="offset points",
            color="crimson",
            fontsize=10,
            fontweight="bold",
            zorder=7,
        )
    return _save(fig, path)


def coverage_map(
    stats: xr.Dataset, metric: str, path: str | Path, *, title: str, boundaries: list[np.ndarray] | None = None
) -> Path:
    """A figure of merit per grid point: H3 cells as hexagons, other grids as dots.

    Times are in hours, in the title and the colour bar alike. Points never observed are hatched grey with their
    own legend entry (they are not "no gap"); points seen but where the figure is undefined (a revisit needs two
    accesses) are drawn pale with theirs. A regional grid is drawn zoomed to the region, with a world inset.
    """
    values = stats[metric].to_numpy().astype(float)
    unit = stats[metric].attrs.get("units", "")
    if unit == "s":
        values, unit = values / 3600.0, "h"
    observed = stats["observed"].to_numpy() if "observed" in stats else np.isfinite(values)
    heading = title if metric in title else f"{title} — {metric}"
    fig, ax = _base_map(f"{heading} ({unit})" if unit else heading)
    cmap = plt.get_cmap("viridis_r" if unit == "h" else "viridis").with_extremes(bad=(0.0, 0.0, 0.0, 0.0))
    finite = values[np.isfinite(values) & observed]
    vmin, vmax = (float(np.nanmin(finite)), float(np.nanmax(finite))) if finite.size else (0.0, 1.0)
    norm = matplotlib.colors.Normalize(vmin=vmin, vmax=vmax if vmax > vmin else vmin + 1)
    shown = np.where(observed, values, np.nan)
    never = ~observed
    undefined = observed & ~np.isfinite(values)
    if boundaries is not None:
        polygons = [_unwrapped(ring) for ring in boundaries]
        cells = PolyCollection(
            polygons, array=np.ma.masked_invalid(shown), cmap=cmap, norm=norm, edgecolor="none", alpha=0.85, zorder=3
        )
        ax.add_collection(cells)
        mappable = cells
        for mask, face, edge, hatch in ((never, "#9e9e9e", "#616161", "///"), (undefined, "#f1e9ff", "#b39ddb", None)):
            if mask.any():
                ax.add_collection(
                    PolyCollection(
                        [p for p, m in zip(polygons, mask, strict=True) if m],
                        facecolor=face,
                        edgecolor=edge,
                        hatch=hatch,
                        linewidth=0.3,
                        zorder=3,
                    )
                )
    else:
        good = observed & np.isfinite(values)
        mappable = ax.scatter(
            stats.lon_deg[good], stats.lat_deg[good], c=values[good], cmap=cmap, norm=norm, s=8, zorder=3
        )
        ax.scatter(stats.lon_deg[never], stats.lat_deg[never], marker="x", color="#616161", s=10, zorder=3)
        ax.scatter(
            stats.lon_deg[undefined],
            stats.lat_deg[undefined],
            marker="o",
            facecolor="#f1e9ff",
            edgecolor="#b39ddb",
            s=10,
            zorder=3,
        )
    ax.add_collection(PolyCollection(land_polygons(), facecolor="none", edgecolor="#333333", linewidth=0.5, zorder=4))
    _legend_unseen(ax, never, undefined, metric)
    fig.colorbar(mappable, ax=ax, shrink=0.7, label=f"{metric} ({unit})" if unit else metric)
    _zoom_to(ax, fig, np.asarray(stats.lon_deg), np.asarray(stats.lat_deg))
    return _save(fig, path)


def _legend_unseen(ax, never: np.ndarray, undefined: np.ndarray, metric: str) -> None:
    """Legend entries for the points never observed and those seen where the figure is undefined."""
    handles = []
    if never.any():
        handles.append(
            matplotlib.patches.Patch(
                facecolor="#9e9e9e",
                hatch="///",
                edgecolor="#616161",
                label=f"never observed ({int(never.sum())} points)",
            )
        )
    if undefined.any():
        handles.append(
            matplotlib.patches.Patch(
                facecolor="#f1e9ff",
                edgecolor="#b39ddb",
                label=f"seen, {metric} undefined ({int(undefined.sum())} points)",
            )
        )
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=9, framealpha=0.9)


def _unwrapped(ring: np.ndarray) -> np.ndarray:
    ring = ring.copy()
    if np.ptp(ring[:, 0]) > 180:  # a cell across the antimeridian: draw it on the side of its centre
        ring[:, 0] = np.where(ring[:, 0] < 0, ring[:, 0] + 360, ring[:, 0])
        if ring[:, 0].mean() > 180:
            ring[:, 0] -= 360
    return ring


def _zoom_to(ax, fig, lon: np.ndarray, lat: np.ndarray) -> None:
    """Zoom a map to points spanning less than a third of the world, with an inset of the world."""
    if lon.size == 0 or np.ptp(lon) > 120 or np.ptp(lat) > 60:
        return
    margin = max(2.0, 0.15 * max(np.ptp(lon), np.ptp(lat)))
    x0, x1 = float(lon.min() - margin), float(lon.max() + margin)
    y0, y1 = float(max(-90, lat.min() - margin)), float(min(90, lat.max() + margin))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    step = 1 if x1 - x0 < 15 else 5
    ax.set_xticks(np.arange(np.floor(x0 / step) * step, x1 + step, step))
    ax.set_yticks(np.arange(np.floor(y0 / step) * step, y1 + step, step))
    # the inset goes in the corner of the map with the fewest points under it
    corners = {(0.01, 0.74): (x0, y1), (0.74, 0.74): (x1, y1), (0.01, 0.01): (x0, y0), (0.74, 0.01): (x1, y0)}

    def crowd(corner: tuple[float, float]) -> int:
        cx = x0 + (corner[0] + 0.125) * (x1 - x0)
        cy = y0 + (corner[1] + 0.125) * (y1 - y0)
        return int(np.sum((np.abs(lon - cx) < 0.15 * (x1 - x0)) & (np.abs(lat - cy) < 0.15 * (y1 - y0))))

    place = min(corners, key=crowd)
    inset = ax.inset_axes([place[0], place[1], 0.25, 0.25])
    inset.set_facecolor("#dbe9f4")
    inset.add_collection(PolyCollection(land_polygons(), facecolor="#f3efe4", edgecolor="#9a9384", linewidth=0.3))
    inset.add_patch(
        matplotlib.patches.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="crimson", linewidth=1.2)
    )
    inset.set_xlim(-180, 180)
    inset.set_ylim(-90, 90)
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_aspect("equal")


def pareto_chart(
    table, objective: str, path: str | Path, *, threshold: float | None = None, title: str = "Design sweep"
) -> Path:
    """Cost against the requirement's figure of merit for every design; the Pareto front joined; feasible
    designs filled."""
    fig, ax = plt.subplots(figsize=(9, 6), dpi=100)
    values = table[objective].to_numpy(dtype=float)
    scale, unit = (3600.0, "h") if objective.split("_p")[0].endswith("_s") else (1.0, "")
    y = np.where(np.isfinite(values), values / scale, np.nan)
    families = sorted(set(table.family))
    markers = dict(zip(families, "osD^v<>", strict=False))
    for family in families:
        rows = (table.family == family).to_numpy()
        for feasible, face in ((True, None), (False, "none")):
            pick = rows & (table.feasible.to_numpy() == feasible)
            ax.scatter(
                table.cost[pick],
                y[pick],
                marker=markers[family],
                facecolors=face,
                s=40,
                edgecolors=f"C{families.index(family)}",
                label=f"{family} ({'meets' if feasible else 'fails'})" if pick.any() else None,
            )
    front = table[table.pareto].sort_values("cost")
    ax.plot(front.cost, front[objective] / scale, "-", color="black", linewidth=1, zorder=0, label="Pareto front")
    _finish_chart(
        ax, xlabel="cost proxy", ylabel=f"{objective} ({unit})", title=title, threshold=threshold, scale=scale
    )
    return _save(fig, path)


def parameter_chart(
    table, parameter: str, metric: str, path: str | Path, *, threshold: float | None = None, title: str = "Design sweep"
) -> Path:
    """A figure of merit against one design parameter, one colour per family; the best value per parameter
    value joined."""
    if parameter not in table:
        raise OverheadError(f"no column {parameter!r} in the results; choose one of {', '.join(table.columns)}")
    fig, ax = plt.subplots(figsize=(9, 6), dpi=100)
    scale, unit = (3600.0, "h") if metric.split("_p")[0].endswith("_s") else (1.0, "")
    data = table[[parameter, metric, "family"]].dropna(subset=[parameter])
    for k, family in enumerate(sorted(set(data.family))):
        rows = data[data.family == family]
        ax.scatter(rows[parameter], rows[metric] / scale, s=25, alpha=0.6, color=f"C{k}", label=family)
    best = data.replace(np.inf, np.nan).groupby(parameter)[metric].min() / scale
    ax.plot(best.index, best.to_numpy(), "-", color="black", linewidth=1, label="best at each value")
    _finish_chart(ax, xlabel=parameter, ylabel=f"{metric} ({unit})", title=title, threshold=threshold, scale=scale)
    return _save(fig, path)


def plan_timeline(acquisitions, downlinks, path: str | Path, *, title: str = "Plan") -> Path:
    """A Gantt chart: one row per satellite, images coloured by priority, downlinks in grey."""
    satellites = sorted(set(acquisitions.norad_id) | set(downlinks.norad_id))
    fig, ax = plt.subplots(figsize=(14, max(3, 0.45 * len(satellites) + 1.5)), dpi=100)
    cmap = plt.get_cmap("plasma")
    top = float(acquisitions.priority.max()) if len(acquisitions) else 1.0
    for row, norad_id in enumerate(satellites):
        links = downlinks[downlinks.norad_id == norad_id]
        ax.broken_barh(
            [
                (matplotlib.dates.date2num(a), matplotlib.dates.date2num(b) - matplotlib.dates.date2num(a))
                for a, b in zip(links.start, links.end, strict=True)
            ],
            (row - 0.4, 0.8),
            facecolors="#bbbbbb",
            label="downlink" if row == 0 else None,
        )
        images = acquisitions[acquisitions.norad_id == norad_id]
        for image in images.itertuples():
            start = matplotlib.dates.date2num(image.start)
            width = max(matplotlib.dates.date2num(image.end) - start, 60 / 86400)  # at least 1 min, to be seen
            ax.broken_barh([(start, width)], (row - 0.3, 0.6), facecolors=cmap(image.priority / top))
    ax.set_yticks(range(len(satellites)), [str(s) for s in satellites])
    ax.xaxis_date()
    ax.set_xlabel("UTC")
    ax.set_ylabel("satellite (NORAD)")
    ax.set_title(f"{title}: {len(acquisitions)} images (colour = priority), downlinks in grey")
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def manoeuvre_chart(history, manoeuvres, path: str | Path, *, max_objects: int = 4) -> Path:
    """Per object (up to ``max_objects``): the mean semi-major axis, and its change from one element set to the
    next on a symmetric-log scale (so metre-sized burns show beside kilometre-sized ones), with the detected
    manoeuvres as vertical lines shaded by confidence."""
    from overhead.catalog.manoeuvres import semi_major_axis_km

    objects = sorted(history.norad_id.unique())[:max_objects]
    fig, axes = plt.subplots(
        2 * len(objects), 1, figsize=(14, 4.4 * len(objects) + 0.6), dpi=100, squeeze=False, sharex=True
    )
    for row, norad_id in enumerate(objects):
        sets = history[history.norad_id == norad_id].sort_values("epoch").drop_duplicates("epoch")
        a_km = semi_major_axis_km(sets.mean_motion_rev_per_day.to_numpy())
        level, change = axes[2 * row, 0], axes[2 * row + 1, 0]
        level.plot(sets.epoch, a_km, ".-", markersize=2, linewidth=0.5)
        change.plot(sets.epoch.iloc[1:], np.diff(a_km) * 1000.0, ".", markersize=2)
        change.set_yscale("symlog", linthresh=1.0)
        found = manoeuvres[manoeuvres.norad_id == norad_id]
        for ax in (level, change):
            for m in found.itertuples():
                ax.axvline(m.time, color="crimson", alpha=0.2 + 0.6 * float(m.confidence), linewidth=0.7)
            ax.grid(alpha=0.3)
        level.set_ylabel("a (km)")
        change.set_ylabel("Δa per set (m)")
        level.set_title(
            f"NORAD {norad_id}: {len(sets):,} element sets, {len(found)} manoeuvres (red lines, darker = surer)",
            fontsize=10,
        )
    axes[-1, 0].set_xlabel("UTC")
    return _save(fig, path)
