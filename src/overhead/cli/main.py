"""``overhead`` command line: report, propagate, passes, design helpers, IERS update."""

from __future__ import annotations

import argparse
import os
import re
import sys
import warnings
from pathlib import Path

import numpy as np

from overhead.analysis.figures import FIGURES_OF_MERIT as COVERAGE_METRICS  # names only: a light import
from overhead.cli.common import (
    TIME_HELP,
    console,
    db_option,
    elevation_mask,
    emit_table,
    err_console,
    hms,
    load_satellites,
    output_option,
    spec_of,
    spec_option,
    store_satellites,
)
from overhead.cli.options import finite_float
from overhead.errors import OverheadError
from overhead.files import write_text_atomic
from overhead.orbits.catalog import element_age_said


def _site(text: str):
    from overhead.geometry.topocentric import GroundSite

    try:
        site = GroundSite.from_text(text)
    except OverheadError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not any(c.isdigit() for c in text):
        _say_namesakes(text)
    return site


def _say_namesakes(text: str) -> None:
    """A city name several cities bear: say which one was taken (the most populous) and how to choose another."""
    from overhead.geometry.places import namesakes

    same = namesakes(text)
    if len(same) > 1:
        def said(p) -> str:
            return f"{p.name}, {p.country} ({p.lat_deg:.2f}, {p.lon_deg:.2f}; {p.population:,} people)"

        err_console.print(f"[yellow]{text!r} names {len(same)}{'+' if len(same) == 5 else ''} cities: took "
                          f"{said(same[0])}[/]; others: {'; '.join(said(p) for p in same[1:])}. Write the "
                          f"coordinates to choose another.", highlight=False)


def _ids(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--ids {text!r} must be NORAD ids separated by commas") from None


def _satellites(args):
    """The satellites of a command that reads ELEMENTS or the store: the file (with --ids), or the store's newest
    element sets of --group / --tag (with --ids; the whole active store without them)."""
    group, tag = getattr(args, "group", None), getattr(args, "tag", None)
    if args.elements:
        if group or tag:
            raise OverheadError("give an ELEMENTS file or --group/--tag (the store's objects), not both")
        return load_satellites(args.elements, args.ids)
    catalog = store_satellites(args.db, group=group, tag=tag)
    return catalog.select(args.ids) if args.ids else catalog


def cmd_propagate(args) -> None:
    from overhead.orbits.timescales import sample_count, sample_times, to_datetime64
    from overhead.tables import iter_state_tables, write_table_chunks

    catalog = load_satellites(args.elements, args.ids)
    if args.minutes_since_epoch:
        start, stop, step = args.minutes_since_epoch
        if step <= 0 or stop < start:
            raise OverheadError("the step of --minutes-since-epoch must be positive and STOP not before START")
        count = int((stop - start) / step + 1e-9) + 1
        _check_output_size(len(catalog) * count, args)
        axis = {"minutes_since_epoch": start + np.arange(count) * step}
    else:
        if not (args.start and args.stop):
            raise OverheadError("give --start and --stop (ISO UTC), or --minutes-since-epoch START STOP STEP")
        start, stop = to_datetime64(args.start), to_datetime64(args.stop)
        if args.step <= 0 or stop < start:
            raise OverheadError("--step must be positive and --stop not before --start")
        count = sample_count(start, stop, args.step)
        _check_output_size(len(catalog) * count, args)
        axis = {"times": sample_times(start, stop, args.step)}
    tables = iter_state_tables(catalog, frame=args.frame, progress=sys.stderr.isatty(), **axis)
    rows = write_table_chunks(tables, args.output, stream=sys.stdout)
    if args.output:
        err_console.print(f"wrote {rows:,} states of {len(catalog)} satellites to {args.output}")


MAX_OUTPUT_BYTES = 2 * 10**9  # the CLI asks for --force above this


EXPORT_FRAMES = {"oem": ("teme", "itrf"), "stk-e": ("teme", "itrf"), "czml": ("itrf",), "sp3": ("itrf",),
                 "kml": ("geodetic",), "geojson": ("geodetic",)}


def cmd_export(args) -> None:
    """States over a span in a format other tools read: the API's ephemeris writers."""
    import json

    from overhead import exports
    from overhead.files import write_text_atomic
    from overhead.orbits.timescales import sample_count, sample_times, to_datetime64

    frames = EXPORT_FRAMES[args.format]
    frame = args.frame or frames[0]
    if frame not in frames:
        raise OverheadError(f"{args.format} holds states in {' or '.join(frames)}, not {frame}: drop --frame or "
                            f"choose {frames[0]}")
    catalog = _satellites(args)
    start = to_datetime64(args.start) if args.start else catalog.median_epoch()
    stop = to_datetime64(args.stop) if args.stop else start + np.timedelta64(1, "D")
    if args.step <= 0 or stop <= start:
        raise OverheadError("--step-s must be positive and --stop after --start")
    count = sample_count(start, stop, args.step)
    if len(catalog) * count > MAX_EXPORT_STATES and not args.force:
        raise OverheadError(f"{len(catalog):,} satellites × {count:,} times = {len(catalog) * count:,} states is more "
                            f"than a {args.format} file should hold (at most {MAX_EXPORT_STATES:,}): raise --step-s, "
                            f"shorten the span or name fewer satellites (--ids); --force writes it anyway")
    ds = catalog.propagate(sample_times(start, stop, args.step), frame=frame, progress=sys.stderr.isatty())
    if args.format == "stk-e":
        _write_stk(ds, args.output)
        return
    text = {"oem": lambda: exports.oem_document(ds), "sp3": lambda: exports.sp3_document(ds),
            "kml": lambda: exports.kml_document(ds),
            "czml": lambda: json.dumps(exports.czml_document(ds, name="overhead")),
            "geojson": lambda: json.dumps(exports.ground_tracks_geojson(ds))}[args.format]()
    if not args.output:
        sys.stdout.write(text)
        return
    write_text_atomic(args.output, text)
    err_console.print(f"wrote {len(catalog):,} satellites × {count:,} times as {args.format} to {args.output}")


MAX_EXPORT_STATES = 5_000_000  # ~0.5 GB of OEM text; a file for another tool, not a data dump (propagate is)


def _write_stk(ds, output: str | None) -> None:
    """One .e file: to ``output`` (or standard output) for one satellite, or NORAD.e files into a folder."""
    from overhead import exports
    from overhead.files import write_text_atomic

    n_sat = ds.sizes["satellite"]
    folder = Path(output) if output and Path(output).is_dir() else None
    if n_sat > 1 and folder is None:
        raise OverheadError(f"an STK ephemeris holds one satellite and {n_sat} were chosen: name one with --ids, "
                            "or give -o an existing folder for one NORAD.e file each")
    if folder is None:
        text = exports.stk_ephemeris(ds, 0)
        if output:
            write_text_atomic(output, text)
            err_console.print(f"wrote {output}")
        else:
            sys.stdout.write(text)
        return
    for i, norad_id in enumerate(ds.norad_id.values):
        write_text_atomic(folder / f"{int(norad_id)}.e", exports.stk_ephemeris(ds, i))
    err_console.print(f"wrote {n_sat:,} STK ephemeris files into {folder}")


def _check_output_size(rows: int, args) -> None:
    """Refuse, before any work, an output too large to be what the user meant, or too large for the disk."""
    import shutil

    from overhead.tables import state_output_bytes

    fmt = "parquet" if (args.output or "").endswith(".parquet") else "csv"
    size = state_output_bytes(rows, args.frame, fmt)
    where = Path(args.output).resolve().parent if args.output else None
    free = shutil.disk_usage(where).free if where is not None and where.is_dir() else None
    if free is not None and size > free:
        raise OverheadError(f"the output would be about {_gb(size)} ({rows:,} rows) but {where} has "
                            f"{_gb(free)} free: reduce the span, raise --step or name fewer satellites (--ids)")
    if size > MAX_OUTPUT_BYTES and not args.force:
        raise OverheadError(f"the output would be about {_gb(size)} ({rows:,} rows of states): reduce the span, "
                            f"raise --step or name fewer satellites (--ids); Parquet is about half the size of CSV; "
                            f"--force writes it anyway (streamed: memory stays bounded)")


def _gb(size: float) -> str:
    return f"{size / 1e9:,.1f} GB" if size >= 1e8 else f"{size / 1e6:,.1f} MB"


def cmd_access(args) -> None:
    from overhead.analysis.access import access_windows
    from overhead.geometry.targets import TargetSet, load_targets
    from overhead.tables import with_iso_times

    catalog = _satellites(args)
    if bool(args.site) == bool(args.targets):
        raise OverheadError("give --site LAT,LON[,ALT_M] (one or more) or --targets FILE")
    targets = load_targets(args.targets) if args.targets else TargetSet.from_sites(args.site)
    constraints = _constraints(args)
    table = access_windows(catalog, targets, args.start, args.stop, constraints, progress=sys.stderr.isatty())
    emit_table(with_iso_times(table, ("start", "end", "culmination")), args.output, "windows", float_format="%.6f")


def _grid(args):
    from overhead.geometry.grids import AnalysisGrid
    from overhead.requests import GridFileSpec

    return AnalysisGrid.from_spec(GridFileSpec.from_choice(
        points=args.points, region=args.region, country=args.country, globe=args.globe, band=args.band,
        resolution=args.resolution, names={"points": "--points FILE", "region": "--region GEOJSON",
                                           "country": "--country NAME", "globe": "--global",
                                           "band": "--band MIN_LAT,MAX_LAT"}))


def cmd_coverage(args) -> None:
    import json

    from overhead.analysis.coverage import coverage, suggested_scheduler
    from overhead.orbits.timescales import to_datetime64
    from overhead.tables import coverage_geojson, write_coverage

    catalog = _satellites(args)
    grid = _grid(args)
    span_s = (to_datetime64(args.stop) - to_datetime64(args.start)) / np.timedelta64(1, "s")
    _check_coverage_size(len(catalog), span_s, len(grid), args)
    scheduler = args.scheduler or suggested_scheduler(len(catalog), span_s, len(grid))
    constraints = _constraints(args)
    where = {"none": "in this process", "local": "a local Dask cluster"}.get(scheduler, scheduler)
    err_console.print(f"{len(catalog)} satellites over {len(grid):,} points ({grid.kind}); running {where}")
    result = coverage(catalog, grid, args.start, args.stop, constraints, scheduler=scheduler,
                      time_chunk_days=args.time_chunk_days, keep_windows=not args.bounded_memory,
                      progress=sys.stderr.isatty())
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

        path = coverage_map(result.stats, args.metric, args.map, boundaries=boundaries,
                            title=f"{args.metric} — {len(catalog)} satellites, {result.stats.attrs['start']} to "
                                  f"{result.stats.attrs['stop']}")
        err_console.print(f"map: {path}")


MAX_CLI_COVERAGE_S = 3_600.0  # estimated run time above which the CLI asks for --force
MEMORY_SHARE_FOR_WINDOWS = 0.5  # of the machine's memory: more estimated windows than that ask for --bounded-memory


def _check_coverage_size(n_satellites: int, span_s: float, n_points: int, args) -> None:
    """Refuse, before any work, a coverage run estimated to take hours or to hold more windows than memory."""
    from overhead.analysis.coverage import coverage_estimate

    estimate = coverage_estimate(n_satellites, span_s, n_points)
    size = (f"{n_satellites:,} satellites × {span_s / 86_400:,.1f} days × {n_points:,} points = "
            f"{estimate.evaluations:,.3g} evaluations")
    memory = _physical_memory_bytes()
    if (not args.bounded_memory and memory and estimate.windows_bytes > MEMORY_SHARE_FOR_WINDOWS * memory
            and not args.force):
        raise OverheadError(f"{size}: its access windows would take about {_gb(estimate.windows_bytes)}, more than "
                            f"half of this machine's {_gb(memory)}: add --bounded-memory (statistics per point, no "
                            f"windows kept), or reduce the span, the points (--resolution, a region) or the "
                            f"satellites (--ids); --force runs it anyway")
    if estimate.seconds > MAX_CLI_COVERAGE_S and not args.force:
        raise OverheadError(f"{size}: about {estimate.seconds / 3600:,.1f} hours on this machine's "
                            f"{os.cpu_count() or 1} cores: reduce the span, the points (--resolution, a region) or "
                            f"the satellites (--ids), or give --scheduler tcp://HOST:8786 and --force to run it")


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


def cmd_watch(args) -> None:
    from overhead.catalog.store import CatalogStore
    from overhead.catalog.watch import load_rules, watch_round

    spec = load_rules(args.rules)
    store = CatalogStore(args.db)

    def one_round(force: bool = False) -> None:
        report = watch_round(store, spec, force=force, celestrak_url=args.celestrak_url)
        console.print(report.text(), markup=False, highlight=False)

    one_round(args.force)
    if args.once:
        return
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone="UTC")
    # each round fetches only the sources that are due, so asking every minute costs nothing
    scheduler.add_job(one_round, "interval", seconds=args.check_s, max_instances=1, coalesce=True)
    console.print(f"watching {len(spec.sources)} sources, {len(spec.rules)} rules (Ctrl-C to stop)")
    scheduler.start()


def cmd_alerts(args) -> None:
    from overhead.catalog.store import CatalogStore
    from overhead.catalog.watch import alerts_table
    from overhead.tables import with_iso_times

    table = alerts_table(CatalogStore(args.db), since=args.since)
    if not len(table) and not args.output:
        err_console.print("no alerts" + (f" since {args.since}" if args.since else "") +
                          " (run `overhead watch RULES.yaml --once`)")
        return
    emit_table(with_iso_times(table, ("time",)), args.output, "alerts", float_format="%.6f")


def cmd_beta(args) -> None:
    from overhead.analysis.eclipses import beta_angles
    from overhead.orbits.timescales import sample_times, to_datetime64

    catalog = load_satellites(args.elements, args.ids)
    start = to_datetime64(args.start) if args.start else catalog.median_epoch()
    stop = to_datetime64(args.stop) if args.stop else start + np.timedelta64(30, "D")
    if args.step <= 0 or stop < start:
        raise OverheadError("--step-s must be positive and --stop not before --start")
    emit_table(beta_angles(catalog, sample_times(start, stop, args.step)), args.output, "beta angles",
          float_format="%.4f")


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

        table = visible_passes(catalog, args.site, start, stop, min_elevation_deg=mask,
                               max_sun_altitude_deg=args.max_sun_altitude,
                               rcs_m2=read_satcat_rcs(args.satcat) if args.satcat else None)
    else:
        table = passes_over_site(catalog, args.site, start, stop, min_elevation_deg=mask)
    time_columns = ("rise", "culmination", "set") + (
        ("visible_start", "visible_end", "brightest_time") if args.visible else ())
    if args.output:  # the file, and one line saying so: thousands of rows belong in it, not on the terminal
        write_table(with_iso_times(table, time_columns), args.output)
        err_console.print(f"wrote {len(table):,} passes of {table.norad_id.nunique():,} satellites to {args.output}")
        return
    view = Table(title=f"Passes over {args.site.lat_deg:.4f}, {args.site.lon_deg:.4f} above "
                       f"{mask:g}° ({format_iso(start, digits=0)} – {format_iso(stop, digits=0)})")
    columns = ["satellite", "NORAD", "rise (UTC)", "az", "culmination", "max el", "set", "az", "min"]
    columns += ["visible (UTC)", "brightest mag"] if args.visible else []
    for column in columns:
        view.add_column(column, justify="right" if column in ("NORAD", "az", "max el", "min", "brightest mag")
                        else "left")
    for row in table.itertuples():
        cells = [row.name, str(row.norad_id), hms(row.rise, full=True), f"{row.rise_azimuth_deg:.0f}°",
                 hms(row.culmination), f"{row.max_elevation_deg:.1f}°", hms(row.set), f"{row.set_azimuth_deg:.0f}°",
                 f"{row.duration_s / 60:.1f}"]
        if args.visible:
            magnitude = row.brightest_magnitude
            cells += [f"{hms(row.visible_start)}–{hms(row.visible_end)}",
                      "—" if magnitude != magnitude else f"{magnitude:.1f}"]
        view.add_row(*cells)
    console.print(view)


def cmd_report(args) -> None:
    from overhead.cli.report import run_report

    run_report(args, console)


def cmd_iers(args) -> None:
    from overhead.orbits.iers import earth_orientation, update_iers

    path = update_iers(args.source)
    table = earth_orientation()
    last = np.datetime64(int((table.last_mjd - 40587) * 86400), "s")
    console.print(f"installed {path}: {len(table.mjd):,} rows, predictions to {last}Z")


def cmd_design(args) -> None:
    from overhead.orbits.constellations import (
        repeat_ground_track_altitude_km,
        sun_synchronous_inclination_deg,
    )

    if args.helper == "sweep":
        return _design_sweep(args)
    if args.helper == "export":
        return _design_export(args)
    if args.helper == "sso":
        value = float(sun_synchronous_inclination_deg(args.altitude_km))
        console.print(f"{value:.4f} deg  sun-synchronous inclination at {args.altitude_km:g} km (circular)")
    else:
        altitude = repeat_ground_track_altitude_km(args.revolutions, args.days, inclination_deg=args.inclination)
        kind = "sun-synchronous" if args.inclination is None else f"inclination {args.inclination:g} deg"
        console.print(f"{altitude:.3f} km  altitude of the {args.revolutions} rev / {args.days:g} day repeat "
                      f"ground track ({kind}; above the 6378.137 km equatorial radius)")


def _design_sweep(args) -> None:
    from overhead.analysis.design import best_design, load_spec, sweep
    from overhead.plots import parameter_chart, pareto_chart
    from overhead.tables import write_table

    spec = load_spec(args.spec)
    table = sweep(spec, scheduler=args.scheduler, cache_dir=args.cache, progress=sys.stderr.isatty())
    objective = spec.requirement[0].column
    path = write_table(table, args.output) if args.output else None
    feasible = int(table.feasible.sum())
    need = spec.requirement[0]
    console.print(f"{len(table)} designs evaluated, {feasible} meet the requirement ({need.metric} ≤ {need.max:g} "
                  f"over {need.percentile_area:g} % of the area); {int(table.pareto.sum())} on the Pareto front")
    if feasible:
        best = best_design(table)
        keys = ("family", "total", "planes", "phasing", "per_plane", "inclination_deg", "altitude_km", "ltan_h",
                "half_angle_deg")
        params = ", ".join(f"{k}={best[k].item() if hasattr(best[k], 'item') else best[k]}" for k in keys
                           if k in best and best[k] == best[k])
        console.print(f"best: {params} — {int(best.satellites)} satellites, cost {best.cost:g}, "
                      f"{objective} = {best[objective] / 3600:.2f} h")
    if path:
        err_console.print(f"wrote {path}")
    if args.plot:
        chart = pareto_chart(table, objective, args.plot, threshold=spec.requirement[0].max, title=spec.name)
        err_console.print(f"Pareto chart: {chart}")
    if args.parameter_plot:
        chart = parameter_chart(table, args.parameter, objective, args.parameter_plot,
                                threshold=spec.requirement[0].max, title=spec.name)
        err_console.print(f"{objective} against {args.parameter}: {chart}")


def _design_export(args) -> None:

    from overhead.analysis.design import best_design, design_from_row
    from overhead.readers import read_table_file

    if not Path(args.results).is_file():
        raise FileNotFoundError(f"no sweep results at {args.results}: run `overhead design sweep SPEC -o FILE` first")
    table = read_table_file(args.results, "a sweep's results (overhead design sweep -o)",
                            columns=("family", "cost"))
    if not args.best and not 0 <= args.row < len(table):
        raise OverheadError(f"--row {args.row} is not a row of {args.results}: it has rows 0 to {len(table) - 1}")
    row = best_design(table) if args.best else table.iloc[args.row]
    catalog = design_from_row(row).to_catalog()
    text = catalog.to_tle() if args.output.endswith((".tle", ".txt")) else catalog.to_omm(
        "csv" if args.output.endswith(".csv") else "xml" if args.output.endswith(".xml") else "json")
    write_text_atomic(args.output, text)
    console.print(f"wrote {len(catalog)} satellites of the {'best' if args.best else f'row {args.row}'} design "
                  f"({row.family}, cost {row.cost:g}) to {args.output}")


def _say_if_stale(catalog, when, *, asked: bool) -> None:
    """A plain notice when the elements are too old for the time asked (the usual case: old files, time now)."""
    from overhead.orbits.catalog import STALE_ELEMENTS_DAYS
    from overhead.orbits.timescales import format_iso

    age = float(np.median(catalog.age_days(np.atleast_1d(when))))
    if age <= STALE_ELEMENTS_DAYS:
        return
    epoch = format_iso(catalog.median_epoch(), digits=0)
    err_console.print(f"[bold yellow]the elements are {age:,.0f} days from {format_iso(when, digits=0)} (median epoch "
                      f"{epoch}): positions may be off by {2 * age:,.0f} km or more in low orbit.[/] "
                      + ("Ingest newer elements: `overhead catalog ingest FILE`, or ask for a time near their epoch: "
                         f"--time {epoch}" if not asked else "Ingest newer elements for this time."))


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
    catalog = (store.nearest_catalog(when) if args.time and not args.as_of
               else store.latest_catalog(as_of=args.as_of))
    if args.type or args.owner or args.group or args.tag:
        wanted = store.select_ids(object_type=args.type, owner=args.owner, group=args.group, tag=args.tag)
        catalog = catalog[[k for k, n in enumerate(catalog.norad_ids) if int(n) in wanted]]
        if len(catalog) == 0:
            raise OverheadError("no object of the store matches --type/--owner/--group/--tag (types and owners come "
                                "from a SATCAT: overhead catalog fetch celestrak-satcat; tags from overhead catalog "
                                "tag)")
    if len(catalog) == 0:
        raise OverheadError("the catalog store is empty" + (f" as of {args.as_of}" if args.as_of else "") +
                            ": run `overhead catalog ingest FILE` first")
    with element_age_said():  # said below, once and plainly
        table = above(catalog, args.site, when, min_elevation_deg=mask)
    _say_if_stale(catalog, when, asked=bool(args.time))
    view = Table(title=f"{len(table)} satellites above {mask:g}° at {args.site.lat_deg:.4f}, "
                       f"{args.site.lon_deg:.4f} — {format_iso(when, digits=0)}")
    for column in ("satellite", "NORAD", "az", "el", "range km", "sunlit", "elements age d"):
        view.add_column(column, justify="left" if column == "satellite" else "right")
    for row in table.head(args.limit).itertuples():
        view.add_row(row.name, str(row.norad_id), f"{row.azimuth_deg:.1f}°", f"{row.elevation_deg:.1f}°",
                     f"{row.range_km:,.0f}", "yes" if row.sunlit else "no", f"{row.element_age_days:.1f}")
    console.print(view)
    if args.passes:
        from overhead.analysis.passes import passes_over_site
        from overhead.tables import with_iso_times

        stop = when + np.timedelta64(round(args.passes * 3600), "s")
        passes = passes_over_site(catalog, args.site, when, stop, min_elevation_deg=mask,
                                  max_element_age_days=None)
        console.print(f"{len(passes):,} passes of {passes.norad_id.nunique():,} satellites above "
                      f"{mask:g}° in the next {args.passes:g} h")
        emit_table(with_iso_times(passes, ("rise", "culmination", "set")), args.output, "passes", float_format="%.3f")


def cmd_plan(args) -> None:
    if args.what == "spot5":
        return _plan_spot5(args)
    if args.what == "aeossp":
        return _plan_aeossp(args)
    _plan_requests(args)


def _plan_aeossp(args) -> None:
    import json

    from overhead.planning.aeossp import read_aeossp
    from overhead.planning.agile import check_plan, plan_greedy, plan_optimal

    if not args.instance:
        raise OverheadError("give the case folder: overhead plan aeossp CASE_DIR")
    case = read_aeossp(args.instance)
    opps, agility = case.opportunities(), case.agility()
    none = opps.iloc[:0][["norad_id"]].assign(station=[], start=[], end=[])
    if args.greedy:
        plan, optimal = plan_greedy(opps, none, agility, case.start), False
    else:
        plan, optimal = plan_optimal(opps, none, agility, case.start, time_limit_s=args.time_limit)
    check_plan(plan, opps, none, agility, case.start)
    weights = case.tasks.set_index("task_id").weight
    console.print(f"{case.name}: {len(plan)} of {len(case.tasks)} tasks (CR {len(plan) / len(case.tasks):.3f}, "
                  f"WCR {weights[plan.request].sum() / weights.sum():.3f}){' optimal' if optimal else ''}; "
                  f"{len(opps):,} opportunities; battery not modelled")
    if args.output:
        write_text_atomic(args.output, json.dumps(case.solution(plan), indent=1))
        err_console.print(f"wrote {args.output}")


def _plan_spot5(args) -> None:
    from overhead.planning.spot5 import read_spot5, solve_spot5

    if not args.instance:
        raise OverheadError("give the instance: overhead plan spot5 INSTANCE.spot")
    instance = read_spot5(args.instance)
    solution = solve_spot5(instance, time_limit_s=args.time_limit)
    console.print(f"profit = {solution.profit}  ({'optimal' if solution.optimal else 'best found'} in "
                  f"{solution.seconds:.1f} s; {sum(1 for v in solution.assignment if v)} of {len(instance)} "
                  f"photographs, recorder weight {solution.weight}"
                  f"{f' of {instance.capacity}' if instance.capacity is not None else ''})")
    if args.output:
        write_text_atomic(args.output, solution.to_text())
        err_console.print(f"wrote {args.output}")


def _plan_requests(args) -> None:
    import json

    import pandas as pd

    from overhead.geometry.targets import load_targets
    from overhead.planning.agile import Agility, make_plan
    from overhead.plots import plan_timeline
    from overhead.requests import AgilitySpec

    if not (args.elements and args.start and args.stop):
        raise OverheadError("give --elements, --start and --stop with a requests file (CSV: id, lat, lon, "
                            "priority)")
    catalog = load_satellites(args.elements)
    tiles = None
    if Path(args.what).suffix.lower() in (".geojson", ".json"):  # polygon requests, imaged as tiles
        from overhead.planning.polygons import read_polygon_requests

        tiles = read_polygon_requests(args.what, tile_km=args.tile_km)
        requests, priority, table = tiles.targets, tiles.priority, pd.DataFrame()
    else:
        from overhead.readers import read_table_file

        requests = load_targets(args.what)
        table = read_table_file(args.what, "observation requests (CSV: id, lat, lon, priority)")
        priority = table["priority"].to_numpy(dtype=float) if "priority" in table else np.ones(len(table))
    agility = Agility.from_spec(spec_of(AgilitySpec, args))
    repeat = table["repeat_every_h"].to_numpy(dtype=float) if "repeat_every_h" in table else None
    stereo = table["stereo"].fillna(0).astype(bool).to_numpy() if "stereo" in table else None
    plan = make_plan(catalog, requests, priority, args.start, args.stop, agility,
                     stations=load_targets(args.stations) if args.stations else None,
                     solver="greedy" if args.greedy else "cp-sat", time_limit_s=args.time_limit,
                     repeat_every_h=repeat, stereo=stereo)
    acquisitions = plan.acquisitions
    if tiles is not None:
        from overhead.planning.polygons import polygon_coverage

        plan.areas = polygon_coverage(acquisitions, tiles)
        for area in plan.areas.itertuples():
            console.print(f"{area.request}: {area.imaged} of {area.tiles} tiles ({100 * area.fraction:.0f} %)")
    console.print(f"{len(acquisitions)} of {plan.requested} requests imaged by {acquisitions.norad_id.nunique()} "
                  f"satellites, value {plan.value:g} ({plan.solver}{', optimal' if plan.optimal else ''}); "
                  f"{plan.opportunities} opportunities, {len(plan.downlinks)} downlink windows")
    if args.output:
        write_text_atomic(args.output, json.dumps(plan.to_json(), indent=1))
        err_console.print(f"wrote {args.output}")
    if args.gantt:
        err_console.print(f"timeline: {plan_timeline(acquisitions, plan.downlinks, args.gantt)}")


def cmd_serve(args) -> None:
    import uvicorn

    from overhead.api import ServiceSettings, create_app
    from overhead.api.app import web_assets_dir

    token = args.token
    if args.token_file:
        token = Path(args.token_file).read_text().strip()
        if not token:
            raise OverheadError(f"{args.token_file} is empty: write the token on its first line")
    settings = ServiceSettings.from_env(db_url=args.db, token=token, scheduler=args.scheduler,
                                        load_sample=not args.no_sample, max_work=args.max_work,
                                        cors_origins=tuple(args.cors_origin or ()),
                                        client_keys=tuple(args.client_key) if args.client_key else None)
    if not (web_assets_dir(settings) / "cesium").is_dir():
        err_console.print("[yellow]warning[/]: the dashboard's front-end packages are not installed (run `bash "
                          "scripts/setup.sh`): the API works, the map and globe will not")
    listener = _listening_socket(args.host, args.port)  # taken or forbidden: one line, exit 2, no URL printed
    host = f"[{args.host}]" if ":" in args.host else args.host
    ready = (f"overhead {'with the bundled sample catalogue ' if not args.no_sample else ''}"
             f"on http://{host}:{args.port}/  (API docs: http://{host}:{args.port}/docs; Ctrl+C stops)")

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started:  # listening, and the service's start-up (the sample's ingest) done: now it is ready
                console.print(ready)

    config = uvicorn.Config(create_app(settings), log_level=args.log_level)
    Server(config).run(sockets=[listener])


def _listening_socket(host: str, port: int):
    """A socket bound to ``host:port`` and listening, or an OverheadError saying why not (before anything else
    starts: a script waiting for the ready line is never told a port it does not have)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose protocol says TCP; with proto 0
    # every keep-alive answer written in two parts waited ~40 ms for the client's delayed ACK
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(2048)
    except OSError as exc:
        listener.close()
        reason = "is in use by another program" if exc.errno == 98 else f"cannot be opened ({exc.strerror})"
        raise OverheadError(f"port {port} on {host} {reason}: choose another with --port") from None
    listener.set_inheritable(True)
    return listener


# a value such as '-33.9,18.4' or '-60,60' (a negative coordinate pair) is a value, not an option
_NEGATIVE_VALUE = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(,[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)*$")


class _Formatter(argparse.HelpFormatter):
    """Help that states each option's default, unless its text already does."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (action.option_strings and "default" not in text and default not in (None, False, argparse.SUPPRESS)
                and not isinstance(default, bool)):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """argparse that takes negative coordinates as values (positionally and after an option), shows defaults,
    and ends a usage error with one line and the way to the help."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_VALUE

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def port_number(text: str) -> int:
    """A TCP port: a whole number from 1 to 65535."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a TCP port (1 to 65535)")
    return int(text)


def _option(p, name: str, *aliases: str, **kwargs) -> None:
    """An option under its unit-bearing name, with its older names kept as aliases (same destination)."""
    p.add_argument(name, *aliases, **kwargs)


def _constraint_options(p, *, cone: bool = False, duration: bool = False, where: str = "target") -> None:
    from overhead.requests import ConstraintsSpec as C

    if cone:
        spec_option(p, C, "half_angle_deg", "--half-angle-deg", "--half-angle", metavar="DEG")
    spec_option(p, C, "max_off_nadir_deg", "--max-off-nadir-deg", "--max-off-nadir", metavar="DEG")
    spec_option(p, C, "min_elevation_deg", "--min-elevation-deg", "--min-elevation", metavar="DEG",
                 meaning=f"elevation of the satellite seen from the {where}, degrees (default: 0, the geometric "
                         f"horizon)")
    spec_option(p, C, "min_sun_elevation_deg", "--min-sun-elevation-deg", "--min-sun-elevation", metavar="DEG")
    spec_option(p, C, "sunlit", "--sunlit", meaning="only while the satellite is in sunlight")
    if duration:
        spec_option(p, C, "min_duration_s", "--min-duration-s", "--min-duration", metavar="S")


def _constraints(args):
    from overhead.geometry.sensors import AccessConstraints
    from overhead.requests import ConstraintsSpec

    return AccessConstraints.from_spec(spec_of(ConstraintsSpec, args))


def _elements(p, *, optional: bool = False, store: bool = False) -> None:
    """ELEMENTS; with ``store``, optional: --group / --tag (and --db) name the store's objects instead."""
    p.add_argument("elements", nargs="?" if optional or store else None,
                   help="element sets: a TLE (2- or 3-line) or OMM (CSV, JSON, XML, KVN) file"
                        + (" (default: the bundled CelesTrak resource group)" if optional else "")
                        + (" (or none: the catalogue store's newest element sets, see --group, --tag, --db)"
                           if store else ""))
    if store:
        p.add_argument("--group", default=None, metavar="NAME",
                       help="without ELEMENTS: the store's objects of this ingested group, e.g. resource")
        p.add_argument("--tag", default=None, metavar="TAG",
                       help="without ELEMENTS: the store's objects with this tag (overhead catalog tag)")
        if not any("--db" in a.option_strings for a in p._actions):
            db_option(p)


def _ids_option(p) -> None:
    p.add_argument("--ids", type=_ids, metavar="ID,ID,...",
                   help="NORAD catalogue numbers, comma-separated (default: every satellite of the file)")


def _site_option(p, *, required: bool = False, repeat: bool = False, default_text: str = "") -> None:
    p.add_argument("--site", type=_site, required=required, action="append" if repeat else "store",
                   metavar="LAT,LON[,ALT_M]",
                   help="a place: latitude and longitude in degrees (south and west negative: -33.9,18.4), "
                        "height in metres; or 33.9S,18.4E, 33°54'S 18°24'E, or a city (\"Cape Town\")"
                        + ("; repeat for several" if repeat else "") + default_text)


def _span_options(p, *, required: bool, start_default: str = "", stop_default: str = "") -> None:
    p.add_argument("--start", required=required, metavar="ISO", help=f"start, {TIME_HELP}{start_default}")
    p.add_argument("--stop", required=required, metavar="ISO", help=f"stop, {TIME_HELP}{stop_default}")


def _mask_option(p, meaning: str) -> None:
    """The elevation mask of a site (passes, above, report): the request model's default and validation."""
    from overhead.requests import SiteQuery

    spec_option(p, SiteQuery, "min_elevation_deg", "--min-elevation-deg", "--min-elevation", metavar="DEG",
                 meaning=f"{meaning}, degrees above the horizon (negative: below it; -90 lists every object)")


def build_parser() -> argparse.ArgumentParser:
    from overhead import __version__
    from overhead.requests import AgilitySpec, GridSpec, PassesRequest, PlanRequest, spec_default, spec_help

    parser = _Parser(prog="overhead", description="What is watching, what it can see, and when. Times are UTC "
                                                  "ISO-8601; angles in degrees, distances in km, heights of "
                                                  "sites in m.")
    parser.add_argument("--version", action="version", version=f"overhead {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("report", help="where the bundled Earth-observation satellites are, their next passes "
                                      "over a place, and a map of their ground tracks")
    _elements(p, optional=True)
    _site_option(p, default_text=" (default: Toulouse, France)")
    p.add_argument("--site-name", default=None, help="the place's name in the report (default: Toulouse when no "
                                                     "--site is given)")
    p.add_argument("--time", metavar="ISO", help=f"{TIME_HELP} (default: the elements' median epoch)")
    _option(p, "--hours", type=finite_float, default=12.0, metavar="H", help="pass search span, hours")
    _mask_option(p, "the passes' elevation mask at the site")
    p.add_argument("--map", default="overhead-report.png", metavar="PNG", help="ground-track map")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("propagate", help="states of satellites over times, as CSV or Parquet")
    _elements(p)
    _ids_option(p)
    _span_options(p, required=False)
    _option(p, "--step-s", "--step", dest="step", type=finite_float, default=60.0, metavar="S",
            help="time step, seconds")
    p.add_argument("--minutes-since-epoch", nargs=3, type=finite_float, metavar=("START", "STOP", "STEP"),
                   help="instead of --start/--stop: minutes after each satellite's own epoch (SGP4's convention)")
    p.add_argument("--frame", choices=("teme", "itrf", "geodetic"), default="teme",
                   help="teme (SGP4's frame, km and km/s), itrf (Earth-fixed, IERS 2010) or geodetic (WGS84 "
                        "lat_deg, lon_deg, alt_km)")
    output_option(p, "out.csv or out.parquet")
    p.add_argument("--force", action="store_true",
                   help="write an output estimated over 2 GB (refused otherwise; it is streamed either way)")
    p.set_defaults(func=cmd_propagate)

    p = sub.add_parser("export", help="ephemerides for other tools: CCSDS OEM, CZML, KML, GeoJSON tracks, STK .e, "
                                      "SP3")
    _elements(p, store=True)
    p.add_argument("--format", required=True, choices=tuple(EXPORT_FRAMES),
                   help="oem (CCSDS OEM 2.0 KVN), czml (Cesium), kml (Google Earth, with gx:Track), geojson "
                        "(ground tracks split at 180°), stk-e (STK ephemeris, one satellite a file), sp3 (SP3-d, "
                        "ITRF, up to 99 satellites)")
    _ids_option(p)
    _span_options(p, required=False, start_default=" (default: the elements' median epoch)",
                  stop_default=" (default: a day after the start)")
    _option(p, "--step-s", "--step", dest="step", type=finite_float, default=60.0, metavar="S",
            help="time step, seconds")
    p.add_argument("--frame", choices=("teme", "itrf"), default=None,
                   help="oem and stk-e: teme (SGP4's frame, default) or itrf; czml and sp3 are ITRF, kml and "
                        "geojson geodetic")
    output_option(p, "the file (stk-e with several satellites: an existing folder)", default="standard output")
    p.add_argument("--force", action="store_true",
                   help=f"write more than {MAX_EXPORT_STATES:,} states (refused otherwise)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("access", help="access windows of satellites' sensors over ground targets")
    _elements(p, store=True)
    _site_option(p, repeat=True)
    p.add_argument("--targets", metavar="FILE", help="targets: CSV (lat/latitude/lat_deg, lon/lng/longitude, "
                                                     "optional id/name, alt_m), GeoJSON points or a JSON station "
                                                     "list (SatNOGS)")
    _ids_option(p)
    _span_options(p, required=True)
    _constraint_options(p, duration=True)
    output_option(p, "windows.csv or .parquet")
    p.set_defaults(func=cmd_access)

    p = sub.add_parser("coverage", help="coverage and revisit statistics over points, a region or the globe")
    _elements(p, store=True)
    _ids_option(p)
    where = p.add_argument_group("where (one of)")
    where.add_argument("--points", metavar="FILE", help="a site table (CSV, GeoJSON points, JSON station list), "
                                                        "one row of results per point in file order")
    where.add_argument("--region", metavar="GEOJSON", help="a GeoJSON polygon file")
    where.add_argument("--country", metavar="NAME", help="a country of the bundled Natural Earth map, e.g. France")
    where.add_argument("--global", dest="globe", action="store_true", help="the whole globe")
    where.add_argument("--band", metavar="MIN,MAX", help="a latitude band in degrees, e.g. -60,60")
    spec_option(p, GridSpec, "resolution", "--resolution", metavar="H3RES")
    _span_options(p, required=True)
    _constraint_options(p, cone=True, where="point")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="tcp://host:port of a Dask cluster, local (a cluster on this machine's cores) or none "
                        "(in this process) (default: in this process unless the work is large enough for worker "
                        "processes to pay off)")
    p.add_argument("--time-chunk-days", type=finite_float, default=None, metavar="DAYS",
                   help="split the interval into chunks of this many days (default: one)")
    p.add_argument("--bounded-memory", action="store_true",
                   help="partition over points and keep no windows (for very large runs)")
    p.add_argument("--force", action="store_true",
                   help="run work estimated over an hour on this machine, or holding windows over half its memory "
                        "(refused otherwise, with the estimate)")
    p.add_argument("-o", "--output", metavar="FILE", help="per-point statistics: stats.csv, .parquet or .nc")
    p.add_argument("--geojson", metavar="FILE", help="the grid's cells with their statistics as GeoJSON")
    p.add_argument("--map", metavar="PNG", help="a map of --metric")
    p.add_argument("--metric", default="mean_revisit_s", choices=COVERAGE_METRICS,
                   help="figure of merit of the map")
    p.set_defaults(func=cmd_coverage)

    p = sub.add_parser("passes", help="rise, culmination and set of satellites over a ground site")
    _elements(p)
    _site_option(p, required=True)
    _ids_option(p)
    _span_options(p, required=False, start_default=" (default: the elements' median epoch)",
                  stop_default=" (default: 24 h after the start)")
    _mask_option(p, "the station's elevation mask")
    p.add_argument("--visible", action="store_true",
                   help="only passes an observer can see: the satellite sunlit while the Sun is below "
                        "--max-sun-altitude-deg at the site; adds visible_start, visible_end, the brightest "
                        "magnitude and when (magnitudes for objects of the shipped table)")
    _option(p, "--max-sun-altitude-deg", dest="max_sun_altitude", type=finite_float, metavar="DEG",
            default=spec_default(PassesRequest, "max_sun_altitude_deg"),
            help=spec_help(PassesRequest, "max_sun_altitude_deg"))
    p.add_argument("--satcat", metavar="CSV", help="with --visible: a CelesTrak SATCAT CSV whose RCS gives a "
                                                  "size-based magnitude estimate where no standard magnitude is known")
    output_option(p, "passes.csv or .parquet (then only one line is printed)")
    p.set_defaults(func=cmd_passes)

    p = sub.add_parser("eclipses", help="umbra and penumbra entry and exit of satellites, with the beta angle")
    _elements(p, optional=True)
    _ids_option(p)
    _span_options(p, required=False, start_default=" (default: the elements' median epoch)",
                  stop_default=" (default: 24 h after the start)")
    p.add_argument("--model", choices=("conical", "cylindrical", "point"), default="conical",
                   help="shadow model: conical (umbra and penumbra, default), cylindrical (umbra), point (the Sun's "
                        "centre behind the Earth)")
    _option(p, "--step-s", "--step", dest="step", type=finite_float, default=30.0, metavar="S",
            help="search step, seconds: eclipses shorter than this can be missed (default: 30)")
    output_option(p, "eclipses.csv or .parquet")
    p.set_defaults(func=cmd_eclipses)

    p = sub.add_parser("watch", help="fetch sources on their schedule, ingest, and alert by rules (YAML)")
    p.add_argument("rules", metavar="RULES.yaml", help="sources to fetch and alert rules (see the README)")
    p.add_argument("--once", action="store_true", help="one round, then exit (for cron and tests)")
    p.add_argument("--force", action="store_true",
                   help="fetch every source now, whatever its schedule (still one request per source)")
    p.add_argument("--celestrak-url", default=None, metavar="URL",
                   help="CelesTrak's base URL (default: https://celestrak.org, or $OVERHEAD_CELESTRAK_URL)")
    _option(p, "--check-s", dest="check_s", type=finite_float, default=60.0, metavar="S",
            help="without --once: seconds between rounds, each fetching only what is due (default: 60)")
    db_option(p)
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("alerts", help="the alerts the watch rules raised, newest first")
    p.add_argument("--since", default=None, metavar="ISO", help=f"alerts of events after this time, {TIME_HELP}")
    output_option(p, "alerts.csv or .parquet")
    db_option(p)
    p.set_defaults(func=cmd_alerts)

    p = sub.add_parser("beta", help="the beta angle (the Sun's elevation above the orbit plane) over time")
    _elements(p, optional=True)
    _ids_option(p)
    _span_options(p, required=False, start_default=" (default: the elements' median epoch)",
                  stop_default=" (default: 30 days after the start)")
    _option(p, "--step-s", "--step", dest="step", type=finite_float, default=86_400.0, metavar="S",
            help="time between rows, seconds (default: 86400, a day)")
    output_option(p, "beta.csv or .parquet")
    p.set_defaults(func=cmd_beta)

    from overhead.cli.catalog import add_parsers as catalog_parsers

    catalog_parsers(sub)

    from overhead.cli.conjunctions import add_parsers as conjunction_parsers

    conjunction_parsers(sub, time_help=TIME_HELP, option=_option, output_option=output_option, elements=_elements,
                        ids_type=_ids, spec_option=spec_option)

    p = sub.add_parser("above", help="what is overhead: satellites above a place at a time, from the store")
    p.add_argument("site", type=_site, metavar="LAT,LON[,ALT_M]",
                   help="the place: degrees (south and west negative: -33.9,18.4), height in metres")
    p.add_argument("--time", metavar="ISO", help=f"{TIME_HELP}; each object's element set nearest it is used "
                                                 "(default: now, with the newest sets)")
    _mask_option(p, "the lowest elevation listed")
    p.add_argument("--limit", type=int, default=40, help="rows to print")
    p.add_argument("--as-of", default=None, metavar="ISO",
                   help="the catalogue as the store knew it at this time: its objects, with the element sets they "
                        "had then (default: the newest)")
    p.add_argument("--type", default=None, metavar="TYPE", help="only objects of this SATCAT type: PAY, R/B, DEB, UNK")
    p.add_argument("--owner", default=None, metavar="CODE", help="only objects of this SATCAT owner, e.g. US, PRC, CIS")
    p.add_argument("--group", default=None, metavar="NAME", help="only objects of this ingested group, e.g. resource")
    p.add_argument("--tag", default=None, metavar="TAG", help="only objects with this tag (overhead catalog tag)")
    p.add_argument("--passes", type=finite_float, default=None, metavar="HOURS",
                   help="also list every pass in the next HOURS hours (default: no)")
    output_option(p, "with --passes: passes.csv or .parquet")
    db_option(p)
    p.set_defaults(func=cmd_above)

    p = sub.add_parser("plan", help="observation planning: requests over satellites, or the SPOT5 and AEOSSP "
                                    "benchmarks")
    p.add_argument("what", help="REQUESTS.csv (id, lat, lon, priority[, repeat_every_h, stereo]), a GeoJSON of "
                                "polygons, or spot5 / aeossp followed by an instance")
    p.add_argument("instance", nargs="?", help="with spot5: a .spot instance; with aeossp: a case folder")
    p.add_argument("--elements", metavar="FILE", help="TLE/OMM of the satellites")
    _span_options(p, required=False)
    p.add_argument("--stations", metavar="FILE", help="ground stations (a site table) whose passes empty the memory")
    spec_option(p, AgilitySpec, "max_off_nadir_deg", "--max-off-nadir-deg", "--max-off-nadir", metavar="DEG")
    spec_option(p, AgilitySpec, "memory_images", "--memory-images", "--memory", metavar="IMAGES")
    spec_option(p, AgilitySpec, "slew_rate_deg_s", "--slew-rate-deg-s", metavar="DEG/S")
    spec_option(p, AgilitySpec, "imaging_s", "--imaging-s", metavar="S")
    p.add_argument("--tile-km", type=finite_float, default=10.0, metavar="KM",
                   help="polygon requests (GeoJSON) are imaged as tiles this size (about one image's footprint)")
    spec_option(p, AgilitySpec, "max_imaging_s_per_orbit", "--max-imaging-per-orbit-s", "--max-imaging-per-orbit",
                 metavar="S")
    p.add_argument("--greedy", action="store_true", help="the fast greedy plan instead of CP-SAT")
    _option(p, "--time-limit-s", "--time-limit", dest="time_limit", type=finite_float, metavar="S",
            default=spec_default(PlanRequest, "time_limit_s"), help=spec_help(PlanRequest, "time_limit_s"))
    p.add_argument("--gantt", metavar="PNG", help="timeline chart")
    p.add_argument("-o", "--output", metavar="FILE", help="plan.json, or with spot5 the .spot_sol.txt solution")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("serve", help="the REST service and web dashboard (the bundled catalogue loaded)")
    db_option(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=port_number, default=8000, help="TCP port, 1 to 65535")
    p.add_argument("--scheduler", default="local", metavar="ADDRESS",
                   help="Dask scheduler of coverage jobs: local (a LocalCluster started on first use), none, "
                        "or tcp://host:8786")
    p.add_argument("--token", help="bearer token of the write endpoints and jobs (or $OVERHEAD_API_TOKEN, or "
                                   "--token-file: a token given here is visible to other users in `ps`; "
                                   "default: none, they are disabled)")
    p.add_argument("--token-file", metavar="PATH", help="read the bearer token from this file's first line")
    p.add_argument("--client-key", action="append", metavar="KEY",
                   help="a key that may run jobs, each its own owner (repeatable; or $OVERHEAD_API_KEYS, "
                        "comma-separated)")
    p.add_argument("--max-work", type=finite_float, default=None, metavar="N",
                   help="largest satellites × time samples × targets of a request (default: 6e7)")
    p.add_argument("--cors-origin", action="append", metavar="ORIGIN",
                   help="allow this origin (repeatable; default: CORS off)")
    p.add_argument("--no-sample", action="store_true", help="do not ingest the bundled sample catalogue")
    p.add_argument("--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug"),
                   help="uvicorn's log level")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("iers", help="Earth-orientation data (UT1-UTC, polar motion)")
    p.add_argument("action", choices=("update",), help="update: install a newer finals2000A table")
    p.add_argument("source", nargs="?", help="a finals2000A file or URL (default: the IERS data centre)")
    p.set_defaults(func=cmd_iers)

    p = sub.add_parser("design", help="constellation design: tradespace sweeps and helpers")
    helpers = p.add_subparsers(dest="helper", required=True, metavar="HELPER")
    h = helpers.add_parser("sweep", help="evaluate a tradespace of designs against a requirement")
    h.add_argument("spec", help="sweep spec (YAML); see examples/sweep_france.yaml")
    h.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="tcp://... of a Dask cluster, or none for in-process (default: a local cluster)")
    h.add_argument("--cache", default=None, metavar="DIR", help="cache folder: re-runs resume (default: "
                                                                 ".overhead-cache/NAME)")
    h.add_argument("-o", "--output", metavar="FILE", help="results.parquet or .csv")
    h.add_argument("--plot", metavar="PNG", help="Pareto chart")
    h.add_argument("--parameter-plot", metavar="PNG", help="the requirement's figure of merit against --parameter")
    h.add_argument("--parameter", default="satellites", help="design parameter of --parameter-plot")
    h = helpers.add_parser("export", help="write a design of a sweep's results as element sets")
    h.add_argument("results", help="the sweep's results.parquet or .csv")
    which = h.add_mutually_exclusive_group(required=True)
    which.add_argument("--best", action="store_true", help="the cheapest design meeting the requirement")
    which.add_argument("--row", type=int, metavar="N", help="row N of the results (from 0)")
    h.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="constellation.json (OMM), .csv, .xml or .tle")
    h = helpers.add_parser("sso", help="sun-synchronous inclination for an altitude")
    h.add_argument("--altitude-km", type=finite_float, required=True, metavar="KM", help="circular orbit altitude")
    h = helpers.add_parser("repeat", help="altitude of a repeat ground track")
    h.add_argument("--revolutions", type=int, required=True, metavar="K", help="revolutions per repeat cycle")
    h.add_argument("--days", type=finite_float, required=True, metavar="D", help="days per repeat cycle")
    _option(h, "--inclination-deg", "--inclination", dest="inclination", type=finite_float, default=None, metavar="DEG",
            help="orbit inclination (default: sun-synchronous)")
    p.set_defaults(func=cmd_design)
    return parser


USER_ERRORS = (OverheadError, FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


class Terminated(BaseException):
    """SIGTERM received: raised in the main thread so that its ``finally`` blocks run (a half-written ``-o``
    file's temporary is removed, stores closed) before the exit."""


def _stop_cleanly_on_sigterm() -> None:
    import signal
    import threading

    def terminate(_signum, _frame) -> None:
        raise Terminated()

    if threading.current_thread() is threading.main_thread():  # signals go to the main thread only
        signal.signal(signal.SIGTERM, terminate)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; a user error ends in one line and exit code 2 (``--debug``: with its traceback).
    Anything else is a bug and shows its traceback."""
    args = build_parser().parse_args(argv)
    _stop_cleanly_on_sigterm()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = lambda message, *a, **k: err_console.print(f"[yellow]warning[/]: {message}")
            args.func(args)
    except USER_ERRORS as exc:
        if args.debug:
            raise
        err_console.print(f"[red]error[/]: {exc}")
        return 2
    except KeyboardInterrupt:
        err_console.print("[red]interrupted[/]")
        return 130
    except Terminated:
        err_console.print("[red]terminated[/]")
        return 143
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
