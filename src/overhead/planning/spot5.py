"""The SPOT5 daily photograph scheduling benchmark (Bensana, Lemaître & Verfaillie, Constraints 4(3), 1999),
in the DCKP ``.spot`` format of Wei & Hao (Mendeley Data, doi:10.17632/2kbzg9nw3b.1), solved with CP-SAT.

Each photograph takes one of its camera values (1, 2, 3 or 13 for stereo) or none (0); binary and ternary
constraints forbid tuples of values; multi-orbit instances add an on-board recorder capacity (the convention
of the benchmark's README: capacity 200, a value's weight is round(consumption / 451)).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ortools.sat.python import cp_model

from overhead.errors import OverheadError

__all__ = ["Spot5Instance", "Spot5Solution", "check_solution", "read_solution", "read_spot5", "solve_spot5"]

CAPACITY = 200
WEIGHT_UNIT = 451.0


@dataclass
class Spot5Instance:
    """Photographs (profit, allowed values and their weights) and constraints (variables, forbidden tuples)."""

    name: str
    profits: list[int]
    values: list[dict[int, int]]  # per photograph: value → recorder weight
    constraints: list[tuple[tuple[int, ...], list[tuple[int, ...]]]]
    capacity: int | None  # None for single-orbit instances

    def __len__(self) -> int:
        return len(self.profits)


@dataclass
class Spot5Solution:
    """One value per photograph (0 = not taken), with its profit, weight and how it was found."""

    assignment: list[int]
    profit: int
    weight: int
    optimal: bool = False
    seconds: float = 0.0
    status: str = ""
    history: list[tuple[float, int]] = field(default_factory=list)  # (seconds, profit) of improving solutions

    def to_text(self) -> str:
        """The ``.spot_sol.txt`` format."""
        selected = sum(1 for v in self.assignment if v)
        lines = [
            f"profit = {self.profit}, weight = {self.weight}",
            f"number of candidate photographs = {len(self.assignment)}",
            f"number of selected photographs = {selected}",
            *map(str, self.assignment),
        ]
        return "\n".join(lines) + "\n"


def read_spot5(path: str | Path) -> Spot5Instance:
    """Read a ``.spot`` instance; errors name the line."""
    path = Path(path)
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    try:
        n = int(lines[0][0])
        profits, values = [], []
        for k in range(1, n + 1):
            fields = lines[k]
            if int(fields[0]) != k - 1:
                raise ValueError(f"photograph {fields[0]} where {k - 1} was expected")
            size = int(fields[2])
            domain = {int(fields[3 + 2 * j]): round(float(fields[4 + 2 * j]) / WEIGHT_UNIT) for j in range(size)}
            profits.append(int(fields[1]))
            values.append(domain)
        n_constraints = int(lines[n + 1][0])
        constraints = []
        capacity = None
        for k in range(n + 2, min(n + 2 + n_constraints, len(lines))):
            numbers = [int(x) for x in lines[k]]
            if len(numbers) == 1:  # multi-orbit files end their constraint list with the recorder capacity
                capacity = CAPACITY
                continue
            arity = numbers[0]
            variables = tuple(numbers[1 : 1 + arity])
            flat = numbers[1 + arity :]
            if len(flat) % arity:
                raise ValueError(f"forbidden tuples of length {len(flat)} do not divide by arity {arity}")
            constraints.append((variables, [tuple(flat[j : j + arity]) for j in range(0, len(flat), arity)]))
        if lines[n + 2 + n_constraints :]:
            capacity = CAPACITY
    except (ValueError, IndexError) as exc:
        raise OverheadError(f"{path}: not a SPOT5 .spot instance ({exc})") from None
    return Spot5Instance(path.stem, profits, values, constraints, capacity)


def check_solution(instance: Spot5Instance, assignment: list[int]) -> tuple[int, int]:
    """Verify an assignment against every rule of the benchmark; returns (profit, weight) or raises."""
    if len(assignment) != len(instance):
        raise OverheadError(f"{len(assignment)} values for {len(instance)} photographs")
    for i, value in enumerate(assignment):
        if value and value not in instance.values[i]:
            raise OverheadError(f"photograph {i} cannot take value {value}")
    for variables, forbidden in instance.constraints:
        chosen = tuple(assignment[v] for v in variables)
        if all(chosen) and chosen in forbidden:
            raise OverheadError(f"photographs {variables} take the forbidden values {chosen}")
    weight = sum(instance.values[i][v] for i, v in enumerate(assignment) if v)
    if instance.capacity is not None and weight > instance.capacity:
        raise OverheadError(f"recorder weight {weight} exceeds the capacity {instance.capacity}")
    return sum(p for p, v in zip(instance.profits, assignment, strict=True) if v), weight


def read_solution(path: str | Path) -> list[int]:
    """The assignment of a ``.spot_sol.txt`` file."""
    lines = Path(path).read_text().split("\n")
    return [int(x) for x in lines[3:] if x.strip()]


def _greedy(instance: Spot5Instance) -> list[int]:
    """Photographs by profit per weight, each given the first value that breaks no constraint: a hint."""
    assignment = [0] * len(instance)
    by_variable: dict[int, list[int]] = {}
    for index, (variables, _) in enumerate(instance.constraints):
        for v in variables:
            by_variable.setdefault(v, []).append(index)
    weight = 0
    order = sorted(range(len(instance)), key=lambda i: -instance.profits[i] / (1 + min(instance.values[i].values())))
    for i in order:
        for value, w in sorted(instance.values[i].items(), key=lambda item: item[1]):
            if instance.capacity is not None and weight + w > instance.capacity:
                continue
            assignment[i] = value
            if all(
                not all(assignment[v] for v in instance.constraints[c][0])
                or tuple(assignment[v] for v in instance.constraints[c][0]) not in instance.constraints[c][1]
                for c in by_variable.get(i, [])
            ):
                weight += w
                break
            assignment[i] = 0
    return assignment


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, started: float):
        super().__init__()
        self.started = started
        self.history: list[tuple[float, int]] = []

    def on_solution_callback(self) -> None:
        self.history.append((time.perf_counter() - self.started, int(self.objective_value)))


def solve_spot5(
    instance: Spot5Instance,
    *,
    time_limit_s: float = 60.0,
    workers: int = 2,
    deterministic_time: float | None = None,
    seed: int = 0,
) -> Spot5Solution:
    """Maximise the profit with CP-SAT (greedy solution as hint); stops at ``time_limit_s`` with the best plan
    found so far, which is proven optimal when ``optimal`` is set.

    ``deterministic_time``: stop after this much of CP-SAT's deterministic time instead, with its workers
    interleaved and a fixed ``seed``: the same plan on any machine, however loaded (what tests use)."""
    model = cp_model.CpModel()
    x = [{value: model.new_bool_var(f"x{i}_{value}") for value in domain} for i, domain in enumerate(instance.values)]
    for choices in x:
        model.add_at_most_one(choices.values())
    for variables, forbidden in instance.constraints:
        for values in forbidden:
            found = [x[v].get(value) for v, value in zip(variables, values, strict=True)]
            literals = [lit for lit in found if lit is not None]
            if len(literals) == len(found):  # a forbidden value outside a domain forbids nothing
                model.add_bool_or([lit.negated() for lit in literals])
    if instance.capacity is not None:
        model.add(
            sum(w * x[i][v] for i, domain in enumerate(instance.values) for v, w in domain.items()) <= instance.capacity
        )
    model.maximize(sum(p * lit for p, choices in zip(instance.profits, x, strict=True) for lit in choices.values()))
    for i, value in enumerate(_greedy(instance)):
        for v, lit in x[i].items():
            model.add_hint(lit, v == value)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if deterministic_time is not None:
        solver.parameters.max_time_in_seconds = max(time_limit_s, 3600.0)  # only the deterministic limit counts
        solver.parameters.max_deterministic_time = deterministic_time
        solver.parameters.interleave_search = True
    started = time.perf_counter()
    progress = _Progress(started)
    status = solver.solve(model, progress)
    seconds = time.perf_counter() - started
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise OverheadError(f"CP-SAT found no plan for {instance.name}: {solver.status_name(status)}")
    assignment = [next((v for v, lit in choices.items() if solver.value(lit)), 0) for choices in x]
    profit, weight = check_solution(instance, assignment)
    return Spot5Solution(
        assignment, profit, weight, status == cp_model.OPTIMAL, seconds, solver.status_name(status), progress.history
    )
