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
        reference, _ = check_solution(instance, read_solution(folder / "reference_solutions_dckp_rsoa"
                                                              / f"{name}.spot_sol.txt"))
        solution = solve_spot5(instance, time_limit_s=TIME_LIMIT_S)
        kind = "multi-orbit" if instance.capacity is not None else "single-orbit"
        optimum = best[name]["best_known_bensana1999"] if best[name]["proven_optimal_1999"] == "yes" else "—"
        figures.append(Figure(f"SPOT5 {name} ({kind}, {len(instance)} photographs)", "profit", solution.profit,
                              "DCKP-RSOA reference", reference,
                              note=f"{'proven optimal' if solution.optimal else 'best found'} in "
                                   f"{solution.seconds:.1f} s; proven optimum (1999): {optimum}"))
    return figures
