"""``overhead access / coverage / passes / eclipses / beta / above``: what satellites can see, and when."""

from __future__ import annotations

import os
import sys

import numpy as np

from overhead.analysis.figures import FIGURES_OF_MERIT as COVERAGE_METRICS  # names only: a light import
from overhead.cli.common import (
    TIME_HELP,
    console,
    constraint_options,
    constraints_of,
    db_option,
    elements_argument,
    elevation_mask,
    emit_table,
    err_console,
    gigabytes,
    grid_of,
    hms,
    ids_option,
    load_satellites,
    mask_option,
    option,
    output_option,
    satellites_of,
    site_option,
    site_type,
    span_options,
    spec_option,
)
from overhead.cli.options import finite_float
from overhead.errors import OverheadError
from overhead.files import write_text_atomic
from overhead.orbits.catalog import element_age_said


def cmd_access(args) -> None:
    from overhead.analysis.access import access_windows
    from overhead.geometry.targets import TargetSet, load_targets
    from overhead.tables import with_iso_times

    catalog = satellites_of(args)
    if bool(args.site) == bool(args.targets):
        raise OverheadError("give --site LAT,LON[,ALT_M] (one or more) or --targets FILE")
    targets = load_targets(args.targets) if args.targets else TargetSet.from_sites(args.site)
    constraints = constraints_of(args)
    table = access_windows(catalog, targets, args.start, args.stop, constraints, progress=sys.stderr.isatty())
    emit_table(with_iso_times(table, ("start", "end", "culmination")), args.output, "windows", float_format="%.6f")


def cmd_coverage(args) -> None:
    import json

    from overhead.analysis.coverage import coverage, suggested_scheduler
    from overhead.orbits.timescales import to_datetime64
    from overhead.tables import coverage_geojson, write_coverage

    catalog = satellites_of(args)
    grid = grid_of(args)
    span_s = (to_datetime64(args.stop) - to_datetime64(args.start)) / np.timedelta64(1, "s")
    _check_coverage_size(len(catalog), span_s, len(grid), args)
    scheduler = args.scheduler or suggested_scheduler(len(catalog), span_s, len(grid))
    constraints = constraints_of(args)
    where = {"none": "in this process", "local": "a local Dask cluster"}.get(scheduler, scheduler)
    err_console.print(f"{len(catalog)} satellites over {len(grid):,} points ({grid.kind}); running {where}")
    result = coverage(
        catalog,
        grid,
        args.start,
        args.stop,
        constraints,
        scheduler=scheduler,
        time_chunk_days=args.time_chunk_days,
        keep_windows=not args.bounded_memory,
        progress=sys.stderr.isatty(),
    )
    console.print(result.text())
    boundaries = grid.cell_boundaries() if grid.resolution is not None else None
    if args.output:
        path = write_coverage(result.stats, args.output)
        err_console.print(f"wrote per-point statistics to {path}")
    if args.geojson:
        write_text_atomic(args.geojson, json.dumps(coverage_geojson(result.stats, boundaries)))
        err_console.print(f"wrote {args.geojson}")
    if args.map:
        from overhead.plots import coverage_map  # matplotlib: half a second to import, only for a map

        path = coverage_map(
            result.stats,
            args.metric,
            args.map,
            boundaries=boundaries,
            title=f"{args.metric} — {len(catalog)} satellites, {result.stats.attrs['start']} to "
            f"{result.stats.attrs['stop']}",
        )
        err_console.print(f"map: {path}")


MAX_CLI_COVERAGE_S = 3_600.0  # estimated run time above which the CLI asks for --force


MEMORY_SHARE_FOR_WINDOWS = 0.5  # of the machine's memory: more estimated windows than that ask for --bounded-memory


def _check_coverage_size(n_satellites: int, span_s: float, n_points: int, args) -> None:
    """Refuse, before any work, a coverage run estimated to take hours or to hold more windows than memory."""
    from overhead.analysis.coverage import coverage_estimate

    estimate = coverage_estimate(n_satellites, span_s, n_points)
    size = (
        f"{n_satellites:,} satellites × {span_s / 86_400:,.1f} days × {n_points:,} points = "
        f"{estimate.evaluations:,.3g} evaluations"
    )
    memory = _physical_memory_bytes()
    if (
        not args.bounded_memory
        and memory
        and estimate.windows_bytes > MEMORY_SHARE_FOR_WINDOWS * memory
        and not args.force
    ):
        raise OverheadError(
            f"{size}: its access windows would take about {gigabytes(estimate.windows_bytes)}, "
            f"more than half of this machine's {gigabytes(memory)}: add --bounded-memory (statistics "
            f"per point, no windows kept), or reduce the span, the points (--resolution, a region) "
            f"or the satellites (--ids); --force runs it anyway"
        )
    if estimate.seconds > MAX_CLI_COVERAGE_S and not args.force:
        raise OverheadError(
            f"{size}: about {estimate.seconds / 3600:,.1f} hours on this machine's "
            f"{os.cpu_count() or 1} cores: reduce the span, the points (--resolution, a region) or "
            f"the satellites (--ids), or give --scheduler tcp://HOST:8786 and --force to run it"
        )


def _physical_memory_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def cmd_eclipses(args) -> None:
    from overhead.analysis.eclipses import eclipses
    from overhead.orbits.timescales import to_datetime64

    catalog = load_satellites(args.elements, args.ids)
    start = to_datetime64(args.start) if args.start else catalog.median_epoch()
    stop = to_datetime64(args.stop) if args.stop else start + np.timedelta64(24, "h")
    table = eclipses(catalog, start, stop, model=args.model, step_s=args.step)
    emit_table(table, args.output, "eclipses", float_format="%.3f")


def cmd_beta(args) -> None:
    from overhead.analysis.eclipses import beta_angles
    from overhead.orbits.timescales import sample_times, to_datetime64

    catalog = load_satellites(args.elements, args.ids)
    start = to_datetime64(args.start) if args.start else catalog.median_epoch()
    stop = to_datetime64(args.stop) if args.stop else start + np.timedelta64(30, "D")
    if args.step <= 0 or stop < start:
        raise OverheadError("--step-s must be positive and --stop not before --start")
    emit_table(
        beta_angles(catalog, sample_times(start, stop, args.step)), args.output, "beta angles", float_format="%.4f"
    )


def cmd_passes(args) -> None:
    from rich.table import Table

    from overhead.analysis.passes import passes_over_site
    from overhead.orbits.timescales import format_iso, to_datetime64
    from overhead.tables import with_iso_times, write_table

    mask = elevation_mask(args)
    catalog = load_satellites(args.elements, args.ids)
    start = to_datetime64(args.start) if args.start else catalog.median_epoch()
    stop = to_datetime64(args.stop) if args.stop else start + np.timedelta64(24, "h")
    if args.visible:
        from overhead.analysis.visibility import read_satcat_rcs, visible_passes

        table = visible_passes(
            catalog,
            args.site,
            start,
            stop,
            min_elevation_deg=mask,
            max_sun_altitude_deg=args.max_sun_altitude,
            rcs_m2=read_satcat_rcs(args.satcat) if args.satcat else None,
        )
    else:
        table = passes_over_site(catalog, args.site, start, stop, min_elevation_deg=mask)
    time_columns = ("rise", "culmination", "set") + (
        ("visible_start", "visible_end", "brightest_time") if args.visible else ()
    )
    if args.output:  # the file, and one line saying so: thousands of rows belong in it, not on the terminal
        write_table(with_iso_times(table, time_columns), args.output)
        err_console.print(f"wrote {len(table):,} passes of {table.norad_id.nunique():,} satellites to {args.output}")
        return
    view = Table(
        title=f"Passes over {args.site.lat_deg:.4f}, {args.site.lon_deg:.4f} above "
        f"{mask:g}° ({format_iso(start, digits=0)} – {format_iso(stop, digits=0)})"
    )
    columns = ["satellite", "NORAD", "rise (UTC)", "az", "culmination", "max el", "set", "az", "min"]
    columns += ["visible (UTC)", "brightest mag"] if args.visible else []
    for column in columns:
        view.add_column(
            column, justify="right" if column in ("NORAD", "az", "max el", "min", "brightest mag") else "left"
        )
    for row in table.itertuples():
        cells = [
            row.name,
            str(row.norad_id),
            hms(row.rise, full=True),
            f"{row.rise_azimuth_deg:.0f}°",
            hms(row.culmination),
            f"{row.max_elevation_deg:.1f}°",
            hms(row.set),
            f"{row.set_azimuth_deg:.0f}°",
            f"{row.duration_s / 60:.1f}",
        ]
        if args.visible:
            magnitude = row.brightest_magnitude
            cells += [
                f"{hms(row.visible_start)}–{hms(row.visible_end)}",
                "—" if magnitude != magnitude else f"{magnitude:.1f}",
            ]
        view.add_row(*cells)
    console.print(view)


def _say_if_stale(catalog, when, *, asked: bool) -> None:
    """A plain notice when the elements are too old for the time asked (the usual case: old files, time now)."""
    from overhead.orbits.catalog import STALE_ELEMENTS_DAYS
    from overhead.orbits.timescales import format_iso

    age = float(np.median(catalog.age_days(np.atleast_1d(when))))
    if age <= STALE_ELEMENTS_DAYS:
        return
    epoch = format_iso(catalog.median_epoch(), digits=0)
    err_console.print(
        f"[bold yellow]the elements are {age:,.0f} days from {format_iso(when, digits=0)} (median epoch "
        f"{epoch}): positions may be off by {2 * age:,.0f} km or more in low orbit.[/] "
        + (
            f"Ingest newer elements: `overhead catalog ingest FILE`, or ask for a time near their epoch: --time {epoch}"
            if not asked
            else "Ingest newer elements for this time."
        )
    )


def cmd_above(args) -> None:
    from rich.table import Table

    from overhead.catalog.above import above
    from overhead.catalog.store import CatalogStore
    from overhead.orbits.timescales import format_iso, to_datetime64

    mask = elevation_mask(args)
    store = CatalogStore(args.db)
    when = to_datetime64(args.time) if args.time else np.datetime64("now", "ns")
    # a time asked: each object's element set nearest it (the newest ones may be months later); --as-of: the
    # catalogue as the store knew it then
    catalog = store.nearest_catalog(when) if args.time and not args.as_of else store.latest_catalog(as_of=args.as_of)
    if args.type or args.owner or args.group or args.tag:
        wanted = store.select_ids(object_type=args.type, owner=args.owner, group=args.group, tag=args.tag)
        catalog = catalog[[k for k, n in enumerate(catalog.norad_ids) if int(n) in wanted]]
        if len(catalog) == 0:
            raise OverheadError(
                "no object of the store matches --type/--owner/--group/--tag (types and owners come "
                "from a SATCAT: overhead catalog fetch celestrak-satcat; tags from overhead catalog "
                "tag)"
            )
    if len(catalog) == 0:
        raise OverheadError(
            "the catalog store is empty"
            + (f" as of {args.as_of}" if args.as_of else "")
            + ": run `overhead catalog ingest FILE` first"
        )
    with element_age_said():  # said below, once and plainly
        table = above(catalog, args.site, when, min_elevation_deg=mask)
    _say_if_stale(catalog, when, asked=bool(args.time))
    view = Table(
        title=f"{len(table)} satellites above {mask:g}° at {args.site.lat_deg:.4f}, "
        f"{args.site.lon_deg:.4f} — {format_iso(when, digits=0)}"
    )
    for column in ("satellite", "NORAD", "az", "el", "range km", "sunlit", "elements age d"):
        view.add_column(column, justify="left" if column == "satellite" else "right")
    for row in table.head(args.limit).itertuples():
        view.add_row(
            row.name,
            str(row.norad_id),
            f"{row.azimuth_deg:.1f}°",
            f"{row.elevation_deg:.1f}°",
            f"{row.range_km:,.0f}",
            "yes" if row.sunlit else "no",
            f"{row.element_age_days:.1f}",
        )
    console.print(view)
    if args.passes:
        from overhead.analysis.passes import passes_over_site
        from overhead.tables import with_iso_times

        stop = when + np.timedelta64(round(args.passes * 3600), "s")
        passes = passes_over_site(catalog, args.site, when, stop, min_elevation_deg=mask, max_element_age_days=None)
        console.print(
            f"{len(passes):,} passes of {passes.norad_id.nunique():,} satellites above "
            f"{mask:g}° in the next {args.passes:g} h"
        )
        emit_table(with_iso_times(passes, ("rise", "culmination", "set")), args.output, "passes", float_format="%.3f")


def add_parsers(sub) -> None:
    _add_access_parser(sub)
    _add_coverage_parser(sub)
    _add_passes_parser(sub)
    _add_eclipses_parser(sub)
    _add_beta_parser(sub)
    _add_above_parser(sub)


def _add_access_parser(sub) -> None:
    """The `access` command's parser."""
    p = sub.add_parser("access", help="access windows of satellites' sensors over ground targets")
    elements_argument(p, store=True)
    site_option(p, repeat=True)
    p.add_argument(
        "--targets",
        metavar="FILE",
        help="targets: CSV (lat/latitude/lat_deg, lon/lng/longitude, "
        "optional id/name, alt_m), GeoJSON points or a JSON station "
        "list (SatNOGS)",
    )
    ids_option(p)
    span_options(p, required=True)
    constraint_options(p, duration=True)
    output_option(p, "windows.csv or .parquet")
    p.set_defaults(func=cmd_access)


def _add_coverage_parser(sub) -> None:
    """The `coverage` command's parser."""
    from overhead.requests import GridSpec

    p = sub.add_parser("coverage", help="coverage and revisit statistics over points, a region or the globe")
    elements_argument(p, store=True)
    ids_option(p)
    where = p.add_argument_group("where (one of)")
    where.add_argument(
        "--points",
        metavar="FILE",
        help="a site table (CSV, GeoJSON points, JSON station list), one row of results per point in file order",
    )
    where.add_argument("--region", metavar="GEOJSON", help="a GeoJSON polygon file")
    where.add_argument("--country", metavar="NAME", help="a country of the bundled Natural Earth map, e.g. France")
    where.add_argument("--global", dest="globe", action="store_true", help="the whole globe")
    where.add_argument("--band", metavar="MIN,MAX", help="a latitude band in degrees, e.g. -60,60")
    spec_option(p, GridSpec, "resolution", "--resolution", metavar="H3RES")
    span_options(p, required=True)
    constraint_options(p, cone=True, where="point")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="tcp://host:port of a Dask cluster, local (a cluster on this machine's cores) or none "
        "(in this process) (default: in this process unless the work is large enough for worker "
        "processes to pay off)",
    )
    p.add_argument(
        "--time-chunk-days",
        type=finite_float,
        default=None,
        metavar="DAYS",
        help="split the interval into chunks of this many days (default: one)",
    )
    p.add_argument(
        "--bounded-memory", action="store_true", help="partition over points and keep no windows (for very large runs)"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="run work estimated over an hour on this machine, or holding windows over half its memory "
        "(refused otherwise, with the estimate)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="per-point statistics: stats.csv, .parquet or .nc")
    p.add_argument("--geojson", metavar="FILE", help="the grid's cells with their statistics as GeoJSON")
    p.add_argument("--map", metavar="PNG", help="a map of --metric")
    p.add_argument("--metric", default="mean_revisit_s", choices=COVERAGE_METRICS, help="figure of merit of the map")
    p.set_defaults(func=cmd_coverage)


def _add_passes_parser(sub) -> None:
    """The `passes` command's parser."""
    from overhead.requests import PassesRequest, spec_default, spec_help

    p = sub.add_parser("passes", help="rise, culmination and set of satellites over a ground site")
    elements_argument(p)
    site_option(p, required=True)
    ids_option(p)
    span_options(
        p,
        required=False,
        start_default=" (default: the elements' median epoch)",
        stop_default=" (default: 24 h after the start)",
    )
    mask_option(p, "the station's elevation mask")
    p.add_argument(
        "--visible",
        action="store_true",
        help="only passes an observer can see: the satellite sunlit while the Sun is below "
        "--max-sun-altitude-deg at the site; adds visible_start, visible_end, the brightest "
        "magnitude and when (magnitudes for objects of the shipped table)",
    )
    option(
        p,
        "--max-sun-altitude-deg",
        dest="max_sun_altitude",
        type=finite_float,
        metavar="DEG",
        default=spec_default(PassesRequest, "max_sun_altitude_deg"),
        help=spec_help(PassesRequest, "max_sun_altitude_deg"),
    )
    p.add_argument(
        "--satcat",
        metavar="CSV",
        help="with --visible: a CelesTrak SATCAT CSV whose RCS gives a "
        "size-based magnitude estimate where no standard magnitude is known",
    )
    output_option(p, "passes.csv or .parquet (then only one line is printed)")
    p.set_defaults(func=cmd_passes)


def _add_eclipses_parser(sub) -> None:
    """The `eclipses` command's parser."""
    p = sub.add_parser("eclipses", help="umbra and penumbra entry and exit of satellites, with the beta angle")
    elements_argument(p, optional=True)
    ids_option(p)
    span_options(
        p,
        required=False,
        start_default=" (default: the elements' median epoch)",
        stop_default=" (default: 24 h after the start)",
    )
    p.add_argument(
        "--model",
        choices=("conical", "cylindrical", "point"),
        default="conical",
        help="shadow model: conical (umbra and penumbra, default), cylindrical (umbra), point (the Sun's "
        "centre behind the Earth)",
    )
    option(
        p,
        "--step-s",
        "--step",
        dest="step",
        type=finite_float,
        default=30.0,
        metavar="S",
        help="search step, seconds: eclipses shorter than this can be missed (default: 30)",
    )
    output_option(p, "eclipses.csv or .parquet")
    p.set_defaults(func=cmd_eclipses)


def _add_beta_parser(sub) -> None:
    """The `beta` command's parser."""
    p = sub.add_parser("beta", help="the beta angle (the Sun's elevation above the orbit plane) over time")
    elements_argument(p, optional=True)
    ids_option(p)
    span_options(
        p,
        required=False,
        start_default=" (default: the elements' median epoch)",
        stop_default=" (default: 30 days after the start)",
    )
    option(
        p,
        "--step-s",
        "--step",
        dest="step",
        type=finite_float,
        default=86_400.0,
        metavar="S",
        help="time between rows, seconds (default: 86400, a day)",
    )
    output_option(p, "beta.csv or .parquet")
    p.set_defaults(func=cmd_beta)


def _add_above_parser(sub) -> None:
    """The `above` command's parser."""
    p = sub.add_parser("above", help="what is overhead: satellites above a place at a time, from the store")
    p.add_argument(
        "site",
        type=site_type,
        metavar="LAT,LON[,ALT_M]",
        help="the place: degrees (south and west negative: -33.9,18.4), height in metres",
    )
    p.add_argument(
        "--time",
        metavar="ISO",
        help=f"{TIME_HELP}; each object's element set nearest it is used (default: now, with the newest sets)",
    )
    mask_option(p, "the lowest elevation listed")
    p.add_argument("--limit", type=int, default=40, help="rows to print")
    p.add_argument(
        "--as-of",
        default=None,
        metavar="ISO",
        help="the catalogue as the store knew it at this time: its objects, with the element sets they "
        "had then (default: the newest)",
    )
    p.add_argument("--type", default=None, metavar="TYPE", help="only objects of this SATCAT type: PAY, R/B, DEB, UNK")
    p.add_argument("--owner", default=None, metavar="CODE", help="only objects of this SATCAT owner, e.g. US, PRC, CIS")
    p.add_argument("--group", default=None, metavar="NAME", help="only objects of this ingested group, e.g. resource")
    p.add_argument("--tag", default=None, metavar="TAG", help="only objects with this tag (overhead catalog tag)")
    p.add_argument(
        "--passes",
        type=finite_float,
        default=None,
        metavar="HOURS",
        help="also list every pass in the next HOURS hours (default: no)",
    )
    output_option(p, "with --passes: passes.csv or .parquet")
    db_option(p)
    p.set_defaults(func=cmd_above)
