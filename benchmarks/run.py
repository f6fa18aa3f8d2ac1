"""Run every benchmark and print one table: overhead's figure, the anchor's, the ratio.

.venv/bin/python -m benchmarks.run            # all
.venv/bin/python -m benchmarks.run propagation
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

BENCHMARKS = (
    "propagation",
    "access",
    "coverage",
    "coverage_scale",
    "design",
    "catalog",
    "planning",
    "service",
    "load",
    "cold",
    "conjunctions",
    "dashboard",
)


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    figures = []
    console = Console(width=160)
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        with console.status(f"running {name}"):
            figures.extend(module.run())
    table = Table(
        title=f"overhead benchmarks — {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    for column in ("workload", "metric", "overhead", "anchor", "anchor value", "ratio", "note"):
        table.add_column(column)
    for f in figures:
        table.add_row(
            f.workload,
            f.metric,
            f"{f.overhead_value:.3g}",
            f.anchor,
            f"{f.anchor_value:.3g}",
            f"{f.ratio:.2f}×",
            f.note,
        )
    console.print(table)
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps([f.__dict__ | {"ratio": f.ratio} for f in figures], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
