"""The main job on the bundled data: where the Earth-observation satellites are, their next passes over a
place, and a PNG map of their ground tracks."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.table import Table

from overhead.analysis.passes import passes_over_site
from overhead.cli.common import elevation_mask, hms, load_satellites
from overhead.geometry.topocentric import GroundSite
from overhead.orbits.timescales import format_iso, to_datetime64
from overhead.plots import ground_track_map

DEFAULT_SITE = GroundSite(43.6047, 1.4442, 150.0, "Toulouse, France")
TRACK_MINUTES = 100  # about one LEO revolution
SHOWN = 15
# well-known Earth-observation missions to label on the map when present
LABELLED = (
    "LANDSAT 8",
    "LANDSAT 9",
    "SENTINEL-2A",
    "SENTINEL-2B",
    "SENTINEL-2C",
    "SENTINEL-1A",
    "SENTINEL-1C",
    "SENTINEL-3A",
    "SENTINEL-3B",
    "TERRA",
    "AQUA",
    "SUOMI NPP",
    "NOAA 20 (JPSS-1)",
    "WORLDVIEW-3 (WV-3)",
    "PLEIADES NEO 3",
    "SWOT",
    "SENTINEL-6",
)


def run_report(args, console: Console) -> None:
    mask = elevation_mask(args)
    catalog = load_satellites(args.elements)
    site = args.site or DEFAULT_SITE
    site_name = args.site_name or site.name or f"{site.lat_deg:.3f}, {site.lon_deg:.3f}"
    now = to_datetime64(args.time) if args.time else catalog.median_epoch()
    ages = catalog.age_days(now)
    console.rule(f"[bold]overhead[/] — {catalog.source or 'element sets'}")
    console.print(
        f"{len(catalog)} satellites, element epochs {format_iso(catalog.epochs.min(), digits=0)} … "
        f"{format_iso(catalog.epochs.max(), digits=0)}; report time [bold]{format_iso(now, digits=0)}[/]"
        f"{' (the catalog median epoch)' if not args.time else ''}"
    )
    if ages.max() > 3:
        console.print(
            f"[yellow]The elements are up to {ages.max():.0f} days from the report time (median "
            f"{np.median(ages):.0f}); SGP4 errors grow by kilometres per day of age in LEO, so "
            f"positions and pass times are approximate.[/]"
        )

    minutes = np.arange(0, TRACK_MINUTES + 1)
    times = now + minutes * np.timedelta64(60, "s")
    tracks = catalog.propagate(times, frame="geodetic")
    order = _map_order(tracks.name.values)
    tracks = tracks.isel(satellite=order)
    where = Table(title=f"Where they are at {format_iso(now, digits=0)} (first {SHOWN} of {len(catalog)})")
    for column in ("satellite", "NORAD", "lat (deg)", "lon (deg)", "alt (km)", "elements age (d)"):
        where.add_column(column, justify="left" if column == "satellite" else "right")
    age_by_id = dict(zip(catalog.norad_ids.tolist(), ages.tolist(), strict=True))
    for i in range(min(SHOWN, tracks.sizes["satellite"])):
        lat, lon, alt = (float(tracks[v].values[i, 0]) for v in ("lat_deg", "lon_deg", "alt_km"))
        norad = int(tracks.norad_id.values[i])
        where.add_row(
            str(tracks.name.values[i]),
            str(norad),
            f"{lat:8.3f}",
            f"{lon:9.3f}",
            f"{alt:7.1f}",
            f"{age_by_id[norad]:.2f}",
        )
    console.print(where)

    stop = now + np.timedelta64(round(args.hours * 3600), "s")
    passes = passes_over_site(
        catalog, site, now, stop, min_elevation_deg=mask, max_element_age_days=None
    )  # the report has already said how old they are
    shown = passes.head(20)
    table = Table(
        title=f"Next passes over {site_name} ({site.lat_deg:.4f}°, {site.lon_deg:.4f}°) above "
        f"{mask:g}° — {len(passes)} in {args.hours:g} h, first {len(shown)}"
    )
    for column in ("satellite", "NORAD", "rise (UTC)", "rise az", "culmination", "max el", "set", "set az"):
        table.add_column(column, justify="left" if column in ("satellite", "rise (UTC)") else "right")
    for row in shown.itertuples():
        table.add_row(
            row.name,
            str(row.norad_id),
            hms(row.rise, full=True),
            f"{row.rise_azimuth_deg:.0f}°",
            hms(row.culmination),
            f"{row.max_elevation_deg:.1f}°",
            hms(row.set),
            f"{row.set_azimuth_deg:.0f}°",
        )
    console.print(table)

    labelled = sum(name in LABELLED for name in tracks.name.values)
    path = ground_track_map(
        tracks,
        args.map,
        site=(site.lat_deg, site.lon_deg, site_name),
        highlight=max(labelled, 1),
        title=f"{len(catalog)} {_what(args)}: positions at "
        f"{format_iso(now, digits=0)} and ground tracks for the next "
        f"{TRACK_MINUTES} min",
    )
    console.print(f"map of ground tracks: [bold]{path}[/]")


def _what(args) -> str:
    """What the report's satellites are: the bundled resource group is Earth observation; a user's file is what
    it is."""
    return "satellites" if args.elements else "Earth-observation satellites (CelesTrak resource group)"


def _map_order(names: np.ndarray) -> np.ndarray:
    """Well-known missions first (they are labelled on the map), then the rest by name."""
    rank = {name: k for k, name in enumerate(LABELLED)}
    return np.array(sorted(range(len(names)), key=lambda i: (rank.get(str(names[i]), len(rank)), str(names[i]))))
