"""``overhead plan``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from overhead.cli.common import console, err_console, load_satellites, option, span_options, spec_of, spec_option
from overhead.cli.options import finite_float
from overhead.errors import OverheadError
from overhead.files import write_text_atomic


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
    console.print(
        f"{case.name}: {len(plan)} of {len(case.tasks)} tasks (CR {len(plan) / len(case.tasks):.3f}, "
        f"WCR {weights[plan.request].sum() / weights.sum():.3f}){' optimal' if optimal else ''}; "
        f"{len(opps):,} opportunities; battery not modelled"
    )
    if args.output:
        write_text_atomic(args.output, json.dumps(case.solution(plan), indent=1))
        err_console.print(f"wrote {args.output}")


def _plan_spot5(args) -> None:
    from overhead.planning.spot5 import read_spot5, solve_spot5

    if not args.instance:
        raise OverheadError("give the instance: overhead plan spot5 INSTANCE.spot")
    instance = read_spot5(args.instance)
    solution = solve_spot5(instance, time_limit_s=args.time_limit)
    console.print(
        f"profit = {solution.profit}  ({'optimal' if solution.optimal else 'best found'} in "
        f"{solution.seconds:.1f} s; {sum(1 for v in solution.assignment if v)} of {len(instance)} "
        f"photographs, recorder weight {solution.weight}"
        f"{f' of {instance.capacity}' if instance.capacity is not None else ''})"
    )
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
        raise OverheadError("give --elements, --start and --stop with a requests file (CSV: id, lat, lon, priority)")
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
    plan = make_plan(
        catalog,
        requests,
        priority,
        args.start,
        args.stop,
        agility,
        stations=load_targets(args.stations) if args.stations else None,
        solver="greedy" if args.greedy else "cp-sat",
        time_limit_s=args.time_limit,
        repeat_every_h=repeat,
        stereo=stereo,
    )
    acquisitions = plan.acquisitions
    if tiles is not None:
        from overhead.planning.polygons import polygon_coverage

        plan.areas = polygon_coverage(acquisitions, tiles)
        for area in plan.areas.itertuples():
            console.print(f"{area.request}: {area.imaged} of {area.tiles} tiles ({100 * area.fraction:.0f} %)")
    console.print(
        f"{len(acquisitions)} of {plan.requested} requests imaged by {acquisitions.norad_id.nunique()} "
        f"satellites, value {plan.value:g} ({plan.solver}{', optimal' if plan.optimal else ''}); "
        f"{plan.opportunities} opportunities, {len(plan.downlinks)} downlink windows"
    )
    if args.output:
        write_text_atomic(args.output, json.dumps(plan.to_json(), indent=1))
        err_console.print(f"wrote {args.output}")
    if args.gantt:
        err_console.print(f"timeline: {plan_timeline(acquisitions, plan.downlinks, args.gantt)}")


def add_parsers(sub) -> None:
    from overhead.requests import AgilitySpec, PlanRequest, spec_default, spec_help

    p = sub.add_parser(
        "plan", help="observation planning: requests over satellites, or the SPOT5 and AEOSSP benchmarks"
    )
    p.add_argument(
        "what",
        help="REQUESTS.csv (id, lat, lon, priority[, repeat_every_h, stereo]), a GeoJSON of "
        "polygons, or spot5 / aeossp followed by an instance",
    )
    p.add_argument("instance", nargs="?", help="with spot5: a .spot instance; with aeossp: a case folder")
    p.add_argument("--elements", metavar="FILE", help="TLE/OMM of the satellites")
    span_options(p, required=False)
    p.add_argument("--stations", metavar="FILE", help="ground stations (a site table) whose passes empty the memory")
    spec_option(p, AgilitySpec, "max_off_nadir_deg", "--max-off-nadir-deg", "--max-off-nadir", metavar="DEG")
    spec_option(p, AgilitySpec, "memory_images", "--memory-images", "--memory", metavar="IMAGES")
    spec_option(p, AgilitySpec, "slew_rate_deg_s", "--slew-rate-deg-s", metavar="DEG/S")
    spec_option(p, AgilitySpec, "imaging_s", "--imaging-s", metavar="S")
    p.add_argument(
        "--tile-km",
        type=finite_float,
        default=10.0,
        metavar="KM",
        help="polygon requests (GeoJSON) are imaged as tiles this size (about one image's footprint)",
    )
    spec_option(
        p, AgilitySpec, "max_imaging_s_per_orbit", "--max-imaging-per-orbit-s", "--max-imaging-per-orbit", metavar="S"
    )
    p.add_argument("--greedy", action="store_true", help="the fast greedy plan instead of CP-SAT")
    option(
        p,
        "--time-limit-s",
        "--time-limit",
        dest="time_limit",
        type=finite_float,
        metavar="S",
        default=spec_default(PlanRequest, "time_limit_s"),
        help=spec_help(PlanRequest, "time_limit_s"),
    )
    p.add_argument("--gantt", metavar="PNG", help="timeline chart")
    p.add_argument("-o", "--output", metavar="FILE", help="plan.json, or with spot5 the .spot_sol.txt solution")
    p.set_defaults(func=cmd_plan)
