"""Issue 5 (first part): the SPOT5 instances with CP-SAT, 60 s each on 2 workers, against the proven optima of
Bensana et al. (1999) and the DCKP-RSOA reference solutions (profits recomputed by our checker)."""

from __future__ import annotations

import csv

from benchmarks.common import SHARED_DATA, Figure
from overhead.planning.spot5 import check_solution, read_solution, read_spot5, solve_spot5

TIME_LIMIT_S = 60.0


def run() -> list[Figure]:
    folder = SHARED_DATA / "scheduling_benchmarks" / "spot5"
    best = {row["instance_file"]: row for row in csv.DictReader((folder / "best_known_values.csv").open())}
    figures = []
    for name in sorted(best, key=lambda n: (best[n]["multi_orbit_capacity"] == "yes", int(n))):
        instance = read_spot5(folder / "instances" / f"{name}.spot")
        reference, _ = check_solution(
            instance, read_solution(folder / "reference_solutions_dckp_rsoa" / f"{name}.spot_sol.txt")
        )
        solution = solve_spot5(instance, time_limit_s=TIME_LIMIT_S)
        kind = "multi-orbit" if instance.capacity is not None else "single-orbit"
        optimum = best[name]["best_known_bensana1999"] if best[name]["proven_optimal_1999"] == "yes" else "—"
        figures.append(
            Figure(
                f"SPOT5 {name} ({kind}, {len(instance)} photographs)",
                "profit",
                solution.profit,
                "DCKP-RSOA reference",
                reference,
                note=f"{'proven optimal' if solution.optimal else 'best found'} in "
                f"{solution.seconds:.1f} s; proven optimum (1999): {optimum}",
            )
        )
    return figures + run_scenario() + run_aeossp()


def run_scenario() -> list[Figure]:
    """20 agile Earth-observation satellites, the 2,000 most populous cities (GeoNames), one day, downlinks at
    Svalbard and Kiruna: plan value and time, greedy against CP-SAT (60 s)."""
    import time
    import warnings

    import numpy as np
    import pandas as pd

    import overhead
    from overhead.analysis.access import access_windows
    from overhead.geometry.sensors import AccessConstraints
    from overhead.geometry.targets import TargetSet
    from overhead.planning.agile import Agility, check_plan, opportunities, plan_greedy, plan_optimal

    cities = pd.read_csv(SHARED_DATA / "geo" / "geonames_cities15000_snapshot" / "world_cities.csv")
    cities = cities.sort_values("population", ascending=False).head(2000).reset_index(drop=True)
    requests = TargetSet.from_points(cities.latitude_deg, cities.longitude_deg, ids=[f"C{k}" for k in cities.index])
    priority = np.log10(cities.population.to_numpy())  # bigger cities matter more
    catalog = overhead.sample_catalog(("resource",))[:20]
    start, stop = "2026-05-30T00:00:00Z", "2026-05-31T00:00:00Z"
    agility = Agility(max_off_nadir_deg=30.0, slew_rate_deg_s=1.0, settle_s=10.0, imaging_s=10.0, memory_images=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        opps = opportunities(catalog, requests, priority, start, stop, agility)
        stations = TargetSet.from_points([78.23, 67.86], [15.41, 20.96], 400, ids=["Svalbard", "Kiruna"])
        downlinks = access_windows(catalog, stations, start, stop, AccessConstraints(min_elevation_deg=5.0))
        downlinks = downlinks.rename(columns={"target": "station"})[["norad_id", "station", "start", "end"]]
        prepare_s = time.perf_counter() - started
        started = time.perf_counter()
        greedy = plan_greedy(opps, downlinks, agility, start)
        greedy_s = time.perf_counter() - started
        started = time.perf_counter()
        optimal, proven = plan_optimal(opps, downlinks, agility, start, time_limit_s=TIME_LIMIT_S)
        cp_s = time.perf_counter() - started
    for plan in (greedy, optimal):
        check_plan(plan, opps, downlinks, agility, start)
    return [
        Figure(
            "20 satellites × 2,000 cities × 1 day (memory 20 images, 2 stations)",
            "plan value (Σ log10 pop.)",
            float(optimal.priority.sum()),
            "greedy plan",
            float(greedy.priority.sum()),
            note=f"CP-SAT {len(optimal)} images in {cp_s:.1f} s ({'optimal' if proven else 'best found'}); "
            f"greedy {len(greedy)} images in {greedy_s:.2f} s; {len(opps):,} opportunities and "
            f"{len(downlinks)} downlinks in {prepare_s:.1f} s",
        )
    ]


def run_aeossp() -> list[Figure]:
    """The five AEOSSP standard test cases: weighted completion (WCR), greedy against CP-SAT (30 s)."""
    from overhead.planning.aeossp import read_aeossp
    from overhead.planning.agile import check_plan, plan_greedy, plan_optimal

    folder = SHARED_DATA / "scheduling_benchmarks" / "astro_reason" / "aeossp_standard" / "dataset" / "cases" / "test"
    figures = []
    for case_dir in sorted(folder.iterdir()):
        case = read_aeossp(case_dir)
        opps, agility = case.opportunities(), case.agility()
        none = opps.iloc[:0][["norad_id"]].assign(station=[], start=[], end=[])
        greedy = plan_greedy(opps, none, agility, case.start)
        optimal, _ = plan_optimal(opps, none, agility, case.start, time_limit_s=30)
        weights = case.tasks.set_index("task_id").weight
        for plan in (greedy, optimal):
            check_plan(plan, opps, none, agility, case.start)
        figures.append(
            Figure(
                f"AEOSSP {case.name} ({len(case.catalog)} sats, {len(case.tasks)} tasks, 12 h)",
                "WCR",
                float(weights[optimal.request].sum() / weights.sum()),
                "greedy WCR",
                float(weights[greedy.request].sum() / weights.sum()),
                note=f"CR {len(optimal) / len(case.tasks):.3f} (greedy "
                f"{len(greedy) / len(case.tasks):.3f}); battery not modelled",
            )
        )
    return figures
