"""Agreement with NASA CARA on its shared real conjunctions, per method and CARA category (worst relative
difference): ``python -m benchmarks.cara_agreement`` (about 3 min on 2 cores; skips where ../shared is absent)."""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[2] / "shared" / "data" / "conjunctions" / "cara_pc_test_conjunctions"


def main() -> int:
    from overhead.analysis.conjunctions import assess, read_cdm

    if not FOLDER.exists():
        print(f"{FOLDER} not present: nothing to compare")
        return 0
    worst: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    with open(FOLDER / "reference_pc.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            result = assess(read_cdm(FOLDER / f"{row['Conjunction_ID']}.cdm"), methods="3d")
            entry = worst[row["Comment"]]
            entry[0] = max(entry[0], abs(result.pc2d - float(row["Pc2D"])) / float(row["Pc2D"]))
            entry[1] = max(entry[1], abs(result.nc3d - float(row["Nc3D"])) / float(row["Nc3D"]))
            entry[2] += 1
    print("| CARA category | cases | Pc2D worst rel. diff | Nc3D worst rel. diff |")
    print("|---|---|---|---|")
    for category, (pc2d, nc3d, cases) in worst.items():
        print(f"| {category} | {cases:.0f} | {pc2d:.1e} | {nc3d:.1e} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
