"""SPOT5 scheduling: CP-SAT against the benchmark's proven optima and the DCKP-RSOA reference solutions,
every plan checked by the benchmark's rules. The solver runs under a deterministic time limit with a fixed seed
and interleaved workers, so what it reaches does not depend on how fast or loaded the machine is."""

from __future__ import annotations

import csv

import pytest

from overhead.cli.main import main
from overhead.errors import OverheadError
from overhead.planning.spot5 import check_solution, read_solution, read_spot5, solve_spot5
from tests.conftest import shared_file

SINGLE_ORBIT = ["8", "54", "404", "408", "29", "503", "505", "42", "5", "28", "507"]


def _best_known() -> dict[str, dict]:
    path = shared_file("scheduling_benchmarks", "spot5", "best_known_values.csv")
    return {row["instance_file"]: row for row in csv.DictReader(path.open())}


@pytest.mark.parametrize("name", SINGLE_ORBIT)
def test_single_orbit_instances_reach_the_proven_optimum(name):
    best = _best_known()[name]
    assert best["proven_optimal_1999"] == "yes"
    instance = read_spot5(shared_file("scheduling_benchmarks", "spot5", "instances", f"{name}.spot"))
    solution = solve_spot5(instance, deterministic_time=60.0)
    assert solution.optimal and solution.profit == int(best["best_known_bensana1999"])
    assert check_solution(instance, solution.assignment) == (solution.profit, solution.weight)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["1502", "1504"])
def test_multi_orbit_instances_match_or_beat_the_reference(name):
    folder = ("scheduling_benchmarks", "spot5")
    instance = read_spot5(shared_file(*folder, "instances", f"{name}.spot"))
    reference = read_solution(shared_file(*folder, "reference_solutions_dckp_rsoa", f"{name}.spot_sol.txt"))
    reference_profit, reference_weight = check_solution(instance, reference)  # the checker accepts the reference
    assert reference_weight <= 200
    solution = solve_spot5(instance, deterministic_time=5.0)
    assert solution.profit >= reference_profit and solution.weight <= instance.capacity == 200


def test_checker_rejects_broken_plans():
    instance = read_spot5(shared_file("scheduling_benchmarks", "spot5", "instances", "8.spot"))
    assignment = solve_spot5(instance, time_limit_s=10).assignment
    bad = list(assignment)
    variables, forbidden = instance.constraints[0]
    for v, value in zip(variables, forbidden[0], strict=True):
        bad[v] = value
    with pytest.raises(OverheadError, match="forbidden"):
        check_solution(instance, bad)
    with pytest.raises(OverheadError, match="cannot take"):
        check_solution(instance, [13] * len(instance))


def test_cli_writes_the_solution_format(tmp_path, capsys):
    out = tmp_path / "8.spot_sol.txt"
    path = shared_file("scheduling_benchmarks", "spot5", "instances", "8.spot")
    assert main(["plan", "spot5", str(path), "--time-limit", "10", "-o", str(out)]) == 0
    assert "profit = 10" in capsys.readouterr().out
    lines = out.read_text().splitlines()
    assert lines[0] == "profit = 10, weight = 0" and lines[1] == "number of candidate photographs = 8"
    assert check_solution(read_spot5(path), read_solution(out))[0] == 10
