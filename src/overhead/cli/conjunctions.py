"""``overhead conjunctions pc|screen``: collision probabilities of CDMs, and screening of element sets."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

from overhead.cli.common import (
    TIME_HELP,
    ids_type,
    load_satellites,
    option,
    output_option,
    spec_of,
    spec_option,
    store_satellites,
)
from overhead.cli.options import bounded_int, finite_float
from overhead.errors import OverheadError
from overhead.orbits.timescales import format_iso

__all__ = ["add_parsers"]

PC_FIELDS = (
    "file",
    "tca",
    "miss_distance_m",
    "relative_speed_m_s",
    "hbr_m",
    "pc2d",
    "nc3d",
    "pc_mc",
    "pc_mc_low",
    "pc_mc_high",
    "max_pc",
    "recommended",
    "method_valid",
    "notes",
)


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "conjunctions",
        help="conjunction assessment: collision probability of CDMs, and screening element sets for close approaches",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    _add_pc_parser(actions)
    _add_screen_parser(actions)


def _add_pc_parser(actions) -> None:
    c = actions.add_parser("pc", help="collision probability of CCSDS CDMs (KVN or XML): 2D, Hall's 3D, Monte Carlo")
    c.add_argument(
        "cdms",
        nargs="+",
        metavar="CDM",
        help="CDM files, KVN or XML; or Space-Track cdm_public JSON "
        "answers (their probabilities as published, one row each)",
    )
    c.add_argument(
        "--method",
        choices=("2d", "3d", "mc", "all"),
        default="2d",
        help="2d: Foster's 2D Pc (with the TCA adjustment); 3d: adds Hall's Nc3D; mc: adds a two-body "
        "Monte Carlo over the encounter's span (CARA's SDMC); all: every method (default: 2d)",
    )
    option(
        c,
        "--hbr-m",
        "--hbr",
        dest="hbr_m",
        type=finite_float,
        default=None,
        metavar="M",
        help="hard-body radius in metres of the CDMs that give none (a CDM's own HBR or 'COMMENT HBR = …' is "
        "used where it has one; default: none, such a CDM is refused)",
    )
    option(
        c,
        "--mc-samples",
        dest="mc_samples",
        type=bounded_int(1_000, 100_000_000),
        default=1_000_000,
        metavar="N",
        help="Monte Carlo samples, 1,000 to 100,000,000 (default: 1,000,000)",
    )
    c.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table for people, json (a list, one object per file) for programs (default: table)",
    )
    c.set_defaults(func=cmd_conjunctions)


def _add_screen_parser(actions) -> None:
    from overhead.requests import ScreeningOptions

    c = actions.add_parser(
        "screen", help="close approaches among element sets (all against all, or primaries against all) over a span"
    )
    c.add_argument(
        "elements",
        nargs="?",
        help="element sets: a TLE (2- or 3-line) or OMM (CSV, JSON, XML, KVN) "
        "file (default: the catalogue store's newest element sets, --db)",
    )
    c.add_argument("--start", metavar="ISO", help=f"start, {TIME_HELP} (default: the elements' median epoch)")
    c.add_argument("--stop", metavar="ISO", help=f"stop, {TIME_HELP} (default: 7 days after the start)")
    spec_option(c, ScreeningOptions, "threshold_km", "--threshold-km", "--threshold", metavar="KM")
    primaries = c.add_mutually_exclusive_group()
    primaries.add_argument(
        "--primaries",
        type=ids_type,
        default=None,
        metavar="ID,ID,...",
        help="NORAD ids screened against everything (default: all against all)",
    )
    primaries.add_argument(
        "--group",
        "--primaries-group",
        dest="primaries_group",
        default=None,
        metavar="NAME",
        help="the objects of a catalogue-store group (e.g. stations, ingested or fetched with "
        "`overhead catalog fetch celestrak:stations`) screened against everything",
    )
    primaries.add_argument(
        "--tag",
        default=None,
        metavar="TAG",
        help="the catalogue store's objects with this tag (overhead catalog tag) screened against everything",
    )
    spec_option(c, ScreeningOptions, "hbr_m", "--hbr-m", "--hbr", metavar="M")
    output_option(c, "conjunctions.csv or .parquet (then only one line is printed)")
    c.add_argument(
        "--cdm-dir",
        metavar="DIR",
        help="also write one CCSDS CDM per conjunction into this folder "
        "(ITRF states, SOCRATES' assumed covariance, the HBR)",
    )
    c.add_argument(
        "--cdm-format",
        choices=("kvn", "xml"),
        default="kvn",
        help="the CDMs' encoding: kvn (.cdm files) or xml (.xml files) (default: kvn)",
    )
    c.add_argument(
        "--scheduler",
        default="none",
        metavar="none|local|tcp://HOST:8786",
        help="none: this process, on every core (default); local: time windows on a LocalCluster of "
        "this machine's cores; or a Dask scheduler's address",
    )
    c.add_argument(
        "--save",
        action="store_true",
        help="keep the conjunctions in the catalogue store (they replace those of the same span and "
        "objects; served by GET /api/conjunctions)",
    )
    c.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="catalogue store of --save, --group, --tag and of the elements when no ELEMENTS file is "
        "named: sqlite:///PATH or postgresql+psycopg://… (default: SQLite in the user's data "
        "folder, or $OVERHEAD_DB)",
    )
    c.set_defaults(func=cmd_conjunctions)


def cmd_conjunctions(args) -> None:
    if args.action == "pc":
        _pc(args)
    else:
        _screen(args)


def _number(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.6g}" if isinstance(x, float) else str(x)


def _pc(args) -> None:
    from overhead.analysis.conjunctions import assess, read_cdm

    results: list[dict] = []
    for path in args.cdms:
        public = _cdm_public_rows(path)
        if public is not None:  # Space-Track's summaries: nothing to compute, the probability as published
            results += public
            continue
        try:  # one bad message is its own row: the others are still assessed
            message = read_cdm(path)
            result = assess(message, methods=args.method, hbr_m=args.hbr_m, mc_samples=args.mc_samples)
        except OverheadError as exc:
            if len(args.cdms) == 1:
                raise
            results.append({"file": path, "error": str(exc)})
            continue
        row = result.to_dict()
        row["file"] = path
        results.append({k: row.get(k) for k in PC_FIELDS} | {k: v for k, v in row.items() if k not in PC_FIELDS})
    _print_pc(args, results)
    failed = sum("error" in r for r in results)
    if failed:
        raise OverheadError(
            f"{failed} of {len(results)} conjunctions could not be assessed (their rows say why); "
            f"the others ({len(results) - failed}) are assessed"
        )


def _cdm_public_rows(path: str) -> list[dict] | None:
    """The rows of a Space-Track ``cdm_public`` JSON file (its Pc as given, one row per record, a reject per
    record that cannot be read), or None when the file is not one."""
    from overhead.analysis.conjunctions.cdm_public import looks_like_cdm_public, read_cdm_public
    from overhead.errors import MessageError

    try:
        with open(path, encoding="utf-8") as handle:
            head = handle.read(4096)
    except (OSError, UnicodeDecodeError):
        return None  # the CDM reader says what is wrong with it
    if not looks_like_cdm_public(head):
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
        records, rejects = read_cdm_public(text, source=path)
    except (OSError, MessageError) as exc:
        return [{"file": path, "error": str(exc)}]
    rows: list[dict] = []
    for record in records:
        rows.append(
            {
                "file": f"{path}#{record.cdm_id}",
                "tca": np.datetime_as_string(record.tca, unit="us") + "Z",
                "miss_distance_m": record.min_range_m,
                "relative_speed_m_s": None,
                "hbr_m": None,
                "pc2d": None,
                "nc3d": None,
                "pc_mc": None,
                "pc_mc_low": None,
                "pc_mc_high": None,
                "max_pc": None,
                "recommended": "given",
                "method_valid": {},
                "pc_given": record.pc,
                "primary": str(record.object1.norad_id),
                "secondary": str(record.object2.norad_id),
                "primary_name": record.object1.name,
                "secondary_name": record.object2.name,
                "emergency_reportable": record.emergency_reportable,
                "notes": [
                    "Space-Track cdm_public: no states or covariances, the probability as 18 SDS published it"
                    + ("" if record.pc is not None else " (none given)")
                ],
            }
        )
    rows += [{"file": path, "error": reason} for reason in rejects]
    return rows


def _print_pc(args, results: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    if args.format == "json":
        json.dump(results, sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
        return
    from rich.measure import Measurement

    console = Console()
    columns = ("file", "TCA (UTC)", "miss m", "speed m/s", "HBR m", "Pc 2D", "Nc 3D", "Pc MC", "MC 95 %", "use")
    rows = [_pc_row(r) for r in results]
    view = Table(title="Collision probability")
    for column in columns:
        view.add_column(column, justify="left" if column in ("file", "TCA (UTC)", "use") else "right")
    for cells in rows:
        view.add_row(*cells)
    if Measurement.get(console, console.options.update(max_width=10_000), view).maximum <= console.width:
        console.print(view)
    else:  # a narrow terminal: one block per file, nothing cut to fit
        for cells in rows:
            block = Table(title=cells[0], show_header=False, title_justify="left", box=None, padding=(0, 2))
            block.add_column(no_wrap=True)
            block.add_column(overflow="fold")
            for column, value in zip(columns[1:], cells[1:], strict=True):
                block.add_row(column, value)
            console.print(block)
    for r in results:
        for note in r.get("notes", ()):
            console.print(f"{Path(r['file']).name}: {note}", markup=False, highlight=False)
        if "error" in r:
            console.print(f"{Path(r['file']).name}: not assessed: {r['error']}", markup=False, highlight=False)


def _pc_row(r: dict) -> tuple[str, ...]:
    if "error" in r:
        return (Path(r["file"]).name, "not assessed (below)", *("—",) * 8)
    if r["recommended"] == "given":
        return (
            Path(r["file"]).name,
            r["tca"],
            f"{r['miss_distance_m']:.1f}",
            "—",
            "—",
            f"{_number(r['pc_given'])} (given)",
            "—",
            "—",
            "—",
            "given",
        )
    interval = f"{_number(r['pc_mc_low'])}–{_number(r['pc_mc_high'])}" if r.get("pc_mc") is not None else "—"
    return (
        Path(r["file"]).name,
        r["tca"],
        f"{r['miss_distance_m']:.1f}",
        f"{r['relative_speed_m_s']:.3g}",
        f"{r['hbr_m']:g}",
        _number(r["pc2d"]),
        _number(r["nc3d"]),
        _number(r["pc_mc"]),
        interval,
        r["recommended"],
    )


def _group_ids(group: str | None, db: str | None, tag: str | None = None) -> set[int] | None:
    """The NORAD ids of a catalogue-store group or tag, or None when neither is asked."""
    if not group and not tag:
        return None
    from overhead.catalog.store import CatalogStore

    store = CatalogStore(db)
    ids = store.select_ids(group=group, tag=tag)
    if not ids and tag:
        raise OverheadError(
            f"the catalogue store ({store.display_url}) has no object tagged {tag!r}: tag some "
            f"first (`overhead catalog tag {tag} ID,ID`)"
        )
    if not ids:
        raise OverheadError(
            f"the catalogue store ({store.display_url}) has no object in group {group!r}: fetch it "
            f"first (`overhead catalog fetch celestrak:{group}`) or ingest a file with --group"
        )
    return ids


def _screen(args) -> None:
    from rich.console import Console

    from overhead.analysis.conjunctions.screening import SCREEN_COLUMNS
    from overhead.orbits.timescales import to_datetime64

    spec, catalog = _screening_inputs(args)
    start = to_datetime64(args.start) if args.start else catalog.median_epoch()
    stop = to_datetime64(args.stop) if args.stop else start + np.timedelta64(7, "D")
    err = Console(stderr=True)
    result = _run_screening(args, spec, catalog, start, stop, err)
    table = result.conjunctions[SCREEN_COLUMNS]
    if args.save:
        from overhead.catalog.store import CatalogStore

        epochs = dict(zip((int(n) for n in catalog.norad_ids), catalog.epochs, strict=True))
        kept = CatalogStore(args.db).save_conjunctions(table, start, stop, norad_ids=spec.primaries, epochs=epochs)
        err.print(f"kept {kept:,} conjunctions in the catalogue store")
    if args.cdm_dir:
        written = _write_cdms(catalog, table, Path(args.cdm_dir), spec.hbr_m, args.cdm_format)
        err.print(f"wrote {written:,} CDMs to {args.cdm_dir}")
    _report_co_moving(result.co_moving, err)
    if args.output:
        said = f"wrote {len(table):,} conjunctions under {spec.threshold_km:g} km among {len(catalog):,} objects"
        _write_screening(table, result.co_moving, args.output, err, said)
        return
    from overhead.tables import csv_cells

    csv_cells(table).to_csv(sys.stdout, index=False, float_format="%.6g")


def _screening_inputs(args):
    """The screening's options and the element sets, checked (and the group looked up) before they are read."""
    from overhead.orbits.catalog import Catalog
    from overhead.requests import ScreeningOptions

    if args.cdm_dir and not Path(args.cdm_dir).is_dir():
        raise OverheadError(f"--cdm-dir {args.cdm_dir}: not an existing folder; create it first")
    primaries = args.primaries or _group_ids(args.primaries_group, args.db, args.tag)
    spec = spec_of(
        ScreeningOptions, args, ("threshold_km", "hbr_m"), primaries=sorted(primaries) if primaries else None
    )
    catalog = load_satellites(args.elements) if args.elements else store_satellites(args.db)
    if not isinstance(catalog, Catalog):
        raise OverheadError(
            f"{args.elements} is an ephemeris (OEM): screening searches element sets (SGP4) of "
            "every object; give the catalogue's TLE/OMM (an ephemeris serves passes, access, "
            "coverage, propagate and export)"
        )
    return spec, catalog


def _run_screening(args, spec, catalog, start, stop, err):
    """The screening in this process (with a progress bar) or on a Dask scheduler (``--scheduler``)."""
    from rich.progress import Progress

    from overhead.analysis.conjunctions.screening import screen, screen_distributed

    if args.scheduler != "none":
        return screen_distributed(
            catalog,
            start,
            stop,
            scheduler=args.scheduler,
            threshold_km=spec.threshold_km,
            primaries=spec.primaries,
            hbr_m=spec.hbr_m,
        )
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(f"screening {len(catalog):,} objects", total=1.0)
        return screen(
            catalog,
            start,
            stop,
            threshold_km=spec.threshold_km,
            primaries=spec.primaries,
            hbr_m=spec.hbr_m,
            progress=lambda f: bar.update(task, completed=f),
        )


def _report_co_moving(together, err) -> None:
    """One line per pair that stays together, on standard error."""
    if together is None or not len(together):
        return
    err.print(
        f"{len(together):,} pairs stay together (docked, formation or co-located: co-moving, not conjunctions, no Pc):",
        markup=False,
        highlight=False,
    )
    for row in together.itertuples():
        err.print(
            f"  {row.name_1} ({row.norad_id_1}) – {row.name_2} ({row.norad_id_2}): "
            f"{row.min_range_km:.2f}–{row.max_range_km:.2f} km from {format_iso(row.start, digits=0)} to "
            f"{format_iso(row.stop, digits=0)}",
            markup=False,
            highlight=False,
        )


def _write_screening(table, together, output: str, err, said: str) -> None:
    """The conjunctions to ``output`` (then ``said``, to it), and the co-moving pairs beside it
    (``NAME_co_moving.csv``)."""
    from overhead.tables import write_table

    write_table(table, output)
    err.print(f"{said} to {output}")
    if together is not None and len(together):
        beside = Path(output).with_name(f"{Path(output).stem}_co_moving{Path(output).suffix}")
        write_table(together, str(beside))
        err.print(f"wrote the {len(together):,} co-moving pairs to {beside}")


def _write_cdms(catalog, table, folder: Path, hbr_m: float, encoding: str = "kvn") -> int:
    from overhead.analysis.conjunctions.cdm import write_cdm_kvn, write_cdm_xml
    from overhead.analysis.conjunctions.screening import screening_messages
    from overhead.files import write_text_atomic

    writer, suffix = (write_cdm_xml, "xml") if encoding == "xml" else (write_cdm_kvn, "cdm")
    for row, message in zip(table.itertuples(), screening_messages(catalog, table, hbr_m=hbr_m), strict=True):
        stamp = str(format_iso(row.tca, digits=3)).replace("-", "").replace(":", "").replace(".", "")
        write_text_atomic(folder / f"{row.norad_id_1:09d}_conj_{row.norad_id_2:09d}_{stamp}.{suffix}", writer(message))
    return len(table)
