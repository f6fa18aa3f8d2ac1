"""``overhead design``."""

from __future__ import annotations

import sys
from pathlib import Path

from overhead.cli.common import console, err_console, option
from overhead.cli.options import finite_float
from overhead.errors import OverheadError
from overhead.files import write_text_atomic


def cmd_design(args) -> None:
    from overhead.orbits.constellations import repeat_ground_track_altitude_km, sun_synchronous_inclination_deg

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
        console.print(
            f"{altitude:.3f} km  altitude of the {args.revolutions} rev / {args.days:g} day repeat "
            f"ground track ({kind}; above the 6378.137 km equatorial radius)"
        )


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
    console.print(
        f"{len(table)} designs evaluated, {feasible} meet the requirement ({need.metric} ≤ {need.max:g} "
        f"over {need.percentile_area:g} % of the area); {int(table.pareto.sum())} on the Pareto front"
    )
    if feasible:
        best = best_design(table)
        keys = (
            "family",
            "total",
            "planes",
            "phasing",
            "per_plane",
            "inclination_deg",
            "altitude_km",
            "ltan_h",
            "half_angle_deg",
        )
        params = ", ".join(
            f"{k}={best[k].item() if hasattr(best[k], 'item') else best[k]}"
            for k in keys
            if k in best and best[k] == best[k]
        )
        console.print(
            f"best: {params} — {int(best.satellites)} satellites, cost {best.cost:g}, "
            f"{objective} = {best[objective] / 3600:.2f} h"
        )
    if path:
        err_console.print(f"wrote {path}")
    if args.plot:
        chart = pareto_chart(table, objective, args.plot, threshold=spec.requirement[0].max, title=spec.name)
        err_console.print(f"Pareto chart: {chart}")
    if args.parameter_plot:
        chart = parameter_chart(
            table, args.parameter, objective, args.parameter_plot, threshold=spec.requirement[0].max, title=spec.name
        )
        err_console.print(f"{objective} against {args.parameter}: {chart}")


def _design_export(args) -> None:

    from overhead.analysis.design import best_design, design_from_row
    from overhead.readers import read_table_file

    if not Path(args.results).is_file():
        raise FileNotFoundError(f"no sweep results at {args.results}: run `overhead design sweep SPEC -o FILE` first")
    table = read_table_file(args.results, "a sweep's results (overhead design sweep -o)", columns=("family", "cost"))
    if not args.best and not 0 <= args.row < len(table):
        raise OverheadError(f"--row {args.row} is not a row of {args.results}: it has rows 0 to {len(table) - 1}")
    row = best_design(table) if args.best else table.iloc[args.row]
    catalog = design_from_row(row).to_catalog()
    text = (
        catalog.to_tle()
        if args.output.endswith((".tle", ".txt"))
        else catalog.to_omm(
            "csv" if args.output.endswith(".csv") else "xml" if args.output.endswith(".xml") else "json"
        )
    )
    write_text_atomic(args.output, text)
    console.print(
        f"wrote {len(catalog)} satellites of the {'best' if args.best else f'row {args.row}'} design "
        f"({row.family}, cost {row.cost:g}) to {args.output}"
    )


def add_parsers(sub) -> None:

    p = sub.add_parser("design", help="constellation design: tradespace sweeps and helpers")
    helpers = p.add_subparsers(dest="helper", required=True, metavar="HELPER")
    h = helpers.add_parser("sweep", help="evaluate a tradespace of designs against a requirement")
    h.add_argument("spec", help="sweep spec (YAML); see examples/sweep_france.yaml")
    h.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="tcp://... of a Dask cluster, or none for in-process (default: a local cluster)",
    )
    h.add_argument(
        "--cache", default=None, metavar="DIR", help="cache folder: re-runs resume (default: .overhead-cache/NAME)"
    )
    h.add_argument("-o", "--output", metavar="FILE", help="results.parquet or .csv")
    h.add_argument("--plot", metavar="PNG", help="Pareto chart")
    h.add_argument("--parameter-plot", metavar="PNG", help="the requirement's figure of merit against --parameter")
    h.add_argument("--parameter", default="satellites", help="design parameter of --parameter-plot")
    h = helpers.add_parser("export", help="write a design of a sweep's results as element sets")
    h.add_argument("results", help="the sweep's results.parquet or .csv")
    which = h.add_mutually_exclusive_group(required=True)
    which.add_argument("--best", action="store_true", help="the cheapest design meeting the requirement")
    which.add_argument("--row", type=int, metavar="N", help="row N of the results (from 0)")
    h.add_argument("-o", "--output", required=True, metavar="FILE", help="constellation.json (OMM), .csv, .xml or .tle")
    h = helpers.add_parser("sso", help="sun-synchronous inclination for an altitude")
    h.add_argument("--altitude-km", type=finite_float, required=True, metavar="KM", help="circular orbit altitude")
    h = helpers.add_parser("repeat", help="altitude of a repeat ground track")
    h.add_argument("--revolutions", type=int, required=True, metavar="K", help="revolutions per repeat cycle")
    h.add_argument("--days", type=finite_float, required=True, metavar="D", help="days per repeat cycle")
    option(
        h,
        "--inclination-deg",
        "--inclination",
        dest="inclination",
        type=finite_float,
        default=None,
        metavar="DEG",
        help="orbit inclination (default: sun-synchronous)",
    )
    p.set_defaults(func=cmd_design)
