"""What the command groups share (public to the package; no command imports another's private names): the
consoles, the satellites a command names (a file, an operator's OEM, the bundled sample or the store), the request
model from the options given, and time formatting."""

from __future__ import annotations

import argparse
import sys

import numpy as np
from rich.console import Console

from overhead.cli.options import finite_float
from overhead.errors import OverheadError

__all__ = [
    "TIME_HELP",
    "console",
    "constraint_options",
    "constraints_of",
    "db_option",
    "elements_argument",
    "elevation_mask",
    "emit_table",
    "err_console",
    "gigabytes",
    "grid_of",
    "hms",
    "ids_option",
    "ids_type",
    "load_satellites",
    "mask_option",
    "one_id",
    "option",
    "output_option",
    "satellites_of",
    "say_namesakes",
    "site_option",
    "site_type",
    "span_options",
    "spec_of",
    "spec_option",
    "store_satellites",
]

console = Console()
if not console.is_terminal:
    console = Console(width=140)  # tables in files and CI logs stay one row per line
err_console = Console(stderr=True, soft_wrap=True)


def load_satellites(elements: str | None, ids: list[int] | None = None):
    """The catalog named on the command line (the bundled sample when none), reporting rejects."""
    import overhead

    if elements is None:
        catalog = overhead.sample_catalog(("resource",))
        return catalog.select(ids) if ids else catalog
    if _is_oem_file(elements):  # an operator's ephemeris: its states, interpolated, instead of element sets
        from overhead.orbits.ephemeris import load_ephemeris

        orbits = load_ephemeris(elements)
        return orbits.select(ids) if ids else orbits
    catalog = overhead.load_elements(elements)
    for reject in catalog.rejects[:20]:
        err_console.print(f"[yellow]skipped[/]: {reject}")
    if len(catalog.rejects) > 20:
        err_console.print(f"[yellow]... and {len(catalog.rejects) - 20} more rejected records[/]")
    return catalog.select(ids) if ids else catalog


def _is_oem_file(path: str) -> bool:
    from overhead.orbits.ephemeris import is_oem

    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return is_oem(handle.read(4096))
    except OSError:
        return False  # the element reader says what is wrong with the path


def store_satellites(db: str | None, *, group: str | None = None, tag: str | None = None):
    """The store's newest element set of every active object (of ``group`` and ``tag`` when given), or one line
    saying the store has none."""
    from overhead.catalog.store import CatalogStore

    store = CatalogStore(db)
    catalog = store.latest_catalog()
    if group or tag:
        wanted = store.select_ids(group=group, tag=tag)
        catalog = catalog[[k for k, n in enumerate(catalog.norad_ids) if int(n) in wanted]]
    if len(catalog) == 0:
        chosen = " and ".join(x for x in (f"group {group!r}" if group else "", f"tag {tag!r}" if tag else "") if x)
        raise OverheadError(
            f"the catalogue store ({store.display_url}) has no active object"
            + (f" in {chosen}" if chosen else "")
            + ": name an ELEMENTS file, or fill the store "
            "(overhead catalog ingest FILE --group NAME, overhead catalog tag)"
        )
    return catalog


def hms(t, *, full: bool = False) -> str:
    from overhead.orbits.timescales import format_iso

    text = str(format_iso(np.datetime64(t, "ns"), digits=0))
    return text.replace("T", " ") if full else text[11:]


def spec_of(model, args, names: tuple[str, ...] | None = None, **fixed):
    """The request model from the options given (``None``: not given, the model's default)."""
    from overhead.requests import validated

    names = tuple(model.model_fields) if names is None else names
    given = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    return validated(model, {**given, **fixed})


def elevation_mask(args) -> float:
    """The elevation mask given (or the model's default), validated by the request model as the API's is."""
    from overhead.requests import SiteQuery

    return spec_of(SiteQuery, args, ("min_elevation_deg",)).min_elevation_deg


def one_id(text: str) -> int:
    if not str(text).isdigit():
        raise OverheadError(f"NORAD ids are positive integers: {text!r}")
    return int(text)


def emit_table(table, output: str | None, what: str, *, float_format: str) -> None:
    """Write a result table to ``output`` (CSV or Parquet), or as CSV to standard output."""
    from overhead.tables import write_table

    if output:
        path = write_table(table, output)
        err_console.print(f"wrote {len(table):,} {what} to {path}")
    else:
        from overhead.tables import csv_cells

        csv_cells(table).to_csv(sys.stdout, index=False, float_format=float_format)


TIME_HELP = "ISO-8601, e.g. 2026-05-30T12:00:00Z (no zone: UTC; +02:00 converted to UTC)"


def spec_option(p, model, name: str, *flags: str, metavar: str | None = None, meaning: str | None = None) -> None:
    """An option of the request model: its help (with the unit) and its default are the model's, so the command
    line, the API and the sweeps cannot differ; unset, it is left to the model (``dest`` is the field's name)."""
    import typing

    from overhead.requests import spec_default, spec_help

    default = spec_default(model, name)
    text = meaning or spec_help(model, name)
    if "default" not in text and default is not None:
        text += f" (default: {default:g})" if isinstance(default, float) else f" (default: {default})"
    kinds = set(typing.get_args(model.model_fields[name].annotation)) | {model.model_fields[name].annotation}
    if bool in kinds:
        p.add_argument(*flags, dest=name, action="store_true", default=None, help=text)
    else:
        p.add_argument(
            *flags, dest=name, type=int if int in kinds else finite_float, default=None, metavar=metavar, help=text
        )


def output_option(p, what: str, *, default: str = "CSV on standard output") -> None:
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help=f"{what} (default: {default}); written atomically into an existing folder",
    )


def db_option(p) -> None:
    p.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="catalogue store: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB (default: SQLite "
        "in the user's data folder, or $OVERHEAD_DB)",
    )


def site_type(text: str):
    from overhead.geometry.topocentric import GroundSite

    try:
        site = GroundSite.from_text(text)
    except OverheadError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not any(c.isdigit() for c in text):
        say_namesakes(text)
    return site


def say_namesakes(text: str) -> None:
    """A city name several cities bear: say which one was taken (the most populous) and how to choose another."""
    from overhead.geometry.places import namesakes

    same = namesakes(text)
    if len(same) > 1:

        def said(p) -> str:
            return f"{p.name}, {p.country} ({p.lat_deg:.2f}, {p.lon_deg:.2f}; {p.population:,} people)"

        err_console.print(
            f"[yellow]{text!r} names {len(same)}{'+' if len(same) == 5 else ''} cities: took "
            f"{said(same[0])}[/]; others: {'; '.join(said(p) for p in same[1:])}. Write the "
            f"coordinates to choose another.",
            highlight=False,
        )


def ids_type(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--ids {text!r} must be NORAD ids separated by commas") from None


def option(p, name: str, *aliases: str, **kwargs) -> None:
    """An option under its unit-bearing name, with its older names kept as aliases (same destination)."""
    p.add_argument(name, *aliases, **kwargs)


def span_options(p, *, required: bool, start_default: str = "", stop_default: str = "") -> None:
    p.add_argument("--start", required=required, metavar="ISO", help=f"start, {TIME_HELP}{start_default}")
    p.add_argument("--stop", required=required, metavar="ISO", help=f"stop, {TIME_HELP}{stop_default}")


def elements_argument(p, *, optional: bool = False, store: bool = False) -> None:
    """ELEMENTS; with ``store``, optional: --group / --tag (and --db) name the store's objects instead."""
    p.add_argument(
        "elements",
        nargs="?" if optional or store else None,
        help="element sets: a TLE (2- or 3-line) or OMM (CSV, JSON, XML, KVN) file"
        + (" (default: the bundled CelesTrak resource group)" if optional else "")
        + (" (or none: the catalogue store's newest element sets, see --group, --tag, --db)" if store else ""),
    )
    if store:
        p.add_argument(
            "--group",
            default=None,
            metavar="NAME",
            help="without ELEMENTS: the store's objects of this ingested group, e.g. resource",
        )
        p.add_argument(
            "--tag",
            default=None,
            metavar="TAG",
            help="without ELEMENTS: the store's objects with this tag (overhead catalog tag)",
        )
        if not any("--db" in a.option_strings for a in p._actions):
            db_option(p)


def ids_option(p) -> None:
    p.add_argument(
        "--ids",
        type=ids_type,
        metavar="ID,ID,...",
        help="NORAD catalogue numbers, comma-separated (default: every satellite of the file)",
    )


def site_option(p, *, required: bool = False, repeat: bool = False, default_text: str = "") -> None:
    p.add_argument(
        "--site",
        type=site_type,
        required=required,
        action="append" if repeat else "store",
        metavar="LAT,LON[,ALT_M]",
        help="a place: latitude and longitude in degrees (south and west negative: -33.9,18.4), "
        "height in metres; or 33.9S,18.4E, 33°54'S 18°24'E, or a city (\"Cape Town\")"
        + ("; repeat for several" if repeat else "")
        + default_text,
    )


def mask_option(p, meaning: str) -> None:
    """The elevation mask of a site (passes, above, report): the request model's default and validation."""
    from overhead.requests import SiteQuery

    spec_option(
        p,
        SiteQuery,
        "min_elevation_deg",
        "--min-elevation-deg",
        "--min-elevation",
        metavar="DEG",
        meaning=f"{meaning}, degrees above the horizon (negative: below it; -90 lists every object)",
    )


def constraint_options(p, *, cone: bool = False, duration: bool = False, where: str = "target") -> None:
    from overhead.requests import ConstraintsSpec as C

    if cone:
        spec_option(p, C, "half_angle_deg", "--half-angle-deg", "--half-angle", metavar="DEG")
    spec_option(p, C, "max_off_nadir_deg", "--max-off-nadir-deg", "--max-off-nadir", metavar="DEG")
    spec_option(
        p,
        C,
        "min_elevation_deg",
        "--min-elevation-deg",
        "--min-elevation",
        metavar="DEG",
        meaning=f"elevation of the satellite seen from the {where}, degrees (default: 0, the geometric horizon)",
    )
    spec_option(p, C, "min_sun_elevation_deg", "--min-sun-elevation-deg", "--min-sun-elevation", metavar="DEG")
    spec_option(p, C, "sunlit", "--sunlit", meaning="only while the satellite is in sunlight")
    if duration:
        spec_option(p, C, "min_duration_s", "--min-duration-s", "--min-duration", metavar="S")


def constraints_of(args):
    from overhead.geometry.sensors import AccessConstraints
    from overhead.requests import ConstraintsSpec

    return AccessConstraints.from_spec(spec_of(ConstraintsSpec, args))


def grid_of(args):
    from overhead.geometry.grids import AnalysisGrid
    from overhead.requests import GridFileSpec

    return AnalysisGrid.from_spec(
        GridFileSpec.from_choice(
            points=args.points,
            region=args.region,
            country=args.country,
            globe=args.globe,
            band=args.band,
            resolution=args.resolution,
            names={
                "points": "--points FILE",
                "region": "--region GEOJSON",
                "country": "--country NAME",
                "globe": "--global",
                "band": "--band MIN_LAT,MAX_LAT",
            },
        )
    )


def satellites_of(args):
    """The satellites of a command that reads ELEMENTS or the store: the file (with --ids), or the store's newest
    element sets of --group / --tag (with --ids; the whole active store without them)."""
    group, tag = getattr(args, "group", None), getattr(args, "tag", None)
    if args.elements:
        if group or tag:
            raise OverheadError("give an ELEMENTS file or --group/--tag (the store's objects), not both")
        return load_satellites(args.elements, args.ids)
    catalog = store_satellites(args.db, group=group, tag=tag)
    return catalog.select(args.ids) if args.ids else catalog


def gigabytes(size: float) -> str:
    return f"{size / 1e9:,.1f} GB" if size >= 1e8 else f"{size / 1e6:,.1f} MB"
