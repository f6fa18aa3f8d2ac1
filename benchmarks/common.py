"""Shared pieces of the benchmarks: workloads from ../shared/data (or bundled stand-ins) and result rows."""

from __future__ import annotations

import resource
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import overhead

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@dataclass
class Figure:
    """One benchmark line: overhead's figure against an anchor measured in the same run."""

    workload: str
    metric: str
    overhead_value: float
    anchor: str
    anchor_value: float
    higher_is_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> float:
        if not self.anchor_value:
            return float("nan")
        r = self.overhead_value / self.anchor_value
        if self.higher_is_better:
            return r
        return 1.0 / r if r else float("inf")  # nothing measured where less is better (no CPU used while paused)


def active_catalog() -> tuple[overhead.Catalog, str]:
    """The ~15k-object CelesTrak active catalog of March 2026, or the bundled sample repeated to that size."""
    path = SHARED_DATA / "catalog" / "celestrak_active_2026-03-19" / "active.tle"
    if path.exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return overhead.load_elements(path), "CelesTrak active 2026-03-19 (14,710 objects)"
    sample = overhead.sample_catalog()
    repeats = 15_000 // len(sample) + 1
    catalog = sample[list(range(len(sample))) * repeats]
    return catalog[:15_000], "bundled sample repeated to 15,000 (../shared/data absent)"


def timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def peak_rss_gb() -> float:
    """Peak resident memory of this process plus its largest child, GB (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024**2
