"""``overhead propagate`` and ``overhead export``: states of satellites over times, as tables or as files for
other tools."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from overhead.cli.common import (
    elements_argument,
    err_console,
    gigabytes,
    ids_option,
    load_satellites,
    option,
    output_option,
    satellites_of,
    span_options,
)
from overhead.cli.options import finite_float
from overhead.errors import OverheadError
from overhead.files import write_text_atomic


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


EXPORT_FRAMES = {
    "oem": ("teme", "itrf"),
    "stk-e": ("teme", "itrf"),
    "czml": ("itrf",),
    "sp3": ("itrf",),
    "kml": ("geodetic",),
    "geojson": ("geodetic",),
}


def cmd_export(args) -> None:
    """States over a span in a format other tools read: the API's ephemeris writers."""
    import json

    from overhead import exports
    from overhead.orbits.timescales import sample_count, sample_times, to_datetime64

    frames = EXPORT_FRAMES[args.format]
    frame = args.frame or frames[0]
    if frame not in frames:
        raise OverheadError(
            f"{args.format} holds states in {' or '.join(frames)}, not {frame}: drop --frame or choose {frames[0]}"
        )
    catalog = satellites_of(args)
    start = to_datetime64(args.start) if args.start else catalog.median_epoch()
    stop = to_datetime64(args.stop) if args.stop else start + np.timedelta64(1, "D")
    if args.step <= 0 or stop <= start:
        raise OverheadError("--step-s must be positive and --stop after --start")
    count = sample_count(start, stop, args.step)
    if len(catalog) * count > MAX_EXPORT_STATES and not args.force:
        raise OverheadError(
            f"{len(catalog):,} satellites × {count:,} times = {len(catalog) * count:,} states is more "
            f"than a {args.format} file should hold (at most {MAX_EXPORT_STATES:,}): raise --step-s, "
            f"shorten the span or name fewer satellites (--ids); --force writes it anyway"
        )
    ds = catalog.propagate(sample_times(start, stop, args.step), frame=frame, progress=sys.stderr.isatty())
    if args.format == "stk-e":
        _write_stk(ds, args.output)
        return
    text = {
        "oem": lambda: exports.oem_document(ds),
        "sp3": lambda: exports.sp3_document(ds),
        "kml": lambda: exports.kml_document(ds),
        "czml": lambda: json.dumps(exports.czml_document(ds, name="overhead")),
        "geojson": lambda: json.dumps(exports.ground_tracks_geojson(ds)),
    }[args.format]()
    if not args.output:
        sys.stdout.write(text)
        return
    write_text_atomic(args.output, text)
    err_console.print(f"wrote {len(catalog):,} satellites × {count:,} times as {args.format} to {args.output}")


MAX_EXPORT_STATES = 5_000_000  # ~0.5 GB of OEM text; a file for another tool, not a data dump (propagate is)


def _write_stk(ds, output: str | None) -> None:
    """One .e file: to ``output`` (or standard output) for one satellite, or NORAD.e files into a folder."""
    from overhead import exports

    n_sat = ds.sizes["satellite"]
    folder = Path(output) if output and Path(output).is_dir() else None
    if n_sat > 1 and folder is None:
        raise OverheadError(
            f"an STK ephemeris holds one satellite and {n_sat} were chosen: name one with --ids, "
            "or give -o an existing folder for one NORAD.e file each"
        )
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
        raise OverheadError(
            f"the output would be about {gigabytes(size)} ({rows:,} rows) but {where} has "
            f"{gigabytes(free)} free: reduce the span, raise --step or name fewer satellites (--ids)"
        )
    if size > MAX_OUTPUT_BYTES and not args.force:
        raise OverheadError(
            f"the output would be about {gigabytes(size)} ({rows:,} rows of states): reduce the span, "
            f"raise --step or name fewer satellites (--ids); Parquet is about half the size of CSV; "
            f"--force writes it anyway (streamed: memory stays bounded)"
        )


def add_parsers(sub) -> None:

    p = sub.add_parser("propagate", help="states of satellites over times, as CSV or Parquet")
    elements_argument(p)
    ids_option(p)
    span_options(p, required=False)
    option(
        p, "--step-s", "--step", dest="step", type=finite_float, default=60.0, metavar="S", help="time step, seconds"
    )
    p.add_argument(
        "--minutes-since-epoch",
        nargs=3,
        type=finite_float,
        metavar=("START", "STOP", "STEP"),
        help="instead of --start/--stop: minutes after each satellite's own epoch (SGP4's convention)",
    )
    p.add_argument(
        "--frame",
        choices=("teme", "itrf", "geodetic"),
        default="teme",
        help="teme (SGP4's frame, km and km/s), itrf (Earth-fixed, IERS 2010) or geodetic (WGS84 "
        "lat_deg, lon_deg, alt_km)",
    )
    output_option(p, "out.csv or out.parquet")
    p.add_argument(
        "--force",
        action="store_true",
        help="write an output estimated over 2 GB (refused otherwise; it is streamed either way)",
    )
    p.set_defaults(func=cmd_propagate)

    p = sub.add_parser("export", help="ephemerides for other tools: CCSDS OEM, CZML, KML, GeoJSON tracks, STK .e, SP3")
    elements_argument(p, store=True)
    p.add_argument(
        "--format",
        required=True,
        choices=tuple(EXPORT_FRAMES),
        help="oem (CCSDS OEM 2.0 KVN), czml (Cesium), kml (Google Earth, with gx:Track), geojson "
        "(ground tracks split at 180°), stk-e (STK ephemeris, one satellite a file), sp3 (SP3-d, "
        "ITRF, up to 99 satellites)",
    )
    ids_option(p)
    span_options(
        p,
        required=False,
        start_default=" (default: the elements' median epoch)",
        stop_default=" (default: a day after the start)",
    )
    option(
        p, "--step-s", "--step", dest="step", type=finite_float, default=60.0, metavar="S", help="time step, seconds"
    )
    p.add_argument(
        "--frame",
        choices=("teme", "itrf"),
        default=None,
        help="oem and stk-e: teme (SGP4's frame, default) or itrf; czml and sp3 are ITRF, kml and geojson geodetic",
    )
    output_option(p, "the file (stk-e with several satellites: an existing folder)", default="standard output")
    p.add_argument(
        "--force", action="store_true", help=f"write more than {MAX_EXPORT_STATES:,} states (refused otherwise)"
    )
    p.set_defaults(func=cmd_export)
