"""The names of the coverage figures of merit and what each means (no heavy imports: the CLI reads them)."""

from __future__ import annotations

__all__ = ["EDGE_CONVENTION", "FIGURES_OF_MERIT", "FIGURE_DEFINITIONS"]

FIGURES_OF_MERIT = (
    "accesses",
    "covered_s",
    "percent_covered",
    "mean_revisit_s",
    "max_revisit_s",
    "p95_revisit_s",
    "max_gap_s",
    "p95_gap_s",
    "mean_gap_s",
    "time_averaged_gap_s",
    "first_access_s",
    "mean_response_s",
)
EDGE_CONVENTION = (
    "revisit statistics (mean/max/p95_revisit_s) use gaps between accesses only; gap statistics "
    "(max/p95/mean_gap_s), time-averaged gap and mean response time also count the gaps from the "
    "analysis start to the first access and from the last access to the stop; a point never seen "
    "has one gap of the whole analysis, a point covered throughout has none (0)"
)
# what each figure means, for the attributes of results and the docs
FIGURE_DEFINITIONS = {
    "accesses": "number of access windows (of all satellites and sensors)",
    "covered_s": "seconds covered by at least one window",
    "percent_covered": "covered_s as a percentage of the analysis",
    "mean_revisit_s": "mean gap between accesses (interior gaps only; NaN with fewer than two)",
    "max_revisit_s": "longest gap between accesses (interior gaps only; NaN with fewer than two)",
    "p95_revisit_s": "95th percentile of the gaps between accesses (interior only)",
    "max_gap_s": "longest gap over the whole interval, the edges included: 'at least once every T' is <= T",
    "p95_gap_s": "95th percentile of the gaps over the whole interval, the edges included",
    "mean_gap_s": "mean of the gaps over the whole interval, the edges included (0 when covered throughout)",
    "time_averaged_gap_s": "sum of squared gaps / analysis length: the gap a random instant falls in",
    "first_access_s": "seconds from the analysis start to the first access (NaN where never seen)",
    "mean_response_s": "expected wait from a random instant to the next access (0 while covered)",
}
